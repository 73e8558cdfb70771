using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>One row per namespace: PSA levels, quota, limit range, default-deny policies, automounting service accounts, pods.</summary>
[Cmdlet(VerbsCommon.Get, "K8sNamespaceSecurity", DefaultParameterSetName = "All", HelpUri = HelpLinks.Docs + "Get-K8sNamespaceSecurity.md")]
[OutputType(typeof(NamespaceSecurityInfo))]
public sealed class GetK8sNamespaceSecurityCommand : K8sClusterCmdlet
{
    private readonly List<string> names = new();

    [Parameter(ParameterSetName = "Namespace", Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter(ParameterSetName = "All")]
    [Alias("A")]
    public SwitchParameter AllNamespaces { get; set; }

    protected override void ProcessRecord()
    {
        if (Namespace is not null)
        {
            names.AddRange(Namespace);
        }
    }

    // Collect piped namespaces first: the whole cluster is read with one list request per kind.
    protected override void EndProcessing()
    {
        IReadOnlyList<string>? filter = ParameterSetName == "Namespace" ? names : null;
        var rows = RunOrThrow(ct => NamespaceSecurityService.GetAsync(Cluster, filter, Log, ct));
        WriteObject(rows, enumerateCollection: true);
        foreach (string name in names.Where(n => !WildcardPattern.ContainsWildcardCharacters(n) && !rows.Any(r => r.Namespace == n)).Distinct(StringComparer.Ordinal))
        {
            WriteEngineError(new K8sOperationException(K8sErrorKind.NotFound, $"Namespace {name} not found.", name));
        }
    }
}
