using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Audit;

/// <summary>Null-tolerant reads of Kubernetes objects kept as JSON.</summary>
internal static class JsonPaths
{
    public static JsonNode? At(this JsonNode? node, params string[] path)
    {
        foreach (string segment in path)
        {
            node = node is JsonObject obj ? obj[segment] : null;
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    public static string? Str(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonValue value && value.TryGetValue<string>(out var s) ? s : null;

    public static bool? Bool(this JsonNode? node, params string[] path)
    {
        if (node.At(path) is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<bool>(out var b))
        {
            return b;
        }

        return value.TryGetValue<string>(out var s) && bool.TryParse(s, out b) ? b : null;
    }

    public static long? Long(this JsonNode? node, params string[] path)
    {
        if (node.At(path) is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out var i))
        {
            return i;
        }

        if (value.TryGetValue<double>(out var d))
        {
            return (long)d;
        }

        return value.TryGetValue<string>(out var s) && long.TryParse(s, System.Globalization.CultureInfo.InvariantCulture, out l) ? l : null;
    }

    public static IEnumerable<JsonObject> Objects(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonArray array ? array.OfType<JsonObject>() : Enumerable.Empty<JsonObject>();

    public static IEnumerable<string> Strings(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonArray array
            ? array.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var s) ? s : null).OfType<string>()
            : Enumerable.Empty<string>();

    public static IEnumerable<KeyValuePair<string, string>> StringMap(this JsonNode? node, params string[] path) =>
        node.At(path) is JsonObject obj
            ? obj.Select(p => new KeyValuePair<string, string>(p.Key, p.Value is JsonValue v && v.TryGetValue<string>(out var s) ? s : p.Value?.ToJsonString() ?? string.Empty))
            : Enumerable.Empty<KeyValuePair<string, string>>();
}
