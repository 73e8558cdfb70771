using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Validation;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Makes a workload's pods run as a service account (patches the pod template). Idempotent.</summary>
[Cmdlet(VerbsCommon.Set, "K8sWorkloadServiceAccount", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "Set-K8sWorkloadServiceAccount.md")]
[OutputType(typeof(WorkloadServiceAccountChange))]
public sealed class SetK8sWorkloadServiceAccountCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateSet("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")]
    public string Kind { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string ServiceAccount { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter]
    public SwitchParameter DryRun { get; set; }

    protected override void ProcessRecord()
    {
        string ns = ResolveNamespace(Namespace);
        if (!TryInvoke(() =>
        {
            KubernetesNames.ValidateNamespace("Namespace", ns);
            KubernetesNames.ValidateObjectName("Name", Name);
            KubernetesNames.ValidateObjectName("ServiceAccount", ServiceAccount);
        }))
        {
            return;
        }

        if (ShouldProcess($"{Kind} '{ns}/{Name}'", $"Run pods as service account '{ServiceAccount}'")
            && TryRun(ct => ServiceAccounts.SetWorkloadServiceAccountAsync(Cluster, Kind, ns, Name, ServiceAccount, DryRun, Log, ct), Name, out var change))
        {
            WriteObject(change);
        }
    }
}
