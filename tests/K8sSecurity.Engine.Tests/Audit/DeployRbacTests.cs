using System.Reflection;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Fixtures;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

/// <summary>
/// deploy/audit-rbac.yaml grants the in-cluster audit exactly what it needs: a full audit as the auditor service
/// account gets no 403, and every verb/resource the ClusterRole grants is used by some request.
/// </summary>
public sealed class DeployRbacTests
{
    private const string Auditor = "system:serviceaccount:k8s-security:auditor";

    private static string RepoRoot => typeof(DeployRbacTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;

    [Fact]
    public async Task TheAuditorClusterRoleIsSufficientAndNothingBroader()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        var planted = FlawedClusterFixture.Seed(server.Store, new FlawedClusterOptions { CleanNamespaces = 3, FlawedNamespaces = 6, DeploymentsPerNamespace = 2 });
        var manifests = ManifestReader.ReadFile(Path.Combine(RepoRoot, "deploy", "audit-rbac.yaml"), e => throw new InvalidOperationException(e.ToString())).ToList();
        foreach (var manifest in manifests)
        {
            server.Store.Create((JsonObject)manifest.Body.DeepClone());
        }

        string token = server.AddToken(Auditor, "system:serviceaccounts", "system:serviceaccounts:k8s-security");
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(dir, "config"), token, "in-cluster-auditor");
        server.ClearRequests();

        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None);

        var requests = server.Requests;
        Assert.All(requests, r => Assert.Equal(Auditor, r.User));
        Assert.DoesNotContain(requests, r => r.StatusCode == 403);
        Assert.All(result.Summary.Categories, c => Assert.NotNull(c.Score));
        Assert.Contains(result.Findings, f => f.Id == "RBAC-WILDCARD-ADMIN");
        var found = result.Findings.Select(f => (f.Id, f.Namespace, f.Resource)).ToHashSet();
        Assert.All(planted.Planted, p => Assert.Contains((p.Id, p.Namespace, p.Resource), found));

        // Beyond the planted issues, only the audit's own namespace and binding (it reads secrets) are reported.
        var extra = result.Findings.Where(f => !planted.Planted.Any(p => p.Id == f.Id && p.Namespace == f.Namespace && p.Resource == f.Resource)
            && f.Id != "VERSION-UNSUPPORTED").ToList();
        Assert.All(extra, f => Assert.True(f.Namespace == "k8s-security" || f.Resource == "ClusterRoleBinding/k8s-security-auditor", f.ToString()));

        // Every (verb, group, resource) the role grants was exercised; nothing is granted that the audit does not use.
        var used = requests.Select(Describe).OfType<(string Verb, string Group, string Resource)>().ToHashSet();
        var role = manifests.Single(m => m.Kind == "ClusterRole");
        var granted = role.Body["rules"]!.AsArray().OfType<JsonObject>()
            .SelectMany(rule => rule["verbs"]!.AsArray().SelectMany(verb => rule["apiGroups"]!.AsArray().SelectMany(group => rule["resources"]!.AsArray()
                .Select(resource => (Verb: verb!.GetValue<string>(), Group: group!.GetValue<string>(), Resource: resource!.GetValue<string>())))))
            .ToHashSet();
        Assert.DoesNotContain(granted, g => g.Verb == "*" || g.Group == "*" || g.Resource == "*");
        Assert.Empty(granted.Except(used));
        Assert.Empty(used.Except(granted));
    }

    [Fact]
    public async Task WithoutTheRoleTheAuditIsForbidden()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        string token = server.AddToken(Auditor, "system:serviceaccounts");
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = server.WriteTokenKubeconfig(Path.Combine(dir, "config"), token) });
        var error = await Assert.ThrowsAsync<Errors.K8sOperationException>(
            () => new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None));
        Assert.Equal(Errors.K8sErrorKind.Forbidden, error.Kind);
    }

    /// <summary>The RBAC attributes of a request: list for collection GETs, create for POSTs; null for /version.</summary>
    private static (string Verb, string Group, string Resource)? Describe(RecordedRequest request)
    {
        var parts = request.Path.Trim('/').Split('/');
        if (parts[0] == "api" && parts.Length == 3)
        {
            return (request.Method == "GET" ? "list" : "create", string.Empty, parts[2]);
        }

        if (parts[0] == "apis" && parts.Length == 4)
        {
            return (request.Method == "GET" ? "list" : "create", parts[1], parts[3]);
        }

        return null;
    }
}
