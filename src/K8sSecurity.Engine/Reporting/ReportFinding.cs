namespace K8sSecurity.Engine.Reporting;

/// <summary>Outcome of one check on one resource.</summary>
public enum FindingStatus
{
    Failed,
    Passed,
    Skipped,
}

/// <summary>
/// The format-neutral row every report writer (SARIF, JUnit, JSON, Markdown, HTML) consumes. Workload scan
/// results, RBAC risks and audit findings all convert to it through <see cref="IReportable"/>.
/// </summary>
public sealed class ReportFinding
{
    /// <summary>Stable check id, e.g. "PSS-RESTRICTED-RUNASNONROOT" or "RBAC-CLUSTER-ADMIN".</summary>
    public required string RuleId { get; init; }

    public required string Title { get; init; }

    public FindingSeverity Severity { get; init; }

    /// <summary>Category for grouping (e.g. PodSecurity, BestPractice, RBAC, Namespaces, Certificates).</summary>
    public required string Category { get; init; }

    public FindingStatus Status { get; init; } = FindingStatus.Failed;

    public string? ResourceKind { get; init; }

    public string? Namespace { get; init; }

    public string? ResourceName { get; init; }

    public required string Message { get; init; }

    public string? Remediation { get; init; }

    /// <summary>Manifest file the resource came from, when it came from a file.</summary>
    public string? SourceFile { get; init; }

    public int? Line { get; init; }

    /// <summary>Cluster (kubeconfig context) for fleet runs.</summary>
    public string? Cluster { get; init; }

    /// <summary>Why the check decided so (field paths and values, binding names…); never secrets.</summary>
    public IReadOnlyDictionary<string, string> Evidence { get; init; } = new Dictionary<string, string>();

    /// <summary>For Skipped results: why (exclusion, annotation reason).</summary>
    public string? SkipReason { get; init; }
}

/// <summary>Implemented by every output type that report writers accept from the pipeline.</summary>
public interface IReportable
{
    /// <summary>Kind of report the object belongs to, e.g. "PodSecurityScan" or "ClusterAudit".</summary>
    string ReportKind { get; }

    IEnumerable<ReportFinding> ToReportFindings();
}
