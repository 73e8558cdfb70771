using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Authorization;

/// <summary>Reads RBAC objects from the cluster (one list per kind) or from manifests / kubectl dumps.</summary>
public static class RbacSource
{
    /// <summary>Four list calls: ClusterRoles, ClusterRoleBindings, Roles and RoleBindings in all namespaces.</summary>
    public static async Task<RbacPolicy> LoadFromClusterAsync(ClusterClient cluster, EngineLog log, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        log.Verbose($"Reading Roles, ClusterRoles, RoleBindings and ClusterRoleBindings from {cluster.Server}.");
        var clusterRolesTask = ApiErrorTranslator.CallAsync(() => rbac.ListClusterRoleAsync(cancellationToken: cancellationToken), "Listing ClusterRoles");
        var clusterBindingsTask = ApiErrorTranslator.CallAsync(() => rbac.ListClusterRoleBindingAsync(cancellationToken: cancellationToken), "Listing ClusterRoleBindings");
        var rolesTask = ApiErrorTranslator.CallAsync(() => rbac.ListRoleForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing Roles");
        var bindingsTask = ApiErrorTranslator.CallAsync(() => rbac.ListRoleBindingForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing RoleBindings");
        await Task.WhenAll(clusterRolesTask, clusterBindingsTask, rolesTask, bindingsTask).ConfigureAwait(false);

        var roles = clusterRolesTask.Result.Items.Select(r => FromModel(r)).Concat(rolesTask.Result.Items.Select(r => FromModel(r))).ToList();
        var bindings = clusterBindingsTask.Result.Items.Select(b => FromModel(b)).Concat(bindingsTask.Result.Items.Select(b => FromModel(b))).ToList();
        log.Verbose($"Read {roles.Count} roles and {bindings.Count} bindings.");
        return new RbacPolicy(roles, bindings);
    }

    /// <summary>Reads every Role, ClusterRole, RoleBinding and ClusterRoleBinding in the files; other kinds are skipped.</summary>
    public static RbacPolicy LoadFromFiles(IEnumerable<string> paths, EngineLog log) =>
        LoadFromFiles(paths, log, issue => log.Warning(issue.ToString()), ManifestLimits.DefaultMaxFileBytes, CancellationToken.None);

    /// <summary>
    /// Reads the RBAC objects of the files. What cannot be read (or would be refused by the API server) goes to
    /// <paramref name="onIssue"/> and is listed in the policy's <see cref="RbacPolicy.SkippedInputs"/>: answers given
    /// from such a policy are incomplete.
    /// </summary>
    public static RbacPolicy LoadFromFiles(IEnumerable<string> paths, EngineLog log, Action<ManifestParseError> onIssue, long maxFileBytes, CancellationToken cancellationToken)
    {
        var roles = new List<RbacRole>();
        var bindings = new List<RbacBinding>();
        var skipped = new List<string>();
        void Issue(ManifestParseError issue)
        {
            if (issue.IsError)
            {
                skipped.Add(issue.ToString());
            }

            onIssue(issue);
        }

        foreach (string file in ManifestReader.ExpandPaths(paths, Issue, cancellationToken))
        {
            foreach (var item in ManifestReader.ReadFile(file, Issue, maxFileBytes, cancellationToken))
            {
                Add(item, roles, bindings, Issue);
            }
        }

        log.Verbose($"Read {roles.Count} roles and {bindings.Count} bindings from manifests.");
        return new RbacPolicy(roles, bindings) { SkippedInputs = skipped };
    }

    public static RbacPolicy LoadFromObjects(IEnumerable<ManifestObject> objects, EngineLog log)
    {
        var (roles, bindings) = Read(objects, log);
        return new RbacPolicy(roles, bindings);
    }

    /// <summary>The roles and bindings among <paramref name="objects"/>; other kinds are skipped.</summary>
    internal static (List<RbacRole> Roles, List<RbacBinding> Bindings) Read(IEnumerable<ManifestObject> objects, EngineLog log)
    {
        var roles = new List<RbacRole>();
        var bindings = new List<RbacBinding>();
        foreach (var item in objects)
        {
            Add(item, roles, bindings, issue => log.Warning(issue.ToString()));
        }

        return (roles, bindings);
    }

    private static void Add(ManifestObject item, List<RbacRole> roles, List<RbacBinding> bindings, Action<ManifestParseError> onIssue)
    {
        if (item.ApiVersion is { } apiVersion && !apiVersion.StartsWith("rbac.authorization.k8s.io/", StringComparison.Ordinal))
        {
            return;
        }

        string json = item.Body.ToJsonString();
        try
        {
            switch (item.Kind)
            {
                case "Role":
                    roles.Add(FromModel(KubernetesJson.Deserialize<V1Role>(json), item.Location));
                    break;
                case "ClusterRole":
                    roles.Add(FromModel(KubernetesJson.Deserialize<V1ClusterRole>(json), item.Location));
                    break;
                case "RoleBinding":
                    bindings.Add(FromModel(KubernetesJson.Deserialize<V1RoleBinding>(json), item.Location));
                    break;
                case "ClusterRoleBinding":
                    bindings.Add(FromModel(KubernetesJson.Deserialize<V1ClusterRoleBinding>(json), item.Location));
                    break;
            }
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            // The API server would refuse this object (a field of the wrong type): it grants nothing, and the answer is incomplete.
            onIssue(new ManifestParseError(item.Source, item.Line, $"{item.Kind}/{item.Name} is not a valid {item.Kind}: {ex.Message}"));
        }
    }

    internal static RbacRole FromModel(V1Role role, string source = "cluster") => new()
    {
        Kind = RbacRoleKind.Role,
        Name = role.Metadata?.Name ?? string.Empty,
        Namespace = role.Metadata?.NamespaceProperty ?? string.Empty,
        Rules = (role.Rules ?? Array.Empty<V1PolicyRule>()).Select(FromModel).ToList(),
        Labels = Labels(role.Metadata),
        Source = source,
    };

    internal static RbacRole FromModel(V1ClusterRole role, string source = "cluster") => new()
    {
        Kind = RbacRoleKind.ClusterRole,
        Name = role.Metadata?.Name ?? string.Empty,
        Rules = (role.Rules ?? Array.Empty<V1PolicyRule>()).Select(FromModel).ToList(),
        Labels = Labels(role.Metadata),
        AggregationSelectors = role.AggregationRule is null
            ? null
            : (role.AggregationRule.ClusterRoleSelectors ?? Array.Empty<V1LabelSelector>()).Select(FromModel).ToList(),
        Source = source,
    };

    internal static RbacBinding FromModel(V1RoleBinding binding, string source = "cluster") => new()
    {
        Kind = RbacBindingKind.RoleBinding,
        Name = binding.Metadata?.Name ?? string.Empty,
        Namespace = binding.Metadata?.NamespaceProperty ?? string.Empty,
        RoleKind = ParseRoleKind(binding.RoleRef?.Kind),
        RoleName = binding.RoleRef?.Name ?? string.Empty,
        Subjects = Subjects(binding.Subjects),
        Labels = Labels(binding.Metadata),
        Source = source,
    };

    internal static RbacBinding FromModel(V1ClusterRoleBinding binding, string source = "cluster") => new()
    {
        Kind = RbacBindingKind.ClusterRoleBinding,
        Name = binding.Metadata?.Name ?? string.Empty,
        RoleKind = ParseRoleKind(binding.RoleRef?.Kind),
        RoleName = binding.RoleRef?.Name ?? string.Empty,
        Subjects = Subjects(binding.Subjects),
        Labels = Labels(binding.Metadata),
        Source = source,
    };

    internal static RbacPolicyRule FromModel(V1PolicyRule rule) => new()
    {
        Verbs = rule.Verbs?.ToArray() ?? Array.Empty<string>(),
        ApiGroups = rule.ApiGroups?.ToArray() ?? Array.Empty<string>(),
        Resources = rule.Resources?.ToArray() ?? Array.Empty<string>(),
        ResourceNames = rule.ResourceNames?.ToArray() ?? Array.Empty<string>(),
        NonResourceUrls = rule.NonResourceURLs?.ToArray() ?? Array.Empty<string>(),
    };

    internal static V1PolicyRule ToModel(RbacPolicyRule rule) => new()
    {
        Verbs = rule.Verbs.ToList(),
        ApiGroups = rule.Resources.Count > 0 ? rule.ApiGroups.ToList() : null,
        Resources = rule.Resources.Count > 0 ? rule.Resources.ToList() : null,
        ResourceNames = rule.ResourceNames.Count > 0 ? rule.ResourceNames.ToList() : null,
        NonResourceURLs = rule.NonResourceUrls.Count > 0 ? rule.NonResourceUrls.ToList() : null,
    };

    internal static RbacLabelSelector FromModel(V1LabelSelector selector) => new()
    {
        MatchLabels = selector.MatchLabels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(selector.MatchLabels),
        MatchExpressions = (selector.MatchExpressions ?? Array.Empty<V1LabelSelectorRequirement>())
            .Select(e => new RbacLabelRequirement(e.Key, e.OperatorProperty, e.Values?.ToArray() ?? Array.Empty<string>()))
            .ToList(),
    };

    internal static IReadOnlyList<RbacSubject> Subjects(IEnumerable<Rbacv1Subject>? subjects)
    {
        var list = new List<RbacSubject>();
        foreach (var subject in subjects ?? Enumerable.Empty<Rbacv1Subject>())
        {
            // Unknown kinds never match in the authorizer (appliesToUser's default case), so they are dropped here.
            RbacSubjectKind? kind = subject.Kind switch
            {
                "User" => RbacSubjectKind.User,
                "Group" => RbacSubjectKind.Group,
                "ServiceAccount" => RbacSubjectKind.ServiceAccount,
                _ => null,
            };
            if (kind is not null)
            {
                list.Add(new RbacSubject(kind.Value, subject.Name ?? string.Empty, string.IsNullOrEmpty(subject.NamespaceProperty) ? null : subject.NamespaceProperty));
            }
        }

        return list;
    }

    internal static Rbacv1Subject ToModel(RbacSubject subject) => subject.Kind switch
    {
        RbacSubjectKind.ServiceAccount => new Rbacv1Subject { Kind = "ServiceAccount", Name = subject.Name, NamespaceProperty = subject.Namespace },
        _ => new Rbacv1Subject { Kind = subject.Kind.ToString(), Name = subject.Name, ApiGroup = "rbac.authorization.k8s.io" },
    };

    private static RbacRoleKind ParseRoleKind(string? kind) => kind == "Role" ? RbacRoleKind.Role : RbacRoleKind.ClusterRole;

    private static IReadOnlyDictionary<string, string> Labels(V1ObjectMeta? metadata) =>
        metadata?.Labels is null ? new Dictionary<string, string>() : new Dictionary<string, string>(metadata.Labels);
}
