using System.Management.Automation;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Deletes CertificateSigningRequests (issued certificates stay valid until they expire).</summary>
[Cmdlet(VerbsCommon.Remove, "K8sCertificateRequest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "Remove-K8sCertificateRequest.md")]
[OutputType(typeof(void))]
public sealed class RemoveK8sCertificateRequestCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("RequestName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (string name in Name)
        {
            if (ShouldProcess($"certificate signing request '{name}'", "Delete"))
            {
                if (TryRun(async ct => { await CertificateRequestService.DeleteAsync(Cluster, name, ct).ConfigureAwait(false); return true; }, name, out _))
                {
                    WriteVerbose($"Deleted certificate signing request '{name}'.");
                }
            }
        }
    }
}
