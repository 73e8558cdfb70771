using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Workloads against the Pod Security Standards through the scanning engine (the same checks and versions as
/// Test-K8sPodSecurity, latest version). Controllers are scanned on their pod template and the pods and ReplicaSets
/// they own are skipped, so a Deployment with 30 replicas is reported once.
/// </summary>
public sealed class WorkloadPodSecurityCheck : IAuditCheck
{
    public AuditCategory Category => AuditCategory.PodSecurity;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.Pod, AuditKind.Deployment, AuditKind.ReplicaSet, AuditKind.StatefulSet, AuditKind.DaemonSet, AuditKind.Job, AuditKind.CronJob };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var options = new ScanOptions
        {
            Level = context.Options.PodSecurityLevel == PodSecurityAuditLevel.Restricted ? PodSecurityLevel.Restricted : PodSecurityLevel.Baseline,
            Profile = ScanProfile.PodSecurityStandards,
        };
        var findings = new List<AuditFinding>();
        int evaluated = 0;
        foreach (var (workload, result) in context.ScanWorkloads(RequiredKinds, options, cancellationToken))
        {
            evaluated++;
            foreach (var violation in result.Violations)
            {
                var evidence = new Dictionary<string, string>
                {
                    ["level"] = result.Level.ToString(),
                    ["version"] = result.Version,
                    ["fields"] = string.Join("; ", violation.Fields),
                };
                if (violation.PssCheckId is not null)
                {
                    evidence["pssCheck"] = violation.PssCheckId;
                }

                findings.Add(context.Finding(workload, Category, violation.CheckId, violation.Severity, violation.Title,
                    $"{result.Kind} '{result.Namespace}/{result.Name}': {violation.Message}",
                    violation.Remediation ?? "Bring the pod template in line with the Pod Security Standards.",
                    evidence));
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }
}
