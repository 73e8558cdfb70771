using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Authorization;

public sealed class ServiceAccountTests : IDisposable
{
    private const string Canary = "canary-Pa55word-7f3e";
    private readonly AuthorizationTestCluster cluster = AuthorizationTestCluster.Start("team-a");

    private const string MakeCredential = """
        $password = [securestring]::new(); $args[0].ToCharArray() | ForEach-Object { $password.AppendChar($_) }
        $credential = [pscredential]::new('robot', $password)
        """;

    private void CreateDeployment(string name, string? serviceAccount = null)
    {
        var podSpec = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx" }) };
        if (serviceAccount is not null)
        {
            podSpec["serviceAccountName"] = serviceAccount;
        }

        cluster.Server.Store.Create(new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "team-a" },
            ["spec"] = new JsonObject
            {
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
                ["template"] = new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = name } }, ["spec"] = podSpec },
            },
        });
    }

    [Fact]
    public void NewServiceAccountDisablesAutomountByDefaultAndIsIdempotent()
    {
        var created = Assert.Single(cluster.Invoke("New-K8sServiceAccount builder -Namespace team-a").AssertNoErrors().Output);
        Assert.Equal("Created", created.Properties["Change"].Value.ToString());
        Assert.False(cluster.Get("v1", "ServiceAccount", "team-a", "builder")!["automountServiceAccountToken"]!.GetValue<bool>());

        cluster.Server.ClearRequests();
        Assert.Equal("Unchanged", Assert.Single(cluster.Invoke("New-K8sServiceAccount builder -Namespace team-a").AssertNoErrors().Output).Properties["Change"].Value.ToString());
        Assert.Empty(cluster.Writes());

        var differ = cluster.Invoke("New-K8sServiceAccount builder -Namespace team-a -AutomountToken");
        Assert.StartsWith("K8sAlreadyExists", Assert.Single(differ.Errors).FullyQualifiedErrorId);
        cluster.Invoke("New-K8sServiceAccount builder -Namespace team-a -AutomountToken -Force").AssertNoErrors();
        Assert.True(cluster.Get("v1", "ServiceAccount", "team-a", "builder")!["automountServiceAccountToken"]!.GetValue<bool>());

        cluster.Invoke("'one','two' | New-K8sServiceAccount -Namespace team-a -WhatIf").AssertNoErrors();
        Assert.Null(cluster.Get("v1", "ServiceAccount", "team-a", "one"));
        cluster.Invoke("New-K8sServiceAccount one -Namespace team-a -DryRun").AssertNoErrors();
        Assert.Null(cluster.Get("v1", "ServiceAccount", "team-a", "one"));
        var bad = cluster.Invoke("New-K8sServiceAccount Bad_Name -Namespace team-a");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(bad.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void GetServiceAccountShowsBindingsWorkloadsAndLegacyTokens()
    {
        cluster.Invoke("New-K8sServiceAccount web -Namespace team-a").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole view -ServiceAccount web -Namespace team-a").AssertNoErrors();
        CreateDeployment("frontend", "web");
        CreateDeployment("legacy");
        cluster.Server.Store.Create(JsonNode.Parse("""
            {"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/service-account-token",
             "metadata":{"name":"web-token","namespace":"team-a","annotations":{"kubernetes.io/service-account.name":"web"}},
             "data":{"token":"Y2FuYXJ5LXRva2Vu"}}
            """)!.AsObject());

        var web = Assert.Single(cluster.Invoke("Get-K8sServiceAccount web -Namespace team-a").AssertNoErrors().Output);
        Assert.Equal(new[] { "Deployment/frontend" }, (IEnumerable<string>)web.Properties["Workloads"].Value);
        Assert.Equal(new[] { "web-token" }, (IEnumerable<string>)web.Properties["LegacyTokenSecrets"].Value);
        Assert.Equal(true, web.Properties["HasLegacyTokens"].Value);
        Assert.Contains("view", web.Properties["Bindings"].Value.ToString() + string.Join(",", ((System.Collections.IEnumerable)web.Properties["Bindings"].Value).Cast<object>().Select(b => b.ToString())), StringComparison.Ordinal);
        var defaultSa = Assert.Single(cluster.Invoke("Get-K8sServiceAccount default -Namespace team-a").AssertNoErrors().Output);
        Assert.Equal(new[] { "Deployment/legacy" }, (IEnumerable<string>)defaultSa.Properties["Workloads"].Value);

        string text = cluster.Session.Render("Get-K8sServiceAccount web -Namespace team-a");
        Assert.Matches(@"team-a\s+web\s+False\s+Unchanged\s+ClusterRole/view\s+web-token", text);
        Assert.DoesNotContain("Y2FuYXJ5LXRva2Vu", text, StringComparison.Ordinal);
        Assert.StartsWith("K8sNotFound", Assert.Single(cluster.Invoke("Get-K8sServiceAccount nope -Namespace team-a").Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void SetWorkloadServiceAccountPatchesThePodTemplateOnce()
    {
        CreateDeployment("nginx");
        cluster.Invoke("New-K8sServiceAccount nginx-sa -Namespace team-a").AssertNoErrors();

        cluster.Server.ClearRequests();
        cluster.Invoke("Set-K8sWorkloadServiceAccount -Kind Deployment -Name nginx -ServiceAccount nginx-sa -Namespace team-a -WhatIf").AssertNoErrors();
        Assert.Empty(cluster.Server.Requests);

        var change = Assert.Single(cluster.Invoke("Set-K8sWorkloadServiceAccount Deployment nginx nginx-sa -Namespace team-a").AssertNoErrors().Output);
        Assert.Equal("default", change.Properties["PreviousServiceAccount"].Value);
        Assert.Equal("Updated", change.Properties["Change"].Value.ToString());
        Assert.Equal("nginx-sa", cluster.Get("apps/v1", "Deployment", "team-a", "nginx")!["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>());

        cluster.Server.ClearRequests();
        Assert.Equal("Unchanged", Assert.Single(cluster.Invoke("Set-K8sWorkloadServiceAccount Deployment nginx nginx-sa -Namespace team-a").AssertNoErrors().Output).Properties["Change"].Value.ToString());
        Assert.Empty(cluster.Writes());

        string text = cluster.Session.Render("Set-K8sWorkloadServiceAccount Deployment nginx nginx-sa -Namespace team-a");
        Assert.Matches(@"Kind\s+Name\s+Namespace\s+From\s+To\s+Change", text);
        Assert.Matches(@"Deployment\s+nginx\s+team-a\s+nginx-sa\s+nginx-sa\s+Unchanged", text);

        var missing = cluster.Invoke("Set-K8sWorkloadServiceAccount Deployment nginx ghost -Namespace team-a");
        Assert.Contains(missing.Warnings, w => w.Contains("'team-a:ghost' does not exist", StringComparison.Ordinal));
        var notFound = cluster.Invoke("Set-K8sWorkloadServiceAccount Deployment nope nginx-sa -Namespace team-a");
        Assert.StartsWith("K8sNotFound", Assert.Single(notFound.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void TokenRequestReturnsASecureStringThatAuthenticatesAsTheAccount()
    {
        cluster.Invoke("New-K8sServiceAccount builder -Namespace team-a").AssertNoErrors();
        var token = Assert.Single(cluster.Invoke("New-K8sServiceAccountToken team-a:builder -Duration ([TimeSpan]::FromHours(2)) -Audience https://kubernetes.default.svc").AssertNoErrors().Output);
        Assert.IsType<System.Security.SecureString>(token.Properties["Token"].Value);
        var expires = (DateTimeOffset)token.Properties["ExpiresAt"].Value;
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddMinutes(110), DateTimeOffset.UtcNow.AddMinutes(130));

        var plain = cluster.Invoke("New-K8sServiceAccountToken builder -Namespace team-a -AsPlainText -Verbose").AssertNoErrors();
        string text = Assert.IsType<string>(Assert.Single(plain.Output).BaseObject);
        Assert.DoesNotContain(text, string.Join('\n', plain.Verbose), StringComparison.Ordinal);
        string kubeconfig = cluster.Server.WriteTokenKubeconfig(Path.Combine(cluster.Directory, "builder.kubeconfig"), text);
        var whoami = Assert.Single(cluster.Invoke("Test-K8sAccess get pods -Namespace team-a -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Contains(cluster.Server.Requests, r => r.User == "system:serviceaccount:team-a:builder");
        Assert.False((bool)whoami.Properties["Allowed"].Value);

        string rendered = cluster.Session.Render("New-K8sServiceAccountToken builder -Namespace team-a");
        Assert.Contains("SecureString", rendered, StringComparison.Ordinal);
        Assert.Contains("ExpiresAt", rendered, StringComparison.Ordinal);

        var tooShort = cluster.Invoke("New-K8sServiceAccountToken builder -Namespace team-a -Duration ([TimeSpan]::FromMinutes(5))");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(tooShort.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void ATokenPipesIntoNewK8sKubeconfig()
    {
        // The token's Token and Namespace bind by property name: a kubeconfig that authenticates as the account, in its
        // namespace. Before, the pipe failed ("The input object cannot be bound to any parameters").
        cluster.Invoke("New-K8sServiceAccount builder -Namespace team-a").AssertNoErrors();
        string path = Path.Combine(cluster.Directory, "piped.kubeconfig");
        var user = Assert.Single(cluster.Invoke("New-K8sServiceAccountToken builder -Namespace team-a | New-K8sKubeconfig -Path $args[0] -UserName builder -Kubeconfig $args[1]", path, cluster.Kubeconfig).AssertNoErrors().Output);
        Assert.Equal("builder", user.Properties["Name"].Value);
        Assert.Equal("Token", user.Properties["AuthKind"].Value.ToString());
        Assert.Equal("team-a", user.Properties["Namespace"].Value);

        // A token without -UserName still binds (the user entry is then "user"); -Namespace on the command line wins.
        var other = Assert.Single(cluster.Invoke("New-K8sServiceAccountToken builder -Namespace team-a | New-K8sKubeconfig -Path $args[0] -Namespace default -Kubeconfig $args[1]", path + ".2", cluster.Kubeconfig).AssertNoErrors().Output);
        Assert.Equal("default", other.Properties["Namespace"].Value);

        cluster.Server.ClearRequests();
        cluster.Invoke("Test-K8sAccess get pods -Namespace team-a -Kubeconfig $args[0]", path).AssertNoErrors();
        Assert.Contains(cluster.Server.Requests, r => r.User == "system:serviceaccount:team-a:builder");
    }

    [Fact]
    public void RegistrySecretIsDockerConfigJsonLinkedToServiceAccountsAndNeverLeaksThePassword()
    {
        cluster.Invoke("New-K8sServiceAccount puller -Namespace team-a").AssertNoErrors();
        var result = cluster.Invoke(MakeCredential + "\nNew-K8sRegistrySecret regcred registry.example.com -Credential $credential -Email ops@example.com -ServiceAccount puller -Namespace team-a -Verbose", Canary).AssertNoErrors();
        var info = Assert.Single(result.Output);
        Assert.Equal("Created", info.Properties["Change"].Value.ToString());
        Assert.DoesNotContain(Canary, result.AllText(cluster.Session.Host.Text), StringComparison.Ordinal);

        var secret = cluster.Get("v1", "Secret", "team-a", "regcred")!;
        Assert.Equal("kubernetes.io/dockerconfigjson", secret["type"]!.GetValue<string>());
        var config = JsonNode.Parse(Convert.FromBase64String(secret["data"]![".dockerconfigjson"]!.GetValue<string>()))!;
        var entry = config["auths"]!["registry.example.com"]!;
        Assert.Equal("robot", entry["username"]!.GetValue<string>());
        Assert.Equal(Canary, entry["password"]!.GetValue<string>());
        Assert.Equal(Convert.ToBase64String(Encoding.UTF8.GetBytes("robot:" + Canary)), entry["auth"]!.GetValue<string>());
        Assert.Equal("[{\"name\":\"regcred\"}]", cluster.Get("v1", "ServiceAccount", "team-a", "puller")!["imagePullSecrets"]!.ToJsonString());

        cluster.Server.ClearRequests();
        var again = cluster.Invoke(MakeCredential + "\nNew-K8sRegistrySecret regcred registry.example.com -Credential $credential -Email ops@example.com -ServiceAccount puller -Namespace team-a", Canary).AssertNoErrors();
        Assert.Equal("Unchanged", Assert.Single(again.Output).Properties["Change"].Value.ToString());
        Assert.Empty(cluster.Writes());
        Assert.Single((JsonArray)cluster.Get("v1", "ServiceAccount", "team-a", "puller")!["imagePullSecrets"]!);

        var other = cluster.Invoke(MakeCredential + "\nNew-K8sRegistrySecret regcred registry.example.com -Credential $credential -Namespace team-a", "another-password");
        Assert.StartsWith("K8sAlreadyExists", Assert.Single(other.Errors).FullyQualifiedErrorId);
        Assert.DoesNotContain("another-password", other.AllText(), StringComparison.Ordinal);

        cluster.Invoke(MakeCredential + "\nNew-K8sRegistrySecret other registry.example.com -Credential $credential -Namespace team-a -WhatIf", Canary).AssertNoErrors();
        Assert.Null(cluster.Get("v1", "Secret", "team-a", "other"));
        string text = cluster.Session.Render(MakeCredential + "\nNew-K8sRegistrySecret regcred registry.example.com -Credential $credential -Email ops@example.com -ServiceAccount puller -Namespace team-a", Canary);
        Assert.Matches(@"regcred\s+team-a\s+registry\.example\.com\s+Unchanged\s+puller", text);
        Assert.DoesNotContain(Canary, text, StringComparison.Ordinal);
    }

    [Fact]
    public void RegistrySecretForAMissingServiceAccountWritesNothing()
    {
        // Before, the Secret was created and then linking failed: a credential left behind that nothing pulls with.
        cluster.Invoke("New-K8sServiceAccount puller -Namespace team-a").AssertNoErrors();
        cluster.Server.ClearRequests();
        var result = cluster.Invoke(MakeCredential + "\nNew-K8sRegistrySecret regcred registry.example.com -Credential $credential -ServiceAccount puller, ghost -Namespace team-a", Canary);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sNotFound", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("'team-a:ghost'", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, result.AllText(), StringComparison.Ordinal);
        Assert.Empty(cluster.Writes());
        Assert.Null(cluster.Get("v1", "Secret", "team-a", "regcred"));
        Assert.Null(cluster.Get("v1", "ServiceAccount", "team-a", "puller")!["imagePullSecrets"]);
    }

    public void Dispose() => cluster.Dispose();
}
