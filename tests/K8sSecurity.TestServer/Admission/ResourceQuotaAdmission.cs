using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// ResourceQuota admission: a create that would push any quota of the namespace over spec.hard is denied with the
/// same message as kube-apiserver (golden 59); pods must specify every compute resource a quota tracks. An admitted
/// create is charged to status.used at once by kube-apiserver (status subresource), as golden 57's managedFields show;
/// the quota controller (<see cref="QuotaUsage.SyncStatus"/>) keeps status current after every change.
/// </summary>
public sealed class ResourceQuotaAdmission : IAdmissionPlugin
{
    public string Name => "ResourceQuota";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation != AdmissionOperation.Create || !r.Type.Namespaced || r.Type.IsVirtual || r.Subresource.Length > 0)
        {
            return;
        }

        var delta = QuotaUsage.Of(r.Type, r.Object);
        if (delta.Count == 0)
        {
            return;
        }

        var charges = new List<(JsonObject Quota, Dictionary<string, Quantity> Used)>();
        foreach (var quota in r.Store.ListRaw(ResourceCatalog.ResourceQuotas, r.Namespace).ToList())
        {
            var name = quota.Str("metadata", "name");
            var hard = quota.StringMap("spec", "hard").ToDictionary(kv => kv.Key, kv => Quantity.Parse(kv.Value), StringComparer.Ordinal);
            if (r.Type.Kind == "Pod")
            {
                var missing = QuotaUsage.MissingComputeResources(r.Object, hard.Keys);
                if (missing.Count > 0)
                {
                    throw StatusResponses.AdmissionForbidden(r.Type, r.Name, $"failed quota: {name}: must specify {string.Join("; ", missing)}");
                }
            }

            var used = QuotaUsage.Compute(r.Store, r.Namespace, hard.Keys);
            var exceeded = new List<string>();
            foreach (var (res, limit) in hard.OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                if (delta.TryGetValue(res, out var add) && add.Value > 0 && used[res].Add(add) > limit)
                {
                    exceeded.Add(res);
                }
            }

            if (exceeded.Count > 0)
            {
                string Fmt(Func<string, Quantity> f) => string.Join(",", exceeded.Select(x => $"{x}={f(x)}"));
                throw StatusResponses.AdmissionForbidden(r.Type, r.Name,
                    $"exceeded quota: {name}, requested: {Fmt(x => delta[x])}, used: {Fmt(x => used[x])}, limited: {Fmt(x => hard[x])}");
            }

            charges.Add((quota, used.ToDictionary(kv => kv.Key, kv => delta.TryGetValue(kv.Key, out var add) ? kv.Value.Add(add) : kv.Value, StringComparer.Ordinal)));
        }

        if (r.DryRun)
        {
            return;
        }

        foreach (var (quota, used) in charges)
        {
            var updated = quota.Clone();
            var status = updated.Obj("status");
            var usedNode = status.Obj("used");
            var changed = false;
            foreach (var (res, q) in used.Where(kv => delta.ContainsKey(kv.Key)))
            {
                if (usedNode.Str(res) != q.ToString())
                {
                    usedNode[res] = q.ToString();
                    changed = true;
                }
            }

            if (changed)
            {
                r.Store.Replace(ResourceCatalog.ResourceQuotas, updated, "kube-apiserver", "Update", subresource: "status");
            }
        }
    }
}

/// <summary>Quota usage of objects and namespaces, for the resource names ResourceQuota understands.</summary>
public static class QuotaUsage
{
    private static readonly string[] ComputeResources = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory", "cpu", "memory"];

