using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>A rakkess-like matrix: for each resource, which verbs a subject (or the caller) may use.</summary>
[Cmdlet(VerbsCommon.Get, "K8sAccessMatrix", HelpUri = HelpLinks.Docs + "Get-K8sAccessMatrix.md")]
[OutputType(typeof(RbacAccessMatrixRow))]
public sealed class GetK8sAccessMatrixCommand : RbacQueryCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? User { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Group { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ServiceAccount { get; set; }

    /// <summary>Namespace to evaluate in; without it only cluster-wide grants count.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>Resources (rows), e.g. pods, pods/exec, deployments.apps; a security-focused list by default.</summary>
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ResourceCompleter))]
    public string[]? Resource { get; set; }

    /// <summary>Verbs checked in addition to the eight standard ones (e.g. use, bind, escalate, impersonate).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(VerbCompleter))]
    public string[]? Verb { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    protected override void ProcessRecord()
    {
        RbacIdentity? identity = null;
        IReadOnlyList<RbacAccessMatrixRow>? rows = null;
        if (!TryInvoke(() => identity = SubjectIdentity(User, Group, ServiceAccount, ServiceAccountNamespace(Namespace, Path))))
        {
            return;
        }

        var policy = LoadPolicy(Path);
        identity ??= Caller();
        if (TryInvoke(() => rows = AccessChecks.AccessMatrix(policy, identity, string.IsNullOrEmpty(Namespace) ? null : Namespace, Resource?.Select(WithApiGroup).ToList(), Verb)))
        {
            WriteObject(rows, enumerateCollection: true);
        }
    }

    // "deployments" → "deployments.apps", as kubectl auth can-i resolves a resource named without its group.
    private string WithApiGroup(string resource)
    {
        if (string.IsNullOrWhiteSpace(resource))
        {
            return resource;
        }

        var request = ResolveApiGroup(AccessRequest.Create("get", resource, null, null, null, null, null), Path);
        string name = string.IsNullOrEmpty(request.ApiGroup) ? request.Resource! : $"{request.Resource}.{request.ApiGroup}";
        return string.IsNullOrEmpty(request.Subresource) ? name : $"{name}/{request.Subresource}";
    }
}
