using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Validation;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Every rule a subject holds and the binding and role it comes from (kubectl auth can-i --list, for anyone).</summary>
[Cmdlet(VerbsCommon.Get, "K8sEffectivePermission", HelpUri = HelpLinks.Docs + "Get-K8sEffectivePermission.md")]
[OutputType(typeof(RbacPermission))]
public sealed class GetK8sEffectivePermissionCommand : RbacQueryCmdlet
{
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? User { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string[]? Group { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? ServiceAccount { get; set; }

    /// <summary>Rules that apply in this namespace (cluster-wide ones included); every namespace when omitted.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    protected override void ProcessRecord()
    {
        RbacIdentity? identity = null;
        if (!TryInvoke(() =>
        {
            if (!string.IsNullOrEmpty(Namespace))
            {
                KubernetesNames.ValidateNamespace("Namespace", Namespace);
            }

            identity = SubjectIdentity(User, Group, ServiceAccount, ServiceAccountNamespace(Namespace, Path));
        }))
        {
            return;
        }

        var policy = LoadPolicy(Path);
        identity ??= Caller();
        WriteObject(AccessChecks.EffectivePermissions(policy, identity, string.IsNullOrEmpty(Namespace) ? null : Namespace), enumerateCollection: true);
    }
}
