using System.Net.Http.Headers;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Authorization;

/// <summary>
/// Which resources (and subresources) each API group serves, so an RBAC rule that names a resource no group of it
/// serves — and that would therefore grant nothing — is caught before it is written ("deployments" in the core group:
/// did you mean apps/deployments?). Either a cluster's own discovery, or the built-in table: the core group as a real
/// v1.32 kube-apiserver's discovery lists it (../shared/k8s-api-golden/69-discovery-core-v1.json), every other built-in
/// group from the API types of the KubernetesClient library (generated from the Kubernetes OpenAPI), and the resources
/// the default RBAC policy itself names (reviews, signers, kubelet and impersonation resources). Groups the table does
/// not know (custom resources, aggregated APIs) are accepted offline.
/// </summary>
public sealed class ApiResourceCatalog
{
    /// <summary>Verbs of resource rules the API server knows: the standard ones and RBAC's special verbs.</summary>
    public static IReadOnlyList<string> ResourceVerbs { get; } = new[]
    {
        "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection",
        "use", "bind", "escalate", "impersonate", "approve", "sign", "attest", "proxy",
    };

    /// <summary>Verbs of non-resource rules: the lower-cased HTTP methods.</summary>
    public static IReadOnlyList<string> NonResourceVerbs { get; } = new[] { "get", "post", "put", "patch", "delete", "head", "options" };

    private static readonly ConditionalWeakTable<ClusterClient, Task<ApiResourceCatalog>> Discovered = new();

    /// <summary>Core-group resources and subresources served by kube-apiserver v1.32 (its /api/v1 discovery).</summary>
    private static readonly string[] CoreV132 =
    {
        "bindings", "componentstatuses", "configmaps", "endpoints", "events", "limitranges", "namespaces", "namespaces/finalize",
        "namespaces/status", "nodes", "nodes/proxy", "nodes/status", "persistentvolumeclaims", "persistentvolumeclaims/status",
        "persistentvolumes", "persistentvolumes/status", "pods", "pods/attach", "pods/binding", "pods/ephemeralcontainers", "pods/eviction",
        "pods/exec", "pods/log", "pods/portforward", "pods/proxy", "pods/status", "podtemplates", "replicationcontrollers",
        "replicationcontrollers/scale", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status", "secrets",
        "serviceaccounts", "serviceaccounts/token", "services", "services/proxy", "services/status",
    };

    /// <summary>
    /// Resources that exist only for authorization: impersonation targets, the kubelet's authorization of its own API
    /// (nodes/stats, nodes/log… and the fine-grained ones of KubeletFineGrainedAuthz), and Pod resize (v1.33+).
    /// </summary>
    private static readonly (string Group, string Resource)[] AuthorizationOnly =
    {
        ("", "users"), ("", "groups"), ("", "nodes/stats"), ("", "nodes/log"), ("", "nodes/spec"), ("", "nodes/metrics"),
        ("", "nodes/configz"), ("", "nodes/healthz"), ("", "nodes/pods"), ("", "nodes/checkpoint"), ("", "pods/resize"),
        ("authentication.k8s.io", "uids"), ("authentication.k8s.io", "userextras"),
    };

    /// <summary>Subresources whose name is free (userextras/&lt;extra key&gt;) or that every resource has for RBAC.</summary>
    private static readonly HashSet<string> AnySubresource = new(StringComparer.Ordinal) { "authentication.k8s.io/userextras" };

    private readonly Dictionary<string, Dictionary<string, HashSet<string>>> groups;

    private ApiResourceCatalog(Dictionary<string, Dictionary<string, HashSet<string>>> groups, string origin, bool complete)
    {
        this.groups = groups;
        Origin = origin;
        Complete = complete;
    }

    /// <summary>The built-in table (offline).</summary>
    public static ApiResourceCatalog BuiltIn { get; } = BuildBuiltIn();

    /// <summary>"the built-in API table" or "the discovery of https://…".</summary>
    public string Origin { get; }

