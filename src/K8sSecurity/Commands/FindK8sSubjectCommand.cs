using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Who can do this? Every user, group and service account allowed, with the binding and role that grant it.</summary>
[Cmdlet(VerbsCommon.Find, "K8sSubject", DefaultParameterSetName = "Resource", HelpUri = HelpLinks.Docs + "Find-K8sSubject.md")]
[OutputType(typeof(RbacSubjectAccess))]
public sealed class FindK8sSubjectCommand : RbacQueryCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VerbCompleter))]
    public string Verb { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ParameterSetName = "Resource", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ResourceCompleter))]
    public string Resource { get; set; } = string.Empty;

    [Parameter(ParameterSetName = "Resource", ValueFromPipelineByPropertyName = true)]
    public string? Subresource { get; set; }

    [Parameter(ParameterSetName = "Resource", ValueFromPipelineByPropertyName = true)]
    public string? ApiGroup { get; set; }

    [Parameter(ParameterSetName = "Resource", ValueFromPipelineByPropertyName = true)]
    public string? Name { get; set; }

    /// <summary>The request's namespace: ClusterRoleBindings plus that namespace's RoleBindings answer.</summary>
    [Parameter(ParameterSetName = "Resource", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>Also subjects allowed in only some namespaces (each answer says where).</summary>
    [Parameter(ParameterSetName = "Resource")]
    public SwitchParameter AllNamespaces { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "NonResource", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string NonResourceUrl { get; set; } = string.Empty;

    [Parameter]
    [ValidateSet("User", "Group", "ServiceAccount")]
    public string[]? SubjectKind { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    protected override void ProcessRecord()
    {
        AccessRequest? request = null;
        if (!TryInvoke(() =>
        {
            bool resource = ParameterSetName == "Resource";
            request = ResolveApiGroup(AccessRequest.Create(Verb, resource ? Resource : null, resource ? Subresource : null, resource ? ApiGroup : null, resource ? Name : null, resource ? Namespace : null, resource ? null : NonResourceUrl), Path);
        }))
        {
            return;
        }

        var policy = LoadPolicy(Path);
        foreach (var answer in policy.WhoCan(request!, AllNamespaces))
        {
            if (SubjectKind is null || SubjectKind.Contains(answer.SubjectKind.ToString(), StringComparer.OrdinalIgnoreCase))
            {
                WriteObject(answer);
            }
        }
    }
}
