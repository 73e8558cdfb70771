using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Authorization;

/// <summary>What Grant/Revoke work on: a role, a scope (namespace or cluster), subjects, optionally one binding.</summary>
public sealed class RoleGrantRequest
{
    public RbacRoleKind RoleKind { get; init; }

    public required string RoleName { get; init; }

    /// <summary>Null: a ClusterRoleBinding (only with a ClusterRole).</summary>
    public string? Namespace { get; init; }

    public required IReadOnlyList<RbacSubject> Subjects { get; init; }

    public string? BindingName { get; init; }

    /// <summary>Send with dryRun=All: the server validates and answers, nothing is stored.</summary>
    public bool DryRun { get; init; }

    public RbacBindingKind BindingKind => Namespace is null ? RbacBindingKind.ClusterRoleBinding : RbacBindingKind.RoleBinding;

    public string Role => $"{RoleKind}/{RoleName}";

    public string Scope => Namespace is null ? "cluster-wide" : $"namespace {Namespace}";

    /// <summary>Fails before anything is sent when the combination cannot be expressed in RBAC.</summary>
    public void Validate()
    {
        RbacNames.ValidateRoleName(RoleKind == RbacRoleKind.Role ? "Role" : "ClusterRole", RoleName);
        if (RoleKind == RbacRoleKind.Role && Namespace is null)
        {
            throw K8sOperationException.InvalidArgument("Role", RoleName, "a Role is namespaced: give -Namespace (or use -ClusterRole).");
        }

        if (Namespace is not null)
        {
            RbacNames.ValidateNamespace("Namespace", Namespace);
        }

        if (BindingName is not null)
        {
            RbacNames.ValidateRoleName("BindingName", BindingName);
        }

        if (Subjects.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("User", null, "give at least one -User, -Group or -ServiceAccount.");
        }

        foreach (var subject in Subjects)
        {
            if (string.IsNullOrWhiteSpace(subject.Name))
            {
                throw K8sOperationException.InvalidArgument(subject.Kind.ToString(), subject.Name, "a subject name cannot be empty.");
            }
        }
    }
}

/// <summary>Grant-K8sRole, Revoke-K8sRole, New-K8sRole/ClusterRole, Get-K8sRole, Get-K8sRoleBinding.</summary>
public static class RbacManagement
{
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedByValue = "K8sSecurity";
    private const string RbacGroup = "rbac.authorization.k8s.io";
    private const int MaxConflictRetries = 3;

    /// <summary>The binding name Grant uses when none is given: stable, so granting twice finds the same binding.</summary>
    public static string DefaultBindingName(RbacRoleKind kind, string roleName)
    {
        string name = $"k8ssecurity:{(kind == RbacRoleKind.Role ? "role" : "clusterrole")}:{roleName}";
        return name.Length <= 253 ? name : name[..253];
    }

