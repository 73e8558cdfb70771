using K8sSecurity.Engine.Hardening;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// The control-plane and node configuration of a node folder (-NodePath): every check of Test-K8sNodeConfiguration
/// that does not pass becomes a finding (Warn results, the benchmark's Manual checks, as Low).
/// </summary>
public sealed class NodeConfigurationCheck : IAuditCheck
{
    public AuditCategory Category => AuditCategory.NodeConfiguration;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = Array.Empty<AuditKind>();

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        if (context.Options.NodePath is not { } path)
        {
            return Task.FromResult(AuditCheckResult.Skipped("no node folder given (-NodePath)"));
        }

        var results = NodeConfigurationChecker.Check(path).ToList();
        var findings = results.Where(r => r.Status != HardeningStatus.Pass).Select(r => context.Finding(
            Category,
            char.IsAsciiDigit(r.Id[0]) ? "CIS-" + r.Id : r.Id,
            r.Status == HardeningStatus.Warn ? FindingSeverity.Low : r.Severity,
            r.Title,
            r.Component,
            r.File is null ? r.Component : Path.GetFileName(r.File),
            null,
            r.Message,
            r.Remediation,
            new Dictionary<string, string> { ["effective"] = r.Effective ?? string.Empty, ["expected"] = r.Expected, ["status"] = r.Status.ToString() },
            r.File)).ToList();
        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = results.Count });
    }
}
