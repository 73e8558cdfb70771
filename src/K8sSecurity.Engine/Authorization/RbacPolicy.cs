namespace K8sSecurity.Engine.Authorization;

/// <summary>
/// An offline copy of a cluster's RBAC (Roles, ClusterRoles, RoleBindings, ClusterRoleBindings) that answers
/// exactly like the Kubernetes RBAC authorizer: ClusterRoleBindings apply everywhere, RoleBindings only in their
/// namespace (also when they refer to a ClusterRole), subjects match by appliesTo (User by name, Group by
/// membership, ServiceAccount by "system:serviceaccount:ns:name", defaulting an empty namespace to the
/// RoleBinding's), aggregated ClusterRoles hold the union of the rules of the ClusterRoles their selectors pick.
/// Indexed by namespace and role so who-can stays fast on large clusters.
/// </summary>
public sealed class RbacPolicy
{
    private static readonly IReadOnlyList<RbacBinding> NoBindings = Array.Empty<RbacBinding>();

    private readonly Dictionary<string, RbacRole> clusterRoles = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Namespace, string Name), RbacRole> roles = new();
    private readonly Dictionary<string, List<RbacRole>> rolesByNamespace = new(StringComparer.Ordinal);
    private readonly List<RbacBinding> clusterRoleBindings = new();
    private readonly Dictionary<string, List<RbacBinding>> roleBindingsByNamespace = new(StringComparer.Ordinal);

    private readonly IReadOnlyList<RbacRole> inputRoles;
    private readonly IReadOnlyList<RbacBinding> inputBindings;

    /// <summary>
    /// Inputs ("file:line: why") that could not be read when the policy came from manifests: answers from this
    /// policy may be wrong, so every answer carries the list.
    /// </summary>
    public IReadOnlyList<string> SkippedInputs { get; init; } = Array.Empty<string>();

    public RbacPolicy(IEnumerable<RbacRole> allRoles, IEnumerable<RbacBinding> allBindings)
        : this(allRoles, allBindings, null)
    {
    }

    private RbacPolicy(IEnumerable<RbacRole> allRoles, IEnumerable<RbacBinding> allBindings, DefaultRbacPolicy? defaults)
    {
        inputRoles = allRoles.ToList();
        inputBindings = allBindings.ToList();
        Defaults = defaults;
        var rawClusterRoles = new Dictionary<string, RbacRole>(StringComparer.Ordinal);
        foreach (var role in inputRoles)
        {
            if (role.Kind == RbacRoleKind.ClusterRole)
            {
                rawClusterRoles[role.Name] = role;
            }
            else if (role.Namespace is { Length: > 0 } ns)
            {
                roles[(ns, role.Name)] = role;
            }
        }

        foreach (var role in Aggregate(rawClusterRoles))
        {
            clusterRoles[role.Name] = role;
        }

        foreach (var role in roles.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
        {
            GetOrAdd(rolesByNamespace, role.Namespace!).Add(role);
        }

        foreach (var binding in inputBindings.OrderBy(b => b.Name, StringComparer.Ordinal))
        {
            if (binding.Kind == RbacBindingKind.ClusterRoleBinding)
            {
                clusterRoleBindings.Add(binding);
            }
            else if (binding.Namespace is { Length: > 0 } ns)
            {
                GetOrAdd(roleBindingsByNamespace, ns).Add(binding);
            }
        }
    }

    /// <summary>The default policy this policy was completed with (<see cref="WithDefaults"/>); null when none.</summary>
    public DefaultRbacPolicy? Defaults { get; }

    public IEnumerable<RbacRole> ClusterRoles => clusterRoles.Values.OrderBy(r => r.Name, StringComparer.Ordinal);

    public IEnumerable<RbacRole> Roles => rolesByNamespace.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value);

    public IReadOnlyList<RbacBinding> ClusterRoleBindings => clusterRoleBindings;

    public IEnumerable<RbacBinding> RoleBindings => roleBindingsByNamespace.OrderBy(kv => kv.Key, StringComparer.Ordinal).SelectMany(kv => kv.Value);

    public IEnumerable<RbacBinding> AllBindings => clusterRoleBindings.Concat(RoleBindings);

    public IEnumerable<string> Namespaces => rolesByNamespace.Keys.Union(roleBindingsByNamespace.Keys).Order(StringComparer.Ordinal);

    public bool TryGetClusterRole(string name, out RbacRole role) => clusterRoles.TryGetValue(name, out role!);

    public bool TryGetRole(string ns, string name, out RbacRole role) => roles.TryGetValue((ns, name), out role!);

    /// <summary>
    /// This policy with the cluster's default policy: objects equal to a default object are marked
    /// <see cref="RbacRole.IsDefault"/>, and with <paramref name="addMissing"/> every default object the input does not
    /// define (same kind, namespace and name) is added, as every cluster of that version holds it; the input wins.
    /// Aggregation then runs over both, so user ClusterRoles labelled aggregate-to-admin/edit/view feed the built-in
    /// roles as the aggregation controller does.
    /// </summary>
    public RbacPolicy WithDefaults(DefaultRbacPolicy defaults, bool addMissing)
    {
        var roles = inputRoles.Select(r => defaults.IsDefault(r) ? r.With(isDefault: true) : r.IsDefault ? r.With(isDefault: false) : r).ToList();
        var bindings = inputBindings.Select(b => b.IsDefault != defaults.IsDefault(b) ? b.With(!b.IsDefault) : b).ToList();
        if (addMissing)
        {
            var roleKeys = roles.Select(r => (r.Kind, r.Namespace ?? string.Empty, r.Name)).ToHashSet();
            var bindingKeys = bindings.Select(b => (b.Kind, b.Namespace ?? string.Empty, b.Name)).ToHashSet();
            roles.AddRange(defaults.Roles.Where(r => !roleKeys.Contains((r.Kind, r.Namespace ?? string.Empty, r.Name))));
            bindings.AddRange(defaults.Bindings.Where(b => !bindingKeys.Contains((b.Kind, b.Namespace ?? string.Empty, b.Name))));
        }

        return new RbacPolicy(roles, bindings, defaults) { SkippedInputs = SkippedInputs };
    }

    /// <summary>The rules a binding's roleRef resolves to (GetRoleReferenceRules); null when the role is missing.</summary>
    public RbacRole? ResolveRole(RbacBinding binding)
    {
        if (binding.RoleKind == RbacRoleKind.ClusterRole)
        {
            return clusterRoles.TryGetValue(binding.RoleName, out var clusterRole) ? clusterRole : null;
        }

        // A ClusterRoleBinding to a Role looks the Role up in namespace "": it never resolves.
        return binding.Namespace is { Length: > 0 } ns && roles.TryGetValue((ns, binding.RoleName), out var role) ? role : null;
    }

    /// <summary>The RBAC authorizer's decision for <paramref name="identity"/>, with every grant that allows it.</summary>
    public RbacDecision Authorize(RbacIdentity identity, AccessRequest request)
    {
        var grants = new List<RbacGrant>();
        foreach (var binding in BindingsInScope(request.Namespace))
        {
            var subject = AppliesTo(identity, binding);
            if (subject is null)
            {
                continue;
            }

            var role = ResolveRole(binding);
            if (role is null)
            {
                continue;
            }

            foreach (var rule in role.Rules)
            {
                if (RbacRuleMatcher.RuleAllows(request, rule))
                {
                    grants.Add(NewGrant(subject, binding, role, rule));
                    break;
                }
            }
        }

        return grants.Count > 0
            ? new RbacDecision { Allowed = true, Reason = grants[0].Describe(), Grants = grants }
            : new RbacDecision { Allowed = false, Reason = $"RBAC: no binding grants {identity} \"{request}\"" };
    }

    /// <summary>
    /// Who can do <paramref name="request"/>: every subject of every binding whose role allows it, in the request's
    /// namespace (RoleBindings there and every ClusterRoleBinding), or, with <paramref name="allNamespaces"/>, in any
    /// namespace (each answer says where). Subjects that can never match (a ClusterRoleBinding's service account without
    /// namespace, unknown kinds) are left out.
    /// </summary>
    public IReadOnlyList<RbacSubjectAccess> WhoCan(AccessRequest request, bool allNamespaces = false)
    {
        var matchingRule = new Dictionary<RbacRole, RbacPolicyRule?>(ReferenceEqualityComparer.Instance);
        RbacPolicyRule? FirstAllowingRule(RbacRole role)
        {
            if (!matchingRule.TryGetValue(role, out var rule))
            {
                rule = null;
                foreach (var candidate in role.Rules)
                {
                    if (RbacRuleMatcher.RuleAllows(request, candidate))
                    {
                        rule = candidate;
                        break;
                    }
                }

                matchingRule[role] = rule;
            }

            return rule;
        }

        IEnumerable<RbacBinding> bindings = allNamespaces && request.IsResourceRequest
            ? clusterRoleBindings.Concat(RoleBindings)
            : BindingsInScope(request.Namespace);
        string requestText = request.ToString();
        var results = new List<RbacSubjectAccess>();
        foreach (var binding in bindings)
        {
            var role = ResolveRole(binding);
            if (role is null || FirstAllowingRule(role) is not { } rule)
            {
                continue;
            }

            foreach (var subject in binding.Subjects)
            {
                if (Normalize(subject, binding) is { } normalized)
                {
                    results.Add(new RbacSubjectAccess { Subject = normalized, Grant = NewGrant(normalized, binding, role, rule), Request = requestText });
                }
            }
        }

        return results;
    }

    /// <summary>
    /// Every rule <paramref name="identity"/> holds in <paramref name="ns"/> (ClusterRoleBindings plus that namespace's
    /// RoleBindings), or everywhere when <paramref name="ns"/> is null.
    /// </summary>
    public IReadOnlyList<RbacGrant> RulesFor(RbacIdentity identity, string? ns)
    {
        IEnumerable<RbacBinding> bindings = ns is null ? AllBindings : BindingsInScope(ns);
        var grants = new List<RbacGrant>();
        foreach (var binding in bindings)
        {
            if (AppliesTo(identity, binding) is not { } subject || ResolveRole(binding) is not { } role)
            {
                continue;
            }

            grants.AddRange(role.Rules.Select(rule => NewGrant(subject, binding, role, rule)));
        }

        return grants;
    }

    /// <summary>ClusterRoleBindings, then the RoleBindings of <paramref name="ns"/> (VisitRulesFor order).</summary>
    public IEnumerable<RbacBinding> BindingsInScope(string? ns)
    {
        var namespaced = string.IsNullOrEmpty(ns) ? NoBindings : roleBindingsByNamespace.GetValueOrDefault(ns) ?? NoBindings;
        return clusterRoleBindings.Concat(namespaced);
    }

    /// <summary>The binding subject that applies to <paramref name="identity"/> (first one, like appliesTo), normalized.</summary>
    public static RbacSubject? AppliesTo(RbacIdentity identity, RbacBinding binding)
    {
        string bindingNamespace = binding.Kind == RbacBindingKind.RoleBinding ? binding.Namespace ?? string.Empty : string.Empty;
        foreach (var subject in binding.Subjects)
        {
            switch (subject.Kind)
            {
                case RbacSubjectKind.User when identity.UserName is not null && identity.UserName == subject.Name:
                    return subject;
                case RbacSubjectKind.Group when identity.Groups.Contains(subject.Name, StringComparer.Ordinal):
                    return subject;
                case RbacSubjectKind.ServiceAccount:
                    string saNamespace = string.IsNullOrEmpty(subject.Namespace) ? bindingNamespace : subject.Namespace;
                    if (saNamespace.Length > 0 && identity.UserName is { } user && MatchesServiceAccount(user, saNamespace, subject.Name))
                    {
                        return subject with { Namespace = saNamespace };
                    }

                    break;
            }
        }

        return null;
    }

    /// <summary>serviceaccount.MatchesUsername: "system:serviceaccount:" + ns + ":" + name, compared without allocating.</summary>
    private static bool MatchesServiceAccount(string user, string ns, string name)
    {
        const string prefix = RbacSubject.ServiceAccountUserPrefix;
        return user.Length == prefix.Length + ns.Length + 1 + name.Length
            && user.StartsWith(prefix, StringComparison.Ordinal)
            && string.CompareOrdinal(user, prefix.Length, ns, 0, ns.Length) == 0
            && user[prefix.Length + ns.Length] == ':'
            && string.CompareOrdinal(user, prefix.Length + ns.Length + 1, name, 0, name.Length) == 0;
    }

    private static RbacSubject? Normalize(RbacSubject subject, RbacBinding binding)
    {
        if (subject.Kind != RbacSubjectKind.ServiceAccount)
        {
            return subject;
        }

        string? ns = string.IsNullOrEmpty(subject.Namespace) ? (binding.Kind == RbacBindingKind.RoleBinding ? binding.Namespace : null) : subject.Namespace;
        return string.IsNullOrEmpty(ns) ? null : subject with { Namespace = ns };
    }

    private static RbacGrant NewGrant(RbacSubject subject, RbacBinding binding, RbacRole role, RbacPolicyRule rule) => new()
    {
        Subject = subject,
        BindingKind = binding.Kind,
        BindingName = binding.Name,
        BindingNamespace = binding.Kind == RbacBindingKind.RoleBinding ? binding.Namespace : null,
        RoleKind = binding.RoleKind,
        RoleName = binding.RoleName,
        Rule = rule,
        BindingSource = binding.Source,
        RoleSource = role.Source,
        FromDefaultPolicy = binding.IsDefault && role.IsDefault,
    };

    /// <summary>
    /// The clusterrole-aggregation controller, run to its fixed point: an aggregated ClusterRole's rules are replaced
    /// by the de-duplicated union of the rules of every other ClusterRole any of its selectors matches (chains such as
    /// view → edit → admin converge the way the controller's re-syncs do).
    /// </summary>
    private static IEnumerable<RbacRole> Aggregate(Dictionary<string, RbacRole> raw)
    {
        var aggregated = raw.Values.Where(r => r.IsAggregated).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        if (aggregated.Count == 0)
        {
            return raw.Values;
        }

        var current = raw.ToDictionary(kv => kv.Key, kv => kv.Value.Rules, StringComparer.Ordinal);
        var sources = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var sorted = raw.Values.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        for (int round = 0; round <= raw.Count; round++)
        {
            bool changed = false;
            foreach (var target in aggregated)
            {
                var union = new List<RbacPolicyRule>();
                var seen = new HashSet<RbacPolicyRule>();
                var from = new List<string>();
                foreach (var candidate in sorted)
                {
                    if (candidate.Name == target.Name || !target.AggregationSelectors!.Any(s => s.Matches(candidate.Labels)))
                    {
                        continue;
                    }

                    from.Add(candidate.Name);
                    foreach (var rule in current[candidate.Name])
                    {
                        if (seen.Add(rule))
                        {
                            union.Add(rule);
                        }
                    }
                }

                sources[target.Name] = from;
                if (!union.SequenceEqual(current[target.Name]))
                {
                    current[target.Name] = union;
                    changed = true;
                }
            }

            if (!changed)
            {
                break;
            }
        }

        return raw.Values.Select(r => r.IsAggregated ? r.With(rules: current[r.Name], aggregatedFrom: sources[r.Name]) : r);
    }

    private static List<T> GetOrAdd<T>(Dictionary<string, List<T>> map, string key)
    {
        if (!map.TryGetValue(key, out var list))
        {
            list = new List<T>();
            map[key] = list;
        }

        return list;
    }
}
