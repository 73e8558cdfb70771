using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Creates an image pull Secret (kubernetes.io/dockerconfigjson) from a PSCredential and optionally lets service
/// accounts pull with it. Idempotent; different content needs -Force. The password is never written out.
/// </summary>
[Cmdlet(VerbsCommon.New, "K8sRegistrySecret", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "New-K8sRegistrySecret.md")]
[OutputType(typeof(RegistrySecretInfo))]
public sealed class NewK8sRegistrySecretCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string Server { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    [Credential]
    [ValidateNotNull]
    public PSCredential Credential { get; set; } = PSCredential.Empty;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Email { get; set; }

    /// <summary>Service accounts (in -Namespace) whose imagePullSecrets should list the Secret.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[]? ServiceAccount { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter DryRun { get; set; }

    protected override void ProcessRecord()
    {
        string ns = ResolveNamespace(Namespace);
        var accounts = ServiceAccount ?? Array.Empty<string>();
        string action = accounts.Length == 0
            ? $"Create image pull secret for {Server} (user {Credential.UserName})"
            : $"Create image pull secret for {Server} (user {Credential.UserName}) and add it to service account(s) {string.Join(", ", accounts)}";
        if (ShouldProcess($"Secret '{ns}/{Name}'", action)
            && TryRun(ct => ServiceAccounts.CreateRegistrySecretAsync(Cluster, ns, Name, Server, Credential.GetNetworkCredential(), Email, accounts, Force, DryRun, Log, ct), Name, out var secret))
        {
            WriteObject(secret);
        }
    }
}
