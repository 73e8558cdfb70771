using System.Management.Automation;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// Base of every cmdlet that talks to a cluster: -Kubeconfig and -Context (with completion), kubectl's defaults
/// otherwise, or the session connection made by Connect-K8sCluster. The client is created once per invocation.
/// </summary>
public abstract class K8sClusterCmdlet : K8sCmdlet
{
    private ClusterClient? cluster;
    private bool ownsCluster;

    /// <summary>Kubeconfig file to use instead of $env:KUBECONFIG / ~/.kube/config.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    /// <summary>Kubeconfig context to use instead of the current one.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string? Context { get; set; }

    /// <summary>The cluster for this invocation. Failing to configure it is a terminating error.</summary>
    protected ClusterClient Cluster
    {
        get
        {
            if (cluster is null)
            {
                try
                {
                    (cluster, ownsCluster) = ResolveCluster();
                }
                catch (K8sOperationException ex)
                {
                    ThrowTerminating(ex);
                }

                // The session connection warned once when Connect-K8sCluster made it.
                if (ownsCluster)
                {
                    foreach (string warning in cluster!.Warnings)
                    {
                        Log.Warning(warning);
                    }
                }
            }

            return cluster!;
        }
    }

    /// <summary>The namespace a namespaced command works in when -Namespace is not given.</summary>
    protected string ResolveNamespace(string? requested) =>
        string.IsNullOrEmpty(requested) ? Cluster.DefaultNamespace : requested;

    protected override void Dispose(bool disposing)
    {
        if (disposing && ownsCluster)
        {
            cluster?.Dispose();
        }

        base.Dispose(disposing);
    }

    private (ClusterClient Client, bool Owned) ResolveCluster()
    {
        var session = SessionConnections.Current;
        if (Kubeconfig is null && Context is null && session is not null)
        {
            return (session.Client, false);
        }

        // Another context or kubeconfig keeps the session's transport settings (timeouts, -AllowUnencryptedAuthentication),
        // but not Connect-K8sCluster's -As/-AsGroup/-AsUid: that context acts as its own kubeconfig says.
        var request = (session?.Request ?? new ConnectionRequest()) with
        {
            KubeconfigPath = Kubeconfig is null ? session?.Request.KubeconfigPath : GetUnresolvedProviderPathFromPSPath(Kubeconfig),
            Context = Context ?? (Kubeconfig is null ? session?.Request.Context : null),
            Namespace = null,
            ImpersonateUser = null,
            ImpersonateGroups = null,
            ImpersonateUid = null,
        };
        return (ClusterClient.Create(request), true);
    }
}
