using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>One row per namespace, quota and resource with Used, Hard and PercentUsed.</summary>
[Cmdlet(VerbsCommon.Get, "K8sNamespaceQuota", DefaultParameterSetName = "Namespace", HelpUri = HelpLinks.Docs + "Get-K8sNamespaceQuota.md")]
[OutputType(typeof(NamespaceQuotaRow))]
public sealed class GetK8sNamespaceQuotaCommand : K8sClusterCmdlet
{
    [Parameter(ParameterSetName = "Namespace", Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter(ParameterSetName = "All", Mandatory = true)]
    [Alias("A")]
    public SwitchParameter AllNamespaces { get; set; }

    [Parameter]
    [Alias("Quota")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        var targets = AllNamespaces ? new string?[] { null } : (Namespace ?? new[] { ResolveNamespace(null) }).Cast<string?>();
        foreach (string? ns in targets)
        {
            if (TryRun(ct => QuotaService.GetAsync(Cluster, ns, Name, ct), ns, out var rows))
            {
                WriteObject(rows, enumerateCollection: true);
            }
        }
    }
}
