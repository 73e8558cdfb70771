using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Audit;

/// <summary>
/// Everything an audit reads, gathered once and shared by every category: each kind is listed once across all
/// namespaces (paged with limit/continue), or read offline from manifests / a `kubectl get -A -o yaml` dump.
/// Objects are kept as JSON without status, managedFields and — for Secrets — without any data except a TLS
/// secret's public certificate, so secret values never reach memory that outlives the listing.
/// </summary>
public sealed class AuditInventory
{
    /// <summary>Page size for list calls: kube-apiserver's own recommendation for large collections.</summary>
    public const int PageSize = 500;

    private const int ParallelLists = 4;

    private readonly Dictionary<AuditKind, IReadOnlyList<ManifestObject>> objects;

    private AuditInventory(
        Dictionary<AuditKind, IReadOnlyList<ManifestObject>> objects, string source, bool offline, string? serverVersion, IReadOnlyList<ManifestApiVersion>? apiVersions = null)
    {
        this.objects = objects;
        ApiVersions = apiVersions ?? Array.Empty<ManifestApiVersion>();
        Source = source;
        Offline = offline;
        ServerVersion = serverVersion;
    }

    /// <summary>"cluster" or the manifest paths.</summary>
    public string Source { get; }

    public bool Offline { get; }

    /// <summary>The server's gitVersion (e.g. v1.33.2); null offline.</summary>
    public string? ServerVersion { get; }

    public IReadOnlyCollection<AuditKind> Kinds => objects.Keys;

    /// <summary>The apiVersion and kind of every object read offline, whatever its kind (for the DeprecatedApis category).</summary>
    public IReadOnlyList<ManifestApiVersion> ApiVersions { get; }

    /// <summary>Objects of one kind; empty when the kind was not read.</summary>
    public IReadOnlyList<ManifestObject> Of(AuditKind kind) => objects.TryGetValue(kind, out var list) ? list : Array.Empty<ManifestObject>();

    public bool Has(AuditKind kind) => objects.ContainsKey(kind);

    /// <summary>Counts per kind, for the summary.</summary>
    public IReadOnlyDictionary<string, int> Counts() => objects.OrderBy(p => p.Key).ToDictionary(p => p.Key.ToString(), p => p.Value.Count);

    /// <summary>Builds an inventory from objects already in memory (tests, pipeline input).</summary>
    public static AuditInventory FromObjects(IEnumerable<ManifestObject> items, string source, string? serverVersion = null, IEnumerable<AuditKind>? kinds = null)
    {
        var buckets = (kinds ?? Enum.GetValues<AuditKind>()).ToDictionary(k => k, _ => new List<ManifestObject>());
        var apiVersions = new List<ManifestApiVersion>();
        foreach (var item in items)
        {
            if (item.Body.Str("apiVersion") is { } apiVersion && item.Kind is { } itemKind)
            {
                apiVersions.Add(new ManifestApiVersion(apiVersion, itemKind, item.Name ?? string.Empty, item.Namespace, item.Line > 0 ? item.Location : null));
            }

            if (AuditKinds.TryParse(item.Kind, out var kind) && buckets.TryGetValue(kind, out var bucket))
            {
                // Kept as compact JSON text: an offline audit of 50,000 workloads would otherwise hold every parsed tree.
                bucket.Add(new ManifestObject(Trim(kind, item.Body), item.Source, item.Line).Compact());
            }
        }

        return new AuditInventory(buckets.ToDictionary(p => p.Key, p => (IReadOnlyList<ManifestObject>)p.Value), source, offline: true, serverVersion, apiVersions);
    }

    /// <summary>Reads manifests (files, folders, wildcards, kubectl List dumps) for an offline audit.</summary>
    public static AuditInventory FromManifests(IReadOnlyList<string> paths, Action<ManifestParseError> onError, IEnumerable<AuditKind>? kinds = null)
    {
        var files = ManifestReader.ExpandPaths(paths).ToList();
        return FromObjects(files.SelectMany(f => ManifestReader.ReadFile(f, onError)), string.Join(", ", paths), null, kinds);
    }

