using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// What the real server does while decoding typed objects: every resource.Quantity must parse (else 400
/// "cannot be handled as a X", golden 52) and is re-serialised in canonical form (1000m → 1, golden 51).
/// </summary>
public sealed class QuantityDecoding : IAdmissionPlugin
{
    public string Name => "QuantityDecoding";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete)
        {
            return;
        }

        foreach (var map in QuantityMaps(r.Type, r.Object))
        {
            foreach (var key in map.Select(kv => kv.Key).ToList())
            {
                var text = map[key].Str();
                if (!Quantity.TryParse(text, out var q))
                {
                    throw StatusResponses.BadRequest($"{r.Type.Kind} in version \"{r.Type.Version}\" cannot be handled as a {r.Type.Kind}: {Quantity.ParseErrorMessage}");
                }

                map[key] = q.ToString();
            }
        }
    }

    public static IEnumerable<JsonObject> QuantityMaps(ResourceType type, JsonObject obj)
    {
        switch (type.Kind)
        {
            case "ResourceQuota":
                foreach (var m in Maps(obj.At("spec", "hard"), obj.At("status", "hard"), obj.At("status", "used")))
                {
                    yield return m;
                }

                break;
            case "LimitRange":
                foreach (var item in obj.Objects("spec", "limits"))
                {
                    foreach (var m in Maps(item["max"], item["min"], item["default"], item["defaultRequest"], item["maxLimitRequestRatio"]))
                    {
                        yield return m;
                    }
                }

                break;
            case "Pod":
                foreach (var m in PodSpecMaps(obj["spec"] as JsonObject))
                {
                    yield return m;
                }

                break;
            case "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" or "ReplicationController":
                foreach (var m in PodSpecMaps(obj.At("spec", "template", "spec") as JsonObject))
                {
                    yield return m;
                }

                break;
            case "CronJob":
                foreach (var m in PodSpecMaps(obj.At("spec", "jobTemplate", "spec", "template", "spec") as JsonObject))
                {
                    yield return m;
                }

                break;
        }
    }

    private static IEnumerable<JsonObject> PodSpecMaps(JsonObject? spec)
    {
        if (spec is null)
        {
            yield break;
        }

        foreach (var list in new[] { "initContainers", "containers", "ephemeralContainers" })
        {
            foreach (var c in spec.Objects(list))
            {
                foreach (var m in Maps(c.At("resources", "limits"), c.At("resources", "requests")))
                {
                    yield return m;
                }
            }
        }

        foreach (var m in Maps(spec["overhead"]))
        {
            yield return m;
        }
    }

    private static IEnumerable<JsonObject> Maps(params JsonNode?[] nodes) => nodes.OfType<JsonObject>();
}
