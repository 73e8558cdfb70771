using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>One row per LimitRange item and resource (Min, Max, DefaultRequest, Default, MaxLimitRequestRatio).</summary>
[Cmdlet(VerbsCommon.Get, "K8sLimitRange", DefaultParameterSetName = "Namespace", HelpUri = HelpLinks.Docs + "Get-K8sLimitRange.md")]
[OutputType(typeof(LimitRangeRow))]
public sealed class GetK8sLimitRangeCommand : K8sClusterCmdlet
{
    [Parameter(ParameterSetName = "Namespace", Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter(ParameterSetName = "All", Mandatory = true)]
    [Alias("A")]
    public SwitchParameter AllNamespaces { get; set; }

    [Parameter]
    [Alias("LimitRange")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        var targets = AllNamespaces ? new string?[] { null } : (Namespace ?? new[] { ResolveNamespace(null) }).Cast<string?>();
        foreach (string? ns in targets)
        {
            if (TryRun(ct => LimitRangeService.GetAsync(Cluster, ns, Name, ct), ns, out var rows))
            {
                WriteObject(rows, enumerateCollection: true);
            }
        }
    }
}
