using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.TestServer;
using Xunit;

namespace K8sSecurity.Engine.Tests.Authorization;

/// <summary>New-K8sPolicyRule's checks: verbs the API server uses, resources a group of the rule serves.</summary>
public sealed class ApiResourceCatalogTests
{
    private static readonly ApiResourceCatalog Table = ApiResourceCatalog.BuiltIn;

    [Fact]
    public void EveryRuleOfTheRealDefaultPolicyPasses()
    {
        // The v1.32 default policy is written by Kubernetes itself: every verb and resource it names is valid.
        foreach (var rule in DefaultRbacPolicy.For("v1.32").Roles.SelectMany(r => r.Rules))
        {
            foreach (string verb in rule.Verbs)
            {
                Assert.Null(ApiResourceCatalog.CheckVerb(verb, rule.IsNonResourceRule));
            }

            foreach (string resource in rule.Resources)
            {
                Assert.Null(Table.Check(rule.ApiGroups, resource));
            }
        }
    }

    [Fact]
    public void AWorkloadResourceInTheCoreGroupNamesItsGroup()
    {
        string? problem = Table.Check(new[] { string.Empty }, "deployments");
        Assert.NotNull(problem);
        Assert.Contains("did you mean apps/deployments?", problem, StringComparison.Ordinal);
        Assert.Contains("-Resource deployments.apps", problem, StringComparison.Ordinal);

        var ex = Assert.Throws<K8sOperationException>(() => RbacRules.Create(new[] { "get" }, new[] { "deployments" }, null, null, null, Table));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("-Resource 'deployments'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("apps/deployments", ex.Message, StringComparison.Ordinal);

        Assert.Equal(new[] { "apps" }, RbacRules.Create(new[] { "get" }, new[] { "deployments" }, new[] { "apps" }, null, null, Table).ApiGroups);
        Assert.Equal(new[] { "apps" }, RbacRules.Create(new[] { "get" }, new[] { "deployments.apps/scale" }, null, null, null, Table).ApiGroups);
    }

    [Theory]
    [InlineData("", "pods")]
    [InlineData("", "pods/exec")]
    [InlineData("", "pods/log")]
    [InlineData("", "serviceaccounts/token")]
    [InlineData("", "nodes/stats")]
    [InlineData("", "users")]
    [InlineData("", "configmaps/finalizers")]
    [InlineData("apps", "deployments/scale")]
    [InlineData("apps", "statefulsets/status")]
    [InlineData("batch", "cronjobs")]
    [InlineData("networking.k8s.io", "networkpolicies")]
    [InlineData("certificates.k8s.io", "signers")]
    [InlineData("certificates.k8s.io", "certificatesigningrequests/approval")]
    [InlineData("authentication.k8s.io", "userextras/scopes")]
    [InlineData("authorization.k8s.io", "subjectaccessreviews")]
    [InlineData("rbac.authorization.k8s.io", "clusterroles")]
    [InlineData("example.com", "widgets")]
    [InlineData("*", "anything")]
    [InlineData("", "*")]
    [InlineData("", "*/scale")]
    public void KnownAndCustomResourcesPass(string group, string resource) => Assert.Null(Table.Check(new[] { group }, resource));

    [Theory]
    [InlineData("", "pod", "did you mean pods?")]
    [InlineData("", "secret", "did you mean secrets?")]
    [InlineData("", "pods/execc", "no subresource 'execc'")]
    [InlineData("", "configmaps/status", "no subresource 'status'")]
    [InlineData("", "pods/*", "matches nothing")]
    [InlineData("apps", "pods", "did you mean pods?")]
    [InlineData("rbac.authorization.k8s.io", "rolebinding", "did you mean rolebindings?")]
    [InlineData("", "cronjobs", "did you mean batch/cronjobs?")]
    public void ResourcesNoGroupOfTheRuleServesAreCaught(string group, string resource, string hint)
    {
        string? problem = Table.Check(new[] { group }, resource);
        Assert.NotNull(problem);
        Assert.Contains(hint, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void AResourceServedByOneOfSeveralGroupsPasses() =>
        Assert.Null(Table.Check(new[] { "extensions", "apps" }, "deployments"));

    [Theory]
    [InlineData("gett", false, "did you mean get?")]
    [InlineData("lsit", false, "did you mean list?")]
    [InlineData("post", false, "-AllowCustomVerb")]
    [InlineData("exec", false, "-AllowCustomVerb")]
    [InlineData("list", true, "non-resource URLs")]
    public void UnknownVerbsAreErrors(string verb, bool nonResource, string hint)
    {
        string? problem = ApiResourceCatalog.CheckVerb(verb, nonResource);
        Assert.NotNull(problem);
        Assert.Contains(hint, problem, StringComparison.Ordinal);
        var ex = Assert.Throws<K8sOperationException>(() => nonResource
            ? RbacRules.Create(new[] { verb }, null, null, null, new[] { "/healthz" })
            : RbacRules.Create(new[] { verb }, new[] { "pods" }, null, null, null));
        Assert.Contains($"-Verb '{verb}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CustomVerbsPassWhenAllowed()
    {
        var rule = RbacRules.Create(new[] { "exec" }, new[] { "virtualmachineinstances/console" }, new[] { "subresources.kubevirt.io" }, null, null, Table, allowCustomVerb: true);
        Assert.Equal(new[] { "exec" }, rule.Verbs);
        Assert.Equal(new[] { "get", "post" }, RbacRules.Create(new[] { "get", "post" }, null, null, null, new[] { "/logs/*" }).Verbs);
        foreach (string verb in new[] { "use", "bind", "escalate", "impersonate", "approve", "sign", "attest", "*" })
        {
            Assert.Null(ApiResourceCatalog.CheckVerb(verb, nonResource: false));
        }
    }

    [Fact]
    public async Task TheClustersDiscoveryDecidesWhatExists()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        string kubeconfig = server.WriteKubeconfig(Path.Combine(Path.GetTempPath(), "k8ssec-catalog-" + Guid.NewGuid().ToString("N"), "config"));
        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var discovered = await ApiResourceCatalog.DiscoverAsync(cluster, CancellationToken.None);

        Assert.True(discovered.Complete);
        Assert.Contains(server.BaseAddress.ToString().TrimEnd('/'), discovered.Origin, StringComparison.Ordinal);
        Assert.Null(discovered.Check(new[] { "apps" }, "deployments"));
        Assert.Null(discovered.Check(new[] { string.Empty }, "pods/exec"));
        Assert.Null(discovered.Check(new[] { string.Empty }, "users"));
        Assert.Contains("apps/deployments", discovered.Check(new[] { string.Empty }, "deployments"), StringComparison.Ordinal);

        // A group the cluster does not serve does not exist there (offline it would be accepted as a custom resource).
        Assert.NotNull(discovered.Check(new[] { "example.com" }, "widgets"));
        Assert.Null(Table.Check(new[] { "example.com" }, "widgets"));

        // One discovery per client.
        int requests = server.Requests.Count;
        Assert.Same(discovered, await ApiResourceCatalog.DiscoverAsync(cluster, CancellationToken.None));
        Assert.Equal(requests, server.Requests.Count);
    }
}
