using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// Reads JSON manifests and `kubectl get -o json` dumps. A List's items are built one at a time (each from its own
/// slice of the text) and handed out before the next is read, so a 10,000-item dump never holds more than one item's
/// tree, and every item knows its line. Nodes hold plain .NET values, like the YAML readers' (a lazily parsed
/// JsonNode would decode the same string again on every check that reads it).
/// </summary>
internal static class JsonManifestReader
{
    private static readonly JsonReaderOptions Options = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip };

    public static IEnumerable<(JsonNode Node, int Line)> Read(string text, string source, Action<ManifestParseError> onError)
    {
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
        try
        {
            int length = Encoding.UTF8.GetBytes(text, utf8);
            var layout = Scan(utf8.AsMemory(0, length), source, onError);
            if (layout is null)
            {
                yield break;
            }

            var lines = new LineCounter(utf8, length);
            foreach (var value in layout.Values)
            {
                var node = Build(utf8.AsSpan(value.Start, value.Length));
                if (node is null)
                {
                    continue;
                }

                if (layout.ListKind is not null && node is JsonObject item)
                {
                    ManifestReader.RestoreListItemType(item, layout.ListKind, layout.ListApiVersion);
                }

                yield return (node, lines.LineAt(value.Start));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>
    /// One JSON value (for example an API object as KubernetesJson serializes it) as nodes holding plain .NET values,
    /// the form every check reads; throws <see cref="JsonException"/> on invalid JSON.
    /// </summary>
    public static JsonNode? Parse(string json)
    {
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(json));
        try
        {
            int length = Encoding.UTF8.GetBytes(json, utf8);
            var reader = new Utf8JsonReader(utf8.AsSpan(0, length), Options);
            if (!reader.Read())
            {
                return null;
            }

            var node = BuildValue(ref reader);
            reader.Read(); // throws when anything but whitespace follows the value
            return node;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>
    /// First pass: validates the whole text and finds what to build. A List (kind ending in "List" with an items
    /// array; kubectl writes items before kind) yields one range per item and the list's kind and apiVersion; any
    /// other value yields its own range. Null when the text is not valid JSON.
    /// </summary>
    private static Layout? Scan(ReadOnlyMemory<byte> utf8, string source, Action<ManifestParseError> onError)
    {
        var reader = new Utf8JsonReader(utf8.Span, Options);
        try
        {
            if (!reader.Read())
            {
                return new Layout(new List<ValueRange>(), null, null);
            }

            var whole = new ValueRange((int)reader.TokenStartIndex, 0);
            List<ValueRange>? items = null;
            string? kind = null, apiVersion = null;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    if (name == "items" && reader.TokenType == JsonTokenType.StartArray)
                    {
                        items = Elements(ref reader, objectsOnly: true);
                    }
                    else if (name == "kind" && reader.TokenType == JsonTokenType.String)
                    {
                        kind = reader.GetString();
                    }
                    else if (name == "apiVersion" && reader.TokenType == JsonTokenType.String)
                    {
                        apiVersion = reader.GetString();
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
            else if (reader.TokenType == JsonTokenType.StartArray)
            {
                // A bare array of manifests: each element on its own, like a List's items.
                var elements = Elements(ref reader, objectsOnly: false);
                reader.Read();
                return new Layout(elements, null, null);
            }
            else
            {
                reader.Skip();
            }

            whole = whole with { Length = (int)reader.BytesConsumed - whole.Start };
            reader.Read(); // throws when anything but whitespace follows the value

            return items is null || kind is null || !kind.EndsWith("List", StringComparison.Ordinal)
                ? new Layout(new List<ValueRange> { whole }, null, null)
                : new Layout(items, kind, apiVersion);
        }
        catch (JsonException ex)
        {
            onError(new ManifestParseError(source, (int)(ex.LineNumber ?? 0) + 1, ex.Message));
            return null;
        }
    }

    /// <summary>The ranges of an array's elements (the reader ends on the array's end); non-objects are dropped when asked.</summary>
    private static List<ValueRange> Elements(ref Utf8JsonReader reader, bool objectsOnly)
    {
        var elements = new List<ValueRange>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int start = (int)reader.TokenStartIndex;
            bool isObject = reader.TokenType == JsonTokenType.StartObject;
            reader.Skip();
            if (isObject || !objectsOnly)
            {
                elements.Add(new ValueRange(start, (int)reader.BytesConsumed - start));
            }
        }

        return elements;
    }

    private static JsonNode? Build(ReadOnlySpan<byte> utf8)
    {
        var reader = new Utf8JsonReader(utf8, Options);
        reader.Read();
        return BuildValue(ref reader);
    }

    private static JsonNode? BuildValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    obj[name] = BuildValue(ref reader); // a repeated key keeps its last value
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(BuildValue(ref reader));
                }

                return array;
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString());
            case JsonTokenType.Number:
                return reader.TryGetInt64(out long integer) ? JsonValue.Create(integer) : JsonValue.Create(reader.GetDouble());
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    /// <summary>A value's bytes in the text.</summary>
    private readonly record struct ValueRange(int Start, int Length);

    /// <summary>The values to build, and the List they are the items of (null kind when they are not).</summary>
    private sealed record Layout(List<ValueRange> Values, string? ListKind, string? ListApiVersion);

    /// <summary>1-based line of a byte offset, counting newlines forward from the previous offset asked for.</summary>
    private sealed class LineCounter
    {
        private readonly byte[] utf8;
        private readonly int length;
        private int offset;
        private int line = 1;

        public LineCounter(byte[] utf8, int length)
        {
            this.utf8 = utf8;
            this.length = length;
        }

        public int LineAt(int target)
        {
            if (target < offset)
            {
                offset = 0;
                line = 1;
            }

            line += utf8.AsSpan(offset, Math.Min(target, length) - offset).Count((byte)'\n');
            offset = target;
            return line;
        }
    }
}
