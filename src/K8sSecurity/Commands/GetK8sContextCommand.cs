using System.Management.Automation;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Lists kubeconfig contexts, merged from $env:KUBECONFIG like kubectl.</summary>
[Cmdlet(VerbsCommon.Get, "K8sContext", HelpUri = HelpLinks.Docs + "Get-K8sContext.md")]
[OutputType(typeof(K8sContextInfo))]
public sealed class GetK8sContextCommand : K8sCmdlet
{
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string[]? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("KubeconfigPath", "Path")]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter]
    public SwitchParameter Current { get; set; }

    protected override void ProcessRecord()
    {
        KubeconfigSet set;
        try
        {
            set = KubeconfigSet.Load(Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig));
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
            return;
        }

        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        foreach (var context in set.Describe())
        {
            if (Current && !context.IsCurrent)
            {
                continue;
            }

            if (patterns is not null && !patterns.Any(p => p.IsMatch(context.Name)))
            {
                continue;
            }

            WriteObject(context);
        }
    }
}
