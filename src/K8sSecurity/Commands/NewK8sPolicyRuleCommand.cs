using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Builds one validated RBAC policy rule for New-K8sRole / New-K8sClusterRole: verbs the API server uses, and resources
/// an API group of the rule serves — checked against the discovery of the session's cluster (Connect-K8sCluster), or
/// the built-in API table without one. Changes nothing.
/// </summary>
[Cmdlet(VerbsCommon.New, "K8sPolicyRule", HelpUri = HelpLinks.Docs + "New-K8sPolicyRule.md")]
[OutputType(typeof(RbacPolicyRule))]
public sealed class NewK8sPolicyRuleCommand : K8sCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(VerbCompleter))]
    public string[] Verb { get; set; } = Array.Empty<string>();

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ResourceCompleter))]
    public string[]? Resource { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[]? ApiGroup { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ResourceName { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? NonResourceUrl { get; set; }

    /// <summary>Accept verbs the API server does not use itself (for an aggregated API or a webhook authorizer).</summary>
    [Parameter]
    public SwitchParameter AllowCustomVerb { get; set; }

    /// <summary>Accept resources that neither the cluster's discovery nor the built-in table knows (a CRD installed later).</summary>
    [Parameter]
    public SwitchParameter AllowUnknownResource { get; set; }

    private ApiResourceCatalog? catalog;

    protected override void ProcessRecord()
    {
        var resources = AllowUnknownResource ? null : Catalog();
        TryInvoke(() => WriteObject(RbacRules.Create(Verb, Resource, ApiGroup, ResourceName, NonResourceUrl, resources, AllowCustomVerb)));
    }

    /// <summary>The session cluster's discovery, read once; the built-in table when there is no session or it cannot be reached.</summary>
    private ApiResourceCatalog Catalog()
    {
        if (catalog is null)
        {
            catalog = ApiResourceCatalog.BuiltIn;
            if (SessionConnections.Current is { } session)
            {
                try
                {
                    catalog = Run(ct => ApiResourceCatalog.DiscoverAsync(session.Client, ct));
                }
                catch (K8sOperationException ex)
                {
                    WriteWarning($"Checking resources against the built-in API table: the discovery of {session.Client.Server} failed ({ex.Message}).");
                }
            }
        }

        return catalog;
    }
}
