using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Deletes a LimitRange; rows from Get-K8sLimitRange pipe in by Namespace and Name.</summary>
[Cmdlet(VerbsCommon.Remove, "K8sLimitRange", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, HelpUri = HelpLinks.Docs + "Remove-K8sLimitRange.md")]
[OutputType(typeof(void))]
public sealed class RemoveK8sLimitRangeCommand : K8sClusterCmdlet
{
    private readonly HashSet<string> removed = new(StringComparer.Ordinal);

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("LimitRange")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = LimitRangeService.DefaultName;

    protected override void ProcessRecord()
    {
        string ns = ResolveNamespace(Namespace);
        string key = ns + "/" + Name;
        if (removed.Add(key) && ShouldProcess($"LimitRange {key}", "Delete"))
        {
            TryRun(async ct => { await LimitRangeService.RemoveAsync(Cluster, ns, Name, ct).ConfigureAwait(false); return true; }, key, out _);
        }
    }
}
