using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>Score and counts of one category in one audit.</summary>
public sealed class AuditCategoryScore
{
    public required AuditCategory Category { get; init; }

    /// <summary>0–100; see <see cref="AuditScoring"/> for the formula. Null when the category was skipped.</summary>
    public int? Score { get; init; }

    /// <summary>How many resources (or checks) the category evaluated.</summary>
    public int Checked { get; init; }

    /// <summary>How many of them have at least one finding.</summary>
    public int Failed { get; init; }

    public int Findings { get; init; }

    public int Critical { get; init; }

    public int High { get; init; }

    public int Medium { get; init; }

    public int Low { get; init; }

    public int Info { get; init; }

    /// <summary>Why the category did not run (e.g. offline audit cannot ask the server), else null.</summary>
    public string? SkippedReason { get; init; }

    /// <summary>
    /// Data the category needed and could not read (a PKI file, the kubeconfig of -Kubeconfig): its score does not
    /// cover it. A skipped category with read failures was skipped for lack of data; one without does not apply.
    /// </summary>
    public IReadOnlyList<string> ReadFailures { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Why the category had nothing to evaluate (no object of the kinds it reads, no certificate source), else null.
    /// Its score of 100 then means "nothing found", not "checked and clean"; a category named in -Category with
    /// nothing to check fails the -FailOn gate.
    /// </summary>
    public string? NothingToCheck { get; init; }

    public override string ToString() => $"{Category}: {(Score is null ? "skipped" : Score.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
}

/// <summary>The outcome of one audit of one cluster (or one offline dump): the scores and counts.</summary>
public sealed class AuditSummary : IReportable
{
    /// <summary>Kubeconfig context, "in-cluster", or "offline:&lt;path&gt;".</summary>
    public required string Cluster { get; init; }

    /// <summary>API server URL, or the manifest path for offline audits.</summary>
    public string? Server { get; init; }

    public string? ServerVersion { get; init; }

    /// <summary>Overall score 0–100: the mean of the category scores that ran.</summary>
    public int Score { get; init; }

    /// <summary>A–F from <see cref="Score"/>: A ≥ 90, B ≥ 80, C ≥ 70, D ≥ 60, else F.</summary>
    public string Grade => AuditScoring.GradeOf(Score);

    public int TotalFindings { get; init; }

    public int Critical { get; init; }

    public int High { get; init; }

    public int Medium { get; init; }

    public int Low { get; init; }

    public int Info { get; init; }

    public IReadOnlyList<AuditCategoryScore> Categories { get; init; } = Array.Empty<AuditCategoryScore>();

    /// <summary>Objects the audit read, per kind (e.g. Pod = 5000).</summary>
    public IReadOnlyDictionary<string, int> Inventory { get; init; } = new Dictionary<string, int>();

    public DateTimeOffset StartedAt { get; init; }

    public TimeSpan Duration { get; init; }

    public bool Offline { get; init; }

    /// <summary>Namespaces the audit skipped (by default the system namespaces kube-system, kube-public, kube-node-lease).</summary>
    public IReadOnlyList<string> ExcludedNamespaces { get; init; } = Array.Empty<string>();

    /// <summary>The version of the default RBAC policy the audit compared with ("v1.32"); null with -ExcludeDefaultPolicy.</summary>
    public string? DefaultPolicy { get; init; }

    /// <summary>
    /// What the audit did not judge, in words: the excluded namespaces and the objects Kubernetes created by itself
    /// (default RBAC bindings, an unused default namespace and service accounts). None of it counts in the score.
    /// </summary>
    public IReadOnlyList<string> Excluded { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Offline audits: inputs that could not be read ("file:line: why", not audited) and duplicate keys (read with the
    /// last value, as kubectl does). When any is listed, the findings and the score do not cover everything.
    /// </summary>
    public IReadOnlyList<string> InputProblems { get; init; } = Array.Empty<string>();

    [System.Text.Json.Serialization.JsonIgnore]
    public string ReportKind => AuditReport.ReportKind;

    /// <summary>A summary holds no findings itself; report writers take findings from the finding objects.</summary>
    public IEnumerable<ReportFinding> ToReportFindings() => Enumerable.Empty<ReportFinding>();

    public int CountOf(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Critical => Critical,
        FindingSeverity.High => High,
        FindingSeverity.Medium => Medium,
        FindingSeverity.Low => Low,
        _ => Info,
    };

    public override string ToString() => $"{Cluster}: score {Score} ({Grade}), {TotalFindings} findings";
}