    /// <summary>
    /// Adds the subjects to a binding of the role in the scope. Subjects already bound to the role (by any binding
    /// there) are left alone, so granting twice changes nothing. The binding is -BindingName, else the default-named
    /// one, else one this module created earlier for the role, else a new default-named one.
    /// </summary>
    public static async Task<RbacBinding> GrantAsync(ClusterClient cluster, RoleGrantRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        request.Validate();
        await WarnWhenRoleMissingAsync(cluster, request, log, cancellationToken).ConfigureAwait(false);

        for (int attempt = 0; ; attempt++)
        {
            var existing = await ListBindingsAsync(cluster, request.Namespace, cancellationToken).ConfigureAwait(false);
            var sameRole = existing.Where(b => b.RoleKind == request.RoleKind && b.RoleName == request.RoleName).ToList();
            string defaultName = DefaultBindingName(request.RoleKind, request.RoleName);
            RbacBinding? target;
            if (request.BindingName is not null)
            {
                target = existing.FirstOrDefault(b => b.Name == request.BindingName);
                if (target is not null && (target.RoleKind != request.RoleKind || target.RoleName != request.RoleName))
                {
                    throw new K8sOperationException(K8sErrorKind.Conflict, $"{target} refers to {target.Role}, not {request.Role}; a binding's roleRef cannot change. Choose another -BindingName.", request.BindingName);
                }

                sameRole = target is null ? new List<RbacBinding>() : new List<RbacBinding> { target };
            }
            else
            {
                var named = existing.FirstOrDefault(b => b.Name == defaultName);
                if (named is not null && (named.RoleKind != request.RoleKind || named.RoleName != request.RoleName))
                {
                    throw new K8sOperationException(K8sErrorKind.Conflict, $"{named} exists but refers to {named.Role}; give -BindingName.", defaultName);
                }

                target = named ?? sameRole.FirstOrDefault(b => b.Labels.TryGetValue(ManagedByLabel, out string? v) && v == ManagedByValue);
            }

            var missing = request.Subjects
                .Distinct()
                .Where(s => !sameRole.Any(b => Contains(b, s)))
                .ToList();
            foreach (var subject in request.Subjects.Except(missing))
            {
                log.Verbose($"{subject} already holds {request.Role} in the {request.Scope}.");
            }

            if (missing.Count == 0)
            {
                var holder = target ?? sameRole.First(b => request.Subjects.Any(s => Contains(b, s)));
                return Copy(holder, RbacBindingChange.Unchanged, dryRun: false);
            }

            try
            {
                if (target is null)
                {
                    string name = request.BindingName ?? defaultName;
                    log.Verbose($"Creating {request.BindingKind} '{name}' for {request.Role} with {string.Join(", ", missing)}{DryRunNote(request.DryRun)}.");
                    var created = await CreateBindingAsync(cluster, request, name, missing, cancellationToken).ConfigureAwait(false);
                    return Copy(created, RbacBindingChange.Created, request.DryRun);
                }

                log.Verbose($"Adding {string.Join(", ", missing)} to {target}{DryRunNote(request.DryRun)}.");
                var updated = await ReplaceSubjectsAsync(cluster, target, target.Subjects.Concat(missing).ToList(), request.DryRun, cancellationToken).ConfigureAwait(false);
                return Copy(updated, RbacBindingChange.Updated, request.DryRun);
            }
            catch (K8sOperationException ex) when (ex.Kind is K8sErrorKind.Conflict or K8sErrorKind.AlreadyExists && attempt < MaxConflictRetries)
            {
                log.Verbose($"The binding changed while granting ({ex.Reason}); reading it again.");
            }
        }
    }

    /// <summary>
    /// Removes the subjects from every binding of the role in the scope (or only -BindingName); a binding left without
    /// subjects is deleted. Returns the bindings it changed: nothing when there was nothing to revoke.
    /// </summary>
    public static async Task<IReadOnlyList<RbacBinding>> RevokeAsync(ClusterClient cluster, RoleGrantRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        request.Validate();
        for (int attempt = 0; ; attempt++)
        {
            var existing = await ListBindingsAsync(cluster, request.Namespace, cancellationToken).ConfigureAwait(false);
            var candidates = existing
                .Where(b => b.RoleKind == request.RoleKind && b.RoleName == request.RoleName)
                .Where(b => request.BindingName is null || b.Name == request.BindingName)
                .ToList();
            var changes = new List<RbacBinding>();
            try
            {
                foreach (var binding in candidates)
                {
                    var remaining = binding.Subjects.Where(s => !request.Subjects.Any(r => Matches(binding, s, r))).ToList();
                    if (remaining.Count == binding.Subjects.Count)
                    {
                        continue;
                    }

                    if (remaining.Count == 0)
                    {
                        log.Verbose($"Deleting {binding}: no subject is left{DryRunNote(request.DryRun)}.");
                        await DeleteBindingAsync(cluster, binding, request.DryRun, cancellationToken).ConfigureAwait(false);
                        changes.Add(Copy(binding, RbacBindingChange.Deleted, request.DryRun, Array.Empty<RbacSubject>()));
                    }
                    else
                    {
                        log.Verbose($"Removing {string.Join(", ", request.Subjects)} from {binding}{DryRunNote(request.DryRun)}.");
                        var updated = await ReplaceSubjectsAsync(cluster, binding, remaining, request.DryRun, cancellationToken).ConfigureAwait(false);
                        changes.Add(Copy(updated, RbacBindingChange.Updated, request.DryRun));
                    }
                }
            }
            catch (K8sOperationException ex) when (ex.Kind is K8sErrorKind.Conflict or K8sErrorKind.NotFound && attempt < MaxConflictRetries)
            {
                log.Verbose($"A binding changed while revoking ({ex.Reason}); reading again.");
                continue;
            }

            if (changes.Count == 0)
            {
                log.Verbose($"No binding of {request.Role} in the {request.Scope} names {string.Join(", ", request.Subjects)}: nothing to revoke.");
            }

            return changes;
        }
    }

