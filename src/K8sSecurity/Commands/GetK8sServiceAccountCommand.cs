using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Service accounts with their role bindings, the workloads that run as them and legacy long-lived token secrets.</summary>
[Cmdlet(VerbsCommon.Get, "K8sServiceAccount", HelpUri = HelpLinks.Docs + "Get-K8sServiceAccount.md")]
[OutputType(typeof(ServiceAccountInfo))]
public sealed class GetK8sServiceAccountCommand : K8sClusterCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter]
    public SwitchParameter AllNamespaces { get; set; }

    protected override void ProcessRecord()
    {
        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        string? ns = AllNamespaces ? null : ResolveNamespace(Namespace);
        if (!TryRun(ct => ServiceAccounts.GetAsync(Cluster, ns, n => patterns is null || patterns.Any(p => p.IsMatch(n)), Log, ct), ns, out var accounts))
        {
            return;
        }

        WriteObject(accounts, enumerateCollection: true);
        if (accounts.Count == 0 && Name is not null && !Name.Any(WildcardPattern.ContainsWildcardCharacters))
        {
            WriteEngineError(new Engine.Errors.K8sOperationException(Engine.Errors.K8sErrorKind.NotFound, $"No service account '{string.Join("', '", Name)}' in {(ns is null ? "any namespace" : $"namespace '{ns}'")}.", Name[0]));
        }
    }
}
