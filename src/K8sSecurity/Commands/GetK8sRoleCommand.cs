using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Lists ClusterRoles (aggregated rules resolved) and Roles, by name with wildcards.</summary>
[Cmdlet(VerbsCommon.Get, "K8sRole", HelpUri = HelpLinks.Docs + "Get-K8sRole.md")]
[OutputType(typeof(RbacRole))]
public sealed class GetK8sRoleCommand : K8sClusterCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    public string[]? Name { get; set; }

    /// <summary>Roles of this namespace only (ClusterRoles are still listed unless -Kind Role).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    // A string, not the engine enum: value-type engine fields would load the engine before the module initializer runs.
    [Parameter]
    [ValidateSet("Role", "ClusterRole")]
    public string? Kind { get; set; }

    protected override void ProcessRecord()
    {
        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        bool roles = Kind is null || Kind.Equals("Role", StringComparison.OrdinalIgnoreCase);
        bool clusterRoles = Kind is null || Kind.Equals("ClusterRole", StringComparison.OrdinalIgnoreCase);
        if (!TryRun(ct => RbacManagement.GetRolesAsync(Cluster, Namespace, roles, clusterRoles, ct), Namespace, out var found))
        {
            return;
        }

        int written = 0;
        foreach (var role in found)
        {
            if (patterns is null || patterns.Any(p => p.IsMatch(role.Name)))
            {
                WriteObject(role);
                written++;
            }
        }

        if (written == 0 && Name is not null && !Name.Any(WildcardPattern.ContainsWildcardCharacters))
        {
            WriteEngineError(new Engine.Errors.K8sOperationException(Engine.Errors.K8sErrorKind.NotFound, $"No role named '{string.Join("', '", Name)}' was found{(Namespace is null ? string.Empty : $" (namespace '{Namespace}')")}.", Name[0]));
        }
    }
}
