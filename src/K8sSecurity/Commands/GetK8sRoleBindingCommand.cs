using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Flattened bindings: one row per subject → role → scope, filtered by subject and role (wildcards). Rows pipe into
/// Revoke-K8sRole.
/// </summary>
[Cmdlet(VerbsCommon.Get, "K8sRoleBinding", HelpUri = HelpLinks.Docs + "Get-K8sRoleBinding.md")]
[OutputType(typeof(RbacBindingRow))]
public sealed class GetK8sRoleBindingCommand : K8sClusterCmdlet
{
    /// <summary>Matches the subject name, "Kind:name", or "namespace:name" for service accounts.</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    public string[]? Subject { get; set; }

    [Parameter]
    [ValidateSet("User", "Group", "ServiceAccount")]
    public string? SubjectKind { get; set; }

    [Parameter]
    [SupportsWildcards]
    public string[]? Role { get; set; }

    /// <summary>ClusterRoleBindings plus the RoleBindings of this namespace; all namespaces when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    protected override void ProcessRecord()
    {
        var subjectPatterns = Subject?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        var rolePatterns = Role?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        bool SubjectMatches(RbacSubject s) =>
            (SubjectKind is null || s.Kind.ToString().Equals(SubjectKind, StringComparison.OrdinalIgnoreCase))
            && (subjectPatterns is null || subjectPatterns.Any(p =>
                p.IsMatch(s.Name) || p.IsMatch(s.ToString()) || p.IsMatch($"{s.Kind}:{s.Name}")
                || (s.Kind == RbacSubjectKind.ServiceAccount && (p.IsMatch($"{s.Namespace}:{s.Name}") || p.IsMatch(s.UserName)))));
        bool RoleMatches(RbacBinding b) => rolePatterns is null || rolePatterns.Any(p => p.IsMatch(b.RoleName) || p.IsMatch(b.Role));

        if (TryRun(ct => RbacManagement.GetBindingRowsAsync(Cluster, Namespace, SubjectMatches, RoleMatches, ct), Namespace, out var rows))
        {
            WriteObject(rows, enumerateCollection: true);
        }
    }
}
