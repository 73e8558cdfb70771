using System.Globalization;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// LimitRanger admission for pods: fills missing container requests/limits from the namespace's LimitRange
/// defaults (recording the kubernetes.io/limit-ranger annotation, golden 55), then enforces min/max and
/// maxLimitRequestRatio per Container and per Pod (403 Forbidden, golden 56).
/// </summary>
public sealed class LimitRanger : IAdmissionPlugin
{
    public string Name => "LimitRanger";

    public void Admit(AdmissionRequest r)
    {
        if (r.Type.Kind != "Pod" || r.Type.Group.Length > 0 || r.Subresource.Length > 0 || r.Operation == AdmissionOperation.Delete)
        {
            return;
        }

        var ranges = r.Store.ListRaw(ResourceCatalog.LimitRanges, r.Namespace).ToList();
        if (ranges.Count == 0)
        {
            return;
        }

        var spec = r.Object.Obj("spec");
        var containers = spec.Objects("initContainers").Concat(spec.Objects("containers")).ToList();
        if (r.Operation == AdmissionOperation.Create)
        {
            var notes = new List<string>();
            foreach (var item in ranges.SelectMany(lr => lr.Objects("spec", "limits")).Where(i => i.Str("type") == "Container"))
            {
                foreach (var c in containers)
                {
                    var res = c.Obj("resources");
                    var setRequests = Fill(res, "requests", item.StringMap("defaultRequest"));
                    var setLimits = Fill(res, "limits", item.StringMap("default"));
                    var parts = new List<string>();
                    if (setRequests.Count > 0)
                    {
                        parts.Add($"{string.Join(", ", setRequests)} request for container {c.Str("name")}");
                    }

                    if (setLimits.Count > 0)
                    {
                        parts.Add($"{string.Join(", ", setLimits)} limit for container {c.Str("name")}");
                    }

                    notes.AddRange(parts);
                }
            }

            if (notes.Count > 0)
            {
                r.Object.Metadata().Obj("annotations")["kubernetes.io/limit-ranger"] = "LimitRanger plugin set: " + string.Join("; ", notes);
                r.Object.Obj("status")["qosClass"] = ObjectDefaults.QosClass(spec);
            }
        }

        var errors = new List<string>();
        foreach (var item in ranges.SelectMany(lr => lr.Objects("spec", "limits")))
        {
            switch (item.Str("type"))
            {
                case "Container":
                    foreach (var c in containers)
                    {
                        Check(item, "Container", c.StringMap("resources", "requests"), c.StringMap("resources", "limits"), errors);
                    }

                    break;
                case "Pod":
                    Check(item, "Pod", Sum(spec.Objects("containers"), "requests"), Sum(spec.Objects("containers"), "limits"), errors);
                    break;
            }
        }

        if (errors.Count > 0)
        {
            var msg = errors.Count == 1 ? errors[0] : "[" + string.Join(", ", errors) + "]";
            throw StatusResponses.AdmissionForbidden(r.Type, r.Name, msg);
        }
    }

    private static List<string> Fill(JsonObject resources, string key, Dictionary<string, string> defaults)
    {
        var set = new List<string>();
        if (defaults.Count == 0)
        {
            return set;
        }

        var target = resources.Obj(key);
        foreach (var (k, v) in defaults.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (target[k] is null)
            {
                target[k] = v;
                set.Add(k);
            }
        }

        if (target.Count == 0)
        {
            resources.Remove(key);
        }

        return set;
    }

    private static Dictionary<string, string> Sum(IEnumerable<JsonObject> containers, string key)
    {
        var totals = new Dictionary<string, Quantity>(StringComparer.Ordinal);
        foreach (var c in containers)
        {
            foreach (var (k, v) in c.StringMap("resources", key))
            {
                totals[k] = totals.TryGetValue(k, out var t) ? t.Add(Quantity.Parse(v)) : Quantity.Parse(v);
            }
        }

        return totals.ToDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal);
    }

    private static void Check(JsonObject item, string scope, Dictionary<string, string> requests, Dictionary<string, string> limits, List<string> errors)
    {
        foreach (var (k, v) in item.StringMap("min").OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var min = Quantity.Parse(v);
            if (!requests.TryGetValue(k, out var req))
            {
                errors.Add($"minimum {k} usage per {scope} is {min}.  No request is specified");
            }
            else if (Quantity.Parse(req) < min)
            {
                errors.Add($"minimum {k} usage per {scope} is {min}, but request is {Quantity.Parse(req)}");
            }
        }

        foreach (var (k, v) in item.StringMap("max").OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var max = Quantity.Parse(v);
            if (!limits.TryGetValue(k, out var lim))
            {
                errors.Add($"maximum {k} usage per {scope} is {max}.  No limit is specified");
            }
            else if (Quantity.Parse(lim) > max)
            {
                errors.Add($"maximum {k} usage per {scope} is {max}, but limit is {Quantity.Parse(lim)}");
            }
        }

        foreach (var (k, v) in item.StringMap("maxLimitRequestRatio").OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (limits.TryGetValue(k, out var lim) && requests.TryGetValue(k, out var req) && Quantity.Parse(req).Value > 0)
            {
                var ratio = Quantity.Parse(lim).Value / Quantity.Parse(req).Value;
                if (ratio > Quantity.Parse(v).Value)
                {
                    errors.Add($"{k} max limit to request ratio per {scope} is {Quantity.Parse(v)}, but provided ratio is {ratio.ToString("F6", CultureInfo.InvariantCulture)}");
                }
            }
        }
    }
}