    /// <summary>True for a cluster's discovery: a group it does not serve does not exist there.</summary>
    public bool Complete { get; }

    /// <summary>
    /// A cluster's discovery (/api/v1, /apis and every group version), asked once per client; groups the built-in table
    /// knows are merged in for the authorization-only resources discovery does not list.
    /// </summary>
    public static Task<ApiResourceCatalog> DiscoverAsync(ClusterClient cluster, CancellationToken cancellationToken) =>
        Discovered.GetValue(cluster, c => DiscoverCoreAsync(c, cancellationToken));

    /// <summary>Null when an RBAC rule may name <paramref name="resource"/> in any of <paramref name="apiGroups"/>; else why not.</summary>
    public string? Check(IReadOnlyList<string> apiGroups, string resource)
    {
        if (resource == RbacRuleMatcher.All || apiGroups.Contains(RbacRuleMatcher.All))
        {
            return null;
        }

        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        string main = slash < 0 ? resource : resource[..slash];
        string? sub = slash < 0 ? null : resource[(slash + 1)..];
        if (main == RbacRuleMatcher.All)
        {
            return null; // "*/scale": that subresource of every resource
        }

        if (sub == RbacRuleMatcher.All)
        {
            return $"'{resource}' matches nothing: RBAC has no wildcard for one resource's subresources; list them ({main}/status, {main}/scale…) or use '*/<subresource>'.";
        }

        bool unknownGroup = false;
        foreach (string group in apiGroups)
        {
            if (!groups.TryGetValue(group, out var resources))
            {
                unknownGroup = true;
                continue;
            }

            // Any resource may be named with /finalizers (owner-reference permission checks); the built-in table does not
            // know the subresources of groups other than the core one beyond those the default policy names, so it
            // accepts their status subresource.
            if (resources.TryGetValue(main, out var subresources) && (sub is null || sub == "finalizers" || (sub == "status" && !Complete && group.Length > 0)
                || subresources.Contains(sub) || AnySubresource.Contains($"{group}/{main}")))
            {
                return null;
            }
        }

        if (unknownGroup && !Complete)
        {
            return null; // a custom resource's or aggregated API's group: nothing to check offline
        }

        string where = string.Join(" or ", apiGroups.Select(g => g.Length == 0 ? "the core group" : $"group '{g}'"));
        if (sub is not null && apiGroups.Any(g => groups.TryGetValue(g, out var r) && r.ContainsKey(main)))
        {
            var known = apiGroups.SelectMany(g => groups.TryGetValue(g, out var r) && r.TryGetValue(main, out var s) ? s : Enumerable.Empty<string>())
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            return $"'{main}' in {where} has no subresource '{sub}' ({Origin}; its subresources: {(known.Count == 0 ? "none" : string.Join(", ", known))}).";
        }

        var elsewhere = groups.Where(g => !apiGroups.Contains(g.Key) && g.Value.ContainsKey(main)).Select(g => g.Key).Order(StringComparer.Ordinal).ToList();
        if (elsewhere.Count > 0)
        {
            string suggestions = string.Join(" or ", elsewhere.Select(g => g.Length == 0 ? resource : $"{g}/{resource}"));
            return $"{where} serves no resource '{main}' ({Origin}); did you mean {suggestions}? Give -ApiGroup {(elsewhere[0].Length == 0 ? "''" : elsewhere[0])} or -Resource {main}{(elsewhere[0].Length == 0 ? string.Empty : "." + elsewhere[0])}{(sub is null ? string.Empty : "/" + sub)}.";
        }

        var similar = apiGroups.SelectMany(g => groups.TryGetValue(g, out var r) ? r.Keys : Enumerable.Empty<string>())
            .Where(name => Distance(name, main) <= 2 || name == main + "s" || name == main + "es")
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        return similar.Count > 0
            ? $"{where} serves no resource '{main}' ({Origin}); did you mean {string.Join(" or ", similar)}? RBAC names resources in the plural."
            : $"{where} serves no resource '{main}' ({Origin}).";
    }

