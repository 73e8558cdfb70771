using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Removes subjects from the bindings of a role; deletes a binding left without subjects. Idempotent.</summary>
[Cmdlet(VerbsSecurity.Revoke, "K8sRole", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "Revoke-K8sRole.md")]
[OutputType(typeof(RbacBinding))]
public sealed class RevokeK8sRoleCommand : K8sClusterCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(RoleCompleter))]
    public string? Role { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(ClusterRoleCompleter))]
    public string? ClusterRole { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? User { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Group { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? ServiceAccount { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? BindingName { get; set; }

    [Parameter]
    public SwitchParameter DryRun { get; set; }

    protected override void ProcessRecord()
    {
        RoleGrantRequest? request = null;
        if (!TryInvoke(() =>
        {
            var (kind, roleName) = RbacParameterHelper.RoleOf(Role, ClusterRole);
            RbacParameterHelper.RejectEmptyNamespace(MyInvocation.BoundParameters, Namespace);
            string? ns = string.IsNullOrWhiteSpace(Namespace) ? null : Namespace.Trim();
            if (kind == RbacRoleKind.Role && ns is null)
            {
                ns = Cluster.DefaultNamespace;
            }

            request = new RoleGrantRequest
            {
                RoleKind = kind,
                RoleName = roleName,
                Namespace = ns,
                Subjects = RbacParameterHelper.Subjects(User, Group, ServiceAccount, ns),
                BindingName = string.IsNullOrWhiteSpace(BindingName) ? null : BindingName.Trim(),
                DryRun = DryRun,
            };
            request.Validate();
        }))
        {
            return;
        }

        string target = request!.Namespace is null ? $"ClusterRoleBindings of {request.Role}" : $"RoleBindings of {request.Role} in namespace '{request.Namespace}'";
        if (!ShouldProcess(target, $"Revoke from {string.Join(", ", request.Subjects)}"))
        {
            return;
        }

        if (TryRun(ct => RbacManagement.RevokeAsync(Cluster, request, Log, ct), target, out var changed))
        {
            WriteObject(changed, enumerateCollection: true);
        }
    }
}
