using System.Management.Automation;
using System.Text;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// CI gate: scans like Test-K8sPodSecurity and throws one terminating error that lists every violation at or
/// above -Severity (so `pwsh -c` exits non-zero); otherwise passes the scan results through.
/// </summary>
[Cmdlet(VerbsLifecycle.Assert, "K8sPodSecurity", DefaultParameterSetName = ClusterSet, HelpUri = HelpLinks.Docs + "Assert-K8sPodSecurity.md")]
[OutputType(typeof(WorkloadScanResult))]
public sealed class AssertK8sPodSecurityCommand : PodSecurityScanCmdlet
{
    private const int MaxListedViolations = 50;
    private readonly List<WorkloadScanResult> results = new();

    /// <summary>Lowest severity that fails the gate: Info, Low, Medium (default), High or Critical.</summary>
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical")]
    public string Severity { get; set; } = "Medium";

    protected override void OnResult(WorkloadScanResult result) => results.Add(result);

    protected override void EndProcessing()
    {
        base.EndProcessing();
        var threshold = Enum.Parse<FindingSeverity>(Severity, ignoreCase: true);
        var blocking = results
            .SelectMany(r => r.Violations.Where(v => v.Severity >= threshold).Select(v => (Workload: r, Violation: v)))
            .ToList();
        if (blocking.Count == 0)
        {
            WriteVerbose($"{results.Count} workload(s) pass: no violation at or above {threshold}.");
            WriteObject(results, enumerateCollection: true);
            return;
        }

        int workloads = blocking.Select(b => b.Workload).Distinct().Count();
        var message = new StringBuilder()
            .Append(FormattableString.Invariant($"Pod Security gate failed: {blocking.Count} violation(s) at or above {threshold} in {workloads} of {results.Count} workload(s) ({Scanner.Options.Level} {Scanner.Options.Version}, profile {Scanner.Options.Profile}):"));
        foreach (var (workload, violation) in blocking.Take(MaxListedViolations))
        {
            message.Append('\n')
                .Append("  ").Append(workload.Kind).Append('/').Append(workload.Namespace is null ? string.Empty : workload.Namespace + "/").Append(workload.Name)
                .Append(" (").Append(workload.Source).Append("): [").Append(violation.Severity).Append("] ")
                .Append(violation.CheckId).Append(' ').Append(violation.Message.Length > 0 ? violation.Message : violation.Title);
        }

        if (blocking.Count > MaxListedViolations)
        {
            message.Append('\n').Append(FormattableString.Invariant($"  … and {blocking.Count - MaxListedViolations} more; run Test-K8sPodSecurity -Detailed for the full list."));
        }

        var exception = new K8sOperationException(K8sErrorKind.Invalid, message.ToString(), blocking[0].Workload.ToString());
        ThrowTerminatingError(new ErrorRecord(exception, "K8sPodSecurityViolation", ErrorCategory.SecurityError, blocking.Select(b => b.Workload).Distinct().ToArray()));
    }
}
