using System.Globalization;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>ResourceQuota: create-or-update keeping unspecified resources, rows with usage, removal.</summary>
public static class QuotaService
{
    public const string DefaultName = "resource-quota-default";

    /// <summary>Checks names, quantities and scopes like the apiserver does; nothing is sent.</summary>
    public static void Validate(QuotaRequest request)
    {
        KubernetesNames.ValidateObjectName("Name", request.Name);
        KubernetesNames.ValidateNamespace("Namespace", request.Namespace);
        foreach (var (resource, value) in request.Hard)
        {
            ResourceNames.ValidateQuotaResourceName("Hard", resource);
            ResourceNames.ParseValue(ParameterFor(resource), resource, value);
        }

        foreach (string scope in request.Scopes ?? Array.Empty<string>())
        {
            if (!ResourceNames.QuotaScopes.Contains(scope, StringComparer.Ordinal))
            {
                throw K8sOperationException.InvalidArgument("Scope", scope, "unsupported scope; valid scopes: " + string.Join(", ", ResourceNames.QuotaScopes));
            }

            // helper.IsResourceQuotaScopeValidForResource: BestEffort tracks pods only; the other pod scopes pods and compute.
            bool podScope = scope is "Terminating" or "NotTerminating" or "NotBestEffort" or "PriorityClass" or "CrossNamespacePodAffinity";
            foreach (string resource in request.Hard.Keys)
            {
                bool valid = scope == "BestEffort" ? resource == "pods" : !podScope || IsPodScopeResource(resource);
                if (!valid)
                {
                    throw K8sOperationException.InvalidArgument(ParameterFor(resource), resource, $"unsupported scope applied to resource: scope {scope} does not track {resource}");
                }
            }
        }

        foreach (var requirement in request.ScopeSelector ?? Array.Empty<ScopeRequirement>())
        {
            if (!ResourceNames.QuotaScopes.Contains(requirement.ScopeName, StringComparer.Ordinal))
            {
                throw K8sOperationException.InvalidArgument("ScopeSelector", requirement.ScopeName, "unsupported scope");
            }

            if (requirement.Operator is not ("In" or "NotIn" or "Exists" or "DoesNotExist"))
            {
                throw K8sOperationException.InvalidArgument("ScopeSelector", requirement.Operator, "operator must be In, NotIn, Exists or DoesNotExist");
            }

            bool needsValues = requirement.Operator is "In" or "NotIn";
            if (needsValues != (requirement.Values.Count > 0))
            {
                throw K8sOperationException.InvalidArgument("ScopeSelector", requirement.ScopeName, needsValues ? "must specify values for In/NotIn" : "may not specify values for Exists/DoesNotExist");
            }
        }

        if (request.Hard.Count == 0 && request.Replace)
        {
            throw K8sOperationException.InvalidArgument("Replace", request.Name, "-Replace needs at least one resource limit");
        }
    }

    /// <summary>Reads the current quota and works out what to send. Sends nothing that changes state.</summary>
    public static async Task<PlannedChange> PlanAsync(ClusterClient cluster, QuotaRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        Validate(request);
        var existing = await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.CoreV1.ReadNamespacedResourceQuotaAsync(request.Name, request.Namespace, cancellationToken: cancellationToken),
            $"Reading ResourceQuota {request.Namespace}/{request.Name}", request.Name).ConfigureAwait(false);

        var hard = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        if (existing?.Spec?.Hard is { } current && !request.Replace)
        {
            foreach (var (key, value) in current)
            {
                hard[key] = Quantity.Parse(value.ToString());
            }
        }

        foreach (var (key, value) in request.Hard)
        {
            hard[key] = ResourceNames.ParseValue(ParameterFor(key), key, value);
        }

        if (existing is null && hard.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("Hard", request.Namespace, "a new quota needs at least one resource limit (-Pods, -RequestsCpu, -Hard …)");
        }

