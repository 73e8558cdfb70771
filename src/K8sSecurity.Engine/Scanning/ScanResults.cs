using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Scanning;

/// <summary>One check on one workload: Passed, Failed or Skipped (excluded or ignored by annotation).</summary>
public sealed class WorkloadCheckResult : IReportable
{
    public required string Kind { get; init; }

    public string? Namespace { get; init; }

    public required string Name { get; init; }

    /// <summary>"file:line", "pipeline:line" or "cluster".</summary>
    public required string Source { get; init; }

    public required string CheckId { get; init; }

    /// <summary>The check's id in k8s.io/pod-security-admission, null for best practices.</summary>
    public string? PssCheckId { get; init; }

    public required string Title { get; init; }

    public FindingSeverity Severity { get; init; }

    public required string Category { get; init; }

    public FindingStatus Status { get; init; }

    /// <summary>The admission plugin's "reason (detail)" for failed PSS checks; what was found otherwise.</summary>
    public string Message { get; init; } = string.Empty;

    /// <summary>Offending field paths, e.g. spec.template.spec.containers[0].securityContext.privileged.</summary>
    public IReadOnlyList<string> Fields { get; init; } = Array.Empty<string>();

    public string? Remediation { get; init; }

    public string? SkipReason { get; init; }

    public string? File { get; init; }

    public int? Line { get; init; }

    public string ReportKind => "PodSecurityScan";

    public IEnumerable<ReportFinding> ToReportFindings()
    {
        yield return ToReportFinding();
    }

    public ReportFinding ToReportFinding() => new()
    {
        RuleId = CheckId,
        Title = Title,
        Severity = Severity,
        Category = Category,
        Status = Status,
        ResourceKind = Kind,
        Namespace = Namespace,
        ResourceName = Name,
        Message = Status == FindingStatus.Passed && Message.Length == 0 ? $"{Title}: passed" : Message,
        Remediation = Remediation,
        SourceFile = File,
        Line = Line,
        SkipReason = SkipReason,
        Evidence = Fields.Count == 0
            ? new Dictionary<string, string>()
            : new Dictionary<string, string> { ["fields"] = string.Join(", ", Fields) },
    };

    public override string ToString() => $"{Status} {CheckId} {Kind}/{Name}: {Message}";
}

/// <summary>Scan verdict for one workload (Pod, Deployment, CronJob…), the default output of Test-K8sPodSecurity.</summary>
public sealed class WorkloadScanResult : IReportable
{
    public required string Kind { get; init; }

    public string? Namespace { get; init; }

    public required string Name { get; init; }

    public string? ApiVersion { get; init; }

    /// <summary>"file:line", "pipeline:line" or "cluster".</summary>
    public required string Source { get; init; }

    public string? File { get; init; }

    public int? Line { get; init; }

    public PodSecurityLevel Level { get; init; }

    /// <summary>Policy version, e.g. "v1.36".</summary>
    public required string Version { get; init; }

    public ScanProfile Profile { get; init; }

    /// <summary>No check failed (skipped checks do not count). With -Profile PodSecurityStandards: the admission verdict.</summary>
    public bool Compliant { get; init; }

    /// <summary>The failed checks.</summary>
    public IReadOnlyList<WorkloadCheckResult> Violations { get; init; } = Array.Empty<WorkloadCheckResult>();

    public int ViolationCount => Violations.Count;

    /// <summary>0–100: share of the evaluated checks' severity weight that passed.</summary>
    public int Score { get; init; }

    /// <summary>The highest severity among the violations, null when compliant.</summary>
    public FindingSeverity? HighestSeverity => Violations.Count == 0 ? null : Violations.Max(v => v.Severity);

    /// <summary>Every check result (Passed, Failed, Skipped).</summary>
    public IReadOnlyList<WorkloadCheckResult> Results { get; init; } = Array.Empty<WorkloadCheckResult>();

    public int SkippedCount => Results.Count(r => r.Status == FindingStatus.Skipped);

    public string ReportKind => "PodSecurityScan";

    public IEnumerable<ReportFinding> ToReportFindings() => Results.Select(r => r.ToReportFinding());

    public override string ToString() => $"{Kind}/{(Namespace is null ? string.Empty : Namespace + "/")}{Name}";
}
