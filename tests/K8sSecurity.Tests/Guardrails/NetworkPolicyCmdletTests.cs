using Xunit;

namespace K8sSecurity.Tests.Guardrails;

public sealed class NetworkPolicyCmdletTests : GuardrailsServerTestBase
{
    private const string DbPolicy = "New-K8sNetworkPolicy -Namespace team -Name db-policy -PodSelector @{app='database'} -AllowFromPod @{app='api'} -Port 3306 -Protocol TCP";

    [Fact]
    public void SeedDbPolicyIsCreatedOnceAndReRunsChangeNothing()
    {
        CreateNamespace("team");
        Server.ClearRequests();
        Assert.Empty(Session.Invoke(DbPolicy + " -WhatIf").AssertNoErrors().Output);
        Assert.Empty(Writes());

        var created = Assert.Single(Session.Invoke(DbPolicy).AssertNoErrors().Output);
        Assert.Equal("app=database", Prop(created, "PodSelector"));
        Assert.Equal(new[] { "from (pods app=api) on 3306/TCP" }, (IEnumerable<string>)Prop(created, "Ingress")!);
        var stored = Server.Store.Get("networking.k8s.io/v1", "NetworkPolicy", "team", "db-policy")!;
        Assert.Equal(3306, stored["spec"]!["ingress"]![0]!["ports"]![0]!["port"]!.GetValue<int>());

        Server.ClearRequests();
        Session.Invoke(DbPolicy).AssertNoErrors();
        Assert.Empty(Writes());

        // same name, other rules: refused without -Force, replaced with it
        var clash = Assert.Single(Session.Invoke(DbPolicy.Replace("3306", "5432", StringComparison.Ordinal)).Errors);
        Assert.StartsWith("K8sAlreadyExists", clash.FullyQualifiedErrorId, StringComparison.Ordinal);
        Session.Invoke(DbPolicy.Replace("3306", "5432", StringComparison.Ordinal) + " -Force -Confirm:$false").AssertNoErrors();
        Assert.Equal(5432, Server.Store.Get("networking.k8s.io/v1", "NetworkPolicy", "team", "db-policy")!["spec"]!["ingress"]![0]!["ports"]![0]!["port"]!.GetValue<int>());
    }

