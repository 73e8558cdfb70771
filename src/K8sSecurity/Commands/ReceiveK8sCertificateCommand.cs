using System.Management.Automation;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Writes the certificate a CertificateSigningRequest was issued (waiting for it with -Wait), and optionally a kubeconfig.</summary>
[Cmdlet(VerbsCommunications.Receive, "K8sCertificate", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "Receive-K8sCertificate.md")]
[OutputType(typeof(UserCertificate))]
public sealed class ReceiveK8sCertificateCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("RequestName")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>The request's private key: checked against the certificate, and used for -KubeconfigPath.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? KeyPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    /// <summary>The certificate file; default OutputDirectory/USER.crt.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CertificatePath { get; set; }

    [Parameter]
    public SwitchParameter Wait { get; set; }

    [Parameter]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 60;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Server { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string directory = GetUnresolvedProviderPathFromPSPath(OutputDirectory ?? SessionState.Path.CurrentFileSystemLocation.Path);
        string? certificatePath = CertificatePath is null ? null : GetUnresolvedProviderPathFromPSPath(CertificatePath);
        string? keyPath = KeyPath is null ? null : GetUnresolvedProviderPathFromPSPath(KeyPath);
        string? kubeconfigPath = KubeconfigPath is null ? null : GetUnresolvedProviderPathFromPSPath(KubeconfigPath);
        string target = certificatePath ?? Path.Combine(directory, "<user>.crt");
        if (!ShouldProcess($"certificate signing request '{Name}'", $"Write the issued certificate to {target}{(kubeconfigPath is null ? string.Empty : " and a kubeconfig to " + kubeconfigPath)}"))
        {
            return;
        }

        var kubeconfigCluster = kubeconfigPath is null ? null : KubeconfigClusterResolver.Create(this, Kubeconfig, Context, Server, null, null);
        if (TryRun(
            ct => UserCertificateService.ReceiveAsync(
                Cluster, Name, certificatePath, directory, keyPath, kubeconfigPath, kubeconfigCluster, Namespace,
                Wait ? TimeSpan.FromSeconds(Timeout) : null, Force, Log, ct),
            Name,
            out var result))
        {
            WriteObject(result);
        }
    }
}
