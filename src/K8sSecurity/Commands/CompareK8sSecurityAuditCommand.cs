using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Lists the findings that are new, resolved and unchanged between two audits (JSON files or objects).</summary>
[Cmdlet(VerbsData.Compare, "K8sSecurityAudit", HelpUri = HelpLinks.Docs + "Compare-K8sSecurityAudit.md")]
[OutputType(typeof(AuditComparison))]
public sealed class CompareK8sSecurityAuditCommand : K8sCmdlet
{
    private readonly List<AuditFinding> difference = new();
    private bool sawDifference;

    /// <summary>The older audit: a results JSON path, or finding/summary objects.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public object[] Reference { get; set; } = Array.Empty<object>();

    /// <summary>The newer audit: a results JSON path, or finding objects (also from the pipeline).</summary>
    [Parameter(Mandatory = true, Position = 1, ValueFromPipeline = true)]
    [AllowEmptyCollection]
    public object[] Difference { get; set; } = Array.Empty<object>();

    /// <summary>Leave out the unchanged findings.</summary>
    [Parameter]
    public SwitchParameter ExcludeUnchanged { get; set; }

    protected override void ProcessRecord()
    {
        sawDifference = true;
        try
        {
            difference.AddRange(Findings(Difference, nameof(Difference)));
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }
    }

    protected override void EndProcessing()
    {
        List<AuditFinding> reference;
        try
        {
            reference = Findings(Reference, nameof(Reference)).ToList();
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
            return;
        }

        if (!sawDifference)
        {
            return;
        }

        foreach (var change in AuditComparer.Compare(reference, difference))
        {
            if (ExcludeUnchanged && change.Status == AuditChange.Unchanged)
            {
                continue;
            }

            WriteObject(change);
        }
    }

    private IEnumerable<AuditFinding> Findings(IEnumerable<object> items, string parameter)
    {
        var result = new List<AuditFinding>();
        foreach (object? raw in Flatten(items))
        {
            switch (raw)
            {
                case null:
                    continue;
                case AuditFinding finding:
                    result.Add(finding);
                    break;
                case AuditComparison comparison:
                    result.Add(comparison.Finding);
                    break;
                case AuditSummary:
                    break;
                case AuditReport report:
                    result.AddRange(report.Findings);
                    break;
                case string path:
                    result.AddRange(AuditReport.Load(GetUnresolvedProviderPathFromPSPath(path)).Findings);
                    break;
                case FileInfo file:
                    result.AddRange(AuditReport.Load(file.FullName).Findings);
                    break;
                default:
                    throw K8sOperationException.InvalidArgument(parameter, raw,
                        "expected audit results: a JSON file path written by Invoke-K8sSecurityAudit -OutputPath, or objects from Invoke-K8sSecurityAudit.");
            }
        }

        return result;
    }

    private static IEnumerable<object?> Flatten(IEnumerable<object> items)
    {
        foreach (object item in items)
        {
            object? value = item is PSObject ps ? ps.BaseObject : item;
            if (value is IEnumerable enumerable and not string)
            {
                foreach (object? inner in enumerable)
                {
                    yield return inner is PSObject p ? p.BaseObject : inner;
                }
            }
            else
            {
                yield return value;
            }
        }
    }
}