        var scopes = request.Scopes ?? (request.Replace ? null : existing?.Spec?.Scopes?.ToList());
        var selector = request.ScopeSelector is not null
            ? request.ScopeSelector.Select(r => new V1ScopedResourceSelectorRequirement { OperatorProperty = r.Operator, ScopeName = r.ScopeName, Values = r.Values.Count == 0 ? null : r.Values.ToList() }).ToList()
            : request.Replace ? null : existing?.Spec?.ScopeSelector?.MatchExpressions?.ToList();

        var desired = existing ?? new V1ResourceQuota { ApiVersion = "v1", Kind = "ResourceQuota", Metadata = new V1ObjectMeta { Name = request.Name, NamespaceProperty = request.Namespace } };
        var oldHard = existing?.Spec?.Hard?.ToDictionary(p => p.Key, p => Quantity.Parse(p.Value.ToString()), StringComparer.Ordinal)
                      ?? new Dictionary<string, Quantity>(StringComparer.Ordinal);
        var changes = DescribeDifferences(oldHard, hard);
        var oldScopes = existing?.Spec?.Scopes ?? new List<string>();
        if (!(scopes ?? new List<string>()).OrderBy(s => s, StringComparer.Ordinal).SequenceEqual(oldScopes.OrderBy(s => s, StringComparer.Ordinal), StringComparer.Ordinal))
        {
            changes.Add($"scopes: [{string.Join(",", oldScopes)}] -> [{string.Join(",", scopes ?? new List<string>())}]");
        }

        string oldSelector = DescribeSelector(existing?.Spec?.ScopeSelector?.MatchExpressions);
        string newSelector = DescribeSelector(selector);
        if (oldSelector != newSelector)
        {
            changes.Add($"scopeSelector: [{oldSelector}] -> [{newSelector}]");
        }

        desired.Spec = new V1ResourceQuotaSpec
        {
            Hard = hard.ToDictionary(p => p.Key, p => new ResourceQuantity(p.Value.ToString()), StringComparer.Ordinal),
            Scopes = scopes is { Count: > 0 } ? scopes.ToList() : null,
            ScopeSelector = selector is { Count: > 0 } ? new V1ScopeSelector { MatchExpressions = selector } : null,
        };
        desired.Status = null;

        var action = existing is null ? ChangeAction.Create : changes.Count == 0 ? ChangeAction.Unchanged : ChangeAction.Update;
        string description = action switch
        {
            ChangeAction.Create => "create with " + string.Join(", ", hard.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")),
            ChangeAction.Update => "update " + string.Join("; ", changes),
            _ => "already as requested",
        };
        log.Verbose($"ResourceQuota {request.Namespace}/{request.Name}: {description}");
        return new PlannedChange
        {
            Action = action, Kind = "ResourceQuota", Namespace = request.Namespace, Name = request.Name, Description = description, Desired = desired,
            Replan = ct => PlanAsync(cluster, request, log, ct), Log = log,
        };
    }

