using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Creates a ClusterRole from rules, or an aggregated one (-AggregationSelector); -AggregateTo labels it so the
/// built-in admin/edit/view roles pick its rules up. Idempotent.
/// </summary>
[Cmdlet(VerbsCommon.New, "K8sClusterRole", SupportsShouldProcess = true, DefaultParameterSetName = "Inline", HelpUri = HelpLinks.Docs + "New-K8sClusterRole.md")]
[OutputType(typeof(RbacRole))]
public sealed class NewK8sClusterRoleCommand : K8sClusterCmdlet
{
    private const string AggregateLabelPrefix = "rbac.authorization.k8s.io/aggregate-to-";
    private readonly List<RbacPolicyRule> rules = new();

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = "Rules", ValueFromPipeline = true)]
    public RbacPolicyRule[] Rule { get; set; } = Array.Empty<RbacPolicyRule>();

    [Parameter(Mandatory = true, ParameterSetName = "Inline")]
    [ArgumentCompleter(typeof(VerbCompleter))]
    public string[] Verb { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = "Inline")]
    [ArgumentCompleter(typeof(ResourceCompleter))]
    public string[]? Resource { get; set; }

    [Parameter(ParameterSetName = "Inline")]
    [AllowEmptyString]
    [AllowEmptyCollection]
    public string[]? ApiGroup { get; set; }

    [Parameter(ParameterSetName = "Inline")]
    public string[]? ResourceName { get; set; }

    [Parameter(ParameterSetName = "Inline")]
    public string[]? NonResourceUrl { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "Aggregated")]
    public Hashtable[] AggregationSelector { get; set; } = Array.Empty<Hashtable>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ClusterRoleCompleter))]
    public string[]? AggregateTo { get; set; }

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
            var labels = RbacParameterHelper.Labels(Label, nameof(Label));
            foreach (string target in AggregateTo ?? Array.Empty<string>())
            {
                labels[AggregateLabelPrefix + target.Trim()] = "true";
            }

            IReadOnlyList<RbacLabelSelector>? selectors = null;
            var allRules = new List<RbacPolicyRule>();
            switch (ParameterSetName)
            {
                case "Rules":
                    allRules.AddRange(rules);
                    break;
                case "Inline":
                    allRules.Add(RbacRules.Create(Verb, Resource, ApiGroup, ResourceName, NonResourceUrl, AllowUnknownResource ? null : ApiResourceCatalog.BuiltIn, AllowCustomVerb));
                    break;
                default:
                    selectors = AggregationSelector
                        .Select(t => new RbacLabelSelector { MatchLabels = RbacParameterHelper.Labels(t, nameof(AggregationSelector)) })
                        .ToList();
                    break;
            }

            role = new RbacRole { Kind = RbacRoleKind.ClusterRole, Name = Name, Rules = allRules, Labels = labels, AggregationSelectors = selectors };
            RbacManagement.ValidateRole(role);
        }))
        {
            return;
        }

        string what = role!.IsAggregated
            ? $"Create aggregating ClusterRoles labelled {string.Join(" or ", role.AggregationSelectors!)}"
            : $"Create with {role.Rules.Count} rule(s): {string.Join("; ", role.Rules)}";
        if (ShouldProcess($"ClusterRole '{role.Name}'", what)
            && TryRun(ct => RbacManagement.CreateRoleAsync(Cluster, role, Force, DryRun, Log, ct), role.Name, out var created))
        {
            WriteObject(created);
        }
    }
}
