using System.Text.Json.Nodes;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Tests.Authorization;
using K8sSecurity.TestServer;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

/// <summary>
/// A fresh cluster (the test server's default namespaces and service accounts, with the RBAC objects a real v1.32.13
/// cluster creates by itself) audits as a fresh cluster: its only finding is its out-of-support server version. The
/// system namespaces and the default objects are listed as excluded, count nowhere, and come back on request.
/// </summary>
public sealed class FreshClusterAuditTests : IAsyncLifetime
{
    private KubeApiTestServer server = null!;
    private string kubeconfig = null!;

    public async Task InitializeAsync()
    {
        server = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { SeedDefaultRbac = false });
        server.Store.CreateJson(await File.ReadAllTextAsync(DefaultRbacPolicyTests.Capture));
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        kubeconfig = server.WriteKubeconfig(Path.Combine(dir, "config"));
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task AFreshClusterHasNoFindingAboutDefaultObjectsOrSystemNamespaces()
    {
        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None);

        // The server reports v1.32, three minor releases behind the newest the module knows: its one real issue.
        var only = Assert.Single(result.Findings);
        Assert.Equal("VERSION-UNSUPPORTED", only.Id);
        Assert.All(result.Summary.Categories.Where(c => c.Category != AuditCategory.ServerVersion), c => Assert.Equal(100, c.Score));

        Assert.Equal(new[] { "kube-system", "kube-public", "kube-node-lease" }, result.Summary.ExcludedNamespaces);
        Assert.Equal("v1.32", result.Summary.DefaultPolicy);
        Assert.Contains("namespaces kube-system, kube-public, kube-node-lease", result.Summary.Excluded);
        Assert.Contains(result.Summary.Excluded, e => e.Contains("binding(s) of the default RBAC policy v1.32", StringComparison.Ordinal));
        Assert.Contains(result.Summary.Excluded, e => e.StartsWith("namespace default", StringComparison.Ordinal));
        Assert.Contains(result.Summary.Excluded, e => e.StartsWith("service account default/default", StringComparison.Ordinal));

        // The default RBAC bindings are not evaluated, so they do not count in the score either.
        var rbac = result.Summary.Categories.Single(c => c.Category == AuditCategory.Rbac);
        Assert.Equal(0, rbac.Checked);
    }

    [Fact]
    public async Task TheTestServersOwnSmallerDefaultPolicyIsRecognisedToo()
    {
        // The test server seeds a subset of the default policy (cluster-admin, admin/edit/view, discovery, basic-user,
        // public-info-viewer) with the real objects' content: a fresh test server is a fresh cluster as well.
        await using var plain = await KubeApiTestServer.StartAsync();
        string config = plain.WriteKubeconfig(Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"), "config"));
        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = config });
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None);
        Assert.Equal(new[] { "VERSION-UNSUPPORTED" }, result.Findings.Select(f => f.Id));
    }

    [Fact]
    public async Task TheSystemNamespacesComeBackWhenAskedFor()
    {
        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions { ExcludedNamespaces = Array.Empty<string>() }, EngineLog.None, CancellationToken.None);
        foreach (string ns in new[] { "kube-system", "kube-public", "kube-node-lease" })
        {
            Assert.Contains(result.Findings, f => f.Id == "NS-NO-QUOTA" && f.Namespace == ns);
        }

        Assert.Empty(result.Summary.ExcludedNamespaces);

        // The default RBAC objects in kube-system are still the cluster's own defaults, not findings.
        Assert.DoesNotContain(result.Findings, f => f.Category is AuditCategory.Rbac or AuditCategory.AnonymousAccess);
    }

    [Fact]
    public async Task ADumpOfAFreshClusterAuditsTheSameOffline()
    {
        var items = new JsonArray();
        foreach (var (apiVersion, kind) in new[]
                 {
                     ("v1", "Namespace"), ("v1", "ServiceAccount"), ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
                     ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "RoleBinding"),
                 })
        {
            foreach (var item in server.Store.List(apiVersion, kind))
            {
                items.Add(item.DeepClone());
            }
        }

        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string dump = Path.Combine(dir, "fresh.json");
        await File.WriteAllTextAsync(dump, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = items }.ToJsonString());

        var result = await new SecurityAuditor().AuditOfflineAsync(new[] { dump }, new AuditOptions(), null, EngineLog.None, CancellationToken.None);
        Assert.Empty(result.Findings);
        Assert.Equal(100, result.Summary.Score);
    }
}
