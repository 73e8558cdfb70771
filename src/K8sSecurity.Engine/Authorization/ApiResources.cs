using System.Net.Http.Headers;
using System.Text.Json;
using k8s;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Authorization;

/// <summary>
/// The names RBAC rules and access checks are written with: API verbs, and resources as "pods", "pods/log",
/// "deployments.apps", "deployments.apps/scale" (the form -Resource accepts). From the cluster's discovery when one is
/// reachable, else from the built-in table of Kubernetes v1.32.
/// </summary>
public static class ApiResources
{
    /// <summary>The verbs of the Kubernetes API and the special verbs RBAC knows (use, bind, escalate, impersonate, approve, sign).</summary>
    public static IReadOnlyList<string> Verbs { get; } = new[]
    {
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
        "use", "bind", "escalate", "impersonate", "approve", "sign", "proxy", "*",
    };

    /// <summary>
    /// Resources of a v1.32 cluster by API group: the core group from a real server's /api/v1 discovery
    /// (shared/k8s-api-golden/69-discovery-core-v1.json), the other groups from the resources its default RBAC policy
    /// names (shared/k8s-bootstrap-rbac/v1.32.json), plus the built-in kinds that neither names
    /// (<see cref="NotInThePolicy"/>).
    /// </summary>
    private static readonly Dictionary<string, string> Table = new(StringComparer.Ordinal)
    {
        [""] = "bindings componentstatuses configmaps endpoints endpoints/finalizers endpoints/restricted events limitranges namespaces namespaces/finalize namespaces/status nodes nodes/log nodes/metrics nodes/proxy nodes/stats nodes/status persistentvolumeclaims persistentvolumeclaims/status persistentvolumes persistentvolumes/status pods pods/attach pods/binding pods/ephemeralcontainers pods/eviction pods/exec pods/finalizers pods/log pods/portforward pods/proxy pods/status podtemplates replicationcontrollers replicationcontrollers/finalizers replicationcontrollers/scale replicationcontrollers/status resourcequotas resourcequotas/status secrets serviceaccounts serviceaccounts/token services services/finalizers services/proxy services/status",
        ["admissionregistration.k8s.io"] = "validatingadmissionpolicies validatingadmissionpolicies/status",
        ["apps"] = "controllerrevisions daemonsets daemonsets/finalizers daemonsets/status deployments deployments/finalizers deployments/rollback deployments/scale deployments/status replicasets replicasets/finalizers replicasets/scale replicasets/status statefulsets statefulsets/finalizers statefulsets/scale statefulsets/status",
        ["authentication.k8s.io"] = "selfsubjectreviews tokenreviews",
        ["authorization.k8s.io"] = "localsubjectaccessreviews selfsubjectaccessreviews selfsubjectrulesreviews subjectaccessreviews",
        ["autoscaling"] = "horizontalpodautoscalers horizontalpodautoscalers/status",
        ["batch"] = "cronjobs cronjobs/finalizers cronjobs/status jobs jobs/finalizers jobs/status",
        ["certificates.k8s.io"] = "certificatesigningrequests certificatesigningrequests/approval certificatesigningrequests/nodeclient certificatesigningrequests/selfnodeclient certificatesigningrequests/status signers",
        ["coordination.k8s.io"] = "leasecandidates leases",
        ["discovery.k8s.io"] = "endpointslices endpointslices/restricted",
        ["events.k8s.io"] = "events",
        ["networking.k8s.io"] = "ingresses ingresses/status networkpolicies",
        ["node.k8s.io"] = "runtimeclasses",
        ["policy"] = "poddisruptionbudgets poddisruptionbudgets/status",
        ["rbac.authorization.k8s.io"] = "clusterroles rolebindings roles",
        ["storage.k8s.io"] = "csidrivers csinodes csistoragecapacities storageclasses volumeattachments",
    };

    /// <summary>Built-in v1.32 resources that neither the core discovery capture nor the default policy names.</summary>
    private static readonly Dictionary<string, string> NotInThePolicy = new(StringComparer.Ordinal)
    {
        ["rbac.authorization.k8s.io"] = "clusterrolebindings",
        ["apiextensions.k8s.io"] = "customresourcedefinitions",
        ["admissionregistration.k8s.io"] = "mutatingwebhookconfigurations validatingwebhookconfigurations validatingadmissionpolicybindings",
        ["apiregistration.k8s.io"] = "apiservices",
        ["scheduling.k8s.io"] = "priorityclasses",
        ["networking.k8s.io"] = "ingressclasses",
        ["flowcontrol.apiserver.k8s.io"] = "flowschemas prioritylevelconfigurations",
    };

