using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// Reads Kubernetes manifests: YAML (multi-document), JSON, and `kind: List` / `*List` dumps from
/// `kubectl get -o yaml|json`, from files, folders (recursive) and wildcards, or from text. Objects stream out one
/// at a time so memory stays flat however many files there are. A document that fails to parse is reported
/// through <see cref="ManifestParseError"/> and reading goes on.
/// </summary>
public static class ManifestReader
{
    private static readonly string[] ManifestExtensions = { ".yaml", ".yml", ".json" };

    /// <summary>Expands files, folders (recursively, *.yaml|*.yml|*.json) and wildcards into file paths.</summary>
    public static IEnumerable<string> ExpandPaths(IEnumerable<string> paths)
    {
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (string file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
                             .Where(f => ManifestExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                             .Order(StringComparer.Ordinal))
                {
                    yield return file;
                }
            }
            else if (File.Exists(path))
            {
                yield return path;
            }
            else if (path.IndexOfAny(new[] { '*', '?' }) >= 0)
            {
                string directory = Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
                foreach (string file in Directory.Exists(directory)
                             ? Directory.EnumerateFiles(directory, Path.GetFileName(path)).Order(StringComparer.Ordinal)
                             : Enumerable.Empty<string>())
                {
                    yield return file;
                }
            }
            else
            {
                throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find path '{path}'.", path);
            }
        }
    }

    /// <summary>Reads every object of one file; parse failures go to <paramref name="onError"/>.</summary>
    public static IEnumerable<ManifestObject> ReadFile(string path, Action<ManifestParseError> onError)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (IOException ex)
        {
            onError(new ManifestParseError(path, 0, ex.Message));
            yield break;
        }

        foreach (var item in ReadText(text, path, onError))
        {
            yield return item;
        }
    }

    /// <summary>Reads YAML or JSON text (one or many documents, Lists flattened).</summary>
    public static IEnumerable<ManifestObject> ReadText(string text, string source, Action<ManifestParseError> onError)
        => ReadText(text, source, onError, allowFastPath: true);

    /// <summary>
    /// Reads YAML or JSON text; <paramref name="allowFastPath"/> false forces the YamlDotNet path (the differential
    /// tests compare both).
    /// </summary>
    internal static IEnumerable<ManifestObject> ReadText(string text, string source, Action<ManifestParseError> onError, bool allowFastPath)
    {
        // JSON is YAML, but System.Text.Json is much faster for kubectl -o json dumps.
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.StartsWith("{", StringComparison.Ordinal) || trimmed.StartsWith("[", StringComparison.Ordinal))
        {
            foreach (var (node, line) in JsonManifestReader.Read(text, source, onError))
            {
                foreach (var item in Flatten(node, source, line))
                {
                    yield return item;
                }
            }

            yield break;
        }

        // Most manifests are plain block YAML: the hand-written reader streams them without YamlDotNet's
        // allocations. When it meets something it does not handle, YamlDotNet takes over from that document on.
        int resumeLine = 0;
        if (allowFastPath)
        {
            var fast = new FastYamlReader(text);
            FastReadResult result;
            while ((result = fast.ReadNext(out var fastDocument, out int fastLine)) == FastReadResult.Document)
            {
                foreach (var item in Flatten(fastDocument!, source, fastLine, fast.ItemLines))
                {
                    yield return item;
                }
            }

            if (result == FastReadResult.End)
            {
                yield break;
            }

            resumeLine = fast.ResumeLine;
        }

        var parser = new Parser(new StringReader(text));
        bool more = true;
        while (more)
        {
            JsonNode? document = null;
            int line = 0;
            List<int>? itemLines = null;
            string? error = null;
            int errorLine = 0;
            try
            {
                more = TryReadDocument(parser, out document, out line, out itemLines);
            }
            catch (YamlException ex)
            {
                error = ex.Message;
                errorLine = (int)ex.Start.Line;
                more = false; // the parser cannot resynchronise inside a broken stream
            }

            if (error is not null)
            {
                onError(new ManifestParseError(source, errorLine, error));
                yield break;
            }

            if (document is not null && line >= resumeLine) // earlier documents came from the fast path
            {
                foreach (var item in Flatten(document, source, line, itemLines))
                {
                    yield return item;
                }
            }
        }
    }

    /// <summary>
    /// The objects of one document: itself, or a List's items (recursively). <paramref name="itemLines"/> holds the
    /// line of each entry of the document's root items sequence, when the reader recorded them.
    /// </summary>
    private static IEnumerable<ManifestObject> Flatten(JsonNode node, string source, int line, IReadOnlyList<int>? itemLines = null)
    {
        if (node is JsonArray array)
        {
            foreach (var element in array)
            {
                if (element is not null)
                {
                    foreach (var item in Flatten(element, source, line))
                    {
                        yield return item;
                    }
                }
            }

            yield break;
        }

        if (node is not JsonObject obj)
        {
            yield break;
        }

        string? kind = obj["kind"] is JsonValue k && k.TryGetValue<string>(out var s) ? s : null;
        if (kind is not null && kind.EndsWith("List", StringComparison.Ordinal) && obj["items"] is JsonArray items)
        {
            bool linesMatch = itemLines is not null && itemLines.Count == items.Count;
            for (int index = 0; index < items.Count; index++)
            {
                if (items[index] is not JsonObject child)
                {
                    continue;
                }

                RestoreListItemType(child, kind, obj["apiVersion"] is JsonValue v && v.TryGetValue<string>(out var apiVersion) ? apiVersion : null);
                foreach (var item in Flatten(child, source, linesMatch ? itemLines![index] : line))
                {
                    yield return item;
                }
            }

            yield break;
        }

        if (obj.Count > 0)
        {
            yield return new ManifestObject(obj, source, line);
        }
    }

    /// <summary>Typed lists (PodList…) may omit kind/apiVersion on their items; an item gets them from its list.</summary>
    internal static void RestoreListItemType(JsonObject item, string listKind, string? listApiVersion)
    {
        if (item["kind"] is not null || listKind == "List")
        {
            return;
        }

        item["kind"] = listKind[..^4];
        if (item["apiVersion"] is null && listApiVersion is not null)
        {
            item["apiVersion"] = listApiVersion;
        }
    }

    /// <summary>Reads the next document; false when the stream has ended.</summary>
    private static bool TryReadDocument(Parser parser, out JsonNode? document, out int line, out List<int>? itemLines)
    {
        document = null;
        line = 0;
        itemLines = null;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case StreamStart:
                    continue;
                case StreamEnd:
                    return false;
                case DocumentStart start:
                    line = (int)start.Start.Line;
                    parser.MoveNext();
                    if (parser.Current is DocumentEnd)
                    {
                        return true;
                    }

                    line = Math.Max(line, (int)parser.Current!.Start.Line);
                    var lines = new List<int>();
                    document = ReadNode(parser, root: true, lines);
                    itemLines = lines.Count > 0 ? lines : null;
                    parser.MoveNext(); // DocumentEnd
                    return true;
            }
        }

        return false;
    }

    // Builds a JsonNode from the event at parser.Current; leaves parser on the node's last event. For the root
    // mapping's "items" sequence, the start line of each entry goes to itemLines (the same lines the fast reader records).
    private static JsonNode? ReadNode(Parser parser, bool root = false, List<int>? itemLines = null)
    {
        switch (parser.Current)
        {
            case Scalar scalar:
                return ScalarToNode(scalar);
            case SequenceStart:
                var array = new JsonArray();
                while (parser.MoveNext() && parser.Current is not SequenceEnd)
                {
                    if (!root)
                    {
                        itemLines?.Add((int)parser.Current!.Start.Line);
                    }

                    array.Add(ReadNode(parser));
                }

                return array;
            case MappingStart:
                var obj = new JsonObject();
                while (parser.MoveNext() && parser.Current is not MappingEnd)
                {
                    string key = parser.Current is Scalar k ? k.Value : throw new YamlException(parser.Current!.Start, parser.Current.End, "Only scalar mapping keys are supported.");
                    parser.MoveNext();
                    bool rootItems = root && key == "items" && parser.Current is SequenceStart;
                    if (rootItems)
                    {
                        itemLines?.Clear(); // duplicate keys: the last sequence wins, and its lines
                    }

                    var value = ReadNode(parser, itemLines: rootItems ? itemLines : null);
                    if (key == "<<" && value is JsonObject merge)
                    {
                        foreach (var (mk, mv) in merge)
                        {
                            if (!obj.ContainsKey(mk))
                            {
                                obj[mk] = mv?.DeepClone();
                            }
                        }

                        continue;
                    }

                    obj[key] = value; // duplicate keys: last wins, like kubectl's decoder
                }

                return obj;
            case AnchorAlias alias:
                throw new YamlException(alias.Start, alias.End, $"YAML aliases (*{alias.Value}) are not supported in manifests.");
            default:
                return null;
        }
    }

    private static JsonNode? ScalarToNode(Scalar scalar)
        => ScalarToNode(scalar.Value, plain: scalar.Style == ScalarStyle.Plain && scalar.Tag != "tag:yaml.org,2002:str");

    /// <summary>Types a scalar's text; shared by the YamlDotNet path and <see cref="FastYamlReader"/>.</summary>
    internal static JsonNode? ScalarToNode(string value, bool plain)
    {
        if (!plain)
        {
            return JsonValue.Create(value);
        }

        // YAML 1.2 core schema resolution (what Kubernetes' sigs.k8s.io/yaml does, plus YAML 1.1 booleans it still reads).
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return null;
            case "true" or "True" or "TRUE":
                return JsonValue.Create(true);
            case "false" or "False" or "FALSE":
                return JsonValue.Create(false);
        }

        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long l) && !value.StartsWith('+'))
        {
            if (value.Length > 1 && value[0] == '0')
            {
                return JsonValue.Create(value); // octal-looking: keep as text
            }

            return JsonValue.Create(l);
        }

        if (value.StartsWith("0x", StringComparison.Ordinal) && long.TryParse(value.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out long hex))
        {
            return JsonValue.Create(hex);
        }

        if ((char.IsDigit(value[0]) || value[0] is '-' or '.') && ContainsDigit(value)
            && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) && !double.IsInfinity(d))
        {
            return JsonValue.Create(d);
        }

        return JsonValue.Create(value);
    }

    // Same test as value.Any(char.IsDigit), without the LINQ enumerator and delegate.
    private static bool ContainsDigit(string value)
    {
        foreach (char c in value)
        {
            if (char.IsDigit(c))
            {
                return true;
            }
        }

        return false;
    }
}

/// <summary>A document that could not be parsed: which file, which line, why.</summary>
public sealed record ManifestParseError(string Source, int Line, string Message)
{
    public override string ToString() => $"{Source}:{Line}: {Message}";
}
