using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Workloads against the hardening checks Polaris and kube-score run beyond the Pod Security Standards (dangerous and
/// insecure capabilities, sensitive host paths, low user/group ids, literal credentials in env), through the same
/// scanner as Test-K8sPodSecurity -Profile All. Like the PodSecurity category, a controller is reported once, not
/// through its pods and ReplicaSets.
/// </summary>
public sealed class WorkloadHardeningCheck : IAuditCheck
{
    public AuditCategory Category => AuditCategory.Workloads;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = AuditContext.WorkloadKinds.ToArray();

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        int evaluated = 0;
        foreach (var (workload, result) in context.ScanWorkloads(RequiredKinds, new ScanOptions { Profile = ScanProfile.Hardening }, cancellationToken))
        {
            evaluated++;
            foreach (var violation in result.Violations)
            {
                findings.Add(context.Finding(workload, Category, violation.CheckId, violation.Severity, violation.Title,
                    $"{result.Kind} '{result.Namespace}/{result.Name}': {violation.Message}",
                    violation.Remediation ?? string.Empty,
                    new Dictionary<string, string> { ["fields"] = string.Join("; ", violation.Fields) }));
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }
}