    private static readonly Lazy<IReadOnlyList<string>> BuiltInNames = new(() =>
        Table.Concat(NotInThePolicy)
            .SelectMany(g => g.Value.Split(' ').Select(r => Name(g.Key, r)))
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .ToArray());

    /// <summary>The built-in table as -Resource names, sorted.</summary>
    public static IReadOnlyList<string> BuiltIn => BuiltInNames.Value;

    /// <summary>The built-in table as (group, resource) pairs, resource with its subresource ("pods/log").</summary>
    public static IEnumerable<(string Group, string Resource)> BuiltInByGroup =>
        Table.Concat(NotInThePolicy).SelectMany(g => g.Value.Split(' ').Select(r => (g.Key, r)));

    /// <summary>"pods/log" in group "" is "pods/log"; "deployments/scale" in "apps" is "deployments.apps/scale".</summary>
    public static string Name(string group, string resource)
    {
        if (group.Length == 0)
        {
            return resource;
        }

        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? $"{resource}.{group}" : $"{resource[..slash]}.{group}{resource[slash..]}";
    }

    /// <summary>
    /// The cluster's resources from discovery (/api/v1 and the preferred version of every group under /apis),
    /// as -Resource names, sorted. A group whose discovery fails is left out; the group list failing is an error.
    /// </summary>
    public static async Task<IReadOnlyList<string>> DiscoverAsync(ClusterClient cluster, CancellationToken cancellationToken)
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        var core = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CoreV1.GetAPIResourcesAsync(cancellationToken), "Discovering the core API resources").ConfigureAwait(false);
        foreach (var resource in core.Resources)
        {
            names.Add(resource.Name);
        }

        var groups = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.Apis.GetAPIVersionsAsync(cancellationToken), "Discovering the API groups").ConfigureAwait(false);

        // One request per group, side by side: completion waits for the slowest, not for the sum.
        var perGroup = await Task.WhenAll(groups.Groups.Select(async group =>
        {
            string? groupVersion = group.PreferredVersion?.GroupVersion ?? group.Versions.FirstOrDefault()?.GroupVersion;
            if (groupVersion is null)
            {
                return Enumerable.Empty<string>();
            }

            try
            {
                var resources = await GetGroupResourcesAsync(cluster, groupVersion, cancellationToken).ConfigureAwait(false);
                return resources.Select(resource => Name(group.Name, resource));
            }
            catch (Exception ex) when (ex is HttpRequestException or JsonException)
            {
                // An aggregated API that is down (metrics-server) must not hide the rest.
                return Enumerable.Empty<string>();
            }
        })).ConfigureAwait(false);
        foreach (var name in perGroup.SelectMany(n => n))
        {
            names.Add(name);
        }

        return names.ToArray();
    }

    /// <summary>GET /apis/&lt;group&gt;/&lt;version&gt; with the client's own credentials: the resource names listed there.</summary>
    private static async Task<IEnumerable<string>> GetGroupResourcesAsync(ClusterClient cluster, string groupVersion, CancellationToken cancellationToken)
    {
        var api = (Kubernetes)cluster.Api;
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(api.BaseUri.ToString().TrimEnd('/') + "/apis/" + groupVersion));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (api.Credentials is not null)
        {
            await api.Credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        using var response = await api.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
        using var document = await JsonDocument.ParseAsync(
            await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false), cancellationToken: cancellationToken).ConfigureAwait(false);
        return document.RootElement.GetProperty("resources").EnumerateArray()
            .Select(r => r.GetProperty("name").GetString())
            .OfType<string>()
            .ToList();
    }
}

/// <summary>Role and ClusterRole names for completion: the cluster's, or offline the default user-facing ClusterRoles.</summary>
public static class RoleNames
{
    /// <summary>The ClusterRoles of the default RBAC policy meant for people (shared/k8s-bootstrap-rbac: those not named system:*).</summary>
    public static IReadOnlyList<string> DefaultClusterRoles { get; } = new[] { "admin", "cluster-admin", "edit", "view" };

    /// <summary>ClusterRole names (namespace null) or the Role names of a namespace, sorted.</summary>
    public static async Task<IReadOnlyList<string>> ListAsync(ClusterClient cluster, string? ns, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        IEnumerable<string> names = ns is null
            ? (await ApiErrorTranslator.CallAsync(() => rbac.ListClusterRoleAsync(cancellationToken: cancellationToken), "Listing ClusterRoles").ConfigureAwait(false))
                .Items.Select(r => r.Metadata.Name)
            : (await ApiErrorTranslator.CallAsync(() => rbac.ListNamespacedRoleAsync(ns, cancellationToken: cancellationToken), "Listing Roles", ns).ConfigureAwait(false))
                .Items.Select(r => r.Metadata.Name);
        return names.Order(StringComparer.Ordinal).ToArray();
    }
}
