using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// Reads the workloads of a cluster page by page: one paged list per kind (per namespace, or across all
/// namespaces), never a request per object. Controller-owned objects (pods of ReplicaSets, ReplicaSets of
/// Deployments, Jobs of CronJobs…) are dropped so every workload is reported once, through its controller.
/// </summary>
public sealed class ClusterWorkloadReader
{
    /// <summary>Items per list request.</summary>
    public const int PageSize = 500;

    private readonly ClusterClient cluster;
    private readonly EngineLog log;
    private readonly Queue<(string Kind, string? Namespace)> pending = new();
    private (string Kind, string? Namespace)? current;
    private string? continueToken;

    /// <param name="namespaces">Namespaces to read; null = all namespaces (cluster-wide lists).</param>
    public ClusterWorkloadReader(ClusterClient cluster, IReadOnlyList<string>? namespaces, EngineLog log)
    {
        this.cluster = cluster;
        this.log = log;
        foreach (string? ns in namespaces is null ? new string?[] { null } : namespaces.Select(n => (string?)n))
        {
            foreach (string kind in WorkloadScanner.WorkloadKinds)
            {
                pending.Enqueue((kind, ns));
            }
        }
    }

    /// <summary>Number of list requests sent so far.</summary>
    public int Requests { get; private set; }

    /// <summary>The next page of top-level workloads; null when every list is exhausted.</summary>
    public async Task<IReadOnlyList<ManifestObject>?> ReadNextPageAsync(CancellationToken cancellationToken)
    {
        if (current is null)
        {
            if (pending.Count == 0)
            {
                return null;
            }

            current = pending.Dequeue();
            continueToken = null;
        }

        var (kind, ns) = current.Value;
        string scope = ns is null ? "all namespaces" : $"namespace '{ns}'";
        log.Verbose($"Listing {kind} objects in {scope}" + (continueToken is null ? "." : " (next page)."));
        Requests++;
        var (items, next) = await ApiErrorTranslator.CallAsync(() => ListAsync(kind, ns, continueToken, cancellationToken), $"Listing {kind} objects in {scope}", ns ?? kind).ConfigureAwait(false);
        continueToken = string.IsNullOrEmpty(next) ? null : next;
        if (continueToken is null)
        {
            current = null;
        }

        var page = new List<ManifestObject>(items.Count);
        foreach (var item in items)
        {
            item["kind"] = kind;
            var manifest = new ManifestObject(item, "cluster", 0);
            if (WorkloadScanner.ControllerOf(item) is { } owner && WorkloadScanner.ControllerKinds.Contains(owner.Kind))
            {
                log.Verbose($"{kind}/{manifest.Namespace}/{manifest.Name} is reported through its controller {owner.Kind}/{owner.Name}.");
                continue;
            }

            page.Add(manifest);
        }

        return page;
    }

    private async Task<(List<JsonObject> Items, string? Continue)> ListAsync(string kind, string? ns, string? token, CancellationToken ct)
    {
        var api = cluster.Api;
        return kind switch
        {
            "Pod" => Convert(ns is null
                ? await api.CoreV1.ListPodForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.CoreV1.ListNamespacedPodAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "v1"),
            "Deployment" => Convert(ns is null
                ? await api.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.AppsV1.ListNamespacedDeploymentAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "apps/v1"),
            "ReplicaSet" => Convert(ns is null
                ? await api.AppsV1.ListReplicaSetForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.AppsV1.ListNamespacedReplicaSetAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "apps/v1"),
            "StatefulSet" => Convert(ns is null
                ? await api.AppsV1.ListStatefulSetForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.AppsV1.ListNamespacedStatefulSetAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "apps/v1"),
            "DaemonSet" => Convert(ns is null
                ? await api.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.AppsV1.ListNamespacedDaemonSetAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "apps/v1"),
            "Job" => Convert(ns is null
                ? await api.BatchV1.ListJobForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.BatchV1.ListNamespacedJobAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "batch/v1"),
            "CronJob" => Convert(ns is null
                ? await api.BatchV1.ListCronJobForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.BatchV1.ListNamespacedCronJobAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "batch/v1"),
            "ReplicationController" => Convert(ns is null
                ? await api.CoreV1.ListReplicationControllerForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.CoreV1.ListNamespacedReplicationControllerAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "v1"),
            "PodTemplate" => Convert(ns is null
                ? await api.CoreV1.ListPodTemplateForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false)
                : await api.CoreV1.ListNamespacedPodTemplateAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct).ConfigureAwait(false), "v1"),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a workload kind"),
        };
    }

    // Typed list items come back without kind/apiVersion; the JSON form is what the checks read.
    private static (List<JsonObject> Items, string? Continue) Convert<T>(IItems<T> list, string apiVersion)
    {
        var items = new List<JsonObject>(list.Items?.Count ?? 0);
        foreach (var item in list.Items ?? Array.Empty<T>())
        {
            if (JsonNode.Parse(KubernetesJson.Serialize(item)) is JsonObject body)
            {
                body["apiVersion"] ??= apiVersion;
                items.Add(body);
            }
        }

        return (items, (list as IMetadata<V1ListMeta>)?.Metadata?.ContinueProperty);
    }
}
