using System.Net;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Guardrails;
using Xunit;

namespace K8sSecurity.Engine.Tests.Guardrails;

/// <summary>Each rule of the NetworkPolicy API reference, one test (or theory) each.</summary>
public sealed class NetworkPolicyEvaluatorTests
{
    private static readonly Dictionary<string, Dictionary<string, string>> NamespaceLabels = new()
    {
        ["prod"] = new() { ["env"] = "prod", ["team"] = "a" },
        ["dev"] = new() { ["env"] = "dev", ["team"] = "a" },
        ["other"] = new() { ["env"] = "prod", ["team"] = "b" },
    };

    private static NetworkPolicyModel Policy(string ns, string specJson) =>
        NetworkPolicyModel.FromJson(
            new JsonObject { ["metadata"] = new JsonObject { ["name"] = "p", ["namespace"] = ns }, ["spec"] = JsonNode.Parse(specJson) },
            ns);

    private static NetworkPolicyModel Named(string name, string ns, string specJson) =>
        NetworkPolicyModel.FromJson(
            new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns }, ["spec"] = JsonNode.Parse(specJson) },
            ns);

    private static EndpointModel Pod(string ns, string labels, params ContainerPortModel[] ports) => new()
    {
        Namespace = ns,
        Name = labels,
        Labels = labels.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')).ToDictionary(p => p[0], p => p[1]),
        Ports = ports,
    };

    private static NetworkPolicyEvaluator Evaluator(params NetworkPolicyModel[] policies) =>
        new(policies, ns => NetworkPolicyEvaluator.WithNameLabel(ns, NamespaceLabels.GetValueOrDefault(ns)));

    [Fact]
    public void NoPolicySelectsThePodSoEverythingIsAllowed()
    {
        var evaluator = Evaluator(Policy("prod", """{"podSelector":{"matchLabels":{"app":"db"}},"policyTypes":["Ingress"]}"""));
        var verdict = evaluator.Evaluate(Pod("prod", "app=web"), Pod("prod", "app=api"), "80");
        Assert.True(verdict.Allowed);
        Assert.False(verdict.DestinationIsolated);
        Assert.Empty(verdict.DecidingPolicies);
        Assert.Contains("not isolated", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void IsolationWithoutRulesDeniesAndNamesThePolicy()
    {
        var evaluator = Evaluator(Named("deny", "prod", """{"podSelector":{},"policyTypes":["Ingress"]}"""));
        var verdict = evaluator.Evaluate(Pod("prod", "app=web"), Pod("prod", "app=api"), "80");
        Assert.False(verdict.Allowed);
        Assert.False(verdict.IngressAllowed);
        Assert.True(verdict.EgressAllowed);
        Assert.Equal(new[] { "prod/deny" }, verdict.DecidingPolicies);
    }

    [Fact]
    public void AllowsAreAUnionOfEverySelectingPolicy()
    {
        var evaluator = Evaluator(
            Named("deny", "prod", """{"podSelector":{},"policyTypes":["Ingress"]}"""),
            Named("allow-web", "prod", """{"podSelector":{"matchLabels":{"app":"api"}},"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"web"}}}]}]}"""));
        var verdict = evaluator.Evaluate(Pod("prod", "app=web"), Pod("prod", "app=api"), "8080");
        Assert.True(verdict.Allowed);
        Assert.Equal(new[] { "prod/allow-web" }, verdict.DecidingPolicies);
        Assert.Equal(2, verdict.IngressPolicies.Count);
        Assert.False(evaluator.Evaluate(Pod("prod", "app=batch"), Pod("prod", "app=api"), "8080").Allowed);
    }

    [Fact]
    public void EgressOfTheSourceAndIngressOfTheDestinationAreBothNeeded()
    {
        var allowIngress = Named("in", "prod", """{"podSelector":{"matchLabels":{"app":"api"}},"ingress":[{}]}""");
        var denyEgress = Named("out", "prod", """{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Egress"]}""");
        var verdict = Evaluator(allowIngress, denyEgress).Evaluate(Pod("prod", "app=web"), Pod("prod", "app=api"), "80");
        Assert.False(verdict.Allowed);
        Assert.True(verdict.IngressAllowed);
        Assert.False(verdict.EgressAllowed);
        Assert.Equal(new[] { "prod/in", "prod/out" }, verdict.DecidingPolicies.Order().ToArray());

        var allowEgress = Named("out", "prod", """{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Egress"],"egress":[{"to":[{"podSelector":{"matchLabels":{"app":"api"}}}]}]}""");
        Assert.True(Evaluator(allowIngress, allowEgress).Evaluate(Pod("prod", "app=web"), Pod("prod", "app=api"), "80").Allowed);
    }

    [Theory]
    // podSelector alone: same namespace only
    [InlineData("""[{"podSelector":{"matchLabels":{"app":"web"}}}]""", "prod", "app=web", true)]
    [InlineData("""[{"podSelector":{"matchLabels":{"app":"web"}}}]""", "dev", "app=web", false)]
    // namespaceSelector alone: every pod of the matching namespaces
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}}}]""", "dev", "app=anything", true)]
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}}}]""", "prod", "app=web", false)]
    // both in ONE peer: AND
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}},"podSelector":{"matchLabels":{"app":"web"}}}]""", "dev", "app=web", true)]
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}},"podSelector":{"matchLabels":{"app":"web"}}}]""", "dev", "app=batch", false)]
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}},"podSelector":{"matchLabels":{"app":"web"}}}]""", "prod", "app=web", false)]
    // two SEPARATE peers: OR
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}}},{"podSelector":{"matchLabels":{"app":"web"}}}]""", "dev", "app=batch", true)]
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}}},{"podSelector":{"matchLabels":{"app":"web"}}}]""", "prod", "app=web", true)]
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"env":"dev"}}},{"podSelector":{"matchLabels":{"app":"web"}}}]""", "other", "app=web", false)]
    // empty selectors: {} podSelector = all pods of the policy namespace; {} namespaceSelector = all namespaces
    [InlineData("""[{"podSelector":{}}]""", "prod", "app=x", true)]
    [InlineData("""[{"podSelector":{}}]""", "dev", "app=x", false)]
    [InlineData("""[{"namespaceSelector":{}}]""", "other", "app=x", true)]
    [InlineData("""[{"namespaceSelector":{},"podSelector":{"matchLabels":{"app":"web"}}}]""", "other", "app=web", true)]
    // the automatic kubernetes.io/metadata.name label
    [InlineData("""[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"other"}}}]""", "other", "app=x", true)]
    // matchExpressions: In, NotIn (missing key counts as not in), Exists, DoesNotExist
    [InlineData("""[{"podSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["web","api"]}]}}]""", "prod", "app=web", true)]
    [InlineData("""[{"podSelector":{"matchExpressions":[{"key":"app","operator":"In","values":["api"]}]}}]""", "prod", "app=web", false)]
    [InlineData("""[{"podSelector":{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["db"]}]}}]""", "prod", "app=web", true)]
    [InlineData("""[{"podSelector":{"matchExpressions":[{"key":"tier","operator":"NotIn","values":["db"]}]}}]""", "prod", "tier=db", false)]
    [InlineData("""[{"podSelector":{"matchExpressions":[{"key":"app","operator":"Exists"}]}}]""", "prod", "app=x", true)]
    [InlineData("""[{"podSelector":{"matchExpressions":[{"key":"app","operator":"DoesNotExist"}]}}]""", "prod", "app=x", false)]
    [InlineData("""[{"namespaceSelector":{"matchExpressions":[{"key":"team","operator":"In","values":["b"]}]}}]""", "other", "app=x", true)]
    public void PeerSelectorsCombineLikeTheApiReference(string from, string sourceNamespace, string sourceLabels, bool allowed)
    {
        var policy = Policy("prod", $$$"""{"podSelector":{"matchLabels":{"app":"db"}},"policyTypes":["Ingress"],"ingress":[{"from":{{{from}}}}]}""");
        var verdict = Evaluator(policy).Evaluate(Pod(sourceNamespace, sourceLabels), Pod("prod", "app=db"), "5432");
        Assert.Equal(allowed, verdict.Allowed);
    }

    [Fact]
    public void MissingOrEmptyFromAllowsEveryoneEvenOutsideTheCluster()
    {
        var evaluator = Evaluator(Policy("prod", """{"podSelector":{},"ingress":[{"ports":[{"port":443}]}]}"""));
        Assert.True(evaluator.Evaluate(Pod("other", "x=y"), Pod("prod", "app=web"), "443").Allowed);
        Assert.True(evaluator.Evaluate(new EndpointModel { Address = IPAddress.Parse("8.8.8.8") }, Pod("prod", "app=web"), "443").Allowed);
        Assert.False(evaluator.Evaluate(Pod("other", "x=y"), Pod("prod", "app=web"), "80").Allowed);
    }

    [Theory]
    [InlineData("""[{"protocol":"TCP","port":3306}]""", "3306", "TCP", true)]
    [InlineData("""[{"protocol":"TCP","port":3306}]""", "3307", "TCP", false)]
    [InlineData("""[{"port":3306}]""", "3306", "UDP", false)] // protocol defaults to TCP
    [InlineData("""[{"protocol":"UDP"}]""", "53", "UDP", true)] // protocol only: every port
    [InlineData("""[{"protocol":"UDP"}]""", "53", "TCP", false)]
    [InlineData("""[{"port":32000,"endPort":32768}]""", "32000", "TCP", true)] // endPort range, inclusive
    [InlineData("""[{"port":32000,"endPort":32768}]""", "32768", "TCP", true)]
    [InlineData("""[{"port":32000,"endPort":32768}]""", "32769", "TCP", false)]
    [InlineData("""[{"port":"mysql"}]""", "3306", "TCP", true)] // named port resolved on the destination pod
    [InlineData("""[{"port":"mysql"}]""", "mysql", "TCP", true)]
    [InlineData("""[{"port":"metrics"}]""", "9090", "TCP", false)] // the pod has no such named port
    [InlineData("""[{"port":3306}]""", "mysql", "TCP", true)] // a requested name resolves to the number
    [InlineData("""[]""", "1234", "SCTP", true)] // empty ports: all ports and protocols
    public void PortsMatchLikeTheApiReference(string ports, string port, string protocol, bool allowed)
    {
        var policy = Policy("prod", $$$"""{"podSelector":{"matchLabels":{"app":"db"}},"ingress":[{"ports":{{{ports}}}}]}""");
        var db = Pod("prod", "app=db", new ContainerPortModel("mysql", 3306, "TCP"));
        Assert.Equal(allowed, Evaluator(policy).Evaluate(Pod("prod", "app=api"), db, port, protocol).Allowed);
    }

    [Theory]
    [InlineData("10.0.0.5", true)]
    [InlineData("10.1.2.3", false)] // in except
    [InlineData("10.1.255.255", false)]
    [InlineData("192.168.0.1", false)]
    [InlineData("2001:db8::1", false)] // other family
    public void IpBlockWithExcept(string address, bool allowed)
    {
        var policy = Policy("prod", """{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8","except":["10.1.0.0/16"]}}]}]}""");
        var verdict = Evaluator(policy).Evaluate(new EndpointModel { Address = IPAddress.Parse(address) }, Pod("prod", "app=web"), "80");
        Assert.Equal(allowed, verdict.Allowed);
    }

    [Fact]
    public void IpBlockNeverMatchesByLabelsAndSelectorsNeverMatchAddresses()
    {
        var selectorPolicy = Policy("prod", """{"podSelector":{},"ingress":[{"from":[{"namespaceSelector":{}}]}]}""");
        Assert.False(Evaluator(selectorPolicy).Evaluate(new EndpointModel { Address = IPAddress.Parse("10.0.0.1") }, Pod("prod", "a=b"), "80").Allowed);
        var blockPolicy = Policy("prod", """{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/8"}}]}]}""");
        Assert.False(Evaluator(blockPolicy).Evaluate(Pod("prod", "a=b"), Pod("prod", "c=d"), "80").Allowed);
        var podWithIp = new EndpointModel { Namespace = "prod", Name = "x", Address = IPAddress.Parse("10.2.0.9") };
        Assert.True(Evaluator(blockPolicy).Evaluate(podWithIp, Pod("prod", "c=d"), "80").Allowed);
    }

    [Theory]
    // no policyTypes: Ingress always, Egress only if egress rules exist
    [InlineData("""{"podSelector":{}}""", true, false)]
    [InlineData("""{"podSelector":{},"egress":[{}]}""", true, true)]
    [InlineData("""{"podSelector":{},"egress":[]}""", true, false)]
    [InlineData("""{"podSelector":{},"policyTypes":["Egress"]}""", false, true)]
    [InlineData("""{"podSelector":{},"policyTypes":["Ingress","Egress"]}""", true, true)]
    [InlineData("""{"podSelector":{},"policyTypes":["Egress"],"ingress":[{}]}""", false, true)] // ingress rules ignored
    public void PolicyTypesInference(string spec, bool ingress, bool egress)
    {
        var policy = Policy("prod", spec);
        Assert.Equal(ingress, policy.AffectsIngress);
        Assert.Equal(egress, policy.AffectsEgress);
        var coverage = Evaluator(policy).Coverage(Pod("prod", "app=x"));
        Assert.Equal(ingress, coverage.IngressIsolated);
        Assert.Equal(egress, coverage.EgressIsolated);
    }

    [Fact]
    public void PoliciesOnlySelectPodsOfTheirOwnNamespace()
    {
        var evaluator = Evaluator(Policy("dev", """{"podSelector":{},"policyTypes":["Ingress","Egress"]}"""));
        Assert.True(evaluator.Evaluate(Pod("prod", "a=b"), Pod("prod", "c=d"), "80").Allowed);
        Assert.False(evaluator.Evaluate(Pod("prod", "a=b"), Pod("dev", "c=d"), "80").Allowed);
        var coverage = evaluator.Coverage(Pod("prod", "a=b"));
        Assert.False(coverage.IngressIsolated || coverage.EgressIsolated);
    }

    [Fact]
    public void DefaultDenyWithDnsEgressStillResolvesNames()
    {
        var policy = NetworkPolicyService.ToModel(NetworkPolicyService.Build(new NetworkPolicyRequest { Namespace = "prod", DefaultDeny = "All", AllowDns = true }));
        var dns = new EndpointModel { Namespace = "kube-system", Name = "coredns", Labels = new Dictionary<string, string> { ["k8s-app"] = "kube-dns" } };
        var evaluator = Evaluator(policy);
        Assert.True(evaluator.Evaluate(Pod("prod", "app=web"), dns, "53", "UDP").Allowed);
        Assert.True(evaluator.Evaluate(Pod("prod", "app=web"), dns, "53", "TCP").Allowed);
        Assert.False(evaluator.Evaluate(Pod("prod", "app=web"), dns, "80").Allowed);
        Assert.False(evaluator.Evaluate(Pod("prod", "app=web"), Pod("prod", "app=api"), "80").Allowed);
        Assert.True(NetworkPolicyService.IsDefaultDeny(policy, egress: true));
        Assert.True(NetworkPolicyService.IsDefaultDeny(policy, egress: false));
    }

    [Fact]
    public void BuildsTheSeedDbPolicyExactly()
    {
        var policy = NetworkPolicyService.Build(new NetworkPolicyRequest
        {
            Namespace = "golden", Name = "db-policy",
            PodSelector = new Dictionary<string, string> { ["app"] = "database" },
            AllowFromPod = new Dictionary<string, string> { ["app"] = "api" },
            Port = new[] { "3306" },
        });
        var json = NetworkPolicyService.ToJson(policy)["spec"]!.ToJsonString();
        // golden 67-networkpolicy-create request spec
        Assert.Equal(
            JsonNode.Parse("""{"podSelector":{"matchLabels":{"app":"database"}},"policyTypes":["Ingress"],"ingress":[{"from":[{"podSelector":{"matchLabels":{"app":"api"}}}],"ports":[{"protocol":"TCP","port":3306}]}]}""")!.ToJsonString().Length,
            json.Length);
        var model = NetworkPolicyService.ToModel(policy);
        Assert.True(Evaluator(model).Evaluate(Pod("golden", "app=api"), Pod("golden", "app=database"), "3306").Allowed);
        Assert.False(Evaluator(model).Evaluate(Pod("golden", "app=web"), Pod("golden", "app=database"), "3306").Allowed);
    }

    [Theory]
    [InlineData("Port", "70000")]
    [InlineData("Port", "Not_A_Name")]
    [InlineData("Port", "9000-8000")]
    [InlineData("AllowFromCidr", "10.0.0.0/33")]
    [InlineData("AllowFromCidr", "banana")]
    public void RejectsBadInputBeforeAnythingIsSent(string parameter, string value)
    {
        var request = new NetworkPolicyRequest
        {
            Namespace = "prod", Name = "x",
            AllowFromPod = new Dictionary<string, string> { ["app"] = "a" },
            Port = parameter == "Port" ? new[] { value } : Array.Empty<string>(),
            AllowFromCidr = parameter == "AllowFromCidr" ? new[] { value } : Array.Empty<string>(),
        };
        var ex = Assert.Throws<K8sSecurity.Engine.Errors.K8sOperationException>(() => NetworkPolicyService.Build(request));
        Assert.Contains($"-{parameter} '{value}'", ex.Message, StringComparison.Ordinal);
    }
}
