using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// Turns decoded documents into objects with kubectl's rules (the unstructured decoder and cli-runtime's resource
/// builder): an empty or null document is skipped; anything but a mapping is refused; a document with an "items" key
/// is a list whatever its kind (its items must be mappings, may not be lists themselves, and get kind/apiVersion from
/// the list when they have neither); an object needs a kind; apiVersion, kind and metadata must have the types of
/// TypeMeta and ObjectMeta. Refusals are errors for the document; reading goes on with the next one.
/// </summary>
internal static class ManifestDocuments
{
    private static readonly Regex Rfc3339 = new(
        @"^(\d{4})-(\d{2})-(\d{2})T(\d{1,2}):(\d{2}):(\d{2})(\.\d+)?(Z|[+-](\d{2}):(\d{2}))$", RegexOptions.CultureInvariant);

    /// <summary>The objects of a document built in full (YAML).</summary>
    public static IEnumerable<ManifestObject> Extract(JsonNode? document, int line, IReadOnlyList<int>? itemLines, ReadSession session)
    {
        if (document is null)
        {
            return Array.Empty<ManifestObject>();
        }

        if (document is not JsonObject root)
        {
            session.Error(line, $"the document is {Describe(document)}, not a Kubernetes object (kubectl: cannot unmarshal {GoType(document)} into Go value of type unstructured.detector)");
            return Array.Empty<ManifestObject>();
        }

        if (!root.TryGetPropertyValue("items", out var items))
        {
            return Single(root, line, session);
        }

        var array = items as JsonArray;
        if (items is not null && array is null)
        {
            session.Error(line, $"'items' is {Describe(items)}; a list's items must be a sequence (kubectl: cannot unmarshal {GoType(items)} into Go struct field decodeList.items of type []json.RawMessage)");
            return Array.Empty<ManifestObject>();
        }

        root.Remove("items");
        var list = new ListItems(
            array?.Count ?? 0,
            i => array![i] switch { null => ItemShape.Null, JsonObject o => o["items"] is JsonArray ? ItemShape.List : ItemShape.Object, var other => ItemShape.Other(other) },
            i => Detach(array!, i),
            i => itemLines is not null && itemLines.Count == array!.Count ? itemLines[i] : line);
        return List(root, line, list, session);
    }

    /// <summary>One object: it needs a kind, and its TypeMeta/ObjectMeta must decode.</summary>
    public static IEnumerable<ManifestObject> Single(JsonObject root, int line, ReadSession session)
    {
        if (StringOrEmpty(root["kind"]).Length == 0)
        {
            session.Error(line, $"Object 'Kind' is missing{Named(root)}: a Kubernetes object needs a kind (kubectl refuses the document)");
            return Array.Empty<ManifestObject>();
        }

        if (MetaError(root) is { } error)
        {
            session.Error(line, error);
            return Array.Empty<ManifestObject>();
        }

        return new[] { new ManifestObject(root, session.Source, line) };
    }

    /// <summary>A list's items (the list itself without its items in <paramref name="root"/>).</summary>
    public static IEnumerable<ManifestObject> List(JsonObject root, int line, ListItems items, ReadSession session)
    {
        for (int i = 0; i < items.Count; i++)
        {
            var shape = items.Shape(i);
            if (shape.IsOther)
            {
                session.Error(items.Line(i), $"item {i} of the list is {shape.Description}, not a Kubernetes object (kubectl refuses the whole list: cannot unmarshal {shape.GoType} into Go value of type map[string]interface {{}})");
                yield break;
            }

            if (shape.IsList)
            {
                session.Error(items.Line(i), $"item {i} of the list is itself a list (it has an 'items' sequence); kubectl refuses the whole list");
                yield break;
            }
        }

        string listKind = StringOrEmpty(root["kind"]);
        if (listKind.Length == 0)
        {
            session.Error(line, "Object 'Kind' is missing: a document with 'items' is a list and needs a kind (kubectl refuses the document)");
            yield break;
        }

        if (MetaError(root) is { } error)
        {
            session.Error(line, error);
            yield break;
        }

        string listApiVersion = StringOrEmpty(root["apiVersion"]);
        string itemKind = listKind.EndsWith("List", StringComparison.Ordinal) ? listKind[..^4] : listKind;
        for (int i = 0; i < items.Count; i++)
        {
            var item = items.Build(i) ?? new JsonObject(); // a null item decodes as an empty object
            int itemLine = items.Line(i);
            if (StringOrEmpty(item["kind"]).Length == 0 && StringOrEmpty(item["apiVersion"]).Length == 0)
            {
                // Typed lists (PodList…) may omit kind/apiVersion on their items: they come from the list.
                item["kind"] = itemKind;
                item["apiVersion"] = listApiVersion;
            }

            if (StringOrEmpty(item["kind"]).Length == 0)
            {
                session.Error(itemLine, $"Object 'Kind' is missing in item {i} of the {listKind}{Named(item)} (kubectl refuses the item)");
                continue;
            }

            if (StringOrEmpty(item["apiVersion"]).Length == 0)
            {
                session.Error(itemLine, $"Object 'apiVersion' is missing in item {i} of the {listKind}{Named(item)} (kubectl refuses the item)");
                continue;
            }

            yield return new ManifestObject(item, session.Source, itemLine);
        }
    }

