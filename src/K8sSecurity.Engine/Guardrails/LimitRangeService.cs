using System.Globalization;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>What Set-K8sLimitRange asks for: the item of one type inside one LimitRange.</summary>
public sealed class LimitRangeRequest
{
    public required string Namespace { get; init; }

    public string Name { get; init; } = LimitRangeService.DefaultName;

    /// <summary>Container, Pod or PersistentVolumeClaim.</summary>
    public string Type { get; init; } = "Container";

    public IReadOnlyDictionary<string, string> Max { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Min { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> Default { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> DefaultRequest { get; init; } = new Dictionary<string, string>();

    public IReadOnlyDictionary<string, string> MaxLimitRequestRatio { get; init; } = new Dictionary<string, string>();

    /// <summary>True: the item of this type holds exactly what was given.</summary>
    public bool Replace { get; init; }
}

/// <summary>One row per LimitRange item and resource, like `kubectl describe limitrange`.</summary>
public sealed class LimitRangeRow
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string Type { get; init; }

    public required string Resource { get; init; }

    public string? Min { get; init; }

    public string? Max { get; init; }

    public string? DefaultRequest { get; init; }

    public string? Default { get; init; }

    public string? MaxLimitRequestRatio { get; init; }
}

/// <summary>
/// LimitRange: per-type items with the apiserver's defaulting (Container: default ← max, defaultRequest ← default
/// ← min) and validation (min ≤ defaultRequest ≤ default ≤ max, ratio ≥ 1 and ≤ max/min) applied locally, so an
/// inconsistent range is refused before anything is sent.
/// </summary>
public static class LimitRangeService
{
    public const string DefaultName = "limit-range-default";

    public static readonly IReadOnlyList<string> Types = new[] { "Container", "Pod", "PersistentVolumeClaim" };

    /// <summary>The five maps of one item, parsed.</summary>
    internal sealed class Item
    {
        public string Type { get; init; } = "Container";

        public Dictionary<string, Quantity> Max { get; init; } = new(StringComparer.Ordinal);

        public Dictionary<string, Quantity> Min { get; init; } = new(StringComparer.Ordinal);

        public Dictionary<string, Quantity> Default { get; init; } = new(StringComparer.Ordinal);

        public Dictionary<string, Quantity> DefaultRequest { get; init; } = new(StringComparer.Ordinal);

        public Dictionary<string, Quantity> MaxLimitRequestRatio { get; init; } = new(StringComparer.Ordinal);

        public IEnumerable<(string Map, Dictionary<string, Quantity> Values)> Maps()
        {
            yield return ("Max", Max);
            yield return ("Min", Min);
            yield return ("Default", Default);
            yield return ("DefaultRequest", DefaultRequest);
            yield return ("MaxLimitRequestRatio", MaxLimitRequestRatio);
        }
    }

    /// <summary>Parses and checks the request alone (before any call): names, quantities, type rules, ranges.</summary>
    public static void Validate(LimitRangeRequest request)
    {
        KubernetesNames.ValidateObjectName("Name", request.Name);
        KubernetesNames.ValidateNamespace("Namespace", request.Namespace);
        var item = Parse(request);
        if (item.Maps().All(m => m.Values.Count == 0))
        {
            throw K8sOperationException.InvalidArgument("Max", request.Type, "give at least one of -Max, -Min, -Default, -DefaultRequest, -MaxLimitRequestRatio (or a shortcut such as -MaxCpu)");
        }

        ValidateItem(item, requireStorage: false);
    }

    public static async Task<PlannedChange> PlanAsync(ClusterClient cluster, LimitRangeRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        Validate(request);
        var given = Parse(request);
        var existing = await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.CoreV1.ReadNamespacedLimitRangeAsync(request.Name, request.Namespace, cancellationToken: cancellationToken),
            $"Reading LimitRange {request.Namespace}/{request.Name}", request.Name).ConfigureAwait(false);

        var items = existing?.Spec?.Limits?.ToList() ?? new List<V1LimitRangeItem>();
        int index = items.FindIndex(i => i.Type == request.Type);
        var current = index >= 0 ? FromModel(items[index]) : null;
        Item merged;
        if (current is null || request.Replace)
        {
            merged = given;
        }
        else
        {
            merged = new Item { Type = request.Type };
            foreach (var ((_, target), (_, old), (_, add)) in merged.Maps().Zip(current.Maps(), given.Maps()))
            {
                foreach (var (k, v) in old)
                {
                    target[k] = v;
                }

                foreach (var (k, v) in add)
                {
                    target[k] = v;
                }
            }

            // Kept defaults that were only the server's copies of an old max/min must follow the new ones.
            if (request.Type == "Container")
            {
                ForgetServerDefaults(current, given, merged);
            }
        }

        ApplyDefaults(merged);
        ValidateItem(merged, requireStorage: true);

        var desiredItem = ToModel(merged);
        string description;
        ChangeAction action;
        if (existing is null)
        {
            action = ChangeAction.Create;
            description = "create " + Describe(merged);
        }
        else if (current is null)
        {
            action = ChangeAction.Update;
            description = "add " + Describe(merged);
        }
        else if (SameItem(current, merged))
        {
            action = ChangeAction.Unchanged;
            description = "already as requested";
        }
        else
        {
            action = ChangeAction.Update;
            description = $"change {request.Type} limits from [{Describe(current)}] to [{Describe(merged)}]";
        }

        if (index >= 0)
        {
            items[index] = desiredItem;
        }
        else
        {
            items.Add(desiredItem);
        }

        var desired = existing ?? new V1LimitRange { ApiVersion = "v1", Kind = "LimitRange", Metadata = new V1ObjectMeta { Name = request.Name, NamespaceProperty = request.Namespace } };
        desired.Spec = new V1LimitRangeSpec { Limits = items };
        log.Verbose($"LimitRange {request.Namespace}/{request.Name}: {description}");
        return new PlannedChange
        {
            Action = action, Kind = "LimitRange", Namespace = request.Namespace, Name = request.Name, Description = description, Desired = desired,
            Replan = ct => PlanAsync(cluster, request, log, ct), Log = log,
        };
    }

    /// <summary>Sends the planned change with the read resourceVersion; planned again from a fresh read when another writer was first.</summary>
    public static async Task<IReadOnlyList<LimitRangeRow>> ApplyAsync(ClusterClient cluster, PlannedChange plan, CancellationToken cancellationToken)
    {
        V1LimitRange result = await GuardrailApi.ApplyAsync(plan, current => current.Action switch
        {
            ChangeAction.Create => ReadModifyWrite.WriteAsync(WriteKind.Create,
                () => cluster.Api.CoreV1.CreateNamespacedLimitRangeAsync((V1LimitRange)current.Desired!, current.Namespace, cancellationToken: cancellationToken),
                $"Creating LimitRange {current.Namespace}/{current.Name}", current.Name),
            ChangeAction.Update => ReadModifyWrite.WriteAsync(WriteKind.Update,
                () => cluster.Api.CoreV1.ReplaceNamespacedLimitRangeAsync((V1LimitRange)current.Desired!, current.Name, current.Namespace, cancellationToken: cancellationToken),
                $"Updating LimitRange {current.Namespace}/{current.Name}", current.Name),
            _ => Task.FromResult((V1LimitRange)current.Desired!),
        }, cancellationToken).ConfigureAwait(false);
        return ToRows(result);
    }

    public static async Task<IReadOnlyList<LimitRangeRow>> GetAsync(ClusterClient cluster, string? ns, string? name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns, optional: true);
        var list = ns is null
            ? await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListLimitRangeForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing limit ranges").ConfigureAwait(false)
            : await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListNamespacedLimitRangeAsync(ns, cancellationToken: cancellationToken), $"Listing limit ranges in {ns}", ns).ConfigureAwait(false);
        return list.Items
            .Where(l => name is null || GuardrailNames.Matches(name, l.Metadata.Name))
            .OrderBy(l => l.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(l => l.Metadata.Name, StringComparer.Ordinal)
            .SelectMany(ToRows).ToList();
    }

