using System.Management.Automation;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Identity;

/// <summary>
/// Where a new kubeconfig's cluster entry comes from: -Server (+ -CACertificatePath), else the context a
/// cluster cmdlet would use (-Kubeconfig/-Context, the session connection, kubectl's defaults).
/// </summary>
internal static class KubeconfigClusterResolver
{
    public static Func<KubeconfigClusterSpec> Create(
        PSCmdlet cmdlet, string? kubeconfig, string? context, string? server, string? certificateAuthorityPath, string? clusterName)
    {
        string? caPath = certificateAuthorityPath is null ? null : cmdlet.GetUnresolvedProviderPathFromPSPath(certificateAuthorityPath);
        if (server is not null)
        {
            return () => new KubeconfigClusterSpec
            {
                Name = clusterName ?? (Uri.TryCreate(server, UriKind.Absolute, out var uri) ? uri.Host : "kubernetes"),
                Server = server,
                CertificateAuthorityPath = caPath,
            };
        }

        var session = SessionConnections.Current;
        string? path = kubeconfig is null ? session?.Request.KubeconfigPath : cmdlet.GetUnresolvedProviderPathFromPSPath(kubeconfig);
        string? contextName = context ?? (kubeconfig is null ? session?.Request.Context : null);
        return () =>
        {
            var spec = KubeconfigWriter.ClusterFromKubeconfig(path, contextName);
            if (caPath is not null)
            {
                spec = spec with { CertificateAuthorityData = null, CertificateAuthorityPath = caPath };
            }

            return clusterName is null ? spec : spec with { Name = clusterName };
        };
    }
}
