using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Deletes a ResourceQuota; rows from Get-K8sNamespaceQuota pipe in by Namespace and Quota.</summary>
[Cmdlet(VerbsCommon.Remove, "K8sNamespaceQuota", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.High, HelpUri = HelpLinks.Docs + "Remove-K8sNamespaceQuota.md")]
[OutputType(typeof(void))]
public sealed class RemoveK8sNamespaceQuotaCommand : K8sClusterCmdlet
{
    private readonly HashSet<string> removed = new(StringComparer.Ordinal);

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Quota")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = QuotaService.DefaultName;

    protected override void ProcessRecord()
    {
        string ns = ResolveNamespace(Namespace);
        string key = ns + "/" + Name;
        if (!removed.Add(key))
        {
            return; // Get-K8sNamespaceQuota emits one row per resource: delete each quota once
        }

        if (!TryRun(ct => QuotaService.ExistsAsync(Cluster, ns, Name, ct), key, out bool exists))
        {
            return;
        }

        if (!exists)
        {
            WriteEngineError(new K8sOperationException(K8sErrorKind.NotFound, $"ResourceQuota {key} not found.", Name));
            return;
        }

        if (ShouldProcess($"ResourceQuota {key}", "Delete"))
        {
            TryRun(async ct => { await QuotaService.RemoveAsync(Cluster, ns, Name, ct).ConfigureAwait(false); return true; }, key, out _);
        }
    }
}
