using System.Globalization;
using System.Text;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>An audit that did not produce a result: the cluster (or the offline input) and why.</summary>
public sealed record AuditFailure(string Target, string Message);

/// <summary>
/// The CI gate of Invoke-K8sSecurityAudit -FailOn, as a pure decision over what the audit produced. It fails closed:
/// the gate passes only when every requested audit produced a result, every input was read, and no finding is at or
/// above the threshold. It fails when any of these holds:
/// <list type="bullet">
/// <item>a finding at or above the threshold;</item>
/// <item>offline: an input that could not be read, parsed or that the API server would refuse; a duplicate key
/// (kubectl keeps only the last value: usually two documents concatenated without '---'); a file or text with no
/// Kubernetes object; no object at all across all inputs;</item>
/// <item>a cluster that could not be audited (connection, authentication, a list it may not read), or no audit at all;</item>
/// <item>a category that could not read part or all of its data (<see cref="AuditCategoryScore.ReadFailures"/>, e.g. a
/// PKI file or the kubeconfig of -Kubeconfig that cannot be read);</item>
/// <item>a category named in -Category that was skipped (<see cref="AuditCategoryScore.SkippedReason"/>) or had nothing
/// to check (<see cref="AuditCategoryScore.NothingToCheck"/>: Certificates without a kubeconfig certificate, TLS Secret
/// or PKI file; Namespaces without a Namespace object): the user asked for it and it was not done. A category of the
/// default set that does not apply (ServerVersion offline, NodeConfiguration without -NodePath) or finds nothing to
/// check does not fail the gate;</item>
/// <item>a results file (-OutputPath) that could not be written: the report the pipeline relies on is missing.</item>
/// </list>
/// </summary>
public static class AuditGate
{
    /// <summary>Items listed per reason in the message; the rest are counted.</summary>
    public const int MaxListed = 50;

    /// <param name="threshold">Lowest severity that fails the gate.</param>
    /// <param name="namedCategories">The categories the user named (-Category); empty when the default set ran.</param>
    /// <param name="results">Every audit result written.</param>
    /// <param name="failures">Audits that produced no result (fleet members, the session's cluster, the offline input).</param>
    /// <param name="unwrittenOutputs">Results files that could not be written, each with why.</param>
    public static AuditGateResult Evaluate(
        FindingSeverity threshold,
        IReadOnlyCollection<AuditCategory> namedCategories,
        IReadOnlyList<AuditResult> results,
        IReadOnlyList<AuditFailure> failures,
        IReadOnlyList<string>? unwrittenOutputs = null)
    {
        ArgumentNullException.ThrowIfNull(namedCategories);
        ArgumentNullException.ThrowIfNull(results);
        ArgumentNullException.ThrowIfNull(failures);

        var blocking = results.SelectMany(r => r.Findings).Where(f => f.Severity >= threshold).ToList();
        var counts = Enum.GetValues<FindingSeverity>()
            .Where(s => s >= threshold)
            .OrderByDescending(s => s)
            .Select(s => new KeyValuePair<FindingSeverity, int>(s, blocking.Count(f => f.Severity == s)))
            .ToList();
        var issues = results.SelectMany(r => r.InputIssues).ToList();
        var unreadable = issues.Where(i => i.Kind == ManifestIssueKind.Error).Select(i => i.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var duplicates = issues.Where(i => i.Kind == ManifestIssueKind.DuplicateKey).Select(i => i.ToString()).Distinct(StringComparer.Ordinal).ToList();
        var empty = issues.Where(i => i.Kind == ManifestIssueKind.NoObjects).Select(i => i.Source).Distinct(StringComparer.Ordinal).ToList();
        var offline = results.Where(r => r.ObjectsRead is not null).ToList();
        bool noObjects = offline.Count > 0 && offline.All(r => r.ObjectsRead == 0);
        bool nothingAudited = results.Count == 0;
        var named = namedCategories.ToHashSet();
        var categories = new List<string>();
        foreach (var result in results)
        {
            foreach (var category in result.Summary.Categories)
            {
                foreach (string failure in category.ReadFailures)
                {
                    categories.Add($"{result.Summary.Cluster}: {category.Category} could not read {failure}");
                }

                if (category.ReadFailures.Count > 0 || !named.Contains(category.Category))
                {
                    continue;
                }

                if (category.SkippedReason is { } reason)
                {
                    categories.Add($"{result.Summary.Cluster}: {category.Category} was asked for (-Category) but skipped: {reason}");
                }
                else if (category.NothingToCheck is { } nothing)
                {
                    categories.Add($"{result.Summary.Cluster}: {category.Category} was asked for (-Category) but had nothing to check: {nothing}");
                }
            }
        }

        return new AuditGateResult
        {
            Threshold = threshold,
            Blocking = blocking,
            BlockingCounts = counts,
            UnreadableInputs = unreadable,
            DuplicateKeys = duplicates,
            EmptyInputs = empty,
            NoObjects = noObjects,
            FailedAudits = failures.Select(f => $"{f.Target}: {f.Message}").ToList(),
            NothingAudited = nothingAudited,
            IncompleteCategories = categories,
            UnwrittenOutputs = unwrittenOutputs ?? Array.Empty<string>(),
        };
    }
}

/// <summary>What <see cref="AuditGate.Evaluate"/> decided, reason by reason.</summary>
public sealed class AuditGateResult
{
    public required FindingSeverity Threshold { get; init; }

