using System.Collections;
using System.Management.Automation;
using System.Text;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// CI gate that fails closed: scans like Test-K8sPodSecurity (or takes its results from the pipeline without scanning
/// again) and throws one terminating error, so `pwsh -File` exits non-zero, when any workload violates a check at or
/// above -Severity, when any input could not be read or was refused, when an input had duplicate keys, or when no
/// object was found at all. Otherwise it passes the results through.
/// </summary>
[Cmdlet(VerbsLifecycle.Assert, "K8sPodSecurity", DefaultParameterSetName = ClusterSet, HelpUri = HelpLinks.Docs + "Assert-K8sPodSecurity.md")]
[OutputType(typeof(WorkloadScanResult))]
public sealed class AssertK8sPodSecurityCommand : PodSecurityScanCmdlet
{
    private const int MaxListed = 50;
    private const string TestCommandErrorSuffix = ",K8sSecurity.Commands.TestK8sPodSecurityCommand";
    private readonly List<WorkloadScanResult> results = new();
    private readonly List<WorkloadCheckResult> rows = new();
    private object? lastErrorBefore;

    /// <summary>Lowest severity that fails the gate: Info, Low, Medium (default), High or Critical.</summary>
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical")]
    public string Severity { get; set; } = "Medium";

    protected override void OnResult(WorkloadScanResult result) => results.Add(result);

    protected override void OnPipedResult(object result)
    {
        if (result is WorkloadScanResult scan)
        {
            results.Add(scan);
        }
        else
        {
            rows.Add((WorkloadCheckResult)result);
        }
    }

    protected override void BeginProcessing()
    {
        // A scan that cannot start or finish (no cluster, a list refused, conflicting parameters) fails the gate and ends
        // the script; under -ErrorAction Stop an unreadable input does not end it before the gate lists every reason.
        ActAsGate("PodSecurity", "Pod Security gate failed:", "The scan");

        // Errors Test-K8sPodSecurity writes upstream in this pipeline land in $Error after this point.
        lastErrorBefore = ErrorList() is { Count: > 0 } errors ? errors[0] : null;
        base.BeginProcessing();
    }

    protected override void EndProcessing()
    {
        base.EndProcessing();
        var threshold = Enum.Parse<FindingSeverity>(Severity, ignoreCase: true);
        var blocking = results
            .SelectMany(r => r.Violations.Where(v => v.Severity >= threshold))
            .Concat(rows.Where(r => r.Status == FindingStatus.Failed && r.Severity >= threshold))
            .ToList();
        var failures = ReadFailures.Concat(UpstreamScanErrors()).ToList();
        var duplicates = DuplicateKeys
            .Concat(results.Where(r => r.DuplicateKeys.Count > 0 && r.File is null).SelectMany(r => r.DuplicateKeys.Select(d => $"{r.Source}: {d}")))
            .Concat(results.Where(r => r.DuplicateKeys.Count > 0 && r.File is not null).SelectMany(r => r.DuplicateKeys.Select(d => $"{r.File}: {d}")))
            .Concat(rows.Where(r => r.DuplicateKeys.Count > 0).SelectMany(r => r.DuplicateKeys.Select(d => $"{r.File ?? r.Source}: {d}")))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        bool nothing = ObjectsRead == 0 && results.Count == 0 && rows.Count == 0;
        int workloads = results.Count + rows.Select(r => (r.Kind, r.Namespace, r.Name, r.Source)).Distinct().Count();
        if (blocking.Count == 0 && failures.Count == 0 && duplicates.Count == 0 && !nothing)
        {
            WriteVerbose($"{workloads} workload(s) pass: no violation at or above {threshold}, every input read.");
            WriteObject(results, enumerateCollection: true);
            WriteObject(rows, enumerateCollection: true);
            return;
        }

        var message = new StringBuilder("Pod Security gate failed:");
        if (failures.Count > 0)
        {
            message.Append('\n').Append(FormattableString.Invariant($"{failures.Count} input(s) could not be read or were refused; they were not checked:"));
            AppendList(message, failures);
        }

        if (duplicates.Count > 0)
        {
            message.Append('\n').Append(FormattableString.Invariant($"{duplicates.Count} duplicate key(s): kubectl would apply only the last value; were two documents concatenated without '---'?"));
            AppendList(message, duplicates);
        }

        if (nothing)
        {
            message.Append('\n').Append("no Kubernetes object was found in the input, so nothing was checked.");
        }

        if (blocking.Count > 0)
        {
            int failing = blocking.Select(b => (b.Kind, b.Namespace, b.Name, b.Source)).Distinct().Count();
            message.Append('\n').Append(FormattableString.Invariant(
                $"{blocking.Count} violation(s) at or above {threshold} in {failing} of {workloads} workload(s) ({Scanner.Options.Level} {Scanner.Options.Version}, profile {Scanner.Options.Profile}):"));
            foreach (var violation in blocking.Take(MaxListed))
            {
                message.Append('\n')
                    .Append("  ").Append(violation.Kind).Append('/').Append(violation.Namespace is null ? string.Empty : violation.Namespace + "/").Append(violation.Name)
                    .Append(" (").Append(violation.Source).Append("): [").Append(violation.Severity).Append("] ")
                    .Append(violation.CheckId).Append(' ').Append(violation.Message.Length > 0 ? violation.Message : violation.Title);
            }

            if (blocking.Count > MaxListed)
            {
                message.Append('\n').Append(FormattableString.Invariant($"  … and {blocking.Count - MaxListed} more; run Test-K8sPodSecurity -Detailed for the full list."));
            }
        }

        bool inputsFailed = failures.Count > 0 || duplicates.Count > 0 || nothing;
        ThrowGateFailure("PodSecurity", message.ToString(), inputsFailed,
            blocking.Count > 0 ? blocking.Select(b => $"{b.Kind}/{b.Namespace}/{b.Name}").Distinct().ToArray() : failures.ToArray());
    }

    private static void AppendList(StringBuilder message, IReadOnlyList<string> items)
    {
        foreach (string item in items.Take(MaxListed))
        {
            message.Append("\n  ").Append(item);
        }

        if (items.Count > MaxListed)
        {
            message.Append('\n').Append(FormattableString.Invariant($"  … and {items.Count - MaxListed} more."));
        }
    }

    // Results piped in from Test-K8sPodSecurity arrive without the errors it wrote for inputs it could not read; those
    // errors are in $Error (even with -ErrorAction SilentlyContinue), written while this gate was running.
    private IEnumerable<string> UpstreamScanErrors()
    {
        if (!MyInvocation.ExpectingInput || ErrorList() is not { } errors)
        {
            yield break;
        }

        foreach (object entry in errors)
        {
            if (ReferenceEquals(entry, lastErrorBefore))
            {
                yield break;
            }

            if (entry is ErrorRecord record && record.FullyQualifiedErrorId.EndsWith(TestCommandErrorSuffix, StringComparison.Ordinal))
            {
                yield return "Test-K8sPodSecurity: " + record.Exception.Message;
            }
        }
    }

    private IList? ErrorList() => SessionState.PSVariable.GetValue("Error") as IList;
}