    /// <summary>True when the core group serves <paramref name="resource"/> ("pods", "pods/exec": the part before '/').</summary>
    public bool CoreServes(string resource) => GroupsServing(resource).FirstOrDefault() is { Length: 0 };

    /// <summary>
    /// The API groups that serve <paramref name="resource"/> (the part before '/'), the core group first: the groups
    /// kubectl auth can-i chooses from for a resource named without its group (its REST mapper takes the core group's
    /// resource over any other).
    /// </summary>
    public IReadOnlyList<string> GroupsServing(string resource)
    {
        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        string main = slash < 0 ? resource : resource[..slash];
        return groups.Where(g => g.Value.ContainsKey(main)).Select(g => g.Key)
            .OrderBy(g => g.Length == 0 ? 0 : 1).ThenBy(g => g, StringComparer.Ordinal).ToList();
    }

    /// <summary>Every resource name (without subresource) of the table, for tests.</summary>
    internal IEnumerable<string> ResourceNames => groups.Values.SelectMany(r => r.Keys).Distinct(StringComparer.Ordinal);

    /// <summary>A table of the given (group, resource) pairs, for tests.</summary>
    internal static ApiResourceCatalog FromResources(IEnumerable<(string Group, string Resource)> resources, string origin)
    {
        var table = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        foreach (var (group, resource) in resources)
        {
            Add(table, group, resource);
        }

        return new ApiResourceCatalog(table, origin, complete: true);
    }

    /// <summary>Null when <paramref name="verb"/> is a verb the API server knows for this kind of rule; else why not, with the nearest verb.</summary>
    public static string? CheckVerb(string verb, bool nonResource)
    {
        var known = nonResource ? NonResourceVerbs : ResourceVerbs;
        if (verb == RbacRuleMatcher.All || known.Contains(verb, StringComparer.Ordinal))
        {
            return null;
        }

        string? nearest = known.Where(k => Distance(k, verb) <= 2).OrderBy(k => Distance(k, verb)).FirstOrDefault();
        return $"'{verb}' is not a verb the API server uses for {(nonResource ? "non-resource URLs" : "resources")}"
            + (nearest is null ? string.Empty : $" (did you mean {nearest}?)")
            + $"; known verbs: {string.Join(", ", known)}. A custom verb (for an aggregated API or a webhook authorizer) needs -AllowCustomVerb.";
    }

    private static ApiResourceCatalog BuildBuiltIn()
    {
        var table = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        foreach (string resource in CoreV132)
        {
            Add(table, string.Empty, resource);
        }

        foreach (var type in typeof(V1Pod).Assembly.GetTypes())
        {
            if (type.GetCustomAttribute<KubernetesEntityAttribute>() is { PluralName: { Length: > 0 } plural, Kind: { } kind } entity
                && !kind.EndsWith("List", StringComparison.Ordinal) && !string.IsNullOrEmpty(entity.Group))
            {
                Add(table, entity.Group, plural);
            }
        }

        foreach (var (group, resource) in RbacNames(table.Keys.ToHashSet(StringComparer.Ordinal)))
        {
            Add(table, group, resource);
        }

        return new ApiResourceCatalog(table, "the built-in API table", complete: false);
    }

    /// <summary>
    /// What RBAC rules name that discovery may not list: every resource the default policy names in a group the API
    /// server itself serves (reviews, signers, scale/status/approval subresources, endpoints/restricted…; not aggregated
    /// APIs such as metrics.k8s.io, nor the long removed extensions group), and the authorization-only resources.
    /// </summary>
    private static IEnumerable<(string Group, string Resource)> RbacNames(IReadOnlySet<string> servedGroups)
    {
        foreach (var rule in DefaultRbacPolicy.Newest.Roles.SelectMany(r => r.Rules))
        {
            foreach (string group in rule.ApiGroups.Where(g => g.Length == 0 || servedGroups.Contains(g)
                || (g.EndsWith(".k8s.io", StringComparison.Ordinal) && !g.Contains("metrics", StringComparison.Ordinal))))
            {
                foreach (string resource in rule.Resources.Where(r => !r.StartsWith('*')))
                {
                    yield return (group, resource);
                }
            }
        }

        foreach (var name in AuthorizationOnly)
        {
            yield return name;
        }
    }

