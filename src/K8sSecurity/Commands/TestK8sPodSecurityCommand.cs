using System.Management.Automation;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Evaluates workloads (manifests, pipeline text or objects, or the live cluster) against the Pod Security
/// Standards exactly like the PodSecurity admission plugin, plus best-practice checks.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "K8sPodSecurity", DefaultParameterSetName = ClusterSet, HelpUri = HelpLinks.Docs + "Test-K8sPodSecurity.md")]
[OutputType(typeof(WorkloadScanResult))]
[OutputType(typeof(WorkloadCheckResult))]
public sealed class TestK8sPodSecurityCommand : PodSecurityScanCmdlet
{
    /// <summary>One row per check result (Passed, Failed, Skipped) instead of one object per workload.</summary>
    [Parameter]
    public SwitchParameter Detailed { get; set; }

    protected override void OnPipedResult(object result)
    {
        if (result is WorkloadScanResult scan)
        {
            OnResult(scan);
        }
        else
        {
            WriteObject(result);
        }
    }

    protected override void OnResult(WorkloadScanResult result)
    {
        if (Detailed)
        {
            foreach (var row in result.Results)
            {
                WriteObject(row);
            }
        }
        else
        {
            WriteObject(result);
        }
    }
}
