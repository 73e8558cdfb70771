using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// Reads list pages from the API as JSON, the form every engine check works on (manifests, dumps and cluster
/// objects alike). Shared by the workload scanner and the audit inventory so paging and conversion live in one place.
/// </summary>
internal static class ClusterLists
{
    /// <summary>
    /// Fetches one page and returns its items with kind and apiVersion restored (typed list items omit them),
    /// plus the continue token (null on the last page). The page is serialized once, not item by item.
    /// </summary>
    public static async Task<(List<JsonObject> Items, string? Continue)> ReadPageAsync<TList>(
        Func<Task<TList>> listPage, string kind, string apiVersion, string operation, object? target)
        where TList : IMetadata<V1ListMeta>
    {
        var page = await ApiErrorTranslator.CallAsync(listPage, operation, target).ConfigureAwait(false);
        var items = new List<JsonObject>();
        // Built eagerly with plain values: a lazily parsed JsonNode would decode the same strings on every check's read.
        if (JsonManifestReader.Parse(KubernetesJson.Serialize(page)) is JsonObject json && json["items"] is JsonArray array)
        {
            foreach (var item in array.OfType<JsonObject>())
            {
                item["apiVersion"] = apiVersion;
                item["kind"] = kind;
                items.Add(item);
            }
        }

        string? next = page.Metadata?.ContinueProperty;
        return (items, string.IsNullOrEmpty(next) ? null : next);
    }
}
