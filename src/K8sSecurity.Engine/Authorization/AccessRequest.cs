using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Authorization;

/// <summary>
/// What an access check asks: a resource request (verb, API group, resource, subresource, name, namespace) or a
/// non-resource request (verb, URL path) — the attributes of a SubjectAccessReview.
/// </summary>
public sealed class AccessRequest
{
    public required string Verb { get; init; }

    public string? ApiGroup { get; init; }

    /// <summary>
    /// True when the caller named the API group (-ApiGroup, or "deployments.apps"); false when the resource came
    /// without one, and <see cref="ResolveApiGroup"/> picks it as kubectl auth can-i does.
    /// </summary>
    public bool ApiGroupGiven { get; init; }

    public string? Resource { get; init; }

    public string? Subresource { get; init; }

    public string? Name { get; init; }

    /// <summary>Null or empty for cluster-scoped requests (and for "in every namespace" requests such as list --all-namespaces).</summary>
    public string? Namespace { get; init; }

    public string? NonResourceUrl { get; init; }

    public bool IsResourceRequest => NonResourceUrl is null;

    /// <summary>"get pods/log (ns team-a, name web)" or "get /healthz".</summary>
    public override string ToString()
    {
        if (!IsResourceRequest)
        {
            return $"{Verb} {NonResourceUrl}";
        }

        string resource = string.IsNullOrEmpty(Subresource) ? Resource! : $"{Resource}/{Subresource}";
        if (!string.IsNullOrEmpty(ApiGroup))
        {
            resource += "." + ApiGroup;
        }

        var where = new List<string>();
        if (!string.IsNullOrEmpty(Namespace))
        {
            where.Add($"namespace {Namespace}");
        }

        if (!string.IsNullOrEmpty(Name))
        {
            where.Add($"name {Name}");
        }

        return where.Count == 0 ? $"{Verb} {resource}" : $"{Verb} {resource} ({string.Join(", ", where)})";
    }

    /// <summary>
    /// Builds a request from user input: "pods/log" splits into resource and subresource, "deployments.apps" into
    /// resource and group (like kubectl auth can-i). Invalid combinations fail before anything is sent.
    /// </summary>
    public static AccessRequest Create(string verb, string? resource, string? subresource, string? apiGroup, string? name, string? ns, string? nonResourceUrl)
    {
        if (string.IsNullOrWhiteSpace(verb))
        {
            throw K8sOperationException.InvalidArgument("Verb", verb, "a verb is required (get, list, watch, create, update, patch, delete, deletecollection, or a custom verb such as use, bind, escalate, impersonate).");
        }

        verb = verb.Trim();
        if (!string.IsNullOrEmpty(nonResourceUrl))
        {
            if (!string.IsNullOrEmpty(resource))
            {
                throw K8sOperationException.InvalidArgument("NonResourceUrl", nonResourceUrl, "give either -Resource or -NonResourceUrl, not both.");
            }

            if (!nonResourceUrl.StartsWith('/'))
            {
                throw K8sOperationException.InvalidArgument("NonResourceUrl", nonResourceUrl, "a non-resource URL is a path starting with '/', e.g. /healthz or /metrics.");
            }

            return new AccessRequest { Verb = verb, NonResourceUrl = nonResourceUrl };
        }

        if (string.IsNullOrWhiteSpace(resource))
        {
            throw K8sOperationException.InvalidArgument("Resource", resource, "give -Resource (e.g. pods, deployments.apps, pods/exec) or -NonResourceUrl.");
        }

        string res = resource.Trim();
        int slash = res.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            if (!string.IsNullOrEmpty(subresource))
            {
                throw K8sOperationException.InvalidArgument("Resource", resource, "the resource already names a subresource; do not also give -Subresource.");
            }

            subresource = res[(slash + 1)..];
            res = res[..slash];
            if (subresource.Length == 0 || subresource.Contains('/', StringComparison.Ordinal))
            {
                throw K8sOperationException.InvalidArgument("Resource", resource, "expected 'resource' or 'resource/subresource'.");
            }
        }

