using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Validation;

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
    private ListPager<JsonObject>? pager;
    private CancellationToken cancellation;
    private int itemsInNamespace;

    /// <param name="namespaces">Namespaces to read; null = all namespaces (cluster-wide lists).</param>
    public ClusterWorkloadReader(ClusterClient cluster, IReadOnlyList<string>? namespaces, EngineLog log)
    {
        this.cluster = cluster;
        this.log = log;
        foreach (string ns in namespaces ?? Array.Empty<string>())
        {
            KubernetesNames.ValidateNamespace("Namespace", ns);
        }

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
        cancellation = cancellationToken;
        if (current is null)
        {
            if (pending.Count == 0)
            {
                return null;
            }

            current = pending.Dequeue();
            var (listKind, listNs) = current.Value;
            string listScope = listNs is null ? "all namespaces" : $"namespace '{listNs}'";
            pager = new ListPager<JsonObject>(
                async token =>
                {
                    log.Verbose($"Listing {listKind} objects in {listScope}" + (token is null ? "." : " (next page)."));
                    Requests++;
                    var (found, next) = await ListAsync(listKind, listNs, token, $"Listing {listKind} objects in {listScope}", cancellation).ConfigureAwait(false);
                    return (found, next);
                },
                ListKeys.Of,
                $"Listing {listKind} objects in {listScope}",
                log);
        }

        var (kind, listedNamespace) = current.Value;
        var items = await pager!.NextAsync().ConfigureAwait(false) ?? Array.Empty<JsonObject>();
        itemsInNamespace += items.Count;
        if (pager.Done)
        {
            current = null;
            if (listedNamespace is not null && (pending.Count == 0 || pending.Peek().Namespace != listedNamespace))
            {
                if (itemsInNamespace == 0)
                {
                    await WarnWhenMissingAsync(listedNamespace, cancellationToken).ConfigureAwait(false);
                }

                itemsInNamespace = 0;
            }
        }

        var page = new List<ManifestObject>(items.Count);
        foreach (var item in items)
        {
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

    /// <summary>
    /// A namespace with nothing in it may be a typo: lists in a namespace that does not exist answer empty, as kubectl
    /// shows ("No resources found"). Say so rather than let "no findings" read as a clean result. When the caller may not
    /// read namespaces, nothing can be told and nothing is said.
    /// </summary>
    private async Task WarnWhenMissingAsync(string ns, CancellationToken cancellationToken)
    {
        try
        {
            await ApiErrorTranslator.CallAsync(
                () => cluster.Api.CoreV1.ReadNamespaceAsync(ns, cancellationToken: cancellationToken),
                $"Reading namespace '{ns}'",
                ns).ConfigureAwait(false);
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.NotFound)
        {
            log.Warning($"Namespace '{ns}' does not exist: nothing was scanned there.");
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.Forbidden)
        {
            log.Verbose($"Namespace '{ns}' has no workloads; whether it exists cannot be read ({ex.Message}).");
        }
    }

    private Task<(List<JsonObject> Items, string? Continue)> ListAsync(string kind, string? ns, string? token, string operation, CancellationToken ct)
    {
        var api = cluster.Api;
        object target = ns ?? kind;
        return kind switch
        {
            "Pod" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.CoreV1.ListPodForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.CoreV1.ListNamespacedPodAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "v1", operation, target),
            "Deployment" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.AppsV1.ListNamespacedDeploymentAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target),
            "ReplicaSet" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.AppsV1.ListReplicaSetForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.AppsV1.ListNamespacedReplicaSetAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target),
            "StatefulSet" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.AppsV1.ListStatefulSetForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.AppsV1.ListNamespacedStatefulSetAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target),
            "DaemonSet" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.AppsV1.ListNamespacedDaemonSetAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "apps/v1", operation, target),
            "Job" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.BatchV1.ListJobForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "batch/v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.BatchV1.ListNamespacedJobAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "batch/v1", operation, target),
            "CronJob" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.BatchV1.ListCronJobForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "batch/v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.BatchV1.ListNamespacedCronJobAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "batch/v1", operation, target),
            "ReplicationController" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.CoreV1.ListReplicationControllerForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.CoreV1.ListNamespacedReplicationControllerAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "v1", operation, target),
            "PodTemplate" => ns is null
                ? ClusterLists.ReadPageAsync(() => api.CoreV1.ListPodTemplateForAllNamespacesAsync(continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "v1", operation, target)
                : ClusterLists.ReadPageAsync(() => api.CoreV1.ListNamespacedPodTemplateAsync(ns, continueParameter: token, limit: PageSize, cancellationToken: ct), kind, "v1", operation, target),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "not a workload kind"),
        };
    }
}