    public static Task RemoveAsync(ClusterClient cluster, string ns, string name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("Name", name);
        return ApiErrorTranslator.CallAsync(
            () => cluster.Api.CoreV1.DeleteNamespacedLimitRangeAsync(name, ns, cancellationToken: cancellationToken),
            $"Deleting LimitRange {ns}/{name}", name);
    }

    internal static IReadOnlyList<LimitRangeRow> ToRows(V1LimitRange range)
    {
        var rows = new List<LimitRangeRow>();
        foreach (var model in range.Spec?.Limits ?? new List<V1LimitRangeItem>())
        {
            var item = FromModel(model);
            foreach (string resource in item.Maps().SelectMany(m => m.Values.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                rows.Add(new LimitRangeRow
                {
                    Namespace = range.Metadata.NamespaceProperty,
                    Name = range.Metadata.Name,
                    Type = item.Type,
                    Resource = resource,
                    Min = item.Min.GetValueOrDefault(resource)?.ToString(),
                    Max = item.Max.GetValueOrDefault(resource)?.ToString(),
                    DefaultRequest = item.DefaultRequest.GetValueOrDefault(resource)?.ToString(),
                    Default = item.Default.GetValueOrDefault(resource)?.ToString(),
                    MaxLimitRequestRatio = item.MaxLimitRequestRatio.GetValueOrDefault(resource)?.ToString(),
                });
            }
        }

        return rows;
    }

    internal static Item Parse(LimitRangeRequest request)
    {
        if (!Types.Contains(request.Type, StringComparer.Ordinal))
        {
            throw K8sOperationException.InvalidArgument("Type", request.Type, "must be Container, Pod or PersistentVolumeClaim");
        }

        var item = new Item { Type = request.Type };
        var given = new (string Map, IReadOnlyDictionary<string, string> Values)[]
        {
            ("Max", request.Max), ("Min", request.Min), ("Default", request.Default), ("DefaultRequest", request.DefaultRequest), ("MaxLimitRequestRatio", request.MaxLimitRequestRatio),
        };
        foreach (var ((map, target), (_, values)) in item.Maps().Zip(given))
        {
            foreach (var (resource, text) in values)
            {
                ValidateResourceName(map, resource);
                var quantity = KubernetesNames.ParseQuantity(map, text, $"{resource}={text}");
                if (quantity.Sign < 0)
                {
                    throw K8sOperationException.InvalidArgument(map, $"{resource}={text}", "must be greater than or equal to 0");
                }

                target[resource] = quantity;
            }
        }

        if (request.Type == "Pod" && item.Default.Count > 0)
        {
            throw K8sOperationException.InvalidArgument("Default", request.Type, "may not be specified when `type` is 'Pod'");
        }

        if (request.Type == "Pod" && item.DefaultRequest.Count > 0)
        {
            throw K8sOperationException.InvalidArgument("DefaultRequest", request.Type, "may not be specified when `type` is 'Pod'");
        }

        return item;
    }

    /// <summary>SetDefaults_LimitRangeItem of core/v1, for Container items only.</summary>
    internal static void ApplyDefaults(Item item)
    {
        if (item.Type != "Container")
        {
            return;
        }

        foreach (var (k, v) in item.Max)
        {
            item.Default.TryAdd(k, v);
        }

        foreach (var (k, v) in item.Default)
        {
            item.DefaultRequest.TryAdd(k, v);
        }

        foreach (var (k, v) in item.Min)
        {
            item.DefaultRequest.TryAdd(k, v);
        }
    }

    /// <summary>ValidateLimitRange of pkg/apis/core/validation, per resource, naming the parameter that is wrong.</summary>
    internal static void ValidateItem(Item source, bool requireStorage)
    {
        var item = new Item
        {
            Type = source.Type,
            Max = new(source.Max, StringComparer.Ordinal),
            Min = new(source.Min, StringComparer.Ordinal),
            Default = new(source.Default, StringComparer.Ordinal),
            DefaultRequest = new(source.DefaultRequest, StringComparer.Ordinal),
            MaxLimitRequestRatio = new(source.MaxLimitRequestRatio, StringComparer.Ordinal),
        };
        // First the values as given (so the error names what the user typed), then as the server defaults them.
        CheckRanges(source, source);
        ApplyDefaults(item);
        CheckRanges(item, source);

        if (requireStorage && item.Type == "PersistentVolumeClaim" && !item.Min.ContainsKey("storage") && !item.Max.ContainsKey("storage"))
        {
            throw K8sOperationException.InvalidArgument("Max", "storage", "either minimum or maximum storage value is required, but neither was provided (use -Min @{storage='1Gi'} or -Max @{storage='10Gi'})");
        }
    }

    private static void CheckRanges(Item item, Item source)
    {
        var one = Quantity.FromInt64(1);
        foreach (string k in item.Maps().SelectMany(m => m.Values.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            bool hasMin = item.Min.TryGetValue(k, out var min);
            bool hasMax = item.Max.TryGetValue(k, out var max);
            bool hasDefault = item.Default.TryGetValue(k, out var def);
            bool hasRequest = item.DefaultRequest.TryGetValue(k, out var request);
            bool hasRatio = item.MaxLimitRequestRatio.TryGetValue(k, out var ratio);

            if (hasMin && hasMax && min! > max!)
            {
                throw K8sOperationException.InvalidArgument("Min", $"{k}={min}", $"min value {min} is greater than max value {max}");
            }

            if (hasRequest && hasMin && min! > request!)
            {
                throw K8sOperationException.InvalidArgument(source.DefaultRequest.ContainsKey(k) ? "DefaultRequest" : "Min", $"{k}={(source.DefaultRequest.ContainsKey(k) ? request : min)}", $"min value {min} is greater than default request value {request}");
            }

            if (hasRequest && hasMax && request! > max!)
            {
                throw K8sOperationException.InvalidArgument("DefaultRequest", $"{k}={request}", $"default request value {request} is greater than max value {max}");
            }

            if (hasRequest && hasDefault && request! > def!)
            {
                throw K8sOperationException.InvalidArgument("DefaultRequest", $"{k}={request}", $"default request value {request} is greater than default limit value {def}");
            }

            if (hasDefault && hasMin && min! > def!)
            {
                throw K8sOperationException.InvalidArgument(source.Default.ContainsKey(k) ? "Default" : "Min", $"{k}={(source.Default.ContainsKey(k) ? def : min)}", $"min value {min} is greater than default value {def}");
            }

            if (hasDefault && hasMax && def! > max!)
            {
                throw K8sOperationException.InvalidArgument("Default", $"{k}={def}", $"default value {def} is greater than max value {max}");
            }

            if (hasRatio && ratio! < one)
            {
                throw K8sOperationException.InvalidArgument("MaxLimitRequestRatio", $"{k}={ratio}", $"ratio {ratio} is less than 1");
            }

            if (hasRatio && hasMin && hasMax && !min!.IsZero)
            {
                // ratio > max/min, compared exactly: ratio × min > max.
                var maxOverMin = (double)max!.MilliValue / (double)min.MilliValue;
                if ((double)ratio!.MilliValue / 1000 > maxOverMin)
                {
                    throw K8sOperationException.InvalidArgument("MaxLimitRequestRatio", $"{k}={ratio}", $"ratio {ratio} is greater than max/min = {maxOverMin.ToString("F6", CultureInfo.InvariantCulture)}");
                }
            }

            if (!IsOvercommitAllowed(k) && hasDefault && hasRequest && def!.CompareTo(request) != 0)
            {
                throw K8sOperationException.InvalidArgument("DefaultRequest", $"{k}={request}", $"default value {def} must equal to defaultRequest value {request} in {k}");
            }
        }
    }

    private static bool IsOvercommitAllowed(string resource) =>
        !resource.StartsWith("hugepages-", StringComparison.Ordinal) && !ResourceNames.IsExtended(resource);

    private static void ValidateResourceName(string parameter, string resource)
    {
        bool standard = resource is "cpu" or "memory" or "ephemeral-storage" or "storage" || resource.StartsWith("hugepages-", StringComparison.Ordinal);
        if (string.IsNullOrWhiteSpace(resource) || (!standard && !resource.Contains('/', StringComparison.Ordinal)))
        {
            throw K8sOperationException.InvalidArgument(parameter, resource, "must be a standard limit type or fully qualified (cpu, memory, ephemeral-storage, storage, hugepages-<size>, <domain>/<name>)");
        }

        KubernetesNames.ValidateLabelKey(parameter, resource); // validateResourceName: a qualified name
    }

    /// <summary>
    /// After a merge, a default that the server had copied from the old max (or a defaultRequest copied from the old
    /// default/min) is not the user's: drop it so defaulting copies the new value, as if the item were new.
    /// </summary>
    private static void ForgetServerDefaults(Item current, Item given, Item merged)
    {
        foreach (var (k, oldDefault) in current.Default)
        {
            if (!given.Default.ContainsKey(k) && given.Max.ContainsKey(k) && current.Max.TryGetValue(k, out var oldMax) && oldMax.CompareTo(oldDefault) == 0)
            {
                merged.Default.Remove(k);
            }
        }

        foreach (var (k, oldRequest) in current.DefaultRequest)
        {
            if (given.DefaultRequest.ContainsKey(k))
            {
                continue;
            }

            bool copiedFromDefault = current.Default.TryGetValue(k, out var oldDefault) && oldDefault.CompareTo(oldRequest) == 0
                                     && (given.Default.ContainsKey(k) || !merged.Default.ContainsKey(k));
            bool copiedFromMin = !current.Default.ContainsKey(k) && current.Min.TryGetValue(k, out var oldMin) && oldMin.CompareTo(oldRequest) == 0 && given.Min.ContainsKey(k);
            if (copiedFromDefault || copiedFromMin)
            {
                merged.DefaultRequest.Remove(k);
            }
        }
    }

    private static bool SameItem(Item a, Item b) =>
        a.Maps().Zip(b.Maps()).All(pair =>
            pair.First.Values.Count == pair.Second.Values.Count
            && pair.First.Values.All(kv => pair.Second.Values.TryGetValue(kv.Key, out var other) && other.CompareTo(kv.Value) == 0));

    private static string Describe(Item item) =>
        string.Join("; ", item.Maps().Where(m => m.Values.Count > 0).Select(m =>
            $"{char.ToLowerInvariant(m.Map[0])}{m.Map[1..]} " + string.Join(",", m.Values.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"))))
        + $" ({item.Type})";

    private static Item FromModel(V1LimitRangeItem model)
    {
        static Dictionary<string, Quantity> Map(IDictionary<string, ResourceQuantity>? values) =>
            (values ?? new Dictionary<string, ResourceQuantity>()).ToDictionary(p => p.Key, p => Quantity.Parse(p.Value.ToString()), StringComparer.Ordinal);

        return new Item
        {
            Type = model.Type,
            Max = Map(model.Max),
            Min = Map(model.Min),
            Default = Map(model.DefaultProperty),
            DefaultRequest = Map(model.DefaultRequest),
            MaxLimitRequestRatio = Map(model.MaxLimitRequestRatio),
        };
    }

    private static V1LimitRangeItem ToModel(Item item)
    {
        static Dictionary<string, ResourceQuantity>? Map(Dictionary<string, Quantity> values) =>
            values.Count == 0 ? null : values.ToDictionary(p => p.Key, p => new ResourceQuantity(p.Value.ToString()), StringComparer.Ordinal);

        return new V1LimitRangeItem
        {
            Type = item.Type,
            Max = Map(item.Max),
            Min = Map(item.Min),
            DefaultProperty = Map(item.Default),
            DefaultRequest = Map(item.DefaultRequest),
            MaxLimitRequestRatio = Map(item.MaxLimitRequestRatio),
        };
    }
}
