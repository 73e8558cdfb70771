using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Diagnostics;
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

/// <summary>
/// Pages through one list with continue tokens. When a token expires (410 Expired: the cluster compacted the
/// resourceVersion the list started at, typically after about five minutes), the list starts again from the first page
/// and skips every item up to the last one already returned: lists come in key order (namespace/name), so nothing is
/// returned twice and nothing that existed throughout is missed. Keeps one key, not the items seen.
/// </summary>
internal sealed class ListPager<T>(Func<string?, Task<(IReadOnlyList<T> Items, string? Continue)>> readPage, Func<T, string> key, string what, EngineLog log)
{
    /// <summary>Restarts after which an expiring list is given up (each restart means the cluster compacted again).</summary>
    public const int MaxRestarts = 5;

    private string? token;
    private string? lastKey;
    private bool started;

    /// <summary>How many times the list started again after an expired continue token.</summary>
    public int Restarts { get; private set; }

    public bool Done { get; private set; }

    /// <summary>The next page (possibly empty after skipping); null when the list is exhausted.</summary>
    public async Task<IReadOnlyList<T>?> NextAsync()
    {
        if (Done)
        {
            return null;
        }

        while (true)
        {
            (IReadOnlyList<T> Items, string? Continue) page;
            try
            {
                page = await readPage(started ? token : null).ConfigureAwait(false);
            }
            catch (K8sOperationException ex) when (ex.StatusCode == 410 && token is not null && Restarts < MaxRestarts)
            {
                Restarts++;
                log.Verbose($"{what}: the continue token expired (410 Expired); listing again from the start, skipping what was already read.");
                token = null;
                continue;
            }

            started = true;
            token = page.Continue;
            Done = token is null;
            var fresh = new List<T>(page.Items.Count);
            foreach (var item in page.Items)
            {
                string k = key(item);
                if (lastKey is not null && string.CompareOrdinal(k, lastKey) <= 0)
                {
                    continue;
                }

                fresh.Add(item);
                lastKey = k;
            }

            return fresh;
        }
    }

    /// <summary>Every remaining item.</summary>
    public async Task<List<T>> ReadAllAsync()
    {
        var all = new List<T>();
        while (await NextAsync().ConfigureAwait(false) is { } page)
        {
            all.AddRange(page);
        }

        return all;
    }
}

/// <summary>Keys lists are ordered by.</summary>
internal static class ListKeys
{
    /// <summary>"namespace/name" (cluster-scoped: "name"), the order etcd returns a list in.</summary>
    public static string Of(JsonObject item)
    {
        string name = item["metadata"]?["name"]?.GetValue<string>() ?? string.Empty;
        string? ns = item["metadata"]?["namespace"]?.GetValue<string>();
        return string.IsNullOrEmpty(ns) ? name : ns + "/" + name;
    }

    public static string Of(V1ObjectMeta metadata) =>
        string.IsNullOrEmpty(metadata.NamespaceProperty) ? metadata.Name : metadata.NamespaceProperty + "/" + metadata.Name;
}