    /// <summary>
    /// Sends the planned change (or nothing when unchanged) and returns the quota's rows. The update carries the
    /// resourceVersion the plan read; when another writer changed the quota first, the request is planned again on the
    /// fresh quota (so its other resources stay) and sent again.
    /// </summary>
    public static async Task<IReadOnlyList<NamespaceQuotaRow>> ApplyAsync(ClusterClient cluster, PlannedChange plan, CancellationToken cancellationToken)
    {
        var result = await GuardrailApi.ApplyAsync(plan, current => current.Action switch
        {
            ChangeAction.Create => ReadModifyWrite.WriteAsync(WriteKind.Create,
                () => cluster.Api.CoreV1.CreateNamespacedResourceQuotaAsync((V1ResourceQuota)current.Desired!, current.Namespace, cancellationToken: cancellationToken),
                $"Creating ResourceQuota {current.Namespace}/{current.Name}", current.Name),
            ChangeAction.Update => ReadModifyWrite.WriteAsync(WriteKind.Update,
                () => cluster.Api.CoreV1.ReplaceNamespacedResourceQuotaAsync((V1ResourceQuota)current.Desired!, current.Name, current.Namespace, cancellationToken: cancellationToken),
                $"Updating ResourceQuota {current.Namespace}/{current.Name}", current.Name),
            _ => Task.FromResult((V1ResourceQuota)current.Desired!),
        }, cancellationToken).ConfigureAwait(false);

        // The create/update answer has no usage yet; read it back so rows show Used like Get does.
        var fresh = await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.CoreV1.ReadNamespacedResourceQuotaAsync(plan.Name, plan.Namespace, cancellationToken: cancellationToken),
            $"Reading ResourceQuota {plan.Namespace}/{plan.Name}", plan.Name).ConfigureAwait(false);
        return ToRows(fresh ?? result);
    }

    public static async Task<IReadOnlyList<NamespaceQuotaRow>> GetAsync(ClusterClient cluster, string? ns, string? name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns, optional: true);
        var list = ns is null
            ? await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListResourceQuotaForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing resource quotas").ConfigureAwait(false)
            : await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListNamespacedResourceQuotaAsync(ns, cancellationToken: cancellationToken), $"Listing resource quotas in {ns}", ns).ConfigureAwait(false);
        return list.Items
            .Where(q => name is null || GuardrailNames.Matches(name, q.Metadata.Name))
            .OrderBy(q => q.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(q => q.Metadata.Name, StringComparer.Ordinal)
            .SelectMany(ToRows).ToList();
    }

    public static async Task<bool> ExistsAsync(ClusterClient cluster, string ns, string name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("Name", name);
        return await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.CoreV1.ReadNamespacedResourceQuotaAsync(name, ns, cancellationToken: cancellationToken),
            $"Reading ResourceQuota {ns}/{name}", name).ConfigureAwait(false) is not null;
    }

    public static async Task RemoveAsync(ClusterClient cluster, string ns, string name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("Name", name);
        try
        {
            await ApiErrorTranslator.CallAsync(
                () => cluster.Api.CoreV1.DeleteNamespacedResourceQuotaAsync(name, ns, cancellationToken: cancellationToken),
                $"Deleting ResourceQuota {ns}/{name}", name).ConfigureAwait(false);
        }
        catch (System.Text.Json.JsonException)
        {
            // kube-apiserver answers with the deleted quota, some servers with a Status: the 200 is what counts.
        }
    }

    internal static IReadOnlyList<NamespaceQuotaRow> ToRows(V1ResourceQuota quota)
    {
        var hard = quota.Status?.Hard ?? quota.Spec?.Hard ?? new Dictionary<string, ResourceQuantity>();
        var used = quota.Status?.Used ?? new Dictionary<string, ResourceQuantity>();
        var scopes = (quota.Spec?.Scopes ?? new List<string>()).ToList();
        if (quota.Spec?.ScopeSelector?.MatchExpressions is { } expressions)
        {
            scopes.AddRange(expressions.Select(e => e.Values is { Count: > 0 } ? $"{e.ScopeName} {e.OperatorProperty} ({string.Join(",", e.Values)})" : $"{e.ScopeName} {e.OperatorProperty}"));
        }

        return hard.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p =>
        {
            var hardQuantity = Quantity.Parse(p.Value.ToString());
            Quantity? usedQuantity = used.TryGetValue(p.Key, out var u) ? Quantity.Parse(u.ToString()) : null;
            return new NamespaceQuotaRow
            {
                Namespace = quota.Metadata.NamespaceProperty,
                Quota = quota.Metadata.Name,
                Resource = p.Key,
                Hard = hardQuantity.ToString(),
                Used = usedQuantity?.ToString(),
                PercentUsed = Percent(usedQuantity, hardQuantity),
                Scopes = scopes,
            };
        }).ToList();
    }

    internal static double? Percent(Quantity? used, Quantity hard)
    {
        if (used is null)
        {
            return null;
        }

        if (hard.IsZero)
        {
            return used.IsZero ? 0 : double.PositiveInfinity; // a zero limit ("none allowed") that is respected is not a warning
        }

        // Exact milli-units, then one division: 150m of 500m is exactly 30.
        double ratio = (double)used.MilliValue / (double)hard.MilliValue;
        return Math.Round(ratio * 100, 1, MidpointRounding.AwayFromZero);
    }

    /// <summary>The cmdlet parameter that feeds a resource, so errors name what the user typed.</summary>
    internal static string ParameterFor(string resource) => resource switch
    {
        "pods" => "Pods",
        "requests.cpu" => "RequestsCpu",
        "requests.memory" => "RequestsMemory",
        "limits.cpu" => "LimitsCpu",
        "limits.memory" => "LimitsMemory",
        "configmaps" => "ConfigMaps",
        "persistentvolumeclaims" => "PersistentVolumeClaims",
        "replicationcontrollers" => "ReplicationControllers",
        "secrets" => "Secrets",
        "services" => "Services",
        "services.loadbalancers" => "LoadBalancers",
        "services.nodeports" => "NodePorts",
        "requests.storage" => "RequestsStorage",
        _ => "Hard",
    };

    private static bool IsPodScopeResource(string resource) =>
        resource is "pods" or "cpu" or "memory" or "requests.cpu" or "requests.memory" or "limits.cpu" or "limits.memory";

    private static List<string> DescribeDifferences(IReadOnlyDictionary<string, Quantity> before, IReadOnlyDictionary<string, Quantity> after)
    {
        var changes = new List<string>();
        foreach (var key in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            bool had = before.TryGetValue(key, out var oldValue);
            bool has = after.TryGetValue(key, out var newValue);
            if (had && has && oldValue!.CompareTo(newValue) == 0)
            {
                continue;
            }

            changes.Add($"{key}: {(had ? oldValue!.ToString() : "<none>")} -> {(has ? newValue!.ToString() : "<none>")}");
        }

        return changes;
    }

    private static string DescribeSelector(IEnumerable<V1ScopedResourceSelectorRequirement>? requirements) =>
        string.Join(",", (requirements ?? Enumerable.Empty<V1ScopedResourceSelectorRequirement>())
            .Select(r => $"{r.ScopeName} {r.OperatorProperty} {string.Join("|", r.Values ?? new List<string>())}")
            .Order(StringComparer.Ordinal));
}

