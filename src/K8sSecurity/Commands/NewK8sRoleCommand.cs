using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Creates a namespaced Role from -Verb/-Resource or rule objects (New-K8sPolicyRule), idempotently.</summary>
[Cmdlet(VerbsCommon.New, "K8sRole", SupportsShouldProcess = true, DefaultParameterSetName = "Inline", HelpUri = HelpLinks.Docs + "New-K8sRole.md")]
[OutputType(typeof(RbacRole))]
public sealed class NewK8sRoleCommand : K8sClusterCmdlet
{
    private readonly List<RbacPolicyRule> rules = new();

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Rules", ValueFromPipeline = true)]
    public RbacPolicyRule[] Rule { get; set; } = Array.Empty<RbacPolicyRule>();

    [Parameter(Mandatory = true, ParameterSetName = "Inline")]
    [ArgumentCompleter(typeof(VerbCompleter))]
    public string[] Verb { get; set; } = Array.Empty<string>();

    [Parameter(Mandatory = true, ParameterSetName = "Inline")]
    [ArgumentCompleter(typeof(ResourceCompleter))]
    public string[] Resource { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "Inline")]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[]? ApiGroup { get; set; }

    [Parameter(ParameterSetName = "Inline")]
    public string[]? ResourceName { get; set; }

    [Parameter]
    public Hashtable? Label { get; set; }

    /// <summary>Accept verbs the API server does not use itself (for an aggregated API or a webhook authorizer).</summary>
    [Parameter(ParameterSetName = "Inline")]
    public SwitchParameter AllowCustomVerb { get; set; }

    /// <summary>Accept resources the built-in API table does not know in a built-in API group.</summary>
    [Parameter(ParameterSetName = "Inline")]
    public SwitchParameter AllowUnknownResource { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter DryRun { get; set; }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == "Rules")
        {
            rules.AddRange(Rule.Where(r => r is not null && !rules.Contains(r)));
        }
    }

    protected override void EndProcessing()
    {
        RbacRole? role = null;
        if (!TryInvoke(() =>
        {
            var allRules = ParameterSetName == "Rules" ? rules : new List<RbacPolicyRule> { RbacRules.Create(Verb, Resource, ApiGroup, ResourceName, null, AllowUnknownResource ? null : ApiResourceCatalog.BuiltIn, AllowCustomVerb) };
            role = new RbacRole
            {
                Kind = RbacRoleKind.Role,
                Name = Name,
                Namespace = ResolveNamespace(Namespace),
                Rules = allRules,
                Labels = RbacParameterHelper.Labels(Label, nameof(Label)),
            };
            RbacManagement.ValidateRole(role);
        }))
        {
            return;
        }

        if (ShouldProcess($"Role '{role!.Name}' in namespace '{role.Namespace}'", $"Create with {role.Rules.Count} rule(s): {string.Join("; ", role.Rules)}")
            && TryRun(ct => RbacManagement.CreateRoleAsync(Cluster, role, Force, DryRun, Log, ct), role.Name, out var created))
        {
            WriteObject(created);
        }
    }
}