    /// <summary>Findings at or above the threshold.</summary>
    public required IReadOnlyList<AuditFinding> Blocking { get; init; }

    /// <summary>How many findings of each severity at or above the threshold, most severe first.</summary>
    public required IReadOnlyList<KeyValuePair<FindingSeverity, int>> BlockingCounts { get; init; }

    /// <summary>Inputs (files, documents) that could not be read or parsed, or that the API server would refuse.</summary>
    public required IReadOnlyList<string> UnreadableInputs { get; init; }

    /// <summary>Keys written twice in one mapping (read with the last value, as kubectl does).</summary>
    public required IReadOnlyList<string> DuplicateKeys { get; init; }

    /// <summary>Files or texts with no Kubernetes object.</summary>
    public required IReadOnlyList<string> EmptyInputs { get; init; }

    /// <summary>Offline: no Kubernetes object was found in any input.</summary>
    public required bool NoObjects { get; init; }

    /// <summary>Clusters (or the offline input) whose audit produced no result, with why.</summary>
    public required IReadOnlyList<string> FailedAudits { get; init; }

    /// <summary>No audit produced a result.</summary>
    public required bool NothingAudited { get; init; }

    /// <summary>
    /// Categories that could not read their data, and categories named in -Category that were skipped or had nothing
    /// to check.
    /// </summary>
    public required IReadOnlyList<string> IncompleteCategories { get; init; }

    /// <summary>Results files (-OutputPath) that could not be written, each with why.</summary>
    public IReadOnlyList<string> UnwrittenOutputs { get; init; } = Array.Empty<string>();

    /// <summary>
    /// True when an input, a cluster or a category could not be read, or the results file was not written: the run is
    /// no evidence either way.
    /// </summary>
    public bool InputsFailed =>
        UnreadableInputs.Count > 0 || DuplicateKeys.Count > 0 || EmptyInputs.Count > 0 || NoObjects
        || FailedAudits.Count > 0 || NothingAudited || IncompleteCategories.Count > 0 || UnwrittenOutputs.Count > 0;

    public bool Passed => !InputsFailed && Blocking.Count == 0;

