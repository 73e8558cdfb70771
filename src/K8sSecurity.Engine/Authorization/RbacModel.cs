using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Authorization;

/// <summary>One RBAC policy rule (rbac.authorization.k8s.io/v1 PolicyRule), immutable.</summary>
public sealed class RbacPolicyRule : IEquatable<RbacPolicyRule>
{
    public IReadOnlyList<string> Verbs { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> ApiGroups { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> Resources { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> ResourceNames { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> NonResourceUrls { get; init; } = Array.Empty<string>();

    public bool IsNonResourceRule => NonResourceUrls.Count > 0 && Resources.Count == 0;

    /// <summary>kubectl describe-like text: "get,list pods,pods/log [apps] names=a,b" or "get /healthz".</summary>
    public override string ToString()
    {
        string verbs = string.Join(',', Verbs);
        if (Resources.Count == 0 && NonResourceUrls.Count > 0)
        {
            return $"{verbs} {string.Join(',', NonResourceUrls)}";
        }

        string groups = string.Join(',', ApiGroups.Select(g => g.Length == 0 ? "core" : g));
        string text = $"{verbs} {string.Join(',', Resources)} [{groups}]";
        if (ResourceNames.Count > 0)
        {
            text += $" names={string.Join(',', ResourceNames)}";
        }

        if (NonResourceUrls.Count > 0)
        {
            text += $" urls={string.Join(',', NonResourceUrls)}";
        }

        return text;
    }

    public bool Equals(RbacPolicyRule? other) =>
        other is not null
        && Verbs.SequenceEqual(other.Verbs, StringComparer.Ordinal)
        && ApiGroups.SequenceEqual(other.ApiGroups, StringComparer.Ordinal)
        && Resources.SequenceEqual(other.Resources, StringComparer.Ordinal)
        && ResourceNames.SequenceEqual(other.ResourceNames, StringComparer.Ordinal)
        && NonResourceUrls.SequenceEqual(other.NonResourceUrls, StringComparer.Ordinal);

    public override bool Equals(object? obj) => obj is RbacPolicyRule other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var list in new[] { Verbs, ApiGroups, Resources, ResourceNames, NonResourceUrls })
        {
            hash.Add(list.Count);
            foreach (string item in list)
            {
                hash.Add(item, StringComparer.Ordinal);
            }
        }

        return hash.ToHashCode();
    }
}

/// <summary>The subject kinds RBAC knows.</summary>
public enum RbacSubjectKind
{
    User,
    Group,
    ServiceAccount,
}

/// <summary>A binding subject. For service accounts, <see cref="Namespace"/> is the account's namespace.</summary>
public sealed record RbacSubject(RbacSubjectKind Kind, string Name, string? Namespace = null)
{
    public const string ServiceAccountUserPrefix = "system:serviceaccount:";

    /// <summary>The user name the API server authenticates for this subject (service accounts), else the name.</summary>
    public string UserName => Kind == RbacSubjectKind.ServiceAccount ? $"{ServiceAccountUserPrefix}{Namespace}:{Name}" : Name;

    /// <summary>Parses "ns:name" (or "name" with <paramref name="defaultNamespace"/>) into a service account subject.</summary>
    public static RbacSubject ParseServiceAccount(string value, string? defaultNamespace, string parameterName = "ServiceAccount")
    {
        string trimmed = value.Trim();
        if (trimmed.StartsWith(ServiceAccountUserPrefix, StringComparison.Ordinal))
        {
            trimmed = trimmed[ServiceAccountUserPrefix.Length..];
        }

        string? ns = defaultNamespace;
        string name = trimmed;
        int colon = trimmed.IndexOf(':', StringComparison.Ordinal);
        if (colon >= 0)
        {
            ns = trimmed[..colon];
            name = trimmed[(colon + 1)..];
        }

        if (string.IsNullOrEmpty(ns))
        {
            throw Errors.K8sOperationException.InvalidArgument(parameterName, value, "expected 'namespace:name' or a name with -Namespace.");
        }

        KubernetesNames.ValidateNamespace(parameterName, ns);
        KubernetesNames.ValidateObjectName(parameterName, name);

        return new RbacSubject(RbacSubjectKind.ServiceAccount, name, ns);
    }

    public override string ToString() => Kind == RbacSubjectKind.ServiceAccount ? $"ServiceAccount:{Namespace}:{Name}" : $"{Kind}:{Name}";
}

/// <summary>A label selector (matchLabels + matchExpressions), as used by ClusterRole aggregation.</summary>
public sealed class RbacLabelSelector
{
    public IReadOnlyDictionary<string, string> MatchLabels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<RbacLabelRequirement> MatchExpressions { get; init; } = Array.Empty<RbacLabelRequirement>();

    /// <summary>Like labels.Selector.Matches: every requirement holds (an empty selector matches everything).</summary>
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out string? actual) || actual != value)
            {
                return false;
            }
        }

        foreach (var requirement in MatchExpressions)
        {
            bool has = labels.TryGetValue(requirement.Key, out string? actual);
            bool ok = requirement.Operator switch
            {
                "In" => has && requirement.Values.Contains(actual!, StringComparer.Ordinal),
                "NotIn" => !has || !requirement.Values.Contains(actual!, StringComparer.Ordinal),
                "Exists" => has,
                "DoesNotExist" => !has,
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    public override string ToString()
    {
        var parts = MatchLabels.Select(kv => $"{kv.Key}={kv.Value}")
            .Concat(MatchExpressions.Select(e => $"{e.Key} {e.Operator} ({string.Join(',', e.Values)})"));
        return string.Join(',', parts);
    }
}

public sealed record RbacLabelRequirement(string Key, string Operator, IReadOnlyList<string> Values);

/// <summary>Role or ClusterRole.</summary>
public enum RbacRoleKind
{
    Role,
    ClusterRole,
}

/// <summary>RoleBinding or ClusterRoleBinding.</summary>
public enum RbacBindingKind
{
    RoleBinding,
    ClusterRoleBinding,
}

/// <summary>A Role or ClusterRole. For aggregated ClusterRoles, <see cref="Rules"/> are the aggregated rules.</summary>
public sealed class RbacRole
{
    public RbacRoleKind Kind { get; init; }

    public required string Name { get; init; }

    /// <summary>Null for ClusterRoles.</summary>
    public string? Namespace { get; init; }

    public IReadOnlyList<RbacPolicyRule> Rules { get; init; } = Array.Empty<RbacPolicyRule>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>ClusterRole aggregationRule.clusterRoleSelectors; null when the role is not aggregated.</summary>
    public IReadOnlyList<RbacLabelSelector>? AggregationSelectors { get; init; }

    public bool IsAggregated => AggregationSelectors is not null;

    /// <summary>The ClusterRoles whose rules were aggregated into this one (empty unless aggregated).</summary>
    public IReadOnlyList<string> AggregatedFrom { get; init; } = Array.Empty<string>();

    /// <summary>"cluster", "file:line" for roles read from manifests, or "default policy v1.32" for a default object added offline.</summary>
    public string Source { get; init; } = "cluster";

    /// <summary>
    /// True when the role is one of the cluster's default (bootstrap) objects, unchanged: added offline from the
    /// default policy, or read from the cluster or a dump with the default policy's content.
    /// </summary>
    public bool IsDefault { get; init; }

    /// <summary>True when the API server answered a server-side dry run only: nothing was stored.</summary>
    public bool DryRun { get; init; }

    public string Scope => Namespace ?? "(cluster)";

    /// <summary>The same role with other aggregated rules, default mark or source.</summary>
    internal RbacRole With(IReadOnlyList<RbacPolicyRule>? rules = null, IReadOnlyList<string>? aggregatedFrom = null, bool? isDefault = null, string? source = null) => new()
    {
        Kind = Kind,
        Name = Name,
        Namespace = Namespace,
        Rules = rules ?? Rules,
        Labels = Labels,
        AggregationSelectors = AggregationSelectors,
        AggregatedFrom = aggregatedFrom ?? AggregatedFrom,
        Source = source ?? Source,
        IsDefault = isDefault ?? IsDefault,
        DryRun = DryRun,
    };

    public override string ToString() => Namespace is null ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";
}

/// <summary>What a Grant/Revoke did to a binding.</summary>
public enum RbacBindingChange
{
    Unchanged,
    Created,
    Updated,
    Deleted,
}

/// <summary>A RoleBinding or ClusterRoleBinding.</summary>
public sealed class RbacBinding
{
    public RbacBindingKind Kind { get; init; }

    public required string Name { get; init; }

    /// <summary>Null for ClusterRoleBindings.</summary>
    public string? Namespace { get; init; }

    public RbacRoleKind RoleKind { get; init; }

    public required string RoleName { get; init; }

    public IReadOnlyList<RbacSubject> Subjects { get; init; } = Array.Empty<RbacSubject>();

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    /// <summary>"cluster", "file:line" for bindings read from manifests, or "default policy v1.32" for a default object added offline.</summary>
    public string Source { get; init; } = "cluster";

    /// <summary>True when the binding is one of the cluster's default (bootstrap) objects, unchanged.</summary>
    public bool IsDefault { get; init; }

    /// <summary>What the last Grant/Revoke did (Unchanged for objects that were only read).</summary>
    public RbacBindingChange Change { get; init; }

    /// <summary>True when the API server answered a server-side dry run only: nothing was stored.</summary>
    public bool DryRun { get; init; }

    /// <summary>"ClusterRole/edit".</summary>
    public string Role => $"{RoleKind}/{RoleName}";

    public string Scope => Namespace ?? "(cluster)";

    /// <summary>The same binding with another default mark or source.</summary>
    internal RbacBinding With(bool isDefault, string? source = null) => new()
    {
        Kind = Kind,
        Name = Name,
        Namespace = Namespace,
        RoleKind = RoleKind,
        RoleName = RoleName,
        Subjects = Subjects,
        Labels = Labels,
        Source = source ?? Source,
        IsDefault = isDefault,
        Change = Change,
        DryRun = DryRun,
    };

    public override string ToString() => Namespace is null ? $"{Kind}/{Name}" : $"{Kind}/{Namespace}/{Name}";
}
