using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

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
        KubernetesNames.ValidatePathSegmentName(RoleKind == RbacRoleKind.Role ? "Role" : "ClusterRole", RoleName);
        if (RoleKind == RbacRoleKind.Role && Namespace is null)
        {
            throw K8sOperationException.InvalidArgument("Role", RoleName, "a Role is namespaced: give -Namespace (or use -ClusterRole).");
        }

        if (Namespace is not null)
        {
            KubernetesNames.ValidateNamespace("Namespace", Namespace);
        }

        if (BindingName is not null)
        {
            KubernetesNames.ValidatePathSegmentName("BindingName", BindingName);
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

    /// <summary>The binding name Grant uses when none is given: stable, so granting twice finds the same binding.</summary>
    public static string DefaultBindingName(RbacRoleKind kind, string roleName)
    {
        string name = $"k8ssecurity:{(kind == RbacRoleKind.Role ? "role" : "clusterrole")}:{roleName}";
        return name.Length <= 253 ? name : name[..253];
    }

    /// <summary>
    /// Adds the subjects to a binding of the role in the scope. Subjects already bound to the role (by any binding
    /// there) are left alone, so granting twice changes nothing. The binding is -BindingName, else the default-named
    /// one, else one this module created earlier for the role, else a new default-named one. Concurrent grants to the
    /// same binding all end up in it (<see cref="ReadModifyWrite"/>); a binding deleted meanwhile is created again.
    /// </summary>
    public static async Task<RbacBinding> GrantAsync(ClusterClient cluster, RoleGrantRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        request.Validate();
        await WarnWhenRoleMissingAsync(cluster, request, log, cancellationToken).ConfigureAwait(false);
        return await ReadModifyWrite.RunAsync($"Granting {request.Role} in the {request.Scope}", request.BindingName ?? request.RoleName, async _ =>
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

            if (target is null)
            {
                string name = request.BindingName ?? defaultName;
                log.Verbose($"Creating {request.BindingKind} '{name}' for {request.Role} with {string.Join(", ", missing)}{DryRunNote(request.DryRun)}.");
                var created = await CreateBindingAsync(cluster, request, name, missing, cancellationToken).ConfigureAwait(false);
                return Copy(created, RbacBindingChange.Created, request.DryRun);
            }

            log.Verbose($"Adding {string.Join(", ", missing)} to {target}{DryRunNote(request.DryRun)}.");
            var (updated, changed) = await UpdateSubjectsAsync(
                cluster, target, stored => stored.Concat(missing.Where(m => !stored.Any(s => Matches(target, s, m)))).ToList(), request.DryRun, cancellationToken).ConfigureAwait(false);
            return Copy(updated, changed ? RbacBindingChange.Updated : RbacBindingChange.Unchanged, request.DryRun && changed);
        }, log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Removes the subjects from every binding of the role in the scope (or only -BindingName); a binding left without
    /// subjects is deleted (with its uid and resourceVersion as preconditions, so a subject added meanwhile is never
    /// deleted with it). Returns the bindings it changed: nothing when there was nothing to revoke.
    /// </summary>
    public static async Task<IReadOnlyList<RbacBinding>> RevokeAsync(ClusterClient cluster, RoleGrantRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        request.Validate();
        var changes = new Dictionary<string, RbacBinding>(StringComparer.Ordinal);
        await ReadModifyWrite.RunAsync($"Revoking {request.Role} in the {request.Scope}", request.BindingName ?? request.RoleName, async _ =>
        {
            var existing = await ListBindingsAsync(cluster, request.Namespace, cancellationToken).ConfigureAwait(false);
            var candidates = existing
                .Where(b => b.RoleKind == request.RoleKind && b.RoleName == request.RoleName)
                .Where(b => request.BindingName is null || b.Name == request.BindingName)
                .ToList();
            foreach (var binding in candidates)
            {
                if (!binding.Subjects.Any(s => request.Subjects.Any(r => Matches(binding, s, r))))
                {
                    continue;
                }

                var (updated, changed) = await UpdateSubjectsAsync(
                    cluster, binding, stored => stored.Where(s => !request.Subjects.Any(r => Matches(binding, s, r))).ToList(), request.DryRun, cancellationToken, deleteWhenEmpty: true, log).ConfigureAwait(false);
                if (changed)
                {
                    changes[binding.Name] = updated.Subjects.Count == 0
                        ? Copy(updated, RbacBindingChange.Deleted, request.DryRun, Array.Empty<RbacSubject>())
                        : Copy(updated, RbacBindingChange.Updated, request.DryRun);
                }
            }

            return true;
        }, log, cancellationToken).ConfigureAwait(false);

        if (changes.Count == 0)
        {
            log.Verbose($"No binding of {request.Role} in the {request.Scope} names {string.Join(", ", request.Subjects)}: nothing to revoke.");
        }

        return changes.Values.OrderBy(b => b.Name, StringComparer.Ordinal).ToList();
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
        KubernetesNames.ValidateNamespace("Namespace", ns, optional: true);
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
        KubernetesNames.ValidateNamespace("Namespace", ns, optional: true);
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
                r => RbacSource.FromModel(r), cancellationToken).ConfigureAwait(false);
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
                r => RbacSource.FromModel(r), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The create-or-replace step shared by Role and ClusterRole: create when absent, leave an identical one alone,
    /// refuse a different one without force, else replace it (keeping its other labels) with the read resourceVersion.
    /// A concurrent create or change is read again (<see cref="ReadModifyWrite"/>).
    /// </summary>
    private static Task<RbacRole> CreateOrReplaceAsync<T>(
        RbacRole role, T body, bool force, bool dryRun, EngineLog log, string differences, string replacing,
        Func<Task<T>> read, string readOperation, Func<Task<T>> create, Func<Task<T>> replace, Func<T, RbacRole> fromModel, CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var wantedLabels = body.Metadata.Labels is null ? null : new Dictionary<string, string>(body.Metadata.Labels);
        return ReadModifyWrite.RunAsync($"Writing {role}", role.Name, async _ =>
        {
            var existing = await GetOrNullAsync(read, readOperation).ConfigureAwait(false);
            if (existing is null)
            {
                log.Verbose($"Creating {role}{DryRunNote(dryRun)}.");
                body.Metadata.ResourceVersion = null;
                body.Metadata.Labels = wantedLabels is null ? null : new Dictionary<string, string>(wantedLabels);
                var created = await ReadModifyWrite.WriteAsync(WriteKind.Create, create, $"Creating {role}", role.Name).ConfigureAwait(false);
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
            body.Metadata.Labels = MergeLabels(existing.Metadata.Labels, wantedLabels);
            log.Verbose($"{replacing} {role}{DryRunNote(dryRun)}.");
            var replaced = await ReadModifyWrite.WriteAsync(WriteKind.Update, replace, $"Replacing {role}", role.Name).ConfigureAwait(false);
            return With(fromModel(replaced), dryRun);
        }, log, cancellationToken);
    }

    public static void ValidateRole(RbacRole role)
    {
        KubernetesNames.ValidatePathSegmentName("Name", role.Name);
        if (role.Kind == RbacRoleKind.Role)
        {
            KubernetesNames.ValidateNamespace("Namespace", role.Namespace ?? string.Empty);
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

        KubernetesNames.ValidateLabels("Label", role.Labels);
        foreach (var selector in role.AggregationSelectors ?? Array.Empty<RbacLabelSelector>())
        {
            KubernetesNames.ValidateLabels("AggregationSelector", selector.MatchLabels);
            foreach (var requirement in selector.MatchExpressions)
            {
                KubernetesNames.ValidateSelectorRequirement("AggregationSelector", requirement.Key, requirement.Operator, requirement.Values);
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
            var created = await ReadModifyWrite.WriteAsync(WriteKind.Create, () => rbac.CreateClusterRoleBindingAsync(body, dryRun: dry, cancellationToken: cancellationToken), $"Creating ClusterRoleBinding '{name}'", name).ConfigureAwait(false);
            return RbacSource.FromModel(created);
        }

        metadata.NamespaceProperty = request.Namespace;
        var roleBinding = new V1RoleBinding { Metadata = metadata, RoleRef = roleRef, Subjects = modelSubjects };
        var createdBinding = await ReadModifyWrite.WriteAsync(WriteKind.Create, () => rbac.CreateNamespacedRoleBindingAsync(roleBinding, request.Namespace, dryRun: dry, cancellationToken: cancellationToken), $"Creating RoleBinding '{name}' in namespace '{request.Namespace}'", name).ConfigureAwait(false);
        return RbacSource.FromModel(createdBinding);
    }

    /// <summary>
    /// One read-modify-write of a binding's subjects: reads it fresh, computes the new subject list from what is stored
    /// now (so other writers' subjects stay), and replaces it with the read resourceVersion (or deletes it, with uid and
    /// resourceVersion preconditions, when <paramref name="deleteWhenEmpty"/> and nothing is left). Stored entries of a
    /// kind the module does not parse are kept. Returns the binding as written and whether anything changed.
    /// </summary>
    private static async Task<(RbacBinding Binding, bool Changed)> UpdateSubjectsAsync(
        ClusterClient cluster, RbacBinding binding, Func<IReadOnlyList<RbacSubject>, List<RbacSubject>> change, bool dryRun, CancellationToken cancellationToken,
        bool deleteWhenEmpty = false, EngineLog? log = null)
    {
        var rbac = cluster.Api.RbacAuthorizationV1;
        string? dry = dryRun ? "All" : null;
        bool cluster_ = binding.Kind == RbacBindingKind.ClusterRoleBinding;
        string? ns = binding.Namespace;
        IKubernetesObject<V1ObjectMeta>? current;
        if (cluster_)
        {
            current = await GetOrNullAsync(() => rbac.ReadClusterRoleBindingAsync(binding.Name, cancellationToken: cancellationToken), $"Reading {binding}").ConfigureAwait(false);
        }
        else
        {
            current = await GetOrNullAsync(() => rbac.ReadNamespacedRoleBindingAsync(binding.Name, ns!, cancellationToken: cancellationToken), $"Reading {binding}").ConfigureAwait(false);
        }

        if (current is null)
        {
            // Deleted since it was listed: the attempt starts over from a fresh list.
            throw ReadModifyWrite.LostRace(new K8sOperationException(K8sErrorKind.NotFound, $"{binding} was deleted while it was being changed.", binding.Name) { Reason = "NotFound" });
        }

        var storedEntries = (cluster_ ? ((V1ClusterRoleBinding)current).Subjects : ((V1RoleBinding)current).Subjects) ?? new List<Rbacv1Subject>();
        var fresh = cluster_ ? RbacSource.FromModel((V1ClusterRoleBinding)current) : RbacSource.FromModel((V1RoleBinding)current);
        var wanted = change(fresh.Subjects);
        if (wanted.Count == fresh.Subjects.Count && wanted.All(w => fresh.Subjects.Contains(w)))
        {
            return (fresh, false);
        }

        // Keep the stored entries that stay (with their apiGroup) and entries of kinds the module does not manage.
        var entries = new List<Rbacv1Subject>();
        var remaining = wanted.ToList();
        foreach (var entry in storedEntries)
        {
            var parsed = RbacSource.Subjects(new[] { entry });
            if (parsed.Count == 0)
            {
                entries.Add(entry);
                continue;
            }

            int index = remaining.IndexOf(parsed[0]);
            if (index >= 0)
            {
                entries.Add(entry);
                remaining.RemoveAt(index);
            }
        }

        entries.AddRange(remaining.Select(RbacSource.ToModel));
        var meta = current.Metadata;
        if (deleteWhenEmpty && entries.Count == 0)
        {
            log?.Verbose($"Deleting {binding}: no subject is left{DryRunNote(dryRun)}.");
            var options = new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = meta.Uid, ResourceVersion = meta.ResourceVersion }, DryRun = dryRun ? new List<string> { "All" } : null };
            await ReadModifyWrite.WriteAsync(
                WriteKind.Delete,
                () => cluster_
                    ? rbac.DeleteClusterRoleBindingAsync(binding.Name, options, dryRun: dry, cancellationToken: cancellationToken)
                    : rbac.DeleteNamespacedRoleBindingAsync(binding.Name, ns!, options, dryRun: dry, cancellationToken: cancellationToken),
                $"Deleting {binding}",
                binding.Name).ConfigureAwait(false);
            return (Copy(fresh, RbacBindingChange.Deleted, dryRun, Array.Empty<RbacSubject>()), true);
        }

        log?.Verbose($"Setting the subjects of {binding} to {string.Join(", ", wanted)}{DryRunNote(dryRun)}.");
        if (cluster_)
        {
            var body = (V1ClusterRoleBinding)current;
            body.Subjects = entries;
            var replaced = await ReadModifyWrite.WriteAsync(WriteKind.Update, () => rbac.ReplaceClusterRoleBindingAsync(body, binding.Name, dryRun: dry, cancellationToken: cancellationToken), $"Updating {binding}", binding.Name).ConfigureAwait(false);
            return (RbacSource.FromModel(replaced), true);
        }

        var roleBinding = (V1RoleBinding)current;
        roleBinding.Subjects = entries;
        var replacedBinding = await ReadModifyWrite.WriteAsync(WriteKind.Update, () => rbac.ReplaceNamespacedRoleBindingAsync(roleBinding, binding.Name, ns!, dryRun: dry, cancellationToken: cancellationToken), $"Updating {binding}", binding.Name).ConfigureAwait(false);
        return (RbacSource.FromModel(replacedBinding), true);
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
