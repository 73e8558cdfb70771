using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>What New-K8sSecureNamespace creates. Null Quota/LimitRange skips that object.</summary>
public sealed class SecureNamespaceRequest
{
    public required string Name { get; init; }

    /// <summary>Privileged, Baseline or Restricted (enforce, audit and warn alike).</summary>
    public string PodSecurity { get; init; } = "Restricted";

    public string PodSecurityVersion { get; init; } = "latest";

    public IReadOnlyDictionary<string, string>? Quota { get; init; }

    public LimitRangeRequest? LimitRange { get; init; }

    /// <summary>All, Ingress, Egress or None. DNS egress is always allowed with an egress deny.</summary>
    public string DefaultDeny { get; init; } = "All";

    public string ServiceAccountName { get; init; } = "workload";

    /// <summary>"alice", "user:alice" or "group:team-a": bound to ClusterRole admin in the namespace.</summary>
    public string? Owner { get; init; }

    /// <summary>Replace a network policy or owner RoleBinding of the same name that differs.</summary>
    public bool Force { get; init; }
}

/// <summary>One object of the secure namespace, in creation order.</summary>
public sealed class SecureNamespaceStep
{
    public required int Order { get; init; }

    public required string Kind { get; init; }

    public required string Name { get; init; }

    public required ChangeAction Action { get; init; }

    public required string Description { get; init; }

    /// <summary>True once applied (false for -WhatIf or a declined confirmation).</summary>
    public bool Applied { get; set; }

    internal Func<CancellationToken, Task>? Apply { get; init; }

    public string Target => Kind == "Namespace" ? $"Namespace {Name}" : $"{Kind} {Name}";
}

/// <summary>The summary New-K8sSecureNamespace returns.</summary>
public sealed class SecureNamespaceResult
{
    public required string Namespace { get; init; }

    public required string PodSecurity { get; init; }

    public string? Quota { get; init; }

    public string? LimitRange { get; init; }

    public string? NetworkPolicy { get; init; }

    public required string ServiceAccount { get; init; }

    public string? OwnerBinding { get; init; }

    public IReadOnlyList<SecureNamespaceStep> Steps { get; init; } = Array.Empty<SecureNamespaceStep>();

    /// <summary>Objects created or updated by this run (0 on an idempotent re-run).</summary>
    public int Changed => Steps.Count(s => s.Applied && s.Action != ChangeAction.Unchanged);

    /// <summary>True when the run was a preview or some step was declined.</summary>
    public bool Preview => Steps.Any(s => !s.Applied && s.Action != ChangeAction.Unchanged);
}

