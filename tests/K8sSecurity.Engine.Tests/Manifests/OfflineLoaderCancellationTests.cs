using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Engine.Manifests;
using Xunit;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>
/// Issue 16 item 6: Ctrl+C on the offline loaders of Test-K8sAccess, Test-K8sNetworkPolicy and
/// Invoke-K8sSecurityAudit took up to 17 s because they read every file before looking at the token. The token is now
/// checked between files and documents: cancelled while the first file is read, nothing after it is read. No timing
/// is measured; what is counted is how many files were read after the cancellation.
/// </summary>
public sealed class OfflineLoaderCancellationTests : IDisposable
{
    private const int Files = 200;
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-cancel-").FullName;

    public OfflineLoaderCancellationTests()
    {
        // Every file holds a document kubectl refuses (an unknown alias), so reading each one reports one issue.
        for (int i = 0; i < Files; i++)
        {
            File.WriteAllText(Path.Combine(directory, $"f{i:D3}.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: *nope}\n");
        }
    }

    [Fact]
    public void The_rbac_loader_stops_at_the_file_it_was_cancelled_in()
    {
        using var cancel = new CancellationTokenSource();
        var issues = new List<ManifestParseError>();
        Assert.ThrowsAny<OperationCanceledException>(() => RbacSource.LoadFromFiles(
            new[] { directory }, EngineLog.None, issue => { issues.Add(issue); cancel.Cancel(); }, ManifestLimits.DefaultMaxFileBytes, cancel.Token));
        Assert.Single(issues.Select(i => i.Source).Distinct());
    }

    [Fact]
    public void The_network_policy_loader_stops_at_the_file_it_was_cancelled_in()
    {
        using var cancel = new CancellationTokenSource();
        var issues = new List<ManifestParseError>();
        Assert.ThrowsAny<OperationCanceledException>(() => NetworkPolicyService.LoadManifests(
            new[] { directory }, "default", issue => { issues.Add(issue); cancel.Cancel(); }, cancel.Token));
        Assert.Single(issues.Select(i => i.Source).Distinct());
    }

    [Fact]
    public async Task The_offline_audit_reads_nothing_once_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            new SecurityAuditor().AuditOfflineAsync(new[] { directory }, new AuditOptions(), null, EngineLog.None, cancel.Token));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
