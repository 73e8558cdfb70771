using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Lists NetworkPolicies with their selector, types and rules in words.</summary>
[Cmdlet(VerbsCommon.Get, "K8sNetworkPolicy", DefaultParameterSetName = "Namespace", HelpUri = HelpLinks.Docs + "Get-K8sNetworkPolicy.md")]
[OutputType(typeof(NetworkPolicyInfo))]
public sealed class GetK8sNetworkPolicyCommand : K8sClusterCmdlet
{
    [Parameter(ParameterSetName = "Namespace", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter(ParameterSetName = "All", Mandatory = true)]
    [Alias("A")]
    public SwitchParameter AllNamespaces { get; set; }

    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        var targets = AllNamespaces ? new string?[] { null } : (Namespace ?? new[] { ResolveNamespace(null) }).Cast<string?>();
        foreach (string? ns in targets)
        {
            if (!TryRun(ct => NetworkPolicyService.GetAsync(Cluster, ns, Name, ct), ns, out var policies))
            {
                continue;
            }

            if (policies.Count == 0 && Name is not null && !WildcardPattern.ContainsWildcardCharacters(Name))
            {
                WriteEngineError(new K8sOperationException(K8sErrorKind.NotFound, $"NetworkPolicy {ns ?? "*"}/{Name} not found.", Name));
                continue;
            }

            WriteObject(policies, enumerateCollection: true);
        }
    }
}
