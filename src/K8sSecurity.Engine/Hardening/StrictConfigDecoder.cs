using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// Reads a component configuration file (already turned into JSON by ManifestReader) the way the Kubernetes
/// components load theirs: a strict decoder, so an unknown or misspelt field, or a value of the wrong type, is an
/// error (kube-apiserver and the kubelet refuse to start on such a file) instead of being silently ignored.
/// Errors name the field path, never the value (a value may be key material).
/// </summary>
internal sealed class StrictConfigDecoder
{
    /// <param name="unknownFieldsAreErrors">False for files a component decodes leniently (the audit policy): unknown
    /// fields are then collected in <see cref="UnknownFields"/> instead, because the component silently ignores them.</param>
    public StrictConfigDecoder(bool unknownFieldsAreErrors = true) => this.unknownFieldsAreErrors = unknownFieldsAreErrors;

    private readonly bool unknownFieldsAreErrors;

    public List<string> Errors { get; } = new();

    /// <summary>Fields the component ignores (lenient decoding only).</summary>
    public List<string> UnknownFields { get; } = new();

    public bool HasErrors => Errors.Count > 0;

    /// <summary>Records every field of <paramref name="obj"/> not in <paramref name="known"/> (case-sensitive, like sigs.k8s.io/json).</summary>
    public void RejectUnknown(JsonObject obj, string path, params string[] known)
    {
        foreach (var (name, _) in obj)
        {
            if (Array.IndexOf(known, name) < 0)
            {
                (unknownFieldsAreErrors ? Errors : UnknownFields).Add($"unknown field \"{Join(path, name)}\"");
            }
        }
    }

    public string? String(JsonObject obj, string field, string path)
    {
        var node = obj[field];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.String)
        {
            return value.GetValue<string>();
        }

        TypeError(path, field, node, "string");
        return null;
    }

    public long? Integer(JsonObject obj, string field, string path)
    {
        var node = obj[field];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out long number))
        {
            return number;
        }

        TypeError(path, field, node, "integer");
        return null;
    }

    public bool? Boolean(JsonObject obj, string field, string path)
    {
        var node = obj[field];
        if (node is null)
        {
            return null;
        }

        if (node is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            return value.GetValue<bool>();
        }

        TypeError(path, field, node, "boolean");
        return null;
    }

    public JsonObject? Object(JsonObject obj, string field, string path)
    {
        var node = obj[field];
        if (node is null or JsonObject)
        {
            return (JsonObject?)node;
        }

        TypeError(path, field, node, "object");
        return null;
    }

    public JsonArray? List(JsonObject obj, string field, string path)
    {
        var node = obj[field];
        if (node is null or JsonArray)
        {
            return (JsonArray?)node;
        }

        TypeError(path, field, node, "list");
        return null;
    }

    /// <summary>A list of strings; null entries and non-strings are errors.</summary>
    public List<string> StringList(JsonObject obj, string field, string path)
    {
        var result = new List<string>();
        if (List(obj, field, path) is not { } list)
        {
            return result;
        }

        for (int i = 0; i < list.Count; i++)
        {
            if (list[i] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                result.Add(value.GetValue<string>());
            }
            else
            {
                Errors.Add($"{Join(path, field)}[{i}]: expected a string, got {Describe(list[i])}");
            }
        }

        return result;
    }

    /// <summary>The mapping entries of a list; anything else is an error.</summary>
    public IEnumerable<(JsonObject Item, string Path)> Objects(JsonObject obj, string field, string path)
    {
        if (List(obj, field, path) is not { } list)
        {
            yield break;
        }

        for (int i = 0; i < list.Count; i++)
        {
            string itemPath = $"{Join(path, field)}[{i}]";
            if (list[i] is JsonObject item)
            {
                yield return (item, itemPath);
            }
            else
            {
                Errors.Add($"{itemPath}: expected an object, got {Describe(list[i])}");
            }
        }
    }

    public static string Join(string path, string field) => path.Length == 0 ? field : $"{path}.{field}";

    private void TypeError(string path, string field, JsonNode node, string expected) =>
        Errors.Add($"{Join(path, field)}: expected {(expected == "integer" ? "an" : "a")} {expected}, got {Describe(node)}");

    private static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject => "an object",
        JsonArray => "a list",
        JsonValue value => value.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "a value",
        },
        _ => "a value",
    };
}