    /// <summary>"an array", "a string"… for messages.</summary>
    public static string Describe(JsonNode node) => node switch
    {
        JsonArray => "a sequence",
        JsonObject => "a mapping",
        JsonValue value when value.TryGetValue(out string? _) => "a string",
        JsonValue value when value.TryGetValue(out bool _) => "a boolean",
        _ => "a number",
    };

    // The type names Go's encoding/json puts in its messages.
    private static string GoType(JsonNode node) => node switch
    {
        JsonArray => "array",
        JsonObject => "object",
        JsonValue value when value.TryGetValue(out string? _) => "string",
        JsonValue value when value.TryGetValue(out bool _) => "bool",
        _ => "number",
    };

    private static JsonObject? Detach(JsonArray array, int index)
    {
        var item = array[index] as JsonObject;
        array[index] = null; // the item becomes its own root and the list's tree can go
        return item;
    }

    private static string Named(JsonObject obj) =>
        (obj["metadata"] as JsonObject)?["name"] is JsonValue name && name.TryGetValue(out string? text) ? $" (name '{text}')" : string.Empty;

    // unstructured's GetKind/GetAPIVersion: the string, or "" for anything else.
    private static string StringOrEmpty(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : string.Empty;

    /// <summary>
    /// cli-runtime decodes every document into TypeMeta + ObjectMeta (case-sensitive field names) and refuses it when
    /// a field has the wrong type: apiVersion/kind strings, metadata a mapping with string name/namespace/…, string
    /// maps for labels and annotations, RFC 3339 timestamps, integer generation…
    /// </summary>
    internal static string? MetaError(JsonObject root)
    {
        if (!IsStringOrNull(root["apiVersion"]))
        {
            return $"apiVersion must be a string, not {Describe(root["apiVersion"]!)}";
        }

        if (!IsStringOrNull(root["kind"]))
        {
            return $"kind must be a string, not {Describe(root["kind"]!)}";
        }

        var metadata = root["metadata"];
        if (metadata is null)
        {
            return null;
        }

        if (metadata is not JsonObject meta)
        {
            return $"metadata must be a mapping, not {Describe(metadata)} (kubectl: cannot unmarshal {GoType(metadata)} into Go struct field metadataOnlyObject.metadata of type v1.ObjectMeta)";
        }

        foreach (var (field, value) in meta)
        {
            string? problem = field switch
            {
                "name" or "generateName" or "namespace" or "selfLink" or "uid" or "resourceVersion" => IsStringOrNull(value) ? null : "a string",
                "generation" or "deletionGracePeriodSeconds" => IsIntegerOrNull(value) ? null : "an integer",
                "creationTimestamp" or "deletionTimestamp" => IsTimeOrNull(value) ? null : "an RFC 3339 time (e.g. 2024-01-31T12:00:00Z)",
                "labels" or "annotations" => IsStringMapOrNull(value) ? null : "a mapping of strings to strings",
                "finalizers" => IsListOrNull(value, IsStringOrNull) ? null : "a sequence of strings",
                "ownerReferences" => IsListOrNull(value, IsOwnerReference) ? null : "a sequence of owner references (apiVersion, kind, name, uid strings; controller, blockOwnerDeletion booleans)",
                "managedFields" => IsListOrNull(value, IsManagedFieldsEntry) ? null : "a sequence of managed-fields entries",
                _ => null,
            };
            if (problem is not null)
            {
                return $"metadata.{field} must be {problem} (kubectl refuses the document)";
            }
        }

        return null;
    }

    private static bool IsStringOrNull(JsonNode? node) => node is null || (node is JsonValue value && value.TryGetValue(out string? _));

    private static bool IsBoolOrNull(JsonNode? node) => node is null || (node is JsonValue value && value.TryGetValue(out bool _));

    private static bool IsIntegerOrNull(JsonNode? node) => node is null || (node is JsonValue value && value.TryGetValue(out long _));

    private static bool IsStringMapOrNull(JsonNode? node) => node is null || (node is JsonObject map && map.All(p => IsStringOrNull(p.Value)));

    private static bool IsListOrNull(JsonNode? node, Func<JsonNode?, bool> isItem) => node is null || (node is JsonArray list && list.All(isItem));

    private static bool IsOwnerReference(JsonNode? node) =>
        node is null || (node is JsonObject owner && owner.All(p => p.Key switch
        {
            "apiVersion" or "kind" or "name" or "uid" => IsStringOrNull(p.Value),
            "controller" or "blockOwnerDeletion" => IsBoolOrNull(p.Value),
            _ => true,
        }));

    private static bool IsManagedFieldsEntry(JsonNode? node) =>
        node is null || (node is JsonObject entry && entry.All(p => p.Key switch
        {
            "manager" or "operation" or "apiVersion" or "fieldsType" or "subresource" => IsStringOrNull(p.Value),
            "time" => IsTimeOrNull(p.Value),
            _ => true,
        }));

    // metav1.Time: null, or a string Go's time.Parse(time.RFC3339, …) accepts.
    private static bool IsTimeOrNull(JsonNode? node)
    {
        if (node is null)
        {
            return true;
        }

        if (node is not JsonValue value || !value.TryGetValue(out string? text))
        {
            return false;
        }

        var match = Rfc3339.Match(text);
        if (!match.Success)
        {
            return false;
        }

        int Part(int group) => int.Parse(match.Groups[group].ValueSpan, CultureInfo.InvariantCulture);
        int year = Part(1), month = Part(2), day = Part(3);
        return month is >= 1 and <= 12 && day >= 1 && day <= DateTime.DaysInMonth(Math.Max(1, year), month)
            && Part(4) < 24 && Part(5) < 60 && Part(6) < 60
            && (!match.Groups[9].Success || (Part(9) < 24 && Part(10) < 60));
    }
}

/// <summary>How one entry of a list's items looks before it is built.</summary>
internal readonly record struct ItemShape(bool IsOther, bool IsList, string Description, string GoType)
{
    public static ItemShape Object => new(false, false, "a mapping", "object");

    public static ItemShape Null => new(false, false, "null", "null");

    public static ItemShape List => new(false, true, "a list", "object");

    public static ItemShape Other(JsonNode node) => new(true, false, ManifestDocuments.Describe(node), node switch
    {
        JsonArray => "array",
        JsonValue value when value.TryGetValue(out string? _) => "string",
        JsonValue value when value.TryGetValue(out bool _) => "bool",
        _ => "number",
    });
}

/// <summary>A list's items, built one at a time (a JSON dump never holds more than one item's tree).</summary>
internal sealed class ListItems
{
    private readonly Func<int, ItemShape> shape;
    private readonly Func<int, JsonObject?> build;
    private readonly Func<int, int> line;