    /// <summary>Lists every requested kind once, cluster-wide and paged, plus the server version.</summary>
    public static async Task<AuditInventory> FromClusterAsync(
        ClusterClient cluster, IReadOnlyCollection<AuditKind> kinds, EngineLog log, CancellationToken cancellationToken)
    {
        var version = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.Version.GetCodeAsync(cancellationToken), "Reading the server version", cluster.Context.Name).ConfigureAwait(false);
        var results = new ConcurrentDictionary<AuditKind, IReadOnlyList<ManifestObject>>();
        int done = 0;
        await Parallel.ForEachAsync(
            kinds.Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = ParallelLists, CancellationToken = cancellationToken },
            async (kind, ct) =>
            {
                var list = await ListAsync(cluster, kind, log, ct).ConfigureAwait(false);
                results[kind] = list;
                int finished = Interlocked.Increment(ref done);
                log.Verbose($"Listed {list.Count} {AuditKinds.ResourceOf(kind).Resource} on '{cluster.Context.Name}'.");
                log.Progress($"Reading the cluster '{cluster.Context.Name}': {finished}/{kinds.Count} kinds", Math.Min(99, finished * 60 / Math.Max(1, kinds.Count)));
            }).ConfigureAwait(false);
        return new AuditInventory(new Dictionary<AuditKind, IReadOnlyList<ManifestObject>>(results), "cluster", offline: false, version.GitVersion);
    }

    private static Task<List<ManifestObject>> ListAsync(ClusterClient cluster, AuditKind kind, EngineLog log, CancellationToken ct)
    {
        var api = cluster.Api;
        return kind switch
        {
            AuditKind.Namespace => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListNamespaceAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.Pod => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListPodForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.ServiceAccount => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListServiceAccountForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.Secret => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListSecretForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.ResourceQuota => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListResourceQuotaForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.LimitRange => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListLimitRangeForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.Deployment => PageAsync(log, kind, "apps/v1", (c, l) => api.AppsV1.ListDeploymentForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.ReplicaSet => PageAsync(log, kind, "apps/v1", (c, l) => api.AppsV1.ListReplicaSetForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.StatefulSet => PageAsync(log, kind, "apps/v1", (c, l) => api.AppsV1.ListStatefulSetForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.DaemonSet => PageAsync(log, kind, "apps/v1", (c, l) => api.AppsV1.ListDaemonSetForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.Job => PageAsync(log, kind, "batch/v1", (c, l) => api.BatchV1.ListJobForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.CronJob => PageAsync(log, kind, "batch/v1", (c, l) => api.BatchV1.ListCronJobForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.NetworkPolicy => PageAsync(log, kind, "networking.k8s.io/v1", (c, l) => api.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.Role => PageAsync(log, kind, "rbac.authorization.k8s.io/v1", (c, l) => api.RbacAuthorizationV1.ListRoleForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.ClusterRole => PageAsync(log, kind, "rbac.authorization.k8s.io/v1", (c, l) => api.RbacAuthorizationV1.ListClusterRoleAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.RoleBinding => PageAsync(log, kind, "rbac.authorization.k8s.io/v1", (c, l) => api.RbacAuthorizationV1.ListRoleBindingForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.ClusterRoleBinding => PageAsync(log, kind, "rbac.authorization.k8s.io/v1", (c, l) => api.RbacAuthorizationV1.ListClusterRoleBindingAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.Service => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListServiceForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.Ingress => PageAsync(log, kind, "networking.k8s.io/v1", (c, l) => api.NetworkingV1.ListIngressForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            AuditKind.ConfigMap => PageAsync(log, kind, "v1", (c, l) => api.CoreV1.ListConfigMapForAllNamespacesAsync(continueParameter: c, limit: l, cancellationToken: ct)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };
    }

    private static async Task<List<ManifestObject>> PageAsync<TList>(
        EngineLog log, AuditKind kind, string apiVersion, Func<string?, int, Task<TList>> listPage)
        where TList : IMetadata<V1ListMeta>
    {
        var result = new List<ManifestObject>();
        string resource = AuditKinds.ResourceOf(kind).Resource;
        var pager = new ListPager<JsonObject>(
            async token => await ClusterLists.ReadPageAsync(() => listPage(token, PageSize), kind.ToString(), apiVersion, $"Listing {resource}", resource).ConfigureAwait(false),
            ListKeys.Of,
            $"Listing {resource}",
            log);
        while (await pager.NextAsync().ConfigureAwait(false) is { } items)
        {
            foreach (var item in items)
            {
                result.Add(new ManifestObject(Trim(kind, item), "cluster", 0));
            }
        }

        return result;
    }

    /// <summary>Drops what no check reads (status, managedFields) and every secret value except a public TLS certificate.</summary>
    private static JsonObject Trim(AuditKind kind, JsonObject body)
    {
        body.Remove("status");
        if (body["metadata"] is JsonObject metadata)
        {
            metadata.Remove("managedFields");
            if (kind == AuditKind.Secret && metadata["annotations"] is JsonObject annotations)
            {
                // kubectl apply stores the whole object, data included, in this annotation.
                annotations.Remove("kubectl.kubernetes.io/last-applied-configuration");
            }
        }

        if (kind == AuditKind.Secret)
        {
            // The API server merges stringData into data (a stringData value wins) before it validates and stores a
            // Secret, so a manifest's stringData tls.crt is the certificate, base64 like every data value. Whatever
            // else tls.crt holds (not a string, not base64) is kept so the Certificates category reports it as
            // unreadable instead of passing over it.
            string? type = body.Str("type");
            JsonNode? certificate = null;
            bool hasCertificate = false;
            if (type == "kubernetes.io/tls")
            {
                if (body["stringData"] is JsonObject stringData && stringData.TryGetPropertyValue("tls.crt", out var text))
                {
                    certificate = text is JsonValue value && value.TryGetValue<string>(out string? plain)
                        ? Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(plain))
                        : text?.DeepClone();
                    hasCertificate = true;
                }
                else if (body["data"] is JsonObject data && data.TryGetPropertyValue("tls.crt", out var encoded))
                {
                    certificate = encoded?.DeepClone();
                    hasCertificate = true;
                }
            }

            body.Remove("data");
            body.Remove("stringData");
            if (hasCertificate)
            {
                body["data"] = new JsonObject { ["tls.crt"] = certificate };
            }
        }

        return body;
    }
}

/// <summary>The apiVersion an object was written with, and where: what a Kubernetes upgrade would refuse.</summary>
public sealed record ManifestApiVersion(string ApiVersion, string Kind, string Name, string? Namespace, string? Source);
