using System.Management.Automation;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Approves CertificateSigningRequests through the /approval subresource.</summary>
[Cmdlet(VerbsLifecycle.Approve, "K8sCertificateRequest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "Approve-K8sCertificateRequest.md")]
[OutputType(typeof(K8sCertificateRequest))]
public sealed class ApproveK8sCertificateRequestCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("RequestName")]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Reason { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Message { get; set; }

    /// <summary>Needed to approve a request for group system:masters.</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string name in Name)
        {
            if (!ShouldProcess($"certificate signing request '{name}'", "Approve"))
            {
                continue;
            }

            if (TryRun(ct => CertificateRequestService.DecideAsync(Cluster, name, approve: true, Reason, Message, Force, Log, ct), name, out var result))
            {
                WriteObject(result.Request);
            }
        }
    }
}