    /// <summary>RoleBindings of one namespace, or ClusterRoleBindings when <paramref name="ns"/> is null.</summary>
    public static async Task<IReadOnlyList<RbacBinding>> ListBindingsAsync(ClusterClient cluster, string? ns, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        if (ns is null)
        {
            var list = await ApiErrorTranslator.CallAsync(() => rbac.ListClusterRoleBindingAsync(cancellationToken: cancellationToken), "Listing ClusterRoleBindings").ConfigureAwait(false);
            return list.Items.Select(b => RbacSource.FromModel(b)).ToList();
        }

        var roleBindings = await ApiErrorTranslator.CallAsync(() => rbac.ListNamespacedRoleBindingAsync(ns, cancellationToken: cancellationToken), $"Listing RoleBindings in namespace '{ns}'", ns).ConfigureAwait(false);
        return roleBindings.Items.Select(b => RbacSource.FromModel(b)).ToList();
    }

    /// <summary>Flattened subject → role → scope rows, filtered by subject and role (wildcards allowed).</summary>
    public static async Task<IReadOnlyList<RbacBindingRow>> GetBindingRowsAsync(
        ClusterClient cluster, string? ns, Func<RbacSubject, bool> subjectFilter, Func<RbacBinding, bool> roleFilter, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        var clusterBindings = await ListBindingsAsync(cluster, null, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<RbacBinding> roleBindings = ns is null
            ? (await ApiErrorTranslator.CallAsync(() => rbac.ListRoleBindingForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing RoleBindings").ConfigureAwait(false))
                .Items.Select(b => RbacSource.FromModel(b)).ToList()
            : await ListBindingsAsync(cluster, ns, cancellationToken).ConfigureAwait(false);
        return Rows(clusterBindings.Concat(roleBindings), subjectFilter, roleFilter);
    }

    public static IReadOnlyList<RbacBindingRow> Rows(IEnumerable<RbacBinding> bindings, Func<RbacSubject, bool> subjectFilter, Func<RbacBinding, bool> roleFilter)
    {
        var rows = new List<RbacBindingRow>();
        foreach (var binding in bindings.OrderBy(b => b.Namespace ?? string.Empty, StringComparer.Ordinal).ThenBy(b => b.Name, StringComparer.Ordinal))
        {
            if (!roleFilter(binding))
            {
                continue;
            }

            foreach (var subject in binding.Subjects)
            {
                var normalized = subject.Kind == RbacSubjectKind.ServiceAccount && string.IsNullOrEmpty(subject.Namespace) && binding.Namespace is not null
                    ? subject with { Namespace = binding.Namespace }
                    : subject;
                if (subjectFilter(normalized))
                {
                    rows.Add(new RbacBindingRow
                    {
                        Subject = normalized,
                        RoleKind = binding.RoleKind,
                        RoleName = binding.RoleName,
                        BindingKind = binding.Kind,
                        BindingName = binding.Name,
                        Namespace = binding.Namespace,
                    });
                }
            }
        }

        return rows;
    }

    /// <summary>ClusterRoles (aggregated rules resolved) and Roles of one namespace or all.</summary>
    public static async Task<IReadOnlyList<RbacRole>> GetRolesAsync(ClusterClient cluster, string? ns, bool includeRoles, bool includeClusterRoles, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        var roles = new List<RbacRole>();
        if (includeClusterRoles)
        {
            var list = await ApiErrorTranslator.CallAsync(() => rbac.ListClusterRoleAsync(cancellationToken: cancellationToken), "Listing ClusterRoles").ConfigureAwait(false);
            roles.AddRange(new RbacPolicy(list.Items.Select(r => RbacSource.FromModel(r)), Array.Empty<RbacBinding>()).ClusterRoles);
        }

        if (includeRoles)
        {
            var list = ns is null
                ? await ApiErrorTranslator.CallAsync(() => rbac.ListRoleForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing Roles").ConfigureAwait(false)
                : await ApiErrorTranslator.CallAsync(() => rbac.ListNamespacedRoleAsync(ns, cancellationToken: cancellationToken), $"Listing Roles in namespace '{ns}'", ns).ConfigureAwait(false);
            roles.AddRange(list.Items.Select(r => RbacSource.FromModel(r)).OrderBy(r => r.Namespace, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal));
        }

        return roles;
    }

    /// <summary>
    /// Creates a Role or ClusterRole. An identical existing role is left alone (Unchanged); a different one is an
    /// AlreadyExists error unless <paramref name="force"/>, which replaces its rules, labels and aggregation rule.
    /// </summary>
    public static async Task<RbacRole> CreateRoleAsync(ClusterClient cluster, RbacRole role, bool force, bool dryRun, EngineLog log, CancellationToken cancellationToken)
    {
        ValidateRole(role);
        var rbac = cluster.Api.RbacAuthorizationV1;
        string? dry = dryRun ? "All" : null;
        var labels = role.Labels.Count == 0 ? null : new Dictionary<string, string>(role.Labels);
        if (role.Kind == RbacRoleKind.Role)
        {
            string ns = role.Namespace!;
            var body = new V1Role { Metadata = new V1ObjectMeta { Name = role.Name, NamespaceProperty = ns, Labels = labels }, Rules = role.Rules.Select(RbacSource.ToModel).ToList() };
            return await CreateOrReplaceAsync(
                role, body, force, dryRun, log, "rules or labels", "Replacing the rules of",
                () => rbac.ReadNamespacedRoleAsync(role.Name, ns, cancellationToken: cancellationToken), $"Reading Role '{role.Name}' in namespace '{ns}'",
                () => rbac.CreateNamespacedRoleAsync(body, ns, dryRun: dry, cancellationToken: cancellationToken),
                () => rbac.ReplaceNamespacedRoleAsync(body, role.Name, ns, dryRun: dry, cancellationToken: cancellationToken),
                r => RbacSource.FromModel(r)).ConfigureAwait(false);
        }
        else
        {
            var body = new V1ClusterRole
            {
                Metadata = new V1ObjectMeta { Name = role.Name, Labels = labels },
                Rules = role.IsAggregated ? new List<V1PolicyRule>() : role.Rules.Select(RbacSource.ToModel).ToList(),
                AggregationRule = role.IsAggregated
                    ? new V1AggregationRule
                    {
                        ClusterRoleSelectors = role.AggregationSelectors!.Select(s => new V1LabelSelector
                        {
                            MatchLabels = s.MatchLabels.Count == 0 ? null : new Dictionary<string, string>(s.MatchLabels),
                            MatchExpressions = s.MatchExpressions.Count == 0 ? null : s.MatchExpressions.Select(e => new V1LabelSelectorRequirement { Key = e.Key, OperatorProperty = e.Operator, Values = e.Values.Count == 0 ? null : e.Values.ToList() }).ToList(),
                        }).ToList(),
                    }
                    : null,
            };
            return await CreateOrReplaceAsync(
                role, body, force, dryRun, log, "rules, labels or aggregation", "Replacing",
                () => rbac.ReadClusterRoleAsync(role.Name, cancellationToken: cancellationToken), $"Reading ClusterRole '{role.Name}'",
                () => rbac.CreateClusterRoleAsync(body, dryRun: dry, cancellationToken: cancellationToken),
                () => rbac.ReplaceClusterRoleAsync(body, role.Name, dryRun: dry, cancellationToken: cancellationToken),
                r => RbacSource.FromModel(r)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The create-or-replace step shared by Role and ClusterRole: create when absent, leave an identical one alone,
    /// refuse a different one without force, else replace it (keeping its other labels).
    /// </summary>
    private static async Task<RbacRole> CreateOrReplaceAsync<T>(
        RbacRole role, T body, bool force, bool dryRun, EngineLog log, string differences, string replacing,
        Func<Task<T>> read, string readOperation, Func<Task<T>> create, Func<Task<T>> replace, Func<T, RbacRole> fromModel)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var existing = await GetOrNullAsync(read, readOperation).ConfigureAwait(false);
        if (existing is null)
        {
            log.Verbose($"Creating {role}{DryRunNote(dryRun)}.");
            var created = await ApiErrorTranslator.CallAsync(create, $"Creating {role}", role.Name).ConfigureAwait(false);
            return With(fromModel(created), dryRun);
        }

        var current = fromModel(existing);
        if (SameDefinition(current, role))
        {
            log.Verbose($"{role} already has these rules.");
            return current;
        }

        if (!force)
        {
            throw new K8sOperationException(K8sErrorKind.AlreadyExists, $"{role} already exists with different {differences}; use -Force to replace them.", role.Name);
        }

        body.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
        body.Metadata.Labels = MergeLabels(existing.Metadata.Labels, body.Metadata.Labels is null ? null : new Dictionary<string, string>(body.Metadata.Labels));
        log.Verbose($"{replacing} {role}{DryRunNote(dryRun)}.");
        var replaced = await ApiErrorTranslator.CallAsync(replace, $"Replacing {role}", role.Name).ConfigureAwait(false);
        return With(fromModel(replaced), dryRun);
    }

    public static void ValidateRole(RbacRole role)
    {
        string parameter = role.Kind == RbacRoleKind.Role ? "Name" : "Name";
        RbacNames.ValidateRoleName(parameter, role.Name);
        if (role.Kind == RbacRoleKind.Role)
        {
            RbacNames.ValidateNamespace("Namespace", role.Namespace ?? string.Empty);
        }

        if (role.Rules.Count == 0 && !role.IsAggregated)
        {
            throw K8sOperationException.InvalidArgument("Rule", null, "give at least one rule (-Verb with -Resource or -NonResourceUrl, or -Rule from New-K8sPolicyRule).");
        }

        foreach (var rule in role.Rules)
        {
            RbacRules.Validate(rule);
            if (role.Kind == RbacRoleKind.Role && rule.NonResourceUrls.Count > 0)
            {
                throw K8sOperationException.InvalidArgument("NonResourceUrl", string.Join(',', rule.NonResourceUrls), "non-resource URLs can only be granted by a ClusterRole (New-K8sClusterRole).");
            }
        }

        foreach (var (key, value) in role.Labels)
        {
            if (key.Length == 0 || key.Length > 316 || value.Length > 63)
            {
                throw K8sOperationException.InvalidArgument("Label", $"{key}={value}", "label keys are at most 253+63 characters and values at most 63.");
            }
        }
    }

    private static bool SameDefinition(RbacRole current, RbacRole wanted)
    {
        bool sameLabels = wanted.Labels.All(kv => current.Labels.TryGetValue(kv.Key, out string? v) && v == kv.Value);
        if (wanted.IsAggregated || current.IsAggregated)
        {
            return sameLabels && wanted.IsAggregated && current.IsAggregated
                && wanted.AggregationSelectors!.Select(s => s.ToString()).SequenceEqual(current.AggregationSelectors!.Select(s => s.ToString()), StringComparer.Ordinal);
        }

        return sameLabels && current.Rules.SequenceEqual(wanted.Rules);
    }

    private static Dictionary<string, string>? MergeLabels(IDictionary<string, string>? existing, Dictionary<string, string>? wanted)
    {
        if (existing is null && wanted is null)
        {
            return null;
        }

        var merged = existing is null ? new Dictionary<string, string>() : new Dictionary<string, string>(existing);
        foreach (var (key, value) in wanted ?? new Dictionary<string, string>())
        {
            merged[key] = value;
        }

        return merged;
    }

    private static RbacRole With(RbacRole role, bool dryRun) => dryRun
        ? new RbacRole { Kind = role.Kind, Name = role.Name, Namespace = role.Namespace, Rules = role.Rules, Labels = role.Labels, AggregationSelectors = role.AggregationSelectors, Source = role.Source, DryRun = true }
        : role;

    private static async Task WarnWhenRoleMissingAsync(ClusterClient cluster, RoleGrantRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        try
        {
            if (request.RoleKind == RbacRoleKind.ClusterRole)
            {
                await ApiErrorTranslator.CallAsync(() => rbac.ReadClusterRoleAsync(request.RoleName, cancellationToken: cancellationToken), $"Reading ClusterRole '{request.RoleName}'").ConfigureAwait(false);
            }
            else
            {
                await ApiErrorTranslator.CallAsync(() => rbac.ReadNamespacedRoleAsync(request.RoleName, request.Namespace!, cancellationToken: cancellationToken), $"Reading Role '{request.RoleName}'").ConfigureAwait(false);
            }
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.NotFound)
        {
            string where = request.RoleKind == RbacRoleKind.Role ? $" in namespace '{request.Namespace}'" : string.Empty;
            log.Warning($"{request.RoleKind} '{request.RoleName}'{where} does not exist: the binding grants nothing until it is created.");
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.Forbidden)
        {
            log.Verbose($"Cannot check that {request.Role} exists: {ex.Message}");
        }
    }

    private static async Task<RbacBinding> CreateBindingAsync(ClusterClient cluster, RoleGrantRequest request, string name, IReadOnlyList<RbacSubject> subjects, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        string? dry = request.DryRun ? "All" : null;
        var roleRef = new V1RoleRef { ApiGroup = RbacGroup, Kind = request.RoleKind.ToString(), Name = request.RoleName };
        var metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { [ManagedByLabel] = ManagedByValue } };
        var modelSubjects = subjects.Select(RbacSource.ToModel).ToList();
        if (request.Namespace is null)
        {
            var body = new V1ClusterRoleBinding { Metadata = metadata, RoleRef = roleRef, Subjects = modelSubjects };
            var created = await ApiErrorTranslator.CallAsync(() => rbac.CreateClusterRoleBindingAsync(body, dryRun: dry, cancellationToken: cancellationToken), $"Creating ClusterRoleBinding '{name}'", name).ConfigureAwait(false);
            return RbacSource.FromModel(created);
        }

        metadata.NamespaceProperty = request.Namespace;
        var roleBinding = new V1RoleBinding { Metadata = metadata, RoleRef = roleRef, Subjects = modelSubjects };
        var createdBinding = await ApiErrorTranslator.CallAsync(() => rbac.CreateNamespacedRoleBindingAsync(roleBinding, request.Namespace, dryRun: dry, cancellationToken: cancellationToken), $"Creating RoleBinding '{name}' in namespace '{request.Namespace}'", name).ConfigureAwait(false);
        return RbacSource.FromModel(createdBinding);
    }

    /// <summary>Read-modify-replace with the read resourceVersion, so a concurrent change is a Conflict, never lost.</summary>
    private static async Task<RbacBinding> ReplaceSubjectsAsync(ClusterClient cluster, RbacBinding binding, IReadOnlyList<RbacSubject> subjects, bool dryRun, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        string? dry = dryRun ? "All" : null;
        if (binding.Kind == RbacBindingKind.ClusterRoleBinding)
        {
            var current = await ApiErrorTranslator.CallAsync(() => rbac.ReadClusterRoleBindingAsync(binding.Name, cancellationToken: cancellationToken), $"Reading {binding}", binding.Name).ConfigureAwait(false);
            current.Subjects = MergeSubjects(current.Subjects, subjects);
            var replaced = await ApiErrorTranslator.CallAsync(() => rbac.ReplaceClusterRoleBindingAsync(current, binding.Name, dryRun: dry, cancellationToken: cancellationToken), $"Updating {binding}", binding.Name).ConfigureAwait(false);
            return RbacSource.FromModel(replaced);
        }

        var currentBinding = await ApiErrorTranslator.CallAsync(() => rbac.ReadNamespacedRoleBindingAsync(binding.Name, binding.Namespace!, cancellationToken: cancellationToken), $"Reading {binding}", binding.Name).ConfigureAwait(false);
        currentBinding.Subjects = MergeSubjects(currentBinding.Subjects, subjects);
        var replacedBinding = await ApiErrorTranslator.CallAsync(() => rbac.ReplaceNamespacedRoleBindingAsync(currentBinding, binding.Name, binding.Namespace!, dryRun: dry, cancellationToken: cancellationToken), $"Updating {binding}", binding.Name).ConfigureAwait(false);
        return RbacSource.FromModel(replacedBinding);
    }

    /// <summary>Keeps the stored subject entries (with their apiGroup and unknown kinds) that stay, adds the new ones.</summary>
    private static List<Rbacv1Subject> MergeSubjects(IList<Rbacv1Subject>? stored, IReadOnlyList<RbacSubject> wanted)
    {
        var result = new List<Rbacv1Subject>();
        var remaining = wanted.ToList();
        foreach (var entry in stored ?? new List<Rbacv1Subject>())
        {
            var parsed = RbacSource.Subjects(new[] { entry });
            if (parsed.Count == 0)
            {
                result.Add(entry); // a kind we do not manage: keep it untouched
                continue;
            }

            int index = remaining.IndexOf(parsed[0]);
            if (index >= 0)
            {
                result.Add(entry);
                remaining.RemoveAt(index);
            }
        }

        result.AddRange(remaining.Select(RbacSource.ToModel));
        return result;
    }

    private static async Task DeleteBindingAsync(ClusterClient cluster, RbacBinding binding, bool dryRun, CancellationToken cancellationToken)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        string? dry = dryRun ? "All" : null;
        if (binding.Kind == RbacBindingKind.ClusterRoleBinding)
        {
            await ApiErrorTranslator.CallAsync(() => rbac.DeleteClusterRoleBindingAsync(binding.Name, dryRun: dry, cancellationToken: cancellationToken), $"Deleting {binding}", binding.Name).ConfigureAwait(false);
        }
        else
        {
            await ApiErrorTranslator.CallAsync(() => rbac.DeleteNamespacedRoleBindingAsync(binding.Name, binding.Namespace!, dryRun: dry, cancellationToken: cancellationToken), $"Deleting {binding}", binding.Name).ConfigureAwait(false);
        }
    }

    private static bool Contains(RbacBinding binding, RbacSubject subject) => binding.Subjects.Any(s => Matches(binding, s, subject));

    /// <summary>Same subject, with a RoleBinding's namespace-less service account meaning one in the binding's namespace.</summary>
    private static bool Matches(RbacBinding binding, RbacSubject stored, RbacSubject wanted)
    {
        if (stored.Kind != wanted.Kind || stored.Name != wanted.Name)
        {
            return false;
        }

        if (stored.Kind != RbacSubjectKind.ServiceAccount)
        {
            return true;
        }

        string? ns = string.IsNullOrEmpty(stored.Namespace) ? binding.Namespace : stored.Namespace;
        return ns == wanted.Namespace;
    }

    private static RbacBinding Copy(RbacBinding binding, RbacBindingChange change, bool dryRun, IReadOnlyList<RbacSubject>? subjects = null) => new()
    {
        Kind = binding.Kind,
        Name = binding.Name,
        Namespace = binding.Namespace,
        RoleKind = binding.RoleKind,
        RoleName = binding.RoleName,
        Subjects = subjects ?? binding.Subjects,
        Labels = binding.Labels,
        Source = binding.Source,
        Change = change,
        DryRun = dryRun,
    };

    private static string DryRunNote(bool dryRun) => dryRun ? " (server dry run: nothing is stored)" : string.Empty;

    internal static async Task<T?> GetOrNullAsync<T>(Func<Task<T>> call, string operation)
        where T : class
    {
        try
        {
            return await ApiErrorTranslator.CallAsync(call, operation).ConfigureAwait(false);
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.NotFound)
        {
            return null;
        }
    }
}

/// <summary>Builds and validates policy rules (New-K8sPolicyRule and the -Verb/-Resource parameters).</summary>
public static class RbacRules
{
    /// <summary>
    /// A rule from user input. "deployments.apps" style resources put their group into apiGroups; resources without a
    /// group default to the core group "". Verbs and URLs are kept as given (RBAC is case-sensitive). Verbs the API
    /// server does not use are refused unless <paramref name="allowCustomVerb"/>; with a <paramref name="catalog"/>,
    /// resources that no group of the rule serves are refused (they would grant nothing), naming the group that does.
    /// </summary>
    public static RbacPolicyRule Create(
        IEnumerable<string>? verbs, IEnumerable<string>? resources, IEnumerable<string>? apiGroups, IEnumerable<string>? resourceNames, IEnumerable<string>? nonResourceUrls,
        ApiResourceCatalog? catalog = null, bool allowCustomVerb = false)
    {
        var verbList = Clean(verbs);
        var resourceList = new List<string>();
        bool groupsGiven = apiGroups is not null && apiGroups.Any();
        var groups = groupsGiven ? Clean(apiGroups, keepEmpty: true) : new List<string>();
        bool plainResource = false;
        foreach (string resource in Clean(resources))
        {
            int slash = resource.IndexOf('/', StringComparison.Ordinal);
            string main = slash >= 0 ? resource[..slash] : resource;
            int dot = main.IndexOf('.', StringComparison.Ordinal);
            if (dot > 0)
            {
                groups.Add(main[(dot + 1)..]);
                resourceList.Add(main[..dot] + (slash >= 0 ? resource[slash..] : string.Empty));
            }
            else
            {
                plainResource = true;
                resourceList.Add(resource);
            }
        }

        // Without -ApiGroup, plain resources ("pods") are core-group resources, like kubectl create role.
        if (!groupsGiven && plainResource)
        {
            groups.Insert(0, string.Empty);
        }

        var rule = new RbacPolicyRule
        {
            Verbs = verbList,
            Resources = resourceList,
            ApiGroups = resourceList.Count > 0 ? groups.Distinct(StringComparer.Ordinal).ToList() : Array.Empty<string>(),
            ResourceNames = Clean(resourceNames),
            NonResourceUrls = Clean(nonResourceUrls),
        };
        Validate(rule);
        if (!allowCustomVerb)
        {
            foreach (string verb in rule.Verbs)
            {
                if (ApiResourceCatalog.CheckVerb(verb, rule.IsNonResourceRule) is { } problem)
                {
                    throw K8sOperationException.InvalidArgument("Verb", verb, problem);
                }
            }
        }

        foreach (string resource in catalog is null ? Enumerable.Empty<string>() : rule.Resources)
        {
            if (catalog!.Check(rule.ApiGroups, resource) is { } problem)
            {
                throw K8sOperationException.InvalidArgument("Resource", resource, problem + " A resource this table does not know needs -AllowUnknownResource.");
            }
        }

        return rule;
    }

    /// <summary>kube-apiserver's ValidatePolicyRule, plus the mistakes it lets through but that grant nothing.</summary>
    public static void Validate(RbacPolicyRule rule)
    {
        if (rule.Verbs.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("Verb", null, "a rule needs at least one verb (get, list, watch, create, update, patch, delete, deletecollection, or *).");
        }

        if (rule.Resources.Count == 0 && rule.NonResourceUrls.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("Resource", null, "a rule needs -Resource (with -ApiGroup) or -NonResourceUrl.");
        }

        if (rule.NonResourceUrls.Count > 0)
        {
            if (rule.Resources.Count > 0 || rule.ResourceNames.Count > 0)
            {
                throw K8sOperationException.InvalidArgument("NonResourceUrl", string.Join(',', rule.NonResourceUrls), "a rule cannot mix non-resource URLs with resources or resource names; make two rules.");
            }

            foreach (string url in rule.NonResourceUrls)
            {
                if (url != "*" && !url.StartsWith('/'))
                {
                    throw K8sOperationException.InvalidArgument("NonResourceUrl", url, "non-resource URLs start with '/' (e.g. /healthz, /metrics, /healthz/*).");
                }

                int star = url.IndexOf('*', StringComparison.Ordinal);
                if (star >= 0 && star != url.Length - 1)
                {
                    throw K8sOperationException.InvalidArgument("NonResourceUrl", url, "'*' is only allowed at the end of a non-resource URL.");
                }
            }
        }

        if (rule.Resources.Count > 0 && rule.ApiGroups.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("ApiGroup", null, "resource rules need at least one API group (\"\" for the core group, or *).");
        }

        foreach (string verb in rule.Verbs)
        {
            if (verb.Any(char.IsWhiteSpace) || verb.Length == 0)
            {
                throw K8sOperationException.InvalidArgument("Verb", verb, "a verb is one word, e.g. get or deletecollection.");
            }

            if (verb != verb.ToLowerInvariant() && verb != "*")
            {
                throw K8sOperationException.InvalidArgument("Verb", verb, "RBAC verbs are lowercase and case-sensitive; this rule would match nothing.");
            }
        }

        foreach (string resource in rule.Resources)
        {
            if (resource != resource.ToLowerInvariant())
            {
                throw K8sOperationException.InvalidArgument("Resource", resource, "RBAC resources are lowercase plurals (pods, deployments); this rule would match nothing.");
            }
        }
    }

    private static List<string> Clean(IEnumerable<string>? values, bool keepEmpty = false) =>
        (values ?? Enumerable.Empty<string>())
            .SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries))
            .Where(v => keepEmpty || v.Length > 0)
            .Distinct(StringComparer.Ordinal)
            .ToList();
}
