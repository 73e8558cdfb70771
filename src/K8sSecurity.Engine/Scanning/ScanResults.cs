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

    /// <summary>
    /// Keys written twice in the document the workload was read from, as on its <see cref="WorkloadScanResult"/>: a
    /// -Detailed row piped into Assert-K8sPodSecurity fails the gate on them as the verdict object does.
    /// </summary>
    public IReadOnlyList<string> DuplicateKeys { get; init; } = Array.Empty<string>();

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

/// <summary>One check's outcome on one workload, kept compact until someone asks for the result objects.</summary>
internal readonly record struct CheckOutcome(CheckDefinition Check, CheckViolation? Violation, string? SkipReason)
{
    public FindingStatus Status => SkipReason is not null ? FindingStatus.Skipped : Violation is null ? FindingStatus.Passed : FindingStatus.Failed;
}

/// <summary>Scan verdict for one workload (Pod, Deployment, CronJob…), the default output of Test-K8sPodSecurity.</summary>
public sealed class WorkloadScanResult : IReportable
{
    private readonly CheckOutcome[] outcomes;
    private WorkloadCheckResult[]? results;
    private WorkloadCheckResult[]? violations;

    // Most scans only read the verdict: the per-check result objects are built on first access to Results/Violations.
    internal WorkloadScanResult(CheckOutcome[] outcomes)
    {
        this.outcomes = outcomes;
        int failed = 0, skipped = 0, total = 0, passed = 0;
        FindingSeverity? highest = null;
        foreach (var outcome in outcomes)
        {
            var status = outcome.Status;
            if (status == FindingStatus.Skipped)
            {
                skipped++;
                continue;
            }

            int weight = Weight(outcome.Check.Severity);
            total += weight;
            if (status == FindingStatus.Passed)
            {
                passed += weight;
                continue;
            }

            failed++;
            highest = highest is null || outcome.Check.Severity > highest ? outcome.Check.Severity : highest;
        }

        ViolationCount = failed;
        SkippedCount = skipped;
        HighestSeverity = highest;
        Score = total == 0 ? 100 : (int)Math.Round(100.0 * passed / total, MidpointRounding.AwayFromZero);
    }

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

    /// <summary>
    /// Keys written twice in the document the workload was read from ("line 12: privileged"): the verdict is on the
    /// last values, as kubectl would apply them; Assert-K8sPodSecurity fails on them.
    /// </summary>
    public IReadOnlyList<string> DuplicateKeys { get; init; } = Array.Empty<string>();

    /// <summary>No check failed (skipped checks do not count). With -Profile PodSecurityStandards: the admission verdict.</summary>
    public bool Compliant => ViolationCount == 0;

    /// <summary>The failed checks.</summary>
    public IReadOnlyList<WorkloadCheckResult> Violations
    {
        get
        {
            if (violations is null)
            {
                var failed = ViolationCount == 0 ? Array.Empty<WorkloadCheckResult>() : Results.Where(r => r.Status == FindingStatus.Failed).ToArray();
                Interlocked.CompareExchange(ref violations, failed, null);
            }

            return violations;
        }
    }

    public int ViolationCount { get; }

    /// <summary>0–100: share of the evaluated checks' severity weight that passed.</summary>
    public int Score { get; }

    /// <summary>The highest severity among the violations, null when compliant.</summary>
    public FindingSeverity? HighestSeverity { get; }

    /// <summary>Every check result (Passed, Failed, Skipped).</summary>
    public IReadOnlyList<WorkloadCheckResult> Results
    {
        get
        {
            if (results is null)
            {
                Interlocked.CompareExchange(ref results, outcomes.Select(CreateResult).ToArray(), null);
            }

            return results;
        }
    }

    public int SkippedCount { get; }

    public string ReportKind => "PodSecurityScan";

    public IEnumerable<ReportFinding> ToReportFindings() => Results.Select(r => r.ToReportFinding());

    public override string ToString() => $"{Kind}/{(Namespace is null ? string.Empty : Namespace + "/")}{Name}";

    private static int Weight(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Critical => 10,
        FindingSeverity.High => 6,
        FindingSeverity.Medium => 3,
        FindingSeverity.Low => 1,
        _ => 0,
    };

    private WorkloadCheckResult CreateResult(CheckOutcome outcome) => new()
    {
        Kind = Kind,
        Namespace = Namespace,
        Name = Name,
        Source = Source,
        File = File,
        Line = Line,
        DuplicateKeys = DuplicateKeys,
        CheckId = outcome.Check.Id,
        PssCheckId = outcome.Check.PssCheckId,
        Title = outcome.Check.Title,
        Severity = outcome.Check.Severity,
        Category = outcome.Check.Category,
        Status = outcome.Status,
        Message = outcome.Violation?.Message ?? string.Empty,
        Fields = outcome.Violation?.Fields switch
        {
            FieldPaths paths => paths.ToArray(),
            { } list => list,
            null => Array.Empty<string>(),
        },
        Remediation = outcome.Check.Remediation,
        SkipReason = outcome.SkipReason,
    };
}