/// <summary>
/// Namespace + PSA labels → ResourceQuota → LimitRange → default-deny NetworkPolicy with DNS egress → service account
/// without token automount → owner RoleBinding, in that order. Everything is validated and planned before the
/// first write; each step is idempotent.
/// </summary>
public static class SecureNamespaceService
{
    public static async Task<SecureNamespaceResult> PlanAsync(ClusterClient cluster, SecureNamespaceRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        // Validate everything first: nothing is sent for a bad request.
        KubernetesNames.ValidateLabelName("Name", request.Name);
        KubernetesNames.ValidateObjectName("ServiceAccountName", request.ServiceAccountName);
        var psa = new PodSecurityRequest { Namespace = request.Name, Enforce = request.PodSecurity, Audit = request.PodSecurity, Warn = request.PodSecurity, Version = request.PodSecurityVersion };
        PodSecurityService.Validate(psa);
        var quotaRequest = request.Quota is null ? null : new QuotaRequest { Namespace = request.Name, Hard = request.Quota };
        if (quotaRequest is not null)
        {
            QuotaService.Validate(quotaRequest);
        }

        if (request.LimitRange is not null)
        {
            LimitRangeService.Validate(request.LimitRange);
        }

        var policy = request.DefaultDeny == "None"
            ? null
            : NetworkPolicyService.Build(new NetworkPolicyRequest
            {
                Namespace = request.Name, DefaultDeny = request.DefaultDeny, AllowDns = request.DefaultDeny is "All" or "Egress",
            });
        var owner = request.Owner is null ? null : ParseOwner(request.Owner);

        var steps = new List<SecureNamespaceStep>();
        var labels = PodSecurityService.DesiredLabels(psa);
        steps.Add(Retrying(
            await PlanNamespaceAsync(cluster, request.Name, labels, cancellationToken).ConfigureAwait(false),
            ct => PlanNamespaceAsync(cluster, request.Name, labels, ct), log));
        if (quotaRequest is not null)
        {
            var plan = await QuotaService.PlanAsync(cluster, quotaRequest, log, cancellationToken).ConfigureAwait(false);
            steps.Add(Step(steps.Count + 1, plan, ct => QuotaService.ApplyAsync(cluster, plan, ct)));
        }

        if (request.LimitRange is not null)
        {
            var plan = await LimitRangeService.PlanAsync(cluster, request.LimitRange, log, cancellationToken).ConfigureAwait(false);
            steps.Add(Step(steps.Count + 1, plan, ct => LimitRangeService.ApplyAsync(cluster, plan, ct)));
        }

        if (policy is not null)
        {
            var plan = await NetworkPolicyService.PlanAsync(cluster, policy, request.Force, log, cancellationToken).ConfigureAwait(false);
            steps.Add(Step(steps.Count + 1, plan, ct => NetworkPolicyService.ApplyAsync(cluster, plan, ct)));
        }

        int accountOrder = steps.Count + 1;
        steps.Add(Retrying(
            await PlanServiceAccountAsync(cluster, request.Name, request.ServiceAccountName, accountOrder, cancellationToken).ConfigureAwait(false),
            ct => PlanServiceAccountAsync(cluster, request.Name, request.ServiceAccountName, accountOrder, ct), log));
        if (owner is not null)
        {
            int ownerOrder = steps.Count + 1;
            steps.Add(Retrying(
                await PlanOwnerAsync(cluster, request.Name, owner, request.Force, ownerOrder, cancellationToken).ConfigureAwait(false),
                ct => PlanOwnerAsync(cluster, request.Name, owner, request.Force, ownerOrder, ct), log));
        }

        foreach (var step in steps)
        {
            log.Verbose($"{step.Order}. {step.Target}: {step.Description}");
        }

        return new SecureNamespaceResult
        {
            Namespace = request.Name,
            PodSecurity = $"{request.PodSecurity.ToLowerInvariant()}:{request.PodSecurityVersion}",
            Quota = quotaRequest?.Name,
            LimitRange = request.LimitRange?.Name,
            NetworkPolicy = policy?.Metadata.Name,
            ServiceAccount = request.ServiceAccountName,
            OwnerBinding = owner is null ? null : OwnerBindingName,
            Steps = steps,
        };
    }

    public const string OwnerBindingName = "namespace-owner-admin";

    /// <summary>Runs one planned step (the cmdlet confirms each step first).</summary>
    public static async Task ApplyStepAsync(SecureNamespaceStep step, CancellationToken cancellationToken)
    {
        if (step.Action != ChangeAction.Unchanged && step.Apply is not null)
        {
            await step.Apply(cancellationToken).ConfigureAwait(false);
        }

        step.Applied = true;
    }

    internal static Rbacv1Subject ParseOwner(string owner)
    {
        string kind = "User";
        string name = owner;
        if (owner.StartsWith("group:", StringComparison.OrdinalIgnoreCase))
        {
            kind = "Group";
            name = owner[6..];
        }
        else if (owner.StartsWith("user:", StringComparison.OrdinalIgnoreCase))
        {
            name = owner[5..];
        }

        if (string.IsNullOrWhiteSpace(name))
        {
            throw K8sOperationException.InvalidArgument("Owner", owner, "name a user ('alice' or 'user:alice') or a group ('group:team-a')");
        }

        return new Rbacv1Subject { Kind = kind, Name = name, ApiGroup = "rbac.authorization.k8s.io" };
    }