    /// <summary>The reasons in words, one line each (empty when the gate passed).</summary>
    public IReadOnlyList<string> Reasons
    {
        get
        {
            var reasons = new List<string>();
            if (Blocking.Count > 0)
            {
                reasons.Add(Inv($"{Blocking.Count} finding(s) at or above {Threshold}: {string.Join(", ", BlockingCounts.Where(c => c.Value > 0).Select(c => Inv($"{c.Value} {c.Key}")))}"));
            }

            if (UnreadableInputs.Count > 0)
            {
                reasons.Add(Inv($"{UnreadableInputs.Count} input(s) could not be read, or the API server would refuse them; they were not audited"));
            }

            if (DuplicateKeys.Count > 0)
            {
                reasons.Add(Inv($"{DuplicateKeys.Count} duplicate key(s): kubectl would apply only the last value; were two documents concatenated without '---'?"));
            }

            if (EmptyInputs.Count > 0)
            {
                reasons.Add(Inv($"{EmptyInputs.Count} input(s) contain no Kubernetes object"));
            }

            if (NoObjects)
            {
                reasons.Add("no Kubernetes object was found in the input, so nothing was audited");
            }

            if (FailedAudits.Count > 0)
            {
                reasons.Add(Inv($"{FailedAudits.Count} audit(s) could not be done"));
            }

            if (NothingAudited && FailedAudits.Count == 0)
            {
                reasons.Add("no cluster or input was audited");
            }

            if (IncompleteCategories.Count > 0)
            {
                reasons.Add(Inv($"{IncompleteCategories.Count} category problem(s): data could not be read, or a category asked for was skipped or had nothing to check"));
            }

            if (UnwrittenOutputs.Count > 0)
            {
                reasons.Add("the results file (-OutputPath) was not written");
            }

            return reasons;
        }
    }

    /// <summary>The gate's error message: every reason, each followed by what it concerns.</summary>
    public string Message()
    {
        var message = new StringBuilder("Security audit gate failed (-FailOn ").Append(Threshold).Append("):");
        if (FailedAudits.Count > 0)
        {
            Section(message, Inv($"{FailedAudits.Count} audit(s) could not be done; their clusters or inputs were not audited:"), FailedAudits);
        }
        else if (NothingAudited)
        {
            message.Append('\n').Append("no cluster or input was audited.");
        }

        if (UnreadableInputs.Count > 0)
        {
            Section(message, Inv($"{UnreadableInputs.Count} input(s) could not be read, or the API server would refuse them; they were not audited:"), UnreadableInputs);
        }

        if (DuplicateKeys.Count > 0)
        {
            Section(message, Inv($"{DuplicateKeys.Count} duplicate key(s): kubectl would apply only the last value; were two documents concatenated without '---'?"), DuplicateKeys);
        }

        if (EmptyInputs.Count > 0)
        {
            Section(message, Inv($"{EmptyInputs.Count} input(s) contain no Kubernetes object:"), EmptyInputs);
        }

        if (NoObjects)
        {
            message.Append('\n').Append("no Kubernetes object was found in the input, so nothing was audited.");
        }

        if (IncompleteCategories.Count > 0)
        {
            Section(message, Inv($"{IncompleteCategories.Count} category problem(s); what they cover was not fully audited:"), IncompleteCategories);
        }

        if (UnwrittenOutputs.Count > 0)
        {
            Section(message, "the results file (-OutputPath) was not written, so the report this run should leave is missing:", UnwrittenOutputs);
        }

        if (Blocking.Count > 0)
        {
            message.Append('\n').Append(Inv($"{Blocking.Count} finding(s) at or above {Threshold} (")).Append(string.Join(", ", BlockingCounts.Select(c => Inv($"{c.Key} {c.Value}")))).Append("):");
            foreach (var finding in Blocking.Take(AuditGate.MaxListed))
            {
                message.Append("\n  [").Append(finding.Severity).Append("] ").Append(finding.Id).Append(' ')
                    .Append(finding.ResourceKind).Append('/').Append(finding.Namespace is null ? string.Empty : finding.Namespace + "/").Append(finding.ResourceName)
                    .Append(" (").Append(finding.Source ?? finding.Cluster).Append("): ").Append(finding.Message);
            }

            if (Blocking.Count > AuditGate.MaxListed)
            {
                message.Append('\n').Append(Inv($"  … and {Blocking.Count - AuditGate.MaxListed} more; see the findings written above or -OutputPath."));
            }
        }

        return message.ToString();
    }

    private static void Section(StringBuilder message, string heading, IReadOnlyList<string> items)
    {
        message.Append('\n').Append(heading);
        foreach (string item in items.Take(AuditGate.MaxListed))
        {
            message.Append("\n  ").Append(item);
        }

        if (items.Count > AuditGate.MaxListed)
        {
            message.Append('\n').Append(Inv($"  … and {items.Count - AuditGate.MaxListed} more."));
        }
    }

    private static string Inv(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