/// <summary>Small helpers shared by the guardrail services.</summary>
internal static class GuardrailApi
{
    /// <summary>
    /// Applies a plan with <see cref="ReadModifyWrite"/>: the first attempt sends the plan the user confirmed, later
    /// attempts (after another writer got there first) the same request planned again from a fresh read.
    /// </summary>
    public static Task<T> ApplyAsync<T>(PlannedChange plan, Func<PlannedChange, Task<T>> send, CancellationToken cancellationToken) =>
        ReadModifyWrite.RunAsync($"Applying {plan.Target}", plan.Name, async attempt =>
        {
            var current = attempt == 1 || plan.Replan is null ? plan : await plan.Replan(cancellationToken).ConfigureAwait(false);
            return await send(current).ConfigureAwait(false);
        }, plan.Log, cancellationToken);

    /// <summary>GET that answers null for 404 instead of failing.</summary>
    public static async Task<T?> GetOrNullAsync<T>(Func<Task<T>> call, string operation, object? target)
        where T : class
    {
        try
        {
            return await ApiErrorTranslator.CallAsync(call, operation, target).ConfigureAwait(false);
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.NotFound)
        {
            return null;
        }
    }
}

/// <summary>Wildcard matching used by the guardrail cmdlets (names are checked by KubernetesNames).</summary>
public static class GuardrailNames
{
    /// <summary>'*' and '?' wildcards, case-sensitive like Kubernetes names.</summary>
    public static bool Matches(string pattern, string value)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal) && !pattern.Contains('?', StringComparison.Ordinal))
        {
            return pattern == value;
        }

        string regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(value, regex, System.Text.RegularExpressions.RegexOptions.CultureInvariant);
    }

    internal static string Format(IFormattable value) => value.ToString(null, CultureInfo.InvariantCulture);
}
