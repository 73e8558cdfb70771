using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Deletes a NetworkPolicy; output of Get-K8sNetworkPolicy pipes in by Namespace and Name.</summary>
[Cmdlet(VerbsCommon.Remove, "K8sNetworkPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, HelpUri = HelpLinks.Docs + "Remove-K8sNetworkPolicy.md")]
[OutputType(typeof(void))]
public sealed class RemoveK8sNetworkPolicyCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    protected override void ProcessRecord()
    {
        string ns = ResolveNamespace(Namespace);
        if (ShouldProcess($"NetworkPolicy {ns}/{Name}", "Delete"))
        {
            TryRun(async ct => { await NetworkPolicyService.RemoveAsync(Cluster, ns, Name, ct).ConfigureAwait(false); return true; }, Name, out _);
        }
    }
}
