using System.Management.Automation;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Verifies a cluster connection and makes it the session default for every other cmdlet.</summary>
[Cmdlet(VerbsCommunications.Connect, "K8sCluster", HelpUri = HelpLinks.Docs + "Connect-K8sCluster.md")]
[OutputType(typeof(K8sConnection))]
public sealed class ConnectK8sClusterCommand : K8sCmdlet
{
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string? Context { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("KubeconfigPath")]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    /// <summary>Seconds to establish a connection (TCP, proxy tunnel, TLS handshake); kept for the session.</summary>
    [Parameter]
    [ValidateRange(1, 3600)]
    public int ConnectTimeout { get; set; } = (int)ConnectionRequest.DefaultConnectTimeout.TotalSeconds;

    /// <summary>Seconds for one request and its whole answer, 0 for no limit; kept for the session.</summary>
    [Parameter]
    [ValidateRange(0, 86400)]
    public int RequestTimeout { get; set; } = (int)ConnectionRequest.DefaultRequestTimeout.TotalSeconds;

    /// <summary>Send tokens and passwords to an http:// server in clear text instead of refusing the context.</summary>
    [Parameter]
    public SwitchParameter AllowUnencryptedAuthentication { get; set; }

    /// <summary>Like kubectl --as: the user every request of the connection acts as (replaces the kubeconfig user's as).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? As { get; set; }

    /// <summary>Like kubectl --as-group: the groups the impersonated user has (replace the kubeconfig user's as-groups).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AsGroup { get; set; }

    /// <summary>Like kubectl --as-uid: the impersonated user's uid (replaces the kubeconfig user's as-uid).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? AsUid { get; set; }

    protected override void ProcessRecord()
    {
        var request = new ConnectionRequest
        {
            KubeconfigPath = Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig),
            Context = Context,
            Namespace = Namespace,
            ConnectTimeout = TimeSpan.FromSeconds(ConnectTimeout),
            RequestTimeout = RequestTimeout == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(RequestTimeout),
            AllowUnencryptedAuthentication = AllowUnencryptedAuthentication,
            ImpersonateUser = As,
            ImpersonateGroups = AsGroup,
            ImpersonateUid = AsUid,
        };

        ClusterClient? client = null;
        try
        {
            KubernetesNames.ValidateNamespace("Namespace", Namespace, optional: true);
            client = ClusterClient.Create(request);
            foreach (string warning in client.Warnings)
            {
                WriteWarning(warning);
            }

            WriteVerbose($"Connecting to {client.Server} with context '{client.Context.Name}' ({client.Context.AuthKind})"
                + (client.ImpersonatedUser is { } impersonated ? $", impersonating user '{impersonated}'." : "."));
            var connection = Run(client.VerifyAsync);
            SessionConnections.Set(new SessionConnection(request, client, connection));
            client = null;
            WriteObject(connection);
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }
        finally
        {
            client?.Dispose();
        }
    }
}
