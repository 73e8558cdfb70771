using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

/// <summary>
/// Invoke-K8sSecurityAudit on a fresh cluster (the test server's namespaces with the real v1.32 default RBAC policy):
/// the only finding is the server version, the summary lists what was excluded, -IncludeSystemNamespace brings the
/// system namespaces back.
/// </summary>
public sealed class FreshClusterAuditCmdletTests : IDisposable
{
    private readonly KubeApiTestServer server;
    private readonly PsSession session = new();
    private readonly string kubeconfig;

    public FreshClusterAuditCmdletTests()
    {
        server = KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { SeedDefaultRbac = false }).GetAwaiter().GetResult();
        server.Store.CreateJson(File.ReadAllText(TestPaths.Shared("k8s-bootstrap-rbac", "v1.32.json")));
        kubeconfig = server.WriteKubeconfig(Path.Combine(TestPaths.NewTempDirectory(), "admin.kubeconfig"));
    }

    [Fact]
    public void AFreshClusterReadsAsAFreshCluster()
    {
        var output = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output;
        var findings = output.Where(o => o.TypeNames.Contains("K8sSecurity.Engine.Audit.AuditFinding")).ToList();
        Assert.Equal(new[] { "VERSION-UNSUPPORTED" }, findings.Select(f => (string)f.Properties["Id"].Value));
        var summary = Assert.Single(output, o => o.TypeNames.Contains("K8sSecurity.Engine.Audit.AuditSummary"));
        Assert.Equal("v1.32", summary.Properties["DefaultPolicy"].Value);

        string text = session.Render($"Invoke-K8sSecurityAudit -Kubeconfig '{kubeconfig}' -Summary");
        Assert.Contains("Excluded", text, StringComparison.Ordinal);
        Assert.Contains("namespaces kube-system, kube-public, kube-node-lease", text, StringComparison.Ordinal);
        Assert.Contains("default RBAC policy v1.32", text, StringComparison.Ordinal);
    }

    [Fact]
    public void IncludeSystemNamespaceBringsThemBack()
    {
        var findings = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -IncludeSystemNamespace -Category Namespaces", kubeconfig).AssertNoErrors().Output
            .Where(o => o.TypeNames.Contains("K8sSecurity.Engine.Audit.AuditFinding"))
            .Select(f => $"{f.Properties["Id"].Value} {f.Properties["Namespace"].Value}")
            .ToList();
        Assert.Contains("NS-NO-QUOTA kube-system", findings);
        Assert.Contains("NS-NO-DEFAULT-DENY kube-node-lease", findings);
        Assert.DoesNotContain(findings, f => f.EndsWith(" default", StringComparison.Ordinal)); // nothing runs in default
    }

    [Fact]
    public void AVersionTheModuleDoesNotHoldIsRefusedBeforeAnythingIsRead()
    {
        server.ClearRequests();
        var result = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -KubernetesVersion 1.29", kubeconfig);
        Assert.StartsWith("K8sInvalidArgument", (result.TerminatingError ?? Assert.Single(result.Errors)).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    public void Dispose()
    {
        session.Dispose();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