    [Fact]
    public void DefaultDenyWithDnsAndListAndRemove()
    {
        CreateNamespace("team");
        var deny = Assert.Single(Session.Invoke("New-K8sNetworkPolicy -Namespace team -DefaultDeny All -AllowDns").AssertNoErrors().Output);
        Assert.Equal("default-deny-all", Prop(deny, "Name"));
        Assert.True((bool)Prop(deny, "DefaultDenyIngress")!);
        Assert.True((bool)Prop(deny, "DefaultDenyEgress")!);

        Session.Invoke("New-K8sNetworkPolicy -Namespace team -Name egress-web -PodSelector @{app='web'} -AllowToCidr 10.0.0.0/8 -ExceptCidr 10.1.0.0/16 -Port 443").AssertNoErrors();
        var all = Session.Invoke("Get-K8sNetworkPolicy -AllNamespaces").AssertNoErrors().Output;
        Assert.Equal(new[] { "default-deny-all", "egress-web" }, all.Select(p => (string)Prop(p, "Name")!).ToArray());
        string table = Session.Render("Get-K8sNetworkPolicy -Namespace team");
        Assert.Contains("default-deny-all", table, StringComparison.Ordinal);
        Assert.Matches(@"default-deny-all\s+<all>\s+Ingress\+Egress\s+deny all", table);
        // The rules in words stay in the objects and Format-List.
        Assert.Contains("10.0.0.0/8 except 10.1.0.0/16", Session.Render("Get-K8sNetworkPolicy -Namespace team | Format-List"), StringComparison.Ordinal);

        Session.Invoke("Get-K8sNetworkPolicy -Namespace team egress-* | Remove-K8sNetworkPolicy -Confirm:$false").AssertNoErrors();
        Assert.Null(Server.Store.Get("networking.k8s.io/v1", "NetworkPolicy", "team", "egress-web"));
        Assert.StartsWith("K8sNotFound", Assert.Single(Session.Invoke("Get-K8sNetworkPolicy -Namespace team nope").Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.StartsWith("K8sNotFound", Assert.Single(Session.Invoke("Remove-K8sNetworkPolicy nope -Namespace team -Confirm:$false").Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInputIsRefusedBeforeAnyRequest()
    {
        Server.ClearRequests();
        var noRule = Assert.Single(Session.Invoke("New-K8sNetworkPolicy -Namespace team -Name x").Errors);
        Assert.StartsWith("K8sInvalidArgument", noRule.FullyQualifiedErrorId, StringComparison.Ordinal);
        var badCidr = Assert.Single(Session.Invoke("New-K8sNetworkPolicy -Namespace team -Name x -AllowFromCidr 10.0.0.0/40").Errors);
        Assert.Contains("-AllowFromCidr '10.0.0.0/40'", badCidr.ToString(), StringComparison.Ordinal);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public void TestAgainstTheLiveClusterNamesTheDecidingPolicies()
    {
        CreateNamespace("team");
        Server.Store.CreateJson("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"db-0","namespace":"team","labels":{"app":"database"}},"spec":{"containers":[{"name":"db","image":"mysql","ports":[{"name":"mysql","containerPort":3306}]}]}}""");
        Server.Store.CreateJson("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"api-0","namespace":"team","labels":{"app":"api"}},"spec":{"containers":[{"name":"api","image":"api"}]}}""");
        Server.Store.CreateJson("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"web-0","namespace":"team","labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"web"}]}}""");
        Session.Invoke(DbPolicy).AssertNoErrors();

        var allowed = Assert.Single(Session.Invoke("Test-K8sNetworkPolicy -Namespace team -From api-0 -To db-0 -Port mysql").AssertNoErrors().Output);
        Assert.True((bool)Prop(allowed, "Allowed")!);
        Assert.Equal(new[] { "team/db-policy" }, (IEnumerable<string>)Prop(allowed, "DecidingPolicies")!);

        var denied = Assert.Single(Session.Invoke("Test-K8sNetworkPolicy -Namespace team -From @{app='web'} -To team/db-0 -Port 3306").AssertNoErrors().Output);
        Assert.False((bool)Prop(denied, "Allowed")!);
        Assert.Contains("ingress isolated by team/db-policy", (string)Prop(denied, "Reason")!, StringComparison.Ordinal);

        var open = Session.Invoke("Test-K8sNetworkPolicy -Unisolated -Namespace team").AssertNoErrors().Output;
        Assert.Equal(new[] { "api-0", "web-0" }, open.Select(o => (string)Prop(o, "Pod")!).Order(StringComparer.Ordinal).ToArray());

        string rendered = Session.Render("Test-K8sNetworkPolicy -Namespace team -From web-0 -To db-0 -Port 3306");
        Assert.Contains("False", rendered, StringComparison.Ordinal);
        Assert.Contains("team/db-policy", rendered, StringComparison.Ordinal);

        var missing = Session.Invoke("Test-K8sNetworkPolicy -Namespace team -From ghost -To db-0 -Port 3306");
        Assert.StartsWith("K8sNotFound", missing.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    /// <summary>
    /// New-K8sNetworkPolicy refuses before any request what the API server's ValidateNetworkPolicy would refuse or what
    /// would silently vanish: an -ExceptCidr that is not a strict subset of an allowed CIDR (ValidateIPBlock: "must be a
    /// strict subset of `cidr`"; before, one outside every range was dropped, one equal to the range was sent) and port
    /// names IsValidPortName refuses (before, '-http' and 'my--port' were sent).
    /// </summary>
    [Fact]
    public void NewRefusesExceptRangesAndPortNamesTheApiServerWouldNotKeep()
    {
        CreateNamespace("strict");
        Server.ClearRequests();
        foreach (var (arguments, parameter, value, message) in new[]
        {
            ("-AllowToCidr 10.0.0.0/8 -ExceptCidr 192.168.0.0/16", "ExceptCidr", "192.168.0.0/16", "must be a strict subset"),
            ("-AllowToCidr 10.0.0.0/8 -ExceptCidr 10.0.0.0/8", "ExceptCidr", "10.0.0.0/8", "must be a strict subset"),
            ("-AllowToCidr 10.1.0.0/16 -ExceptCidr 10.0.0.0/8", "ExceptCidr", "10.0.0.0/8", "must be a strict subset"),
            ("-AllowToCidr 10.0.0.0/8 -ExceptCidr fd00::/64", "ExceptCidr", "fd00::/64", "must be a strict subset"),
            ("-AllowFromPod @{app='a'} -ExceptCidr 10.1.0.0/16", "ExceptCidr", "10.1.0.0/16", "must be a strict subset"),
            ("-AllowToCidr 10.0.0.0/8 -Port -http", "Port", "-http", "must not begin or end with a hyphen"),
            ("-AllowToCidr 10.0.0.0/8 -Port my--port", "Port", "my--port", "must not contain consecutive hyphens"),
        })
        {
            var result = Session.Invoke($"New-K8sNetworkPolicy -Namespace strict -Name p -PodSelector @{{app='web'}} {arguments} -Confirm:$false");
            var error = result.TerminatingError ?? Assert.Single(result.Errors);
            Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains($"-{parameter} '{value}'", error.ToString(), StringComparison.Ordinal);
            Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        }

        Assert.DoesNotContain(Server.Requests, r => r.Method != "GET");
        Session.Invoke("New-K8sNetworkPolicy -Namespace strict -Name p -PodSelector @{app='web'} -AllowToCidr 10.0.0.0/8,172.16.0.0/12 -ExceptCidr 10.1.0.0/16 -Port http-alt -Confirm:$false").AssertNoErrors();
        var blocks = Server.Store.Get("networking.k8s.io/v1", "NetworkPolicy", "strict", "p")!["spec"]!["egress"]![0]!["to"]!.AsArray();
        Assert.Equal("""{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}""", blocks[0]!["ipBlock"]!.ToJsonString());
        Assert.Equal("""{"cidr":"172.16.0.0/12"}""", blocks[1]!["ipBlock"]!.ToJsonString());
    }

    [Fact]
    public void TestRefusesAPortThatCannotExistBeforeAnyRequest()
    {
        // apimachinery's IsValidPortNum (1-65535) and IsValidPortName (IANA_SVC_NAME): before, -Port 99999 between two
        // pods no policy selects answered "allowed", and "8080/TCP" was looked up as a port name.
        CreateNamespace("open");
        Server.ClearRequests();
        foreach (var (port, message) in new[]
        {
            ("99999", "must be between 1 and 65535, inclusive"),
            ("0", "must be between 1 and 65535, inclusive"),
            ("8080/TCP", "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"),
            ("-http", "must not begin or end with a hyphen"),
            ("my--port", "must not contain consecutive hyphens"),
            ("a-very-long-port-name", "must be no more than 15 characters"),
        })
        {
            var result = Session.Invoke("Test-K8sNetworkPolicy -Namespace open -From @{app='a'} -To @{app='b'} -Port $args[0]", port);
            Assert.Empty(result.Output);
            Assert.StartsWith("K8sInvalidArgument", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains($"-Port '{port}'", result.TerminatingError.ToString(), StringComparison.Ordinal);
            Assert.Contains(message, result.TerminatingError.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty(Server.Requests);
        Assert.True((bool)Prop(Assert.Single(Session.Invoke("Test-K8sNetworkPolicy -Namespace open -From @{app='a'} -To @{app='b'} -Port 65535").AssertNoErrors().Output), "Allowed")!);
        Assert.True((bool)Prop(Assert.Single(Session.Invoke("Test-K8sNetworkPolicy -Namespace open -From @{app='a'} -To @{app='b'} -Port http-alt").AssertNoErrors().Output), "Allowed")!);
    }

    [Fact]
    public void TestWorksOfflineOnManifests()
    {
        string file = Path.Combine(Directory, "app.yaml");
        File.WriteAllText(file, """
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop, labels: {team: shop}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: shop}
            spec:
              template:
                metadata: {labels: {app: api}}
                spec: {containers: [{name: api, image: api, ports: [{name: http, containerPort: 8080}]}]}
            ---
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: api-from-team, namespace: shop}
            spec:
              podSelector: {matchLabels: {app: api}}
              ingress:
              - from:
                - namespaceSelector: {matchLabels: {team: shop}}
                  podSelector: {matchLabels: {role: frontend}}
                ports: [{port: http}]
            """);
        Server.ClearRequests();
        var ok = Assert.Single(Session.Invoke("Test-K8sNetworkPolicy -Path $args[0] -From @{role='frontend'} -FromNamespace shop -To 'shop/api (Deployment)' -Port 8080", file).AssertNoErrors().Output);
        Assert.True((bool)Prop(ok, "Allowed")!);
        var wrongPod = Assert.Single(Session.Invoke("Test-K8sNetworkPolicy -Path $args[0] -From @{role='batch'} -FromNamespace shop -To 'shop/api (Deployment)' -Port 8080", file).AssertNoErrors().Output);
        Assert.False((bool)Prop(wrongPod, "Allowed")!);
        var outside = Assert.Single(Session.Invoke("Test-K8sNetworkPolicy -Path $args[0] -From 203.0.113.7 -To 'shop/api (Deployment)' -Port 8080", file).AssertNoErrors().Output);
        Assert.False((bool)Prop(outside, "Allowed")!);
        Assert.Empty(Server.Requests); // offline: nothing sent
    }
}