    /// <summary>
    /// The step as confirmed, applied with <see cref="ReadModifyWrite"/>: when another writer changed the object between
    /// the plan and the write, the step is planned again from a fresh read and applied (or skipped if now unchanged).
    /// </summary>
    private static SecureNamespaceStep Retrying(SecureNamespaceStep first, Func<CancellationToken, Task<SecureNamespaceStep>> replan, EngineLog log) => new()
    {
        Order = first.Order, Kind = first.Kind, Name = first.Name, Action = first.Action, Description = first.Description,
        Apply = first.Apply is null ? null : ct => ReadModifyWrite.RunAsync($"Applying {first.Kind} {first.Name}", first.Name, async attempt =>
        {
            var step = attempt == 1 ? first : await replan(ct).ConfigureAwait(false);
            if (step.Action != ChangeAction.Unchanged && step.Apply is not null)
            {
                await step.Apply(ct).ConfigureAwait(false);
            }

            return true;
        }, log, ct),
    };

    private static SecureNamespaceStep Step(int order, PlannedChange plan, Func<CancellationToken, Task> apply) => new()
        {
            Order = order, Kind = plan.Kind, Name = $"{plan.Namespace}/{plan.Name}", Action = plan.Action, Description = plan.Description, Apply = apply,
        };

    private static async Task<SecureNamespaceStep> PlanNamespaceAsync(ClusterClient cluster, string name, Dictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var existing = await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.CoreV1.ReadNamespaceAsync(name, cancellationToken: cancellationToken), $"Reading namespace {name}", name).ConfigureAwait(false);
        if (existing is null)
        {
            return new SecureNamespaceStep
            {
                Order = 1, Kind = "Namespace", Name = name, Action = ChangeAction.Create,
                Description = "create with " + string.Join(", ", labels.Select(p => $"{p.Key}={p.Value}")),
                Apply = ct => ReadModifyWrite.WriteAsync(WriteKind.Create,
                    () => cluster.Api.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name, Labels = labels } }, cancellationToken: ct),
                    $"Creating namespace {name}", name),
            };
        }

        var current = existing.Metadata.Labels ?? new Dictionary<string, string>();
        var missing = labels.Where(p => !current.TryGetValue(p.Key, out var v) || v != p.Value).ToDictionary(p => p.Key, p => p.Value);
        if (missing.Count == 0)
        {
            return new SecureNamespaceStep { Order = 1, Kind = "Namespace", Name = name, Action = ChangeAction.Unchanged, Description = "exists with the Pod Security labels" };
        }

        // The read resourceVersion makes the patch conditional: planned again if the namespace changed meanwhile.
        string patch = System.Text.Json.JsonSerializer.Serialize(new { metadata = new { resourceVersion = existing.Metadata.ResourceVersion, labels = missing } });
        return new SecureNamespaceStep
        {
            Order = 1, Kind = "Namespace", Name = name, Action = ChangeAction.Update,
            Description = "set labels " + string.Join(", ", missing.Select(p => $"{p.Key}={p.Value}")),
            Apply = ct => ReadModifyWrite.WriteAsync(WriteKind.Update,
                () => cluster.Api.CoreV1.PatchNamespaceAsync(new V1Patch(patch, V1Patch.PatchType.MergePatch), name, cancellationToken: ct),
                $"Labelling namespace {name}", name),
        };
    }

    private static async Task<SecureNamespaceStep> PlanServiceAccountAsync(ClusterClient cluster, string ns, string name, int order, CancellationToken cancellationToken)
    {
        var existing = await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.CoreV1.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: cancellationToken), $"Reading ServiceAccount {ns}/{name}", name).ConfigureAwait(false);
        if (existing is null)
        {
            return new SecureNamespaceStep
            {
                Order = order, Kind = "ServiceAccount", Name = $"{ns}/{name}", Action = ChangeAction.Create, Description = "create with automountServiceAccountToken: false",
                Apply = ct => ReadModifyWrite.WriteAsync(WriteKind.Create,
                    () => cluster.Api.CoreV1.CreateNamespacedServiceAccountAsync(
                        new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, AutomountServiceAccountToken = false }, ns, cancellationToken: ct),
                    $"Creating ServiceAccount {ns}/{name}", name),
            };
        }

        if (existing.AutomountServiceAccountToken == false)
        {
            return new SecureNamespaceStep { Order = order, Kind = "ServiceAccount", Name = $"{ns}/{name}", Action = ChangeAction.Unchanged, Description = "exists without token automount" };
        }

        return new SecureNamespaceStep
        {
            Order = order, Kind = "ServiceAccount", Name = $"{ns}/{name}", Action = ChangeAction.Update, Description = "turn token automount off",
            Apply = ct => ReadModifyWrite.WriteAsync(WriteKind.Update,
                () => cluster.Api.CoreV1.PatchNamespacedServiceAccountAsync(
                    new V1Patch(new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = existing.Metadata.ResourceVersion }, ["automountServiceAccountToken"] = false }.ToJsonString(), V1Patch.PatchType.MergePatch),
                    name, ns, cancellationToken: ct),
                $"Updating ServiceAccount {ns}/{name}", name),
        };
    }

    private static async Task<SecureNamespaceStep> PlanOwnerAsync(ClusterClient cluster, string ns, Rbacv1Subject owner, bool force, int order, CancellationToken cancellationToken)
    {
        var desired = new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = OwnerBindingName, NamespaceProperty = ns },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "admin" },
            Subjects = new List<Rbacv1Subject> { owner },
        };
        string target = $"{ns}/{OwnerBindingName}";
        var existing = await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync(OwnerBindingName, ns, cancellationToken: cancellationToken), $"Reading RoleBinding {target}", OwnerBindingName).ConfigureAwait(false);
        string who = $"{owner.Kind} {owner.Name}";
        if (existing is null)
        {
            return new SecureNamespaceStep
            {
                Order = order, Kind = "RoleBinding", Name = target, Action = ChangeAction.Create, Description = $"bind {who} to ClusterRole admin",
                Apply = ct => ReadModifyWrite.WriteAsync(WriteKind.Create,
                    () => cluster.Api.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(desired, ns, cancellationToken: ct), $"Creating RoleBinding {target}", OwnerBindingName),
            };
        }

        bool same = existing.RoleRef?.Kind == "ClusterRole" && existing.RoleRef.Name == "admin"
                    && existing.Subjects?.Count == 1 && existing.Subjects[0].Kind == owner.Kind && existing.Subjects[0].Name == owner.Name;
        if (same)
        {
            return new SecureNamespaceStep { Order = order, Kind = "RoleBinding", Name = target, Action = ChangeAction.Unchanged, Description = $"{who} already bound to admin" };
        }

        if (!force || existing.RoleRef?.Name != "admin" || existing.RoleRef.Kind != "ClusterRole")
        {
            // roleRef is immutable; a different one needs a human decision.
            throw new K8sOperationException(
                K8sErrorKind.AlreadyExists,
                $"RoleBinding {target} already exists for {string.Join(", ", existing.Subjects?.Select(s => $"{s.Kind} {s.Name}") ?? Array.Empty<string>())}; use -Force to make {who} its only subject.",
                OwnerBindingName);
        }

        existing.Subjects = new List<Rbacv1Subject> { owner };
        return new SecureNamespaceStep
        {
            Order = order, Kind = "RoleBinding", Name = target, Action = ChangeAction.Update, Description = $"make {who} the only subject",
            Apply = ct => ReadModifyWrite.WriteAsync(WriteKind.Update,
                () => cluster.Api.RbacAuthorizationV1.ReplaceNamespacedRoleBindingAsync(existing, OwnerBindingName, ns, cancellationToken: ct), $"Updating RoleBinding {target}", OwnerBindingName),
        };
    }
}
