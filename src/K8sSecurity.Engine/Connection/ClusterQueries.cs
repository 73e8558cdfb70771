using k8s;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Connection;

/// <summary>Small read-only queries shared by several commands (completion, defaults).</summary>
public static class ClusterQueries
{
    public static async Task<IReadOnlyList<string>> ListNamespaceNamesAsync(ClusterClient cluster, CancellationToken cancellationToken)
    {
        var list = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CoreV1.ListNamespaceAsync(cancellationToken: cancellationToken), "Listing namespaces").ConfigureAwait(false);
        return list.Items.Select(n => n.Metadata.Name).Order(StringComparer.Ordinal).ToArray();
    }
}