    private static async Task<ApiResourceCatalog> DiscoverCoreAsync(ClusterClient cluster, CancellationToken cancellationToken)
    {
        var table = new Dictionary<string, Dictionary<string, HashSet<string>>>(StringComparer.Ordinal);
        var core = await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.GetAPIResourcesAsync(cancellationToken), "Reading the API discovery (/api/v1)").ConfigureAwait(false);
        foreach (var resource in core.Resources ?? Enumerable.Empty<V1APIResource>())
        {
            Add(table, string.Empty, resource.Name);
        }

        var apiGroups = await ApiErrorTranslator.CallAsync(() => cluster.Api.Apis.GetAPIVersionsAsync(cancellationToken), "Reading the API discovery (/apis)").ConfigureAwait(false);
        foreach (var group in apiGroups.Groups ?? Enumerable.Empty<V1APIGroup>())
        {
            table.TryAdd(group.Name, new Dictionary<string, HashSet<string>>(StringComparer.Ordinal));
            foreach (var version in group.Versions ?? Enumerable.Empty<V1GroupVersionForDiscovery>())
            {
                foreach (string name in await ResourceNamesAsync(cluster, version.GroupVersion, cancellationToken).ConfigureAwait(false))
                {
                    Add(table, group.Name, name);
                }
            }
        }

        // Discovery does not list what exists only for authorization (impersonation, kubelet and signer resources).
        var served = table.Keys.ToHashSet(StringComparer.Ordinal);
        foreach (var (group, resource) in RbacNames(served).Where(n => served.Contains(n.Group)))
        {
            Add(table, group, resource);
        }

        return new ApiResourceCatalog(table, $"the discovery of {cluster.Server}", complete: true);
    }

    /// <summary>GET /apis/&lt;group&gt;/&lt;version&gt;: the typed client has no call for groups it does not know (custom resources).</summary>
    private static async Task<IReadOnlyList<string>> ResourceNamesAsync(ClusterClient cluster, string groupVersion, CancellationToken cancellationToken)
    {
        if (cluster.Api is not Kubernetes api)
        {
            return Array.Empty<string>();
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(api.BaseUri, $"apis/{groupVersion}"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (api.Credentials is not null)
        {
            await api.Credentials.ProcessHttpRequestAsync(request, cancellationToken).ConfigureAwait(false);
        }

        using var response = await api.HttpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            // An aggregated API that is down (503) serves nothing now; rules for it are judged as for an unknown group.
            return Array.Empty<string>();
        }

        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        using var document = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken).ConfigureAwait(false);
        return document.RootElement.TryGetProperty("resources", out var resources) && resources.ValueKind == JsonValueKind.Array
            ? resources.EnumerateArray().Select(r => r.TryGetProperty("name", out var n) ? n.GetString() : null).OfType<string>().ToList()
            : Array.Empty<string>();
    }

    private static void Add(Dictionary<string, Dictionary<string, HashSet<string>>> table, string group, string resource)
    {
        if (!table.TryGetValue(group, out var resources))
        {
            table[group] = resources = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        }

        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        string main = slash < 0 ? resource : resource[..slash];
        if (!resources.TryGetValue(main, out var subresources))
        {
            resources[main] = subresources = new HashSet<string>(StringComparer.Ordinal);
        }

        if (slash >= 0)
        {
            subresources.Add(resource[(slash + 1)..]);
        }
    }

    /// <summary>Levenshtein distance, for "did you mean".</summary>
    private static int Distance(string a, string b)
    {
        var previous = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var current = new int[b.Length + 1];
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            }

            previous = current;
        }

        return previous[b.Length];
    }
}