        bool groupGiven = apiGroup is not null;
        int dot = res.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0)
        {
            string group = res[(dot + 1)..];
            if (!string.IsNullOrEmpty(apiGroup) && apiGroup != group)
            {
                throw K8sOperationException.InvalidArgument("ApiGroup", apiGroup, $"the resource '{resource}' already names the API group '{group}'.");
            }

            apiGroup = group;
            groupGiven = true;
            res = res[..dot];
        }

        if (res.Length == 0)
        {
            throw K8sOperationException.InvalidArgument("Resource", resource, "the resource name is empty.");
        }

        if (!string.IsNullOrEmpty(ns))
        {
            KubernetesNames.ValidateNamespace("Namespace", ns);
        }

        return new AccessRequest
        {
            Verb = verb,
            Resource = res,
            Subresource = string.IsNullOrEmpty(subresource) ? null : subresource,
            ApiGroup = apiGroup ?? string.Empty,
            Name = string.IsNullOrEmpty(name) ? null : name,
            Namespace = string.IsNullOrEmpty(ns) ? null : ns,
            ApiGroupGiven = groupGiven,
        };
    }

    /// <summary>
    /// True when the request names a resource without its API group and the core group does not serve it (in the
    /// built-in table), so <see cref="ResolveApiGroup"/> has a group to find.
    /// </summary>
    public bool NeedsApiGroup =>
        IsResourceRequest && !ApiGroupGiven && Resource != RbacRuleMatcher.All && !ApiResourceCatalog.BuiltIn.CoreServes(Resource!);

    /// <summary>
    /// The request with the API group kubectl auth can-i uses for a resource named without one ("deployments" is
    /// deployments.apps): the core group when it serves the resource, else the one group of <paramref name="catalog"/>
    /// that does. A resource several other groups serve is an error naming them; a resource no group serves stays in
    /// the core group with a warning, as kubectl warns ("the server doesn't have a resource type").
    /// </summary>
    public AccessRequest ResolveApiGroup(ApiResourceCatalog catalog, EngineLog log)
    {
        if (!IsResourceRequest || ApiGroupGiven || Resource == RbacRuleMatcher.All)
        {
            return this;
        }

        var serving = catalog.GroupsServing(Resource!);
        if (serving.Count == 0)
        {
            log.Warning($"No API group serves a resource '{Resource}' ({catalog.Origin}); checked '{this}' in the core group. Give -ApiGroup (or -Resource {Resource}.<group>) for a resource of another group.");
            return this;
        }

        if (serving[0].Length == 0)
        {
            return this;
        }

        if (serving.Count > 1)
        {
            throw K8sOperationException.InvalidArgument("Resource", Resource, $"several API groups serve '{Resource}' ({catalog.Origin}): {string.Join(", ", serving)}; give -ApiGroup or -Resource {Resource}.<group>.");
        }

        var resolved = new AccessRequest
        {
            Verb = Verb,
            Resource = Resource,
            Subresource = Subresource,
            ApiGroup = serving[0],
            Name = Name,
            Namespace = Namespace,
            ApiGroupGiven = true,
        };
        log.Verbose($"'{Resource}' is served by the API group '{serving[0]}' ({catalog.Origin}): checking '{resolved}', as kubectl auth can-i does.");
        return resolved;
    }
}

/// <summary>Who is asking: the SubjectAccessReview user and groups.</summary>
public sealed class RbacIdentity
{
    private const string AllAuthenticated = "system:authenticated";
    private const string AllUnauthenticated = "system:unauthenticated";
    private const string Anonymous = "system:anonymous";

    public string? UserName { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = Array.Empty<string>();

    /// <summary>
    /// -User/-Group/-ServiceAccount: a user with the given groups plus the group every request of that user really
    /// carries (the API server's AuthenticatedGroupAdder, and kubectl --as through impersonation: system:authenticated,
    /// or system:unauthenticated for system:anonymous, unless either is given); a group alone; a service account with
    /// system:serviceaccounts, system:serviceaccounts:&lt;ns&gt; and system:authenticated. Without the implied group a
    /// right granted to all authenticated users would be answered "no" although the user has it.
    /// </summary>
    public static RbacIdentity From(string? user, IEnumerable<string>? groups, RbacSubject? serviceAccount)
    {
        var groupList = (groups ?? Enumerable.Empty<string>()).Where(g => !string.IsNullOrWhiteSpace(g)).Select(g => g.Trim()).ToList();
        if (serviceAccount is not null)
        {
            if (!string.IsNullOrEmpty(user))
            {
                throw K8sOperationException.InvalidArgument("User", user, "give either -User or -ServiceAccount, not both.");
            }

            foreach (string implied in new[] { "system:serviceaccounts", $"system:serviceaccounts:{serviceAccount.Namespace}", "system:authenticated" })
            {
                if (!groupList.Contains(implied, StringComparer.Ordinal))
                {
                    groupList.Add(implied);
                }
            }

            return new RbacIdentity { UserName = serviceAccount.UserName, Groups = groupList };
        }

        if (string.IsNullOrWhiteSpace(user) && groupList.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("User", user, "give -User, -Group or -ServiceAccount (or none of them to check the caller).");
        }

        string? userName = string.IsNullOrWhiteSpace(user) ? null : user.Trim();
        if (userName is not null && !groupList.Contains(AllAuthenticated, StringComparer.Ordinal) && !groupList.Contains(AllUnauthenticated, StringComparer.Ordinal))
        {
            groupList.Add(userName == Anonymous ? AllUnauthenticated : AllAuthenticated);
        }

        return new RbacIdentity { UserName = userName, Groups = groupList.Distinct(StringComparer.Ordinal).ToList() };
    }

    public override string ToString()
    {
        if (UserName is null)
        {
            return $"group {string.Join(", ", Groups)}";
        }

        return Groups.Count == 0 ? UserName : $"{UserName} (groups {string.Join(", ", Groups)})";
    }
}
