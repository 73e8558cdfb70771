using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Can the caller (SelfSubjectAccessReview) or a subject (SubjectAccessReview) do this? -Offline computes the answer
/// from RBAC objects (the cluster's, or -Path manifests/dumps) and names the binding and role that grant it.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "K8sAccess", DefaultParameterSetName = "Resource", HelpUri = HelpLinks.Docs + "Test-K8sAccess.md")]
[OutputType(typeof(RbacAccessResult))]
public sealed class TestK8sAccessCommand : RbacQueryCmdlet
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

    /// <summary>Namespace of the request; without it the check is cluster-wide (all namespaces).</summary>
    [Parameter(ParameterSetName = "Resource", ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = "NonResource", ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string NonResourceUrl { get; set; } = string.Empty;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? User { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Group { get; set; }

    /// <summary>"namespace:name", or a name in -Namespace.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ServiceAccount { get; set; }

    [Parameter]
    public SwitchParameter Offline { get; set; }

    /// <summary>Manifests or kubectl dumps with the RBAC objects (implies -Offline).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    protected override void ProcessRecord()
    {
        AccessRequest? request = null;
        RbacIdentity? identity = null;
        if (!TryInvoke(() =>
        {
            bool resource = ParameterSetName == "Resource";
            request = ResolveApiGroup(AccessRequest.Create(Verb, resource ? Resource : null, resource ? Subresource : null, resource ? ApiGroup : null, resource ? Name : null, resource ? Namespace : null, resource ? null : NonResourceUrl), Path);
            identity = SubjectIdentity(User, Group, ServiceAccount, ServiceAccountNamespace(Namespace, Path));
        }))
        {
            return;
        }

        if (Offline || Path is { Length: > 0 })
        {
            var policy = LoadPolicy(Path);
            TryInvoke(() => WriteObject(AccessChecks.CheckOffline(policy, identity ?? Caller(), request!)));
            return;
        }

        if (TryRun(ct => AccessChecks.CheckOnlineAsync(Cluster, identity, request!, ct), request!.ToString(), out var result))
        {
            WriteObject(result);
        }
    }
}
