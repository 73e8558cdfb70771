using System.Management.Automation;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Forgets the session connection; later commands fall back to kubectl's defaults.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "K8sCluster", HelpUri = HelpLinks.Docs + "Disconnect-K8sCluster.md")]
[OutputType(typeof(K8sConnection))]
public sealed class DisconnectK8sClusterCommand : K8sCmdlet
{
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var removed = SessionConnections.Clear();
        if (removed is null)
        {
            WriteVerbose("No session connection was set.");
            return;
        }

        WriteVerbose($"Disconnected from {removed.Connection.Server}.");
        if (PassThru)
        {
            WriteObject(removed.Connection);
        }
    }
}