    /// <summary>What one object counts against quota.</summary>
    public static Dictionary<string, Quantity> Of(ResourceType type, JsonObject obj)
    {
        var u = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        var one = new Quantity(1, QuantityFormat.DecimalSI);
        u[type.Group.Length == 0 ? "count/" + type.Plural : $"count/{type.Plural}.{type.Group}"] = one;
        switch (type.Group.Length == 0 ? type.Plural : "")
        {
            case "pods":
                if (obj.Str("status", "phase") is "Succeeded" or "Failed")
                {
                    return [];
                }

                u["pods"] = one;
                foreach (var (kind, prefix) in new[] { ("requests", "requests."), ("limits", "limits.") })
                {
                    foreach (var (res, q) in PodTotals(obj, kind))
                    {
                        u[prefix + res] = q;
                        if (kind == "requests" && res is "cpu" or "memory" or "ephemeral-storage")
                        {
                            u[res] = q;
                        }
                    }
                }

                break;
            case "services":
                u["services"] = one;
                var svcType = obj.Str("spec", "type");
                if (svcType == "LoadBalancer")
                {
                    u["services.loadbalancers"] = one;
                }

                if (svcType is "NodePort" or "LoadBalancer")
                {
                    u["services.nodeports"] = new Quantity(obj.Objects("spec", "ports").Count(), QuantityFormat.DecimalSI);
                }

                break;
            case "persistentvolumeclaims":
                u["persistentvolumeclaims"] = one;
                if (obj.Str("spec", "resources", "requests", "storage") is { } storage && Quantity.TryParse(storage, out var sq))
                {
                    u["requests.storage"] = sq;
                }

                break;
            case "configmaps" or "secrets" or "replicationcontrollers" or "resourcequotas":
                u[type.Plural] = one;
                break;
        }

        return u;
    }

    /// <summary>Pod totals: sum over containers, at least the largest init container (the pod's effective request).</summary>
    private static Dictionary<string, Quantity> PodTotals(JsonObject pod, string kind)
    {
        var totals = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var c in pod.Objects("spec", "containers"))
        {
            foreach (var (k, v) in c.StringMap("resources", kind))
            {
                var q = Quantity.Parse(v);
                totals[k] = totals.TryGetValue(k, out var t) ? t.Add(q) : q;
            }
        }

        foreach (var c in pod.Objects("spec", "initContainers"))
        {
            foreach (var (k, v) in c.StringMap("resources", kind))
            {
                var q = Quantity.Parse(v);
                if (!totals.TryGetValue(k, out var t) || q > t)
                {
                    totals[k] = q;
                }
            }
        }

        return totals;
    }

    public static List<string> MissingComputeResources(JsonObject pod, IEnumerable<string> hardKeys)
    {
        var missing = new List<string>();
        foreach (var res in hardKeys.Where(ComputeResources.Contains).Order(StringComparer.Ordinal))
        {
            var (kind, name) = res.Contains('.', StringComparison.Ordinal) ? (res.Split('.')[0], res.Split('.')[1]) : ("requests", res);
            var lacking = pod.Objects("spec", "containers").Where(c => c.Str("resources", kind, name) is null).Select(c => c.Str("name")).ToList();
            if (lacking.Count > 0)
            {
                missing.Add($"{res} for: {string.Join(",", lacking)}");
            }
        }

        return missing;
    }

    /// <summary>Current usage in a namespace for the given resource names (missing ones are 0).</summary>
    public static Dictionary<string, Quantity> Compute(ApiStore store, string ns, IEnumerable<string> resources)
    {
        var wanted = resources.ToHashSet(StringComparer.Ordinal);
        var used = wanted.ToDictionary(r => r, _ => Quantity.Zero(), StringComparer.Ordinal);
        foreach (var type in ResourceCatalog.Types.Where(t => t.Namespaced && !t.IsVirtual))
        {
            foreach (var obj in store.ListRaw(type, ns))
            {
                foreach (var (k, q) in Of(type, obj))
                {
                    if (wanted.Contains(k))
                    {
                        used[k] = used[k].Add(q);
                    }
                }
            }
        }

        return used;
    }

    /// <summary>
    /// What the resource-quota controller writes (kube-controller-manager, status subresource): status.hard = spec.hard
    /// and status.used for every hard resource, for each quota of the namespace whose status is not current.
    /// </summary>
    public static void SyncStatus(ApiStore store, string ns)
    {
        foreach (var quota in store.ListRaw(ResourceCatalog.ResourceQuotas, ns).ToList())
        {
            var hard = quota.StringMap("spec", "hard");
            var used = Compute(store, ns, hard.Keys);
            var h = new JsonObject();
            var u = new JsonObject();
            foreach (var k in hard.Keys.Order(StringComparer.Ordinal))
            {
                h[k] = hard[k];
                u[k] = used[k].ToString();
            }

            var status = hard.Count == 0 ? new JsonObject() : new JsonObject { ["hard"] = h, ["used"] = u };
            if (JsonNode.DeepEquals(status, quota["status"]))
            {
                continue;
            }

            var updated = quota.Clone();
            updated["status"] = status;
            store.Replace(ResourceCatalog.ResourceQuotas, updated, "kube-controller-manager", "Update", subresource: "status");
        }
    }
}