    public ListItems(int count, Func<int, ItemShape> shape, Func<int, JsonObject?> build, Func<int, int> line)
    {
        Count = count;
        this.shape = shape;
        this.build = build;
        this.line = line;
    }

    public int Count { get; }

    public ItemShape Shape(int index) => shape(index);

    public JsonObject? Build(int index) => build(index);

    public int Line(int index) => line(index);
}

/// <summary>What reading one file or text found besides its objects: errors, duplicate keys, nothing at all.</summary>
internal sealed class ReadSession
{
    private readonly Action<ManifestParseError> onIssue;
    private readonly HashSet<(string, int)> reportedDuplicates = new();

    public ReadSession(string source, Action<ManifestParseError> onIssue)
    {
        Source = source;
        this.onIssue = onIssue;
    }

    public string Source { get; }

    public int Objects { get; set; }

    public int Errors { get; private set; }

    public void Error(int line, string message)
    {
        Errors++;
        onIssue(new ManifestParseError(Source, line, message));
    }

    public void Duplicates(List<DuplicateKey> duplicates)
    {
        foreach (var duplicate in duplicates)
        {
            if (reportedDuplicates.Add((duplicate.Key, duplicate.Line)))
            {
                onIssue(new ManifestParseError(
                    Source,
                    duplicate.Line,
                    $"duplicate key '{duplicate.Key}': kubectl keeps the last value and drops the earlier one; were two documents concatenated without '---'?")
                {
                    Kind = ManifestIssueKind.DuplicateKey,
                });
            }
        }
    }

    /// <summary>Called at the end: text that held no object at all (and no error) is worth a warning.</summary>
    public void Finish()
    {
        if (Objects == 0 && Errors == 0)
        {
            onIssue(new ManifestParseError(Source, 0, "contains no Kubernetes object") { Kind = ManifestIssueKind.NoObjects });
        }
    }
}
