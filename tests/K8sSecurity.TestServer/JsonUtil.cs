using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>Small helpers over System.Text.Json.Nodes so handlers read like the Go code they imitate.</summary>
public static class JsonUtil
{
    // Relaxed escaping: quotes as \" (like Go), not \u0022, so raw bodies read like kube-apiserver's.
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly string[] MetadataOrder =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    public static JsonObject Obj(this JsonObject o, string key)
    {
        if (o[key] is JsonObject existing)
        {
            return existing;
        }

        var created = new JsonObject();
        o[key] = created;
        return created;
    }

    public static JsonObject Metadata(this JsonObject o) => o.Obj("metadata");

    public static string? Str(this JsonNode? node, params string[] path)
    {
        var n = At(node, path);
        if (n is JsonValue v)
        {
            if (v.TryGetValue<string>(out var s))
            {
                return s;
            }

            return v.ToJsonString();
        }

        return null;
    }

    public static JsonNode? At(this JsonNode? node, params string[] path)
    {
        var cur = node;
        foreach (var p in path)
        {
            if (cur is not JsonObject o || !o.TryGetPropertyValue(p, out cur))
            {
                return null;
            }
        }

        return cur;
    }

    public static long? Long(this JsonNode? node, params string[] path)
    {
        var n = At(node, path);
        if (n is JsonValue v)
        {
            // JsonValue created from an int does not convert to long via TryGetValue; go through the JSON text.
            if (v.GetValueKind() == JsonValueKind.Number)
            {
                var text = v.ToJsonString();
                if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l))
                {
                    return l;
                }

                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
                {
                    return (long)d;
                }
            }

            if (v.TryGetValue<string>(out var s) && long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ls))
            {
                return ls;
            }
        }

        return null;
    }

    public static bool? Bool(this JsonNode? node, params string[] path)
    {
        var n = At(node, path);
        return n is JsonValue v && v.TryGetValue<bool>(out var b) ? b : null;
    }

    public static IEnumerable<JsonObject> Objects(this JsonNode? node, params string[] path) =>
        At(node, path) is JsonArray a ? a.OfType<JsonObject>() : [];

    public static IEnumerable<string> Strings(this JsonNode? node, params string[] path) =>
        At(node, path) is JsonArray a ? a.Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>() : [];

    public static Dictionary<string, string> StringMap(this JsonNode? node, params string[] path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (At(node, path) is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                if (v is JsonValue jv)
                {
                    result[k] = jv.TryGetValue<string>(out var s) ? s : jv.ToJsonString();
                }
            }
        }

        return result;
    }

    public static JsonArray ToJsonArray(this IEnumerable<string> values)
    {
        var a = new JsonArray();
        foreach (var v in values)
        {
            a.Add(v);
        }

        return a;
    }

    public static JsonObject Clone(this JsonObject o) => (JsonObject)o.DeepClone();

    public static JsonNode? ParseOrNull(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Rebuilds an object in the key order kube-apiserver emits (kind, apiVersion, metadata first; metadata keys in ObjectMeta order).</summary>
    public static JsonObject Ordered(JsonObject o)
    {
        var result = new JsonObject();
        foreach (var k in new[] { "kind", "apiVersion" })
        {
            if (o.TryGetPropertyValue(k, out var v))
            {
                result[k] = v?.DeepClone();
            }
        }

        if (o["metadata"] is JsonObject md)
        {
            var m = new JsonObject();
            foreach (var k in MetadataOrder)
            {
                if (md.TryGetPropertyValue(k, out var v))
                {
                    m[k] = v?.DeepClone();
                }
            }

            foreach (var (k, v) in md)
            {
                if (!m.ContainsKey(k))
                {
                    m[k] = v?.DeepClone();
                }
            }

            result["metadata"] = m;
        }

        foreach (var (k, v) in o)
        {
            if (!result.ContainsKey(k))
            {
                result[k] = v?.DeepClone();
            }
        }

        return result;
    }

    /// <summary>Deep structural equality (numbers compared by text).</summary>
    public static bool DeepEquals(JsonNode? a, JsonNode? b) => JsonNode.DeepEquals(a, b);
}
