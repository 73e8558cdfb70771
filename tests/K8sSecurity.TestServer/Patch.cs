using System.Globalization;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>
/// The three PATCH flavours. Strategic merge is an approximation: JSON merge patch semantics, except that lists of
/// objects with a well-known merge key (containers/initContainers/ephemeralContainers/volumes/env/imagePullSecrets by
/// "name", volumeMounts by "mountPath", ports by "containerPort") are merged element-wise by that key, and
/// "$patch": "delete" on such an element removes it. Other lists are replaced, as in merge patch.
/// </summary>
public static class Patch
{
    private static readonly Dictionary<string, string> MergeKeys = new(StringComparer.Ordinal)
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["volumes"] = "name",
        ["env"] = "name",
        ["imagePullSecrets"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["ports"] = "containerPort",
        ["hostAliases"] = "ip",
        ["topologySpreadConstraints"] = "topologyKey",
    };

    /// <summary>RFC 7386: objects merge recursively, null deletes, everything else replaces.</summary>
    public static JsonNode? MergePatch(JsonNode? target, JsonNode? patch, bool strategic = false, string? parentKey = null)
    {
        if (patch is not JsonObject po)
        {
            if (strategic && patch is JsonArray pa && target is JsonArray ta && parentKey is not null && MergeKeys.TryGetValue(parentKey, out var mk))
            {
                return MergeList(ta, pa, mk);
            }

            return patch?.DeepClone();
        }

        var result = target is JsonObject to ? to.Clone() : new JsonObject();
        foreach (var (k, v) in po)
        {
            if (strategic && k.StartsWith('$'))
            {
                continue;
            }

            if (v is null)
            {
                result.Remove(k);
            }
            else
            {
                result.TryGetPropertyValue(k, out var existing);
                result[k] = MergePatch(existing, v, strategic, k);
            }
        }

        return result;
    }

    private static JsonArray MergeList(JsonArray target, JsonArray patch, string key)
    {
        var result = (JsonArray)target.DeepClone();
        foreach (var item in patch)
        {
            if (item is not JsonObject io || io[key] is null)
            {
                result.Add(item?.DeepClone());
                continue;
            }

            var id = io[key]!.ToJsonString();
            var idx = -1;
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i] is JsonObject ro && ro[key]?.ToJsonString() == id)
                {
                    idx = i;
                    break;
                }
            }

            if (io.Str("$patch") == "delete")
            {
                if (idx >= 0)
                {
                    result.RemoveAt(idx);
                }

                continue;
            }

            if (idx >= 0)
            {
                result[idx] = MergePatch(result[idx], io, strategic: true);
            }
            else
            {
                result.Add(MergePatch(null, io, strategic: true));
            }
        }

        return result;
    }

    /// <summary>RFC 6902 JSON patch (add, remove, replace, move, copy, test).</summary>
    public static JsonNode ApplyJsonPatch(JsonNode target, JsonArray ops)
    {
        var doc = target.DeepClone();
        foreach (var opNode in ops)
        {
            if (opNode is not JsonObject op)
            {
                throw StatusResponses.BadRequest("json patch operation must be an object");
            }

            var kind = op.Str("op");
            var path = op.Str("path") ?? throw StatusResponses.BadRequest("json patch operation is missing path");
            switch (kind)
            {
                case "add":
                    doc = Add(doc, path, op["value"]?.DeepClone());
                    break;
                case "remove":
                    doc = Remove(doc, path, out _);
                    break;
                case "replace":
                    doc = Remove(doc, path, out _);
                    doc = Add(doc, path, op["value"]?.DeepClone());
                    break;
                case "move":
                    {
                        var from = op.Str("from") ?? throw StatusResponses.BadRequest("move requires from");
                        doc = Remove(doc, from, out var moved);
                        doc = Add(doc, path, moved);
                        break;
                    }

                case "copy":
                    {
                        var from = op.Str("from") ?? throw StatusResponses.BadRequest("copy requires from");
                        doc = Add(doc, path, Get(doc, from)?.DeepClone());
                        break;
                    }

                case "test":
                    if (!JsonNode.DeepEquals(Get(doc, path), op["value"]))
                    {
                        throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                default:
                    throw StatusResponses.BadRequest($"Unexpected kind: {kind}");
            }
        }

        return doc;
    }

    private static string[] Segments(string pointer) =>
        pointer.Length == 0 ? [] : pointer[1..].Split('/').Select(s => s.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();

    private static JsonNode? Get(JsonNode doc, string pointer)
    {
        JsonNode? cur = doc;
        foreach (var s in Segments(pointer))
        {
            cur = cur switch
            {
                JsonObject o => o.TryGetPropertyValue(s, out var v) ? v : throw Missing(pointer),
                JsonArray a when int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => throw Missing(pointer),
            };
        }

        return cur;
    }

    private static ApiException Missing(string pointer) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: missing path: {pointer}");

    private static JsonNode Add(JsonNode doc, string pointer, JsonNode? value)
    {
        var segs = Segments(pointer);
        if (segs.Length == 0)
        {
            return value ?? throw StatusResponses.BadRequest("cannot replace the document with null");
        }

        // A top-level member's parent is the document itself (the pointer "/" would name the "" member).
        var parent = segs.Length == 1 ? doc : Get(doc, "/" + string.Join('/', segs[..^1].Select(s => s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));

        var last = segs[^1];
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Missing(pointer);
        }

        return doc;
    }

    private static JsonNode Remove(JsonNode doc, string pointer, out JsonNode? removed)
    {
        var segs = Segments(pointer);
        var parent = segs.Length == 1 ? doc : Get(doc, "/" + string.Join('/', segs[..^1].Select(s => s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal))));
        var last = segs[^1];
        switch (parent)
        {
            case JsonObject o when o.TryGetPropertyValue(last, out var v):
                removed = v;
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < a.Count:
                removed = a[i];
                a.RemoveAt(i);
                break;
            default:
                throw Missing(pointer);
        }

        return doc;
    }
}
