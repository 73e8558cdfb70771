using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Binds users, groups or service accounts to a Role or ClusterRole, idempotently. Subjects piped in (Import-Csv rows
/// with User/Group/ServiceAccount columns) are collected and written in one update per binding.
/// </summary>
[Cmdlet(VerbsSecurity.Grant, "K8sRole", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "Grant-K8sRole.md")]
[OutputType(typeof(RbacBinding))]
public sealed class GrantK8sRoleCommand : K8sClusterCmdlet
{
    private readonly List<RoleGrantRequest> pending = new();

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
        TryInvoke(() =>
        {
            var (kind, roleName) = RbacParameterHelper.RoleOf(Role, ClusterRole);
            RbacParameterHelper.RejectEmptyNamespace(MyInvocation.BoundParameters, Namespace);
            string? ns = string.IsNullOrWhiteSpace(Namespace) ? null : Namespace.Trim();
            if (kind == RbacRoleKind.Role && ns is null)
            {
                ns = Cluster.DefaultNamespace;
            }

            var subjects = RbacParameterHelper.Subjects(User, Group, ServiceAccount, ns);
            string? bindingName = string.IsNullOrWhiteSpace(BindingName) ? null : BindingName.Trim();
            var request = new RoleGrantRequest { RoleKind = kind, RoleName = roleName, Namespace = ns, Subjects = subjects, BindingName = bindingName };
            request.Validate();
            int index = pending.FindIndex(p => p.RoleKind == kind && p.RoleName == roleName && p.Namespace == ns && p.BindingName == bindingName);
            if (index < 0)
            {
                pending.Add(request);
            }
            else
            {
                var merged = pending[index].Subjects.Concat(subjects).Distinct().ToList();
                pending[index] = new RoleGrantRequest { RoleKind = kind, RoleName = roleName, Namespace = ns, Subjects = merged, BindingName = bindingName };
            }
        });
    }

    protected override void EndProcessing()
    {
        foreach (var collected in pending)
        {
            var request = new RoleGrantRequest
            {
                RoleKind = collected.RoleKind,
                RoleName = collected.RoleName,
                Namespace = collected.Namespace,
                Subjects = collected.Subjects,
                BindingName = collected.BindingName,
                DryRun = DryRun,
            };
            string? ns = request.Namespace;
            var subjects = request.Subjects;
            string target = ns is null ? $"ClusterRoleBinding for {request.Role}" : $"RoleBinding for {request.Role} in namespace '{ns}'";
            if (!ShouldProcess(target, $"Grant to {string.Join(", ", subjects)}"))
            {
                continue;
            }

            if (TryRun(ct => RbacManagement.GrantAsync(Cluster, request, Log, ct), target, out var binding))
            {
                WriteObject(binding);
            }
        }
    }
}
