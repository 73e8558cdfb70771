using System.Globalization;
using System.Text.Json.Nodes;
using K8sSecurity.TestServer.Decoding;

namespace K8sSecurity.TestServer;

/// <summary>
/// The three PATCH flavours. Strategic merge follows each field's patchStrategy/patchMergeKey from
/// <see cref="ApiSchema"/> (Service ports merge on "port", container ports on "containerPort", containers on "name",
/// ServiceAccount imagePullSecrets are atomic…) with the $patch (replace, merge, delete), $retainKeys,
/// $setElementOrder and $deleteFromPrimitiveList directives. Kinds without a schema fall back to merge patch plus
/// element-wise merging of well-known list names.
/// </summary>
public static class Patch
{
    /// <summary>Strategic merge patch of <paramref name="original"/> with <paramref name="patch"/> for the kind's schema.</summary>
    public static JsonNode? StrategicMergePatch(ResourceType type, JsonObject original, JsonNode? patch)
    {
        var schema = ApiSchema.ForKind(type.Kind);
        if (schema is null)
        {
            return MergePatch(original, patch, strategic: true);
        }

        if (patch is not JsonObject po)
        {
            throw StatusResponses.BadRequest("strategic merge patch must be a JSON object");
        }

        return MergeStruct(original.Clone(), po, schema);
    }

    /// <summary>Merges a patch map into an original map (a struct or a map field); returns null when "$patch": "delete" removes it.</summary>
    private static JsonObject? MergeStruct(JsonObject? original, JsonObject patch, SchemaType? schema)
    {
        var directive = patch.Str("$patch");
        switch (directive)
        {
            case "delete":
                return null;
            case "replace":
                return StripDirectives(patch);
            case null or "merge":
                break;
            default:
                throw StatusResponses.BadRequest($"Unknown patch type: {directive}");
        }

        var result = original?.Clone() ?? new JsonObject();
        var retainKeys = patch["$retainKeys"] is JsonArray rk ? rk.Select(x => x.Str() ?? "").ToHashSet(StringComparer.Ordinal) : null;
        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal) || key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal)
                || key is "$patch" or "$retainKeys")
            {
                continue;
            }

            if (value is null)
            {
                result.Remove(key);
                continue;
            }

            var fieldSchema = schema?.Kind == SchemaKind.Map ? schema.Element : schema?.Fields.GetValueOrDefault(key);
            var strategy = schema?.Strategies.GetValueOrDefault(key);
            result.TryGetPropertyValue(key, out var current);
            var merged = MergeValue(current, value, fieldSchema, strategy);
            if (merged is null && value is JsonObject)
            {
                result.Remove(key);
            }
            else
            {
                result[key] = merged;
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal) && value is JsonArray remove && result[key[25..]] is JsonArray list)
            {
                foreach (var item in list.Where(i => remove.Any(r => JsonNode.DeepEquals(r, i))).ToList())
                {
                    list.Remove(item);
                }
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key.StartsWith("$setElementOrder/", StringComparison.Ordinal) && value is JsonArray order && result[key[17..]] is JsonArray list)
            {
                var mergeKey = schema?.Strategies.GetValueOrDefault(key[17..])?.MergeKey;
                result[key[17..]] = Reorder(list, order, mergeKey);
            }
        }

        if (retainKeys is not null)
        {
            foreach (var key in result.Select(kv => kv.Key).Where(k => !retainKeys.Contains(k)).ToList())
            {
                result.Remove(key);
            }
        }

        return result;
    }

    private static JsonNode? MergeValue(JsonNode? current, JsonNode patch, SchemaType? schema, PatchStrategy? strategy)
    {
        switch (patch)
        {
            case JsonObject po when schema is null || schema.Kind is SchemaKind.Struct or SchemaKind.Map or SchemaKind.Any:
                return MergeStruct(current as JsonObject, po, schema is { Kind: SchemaKind.Any } ? null : schema);
            case JsonArray pa when strategy is { Merge: true } && schema?.Kind == SchemaKind.Slice:
                return MergeList(current as JsonArray ?? [], pa, schema.Element!, strategy.MergeKey);
            case JsonArray pa:
                return StripDirectives(pa);
            default:
                return patch.DeepClone();
        }
    }

    private static JsonArray MergeList(JsonArray original, JsonArray patch, SchemaType element, string? mergeKey)
    {
        if (patch.OfType<JsonObject>().Any(o => o.Str("$patch") == "replace"))
        {
            return new JsonArray(patch.Where(i => !(i is JsonObject o && o.Str("$patch") == "replace")).Select(i => i is null ? null : StripDirectives(i)).ToArray());
        }

        var result = (JsonArray)original.DeepClone();
        if (mergeKey is null)
        {
            // A merge list of primitives is a set: add what is missing.
            foreach (var item in patch)
            {
                if (!result.Any(r => JsonNode.DeepEquals(r, item)))
                {
                    result.Add(item?.DeepClone());
                }
            }

            return result;
        }

        foreach (var item in patch)
        {
            if (item is not JsonObject io)
            {
                throw StatusResponses.BadRequest("strategic merge patch: a list with a merge key must hold objects");
            }

            if (io[mergeKey] is not { } id)
            {
                throw StatusResponses.BadRequest($"map: {io.ToJsonString()} does not contain declared merge key: {mergeKey}");
            }

            var index = -1;
            for (var i = 0; i < result.Count; i++)
            {
                if (result[i] is JsonObject ro && JsonNode.DeepEquals(ro[mergeKey], id))
                {
                    index = i;
                    break;
                }
            }

            var directive = io.Str("$patch");
            if (directive == "delete")
            {
                if (index >= 0)
                {
                    result.RemoveAt(index);
                }

                continue;
            }

            var structSchema = element.Kind == SchemaKind.Struct ? element : null;
            if (index >= 0)
            {
                result[index] = MergeStruct((JsonObject)result[index]!, io, structSchema);
            }
            else
            {
                result.Add(MergeStruct(null, io, structSchema));
            }
        }

        return result;
    }

    private static JsonArray Reorder(JsonArray list, JsonArray order, string? mergeKey)
    {
        JsonNode? Id(JsonNode? n) => mergeKey is null ? n : n?[mergeKey];
        var items = list.Select(i => i?.DeepClone()).ToList();
        var ordered = new List<JsonNode?>();
        foreach (var o in order)
        {
            var match = items.FirstOrDefault(i => JsonNode.DeepEquals(Id(i), Id(o)));
            if (match is not null)
            {
                ordered.Add(match);
                items.Remove(match);
            }
        }

        ordered.AddRange(items);
        return new JsonArray(ordered.ToArray());
    }

    private static T StripDirectives<T>(T node)
        where T : JsonNode
    {
        var copy = (T)node.DeepClone();
        Strip(copy);
        return copy;

        static void Strip(JsonNode? n)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var key in o.Select(kv => kv.Key).Where(k => k.StartsWith('$')).ToList())
                    {
                        o.Remove(key);
                    }

                    foreach (var (_, v) in o)
                    {
                        Strip(v);
                    }

                    break;
                case JsonArray a:
                    foreach (var v in a)
                    {
                        Strip(v);
                    }

                    break;
            }
        }
    }

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
