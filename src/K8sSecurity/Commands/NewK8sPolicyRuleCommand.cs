using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Builds one validated RBAC policy rule for New-K8sRole / New-K8sClusterRole. Sends nothing.</summary>
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

    protected override void ProcessRecord()
    {
        TryInvoke(() => WriteObject(RbacRules.Create(Verb, Resource, ApiGroup, ResourceName, NonResourceUrl)));
    }
}
