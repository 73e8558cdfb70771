using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// Reads JSON manifests and `kubectl get -o json` dumps as kubectl reads a text that starts with '{': a stream of JSON
/// values (Go's json.Decoder: no comments, no trailing commas; a syntax error ends the stream, the values before it
/// count), each turned into objects by <see cref="ManifestDocuments"/>. A list's items are built one at a time (each
/// from its own slice of the text) and handed out before the next is read, so a 10,000-item dump never holds more
/// than one item's tree, and every item knows its line. Nodes hold plain .NET values, like the YAML readers'; numbers
/// are typed as kubectl ends up with them (integral values as integers).
/// </summary>
internal static class JsonManifestReader
{
    private static readonly JsonReaderOptions StrictOptions = new() { MaxDepth = ManifestLimits.MaxNestingDepth };

    /// <summary>The objects of a JSON stream; problems go to the session.</summary>
    public static IEnumerable<ManifestObject> Read(string text, ReadSession session)
    {
        byte[] utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
        try
        {
            int length = Encoding.UTF8.GetBytes(text, utf8);
            var lines = new LineCounter(utf8, length);
            var names = new PropertyNames();
            int offset = 0;
            while (true)
            {
                offset = SkipWhitespace(utf8, offset, length);
                if (offset >= length)
                {
                    yield break;
                }

                TopLevelValue value;
                try
                {
                    value = ReadValue(utf8, offset, length, names);
                }
                catch (JsonException ex)
                {
                    int line = (int)(ex.LineNumber ?? 0) + lines.LineAt(offset);
                    session.Error(line, $"json: {ex.Message}");
                    yield break;
                }

                int valueLine = lines.LineAt(offset);
                offset = value.End;
                string[]? valueDuplicates = null;
                if (value.DuplicateOffsets is { } duplicateOffsets)
                {
                    var found = duplicateOffsets.Select(d => new DuplicateKey(d.Key, lines.LineAtAnyOrder(d.Offset))).ToList();
                    session.Duplicates(found);
                    valueDuplicates = ManifestReader.DuplicateKeyList(found);
                }

                if (value.Problem is not null)
                {
                    session.Error(valueLine, value.Problem);
                    continue;
                }

                IEnumerable<ManifestObject> objects;
                string[]? itemDuplicates = null;
                if (value.Root is null)
                {
                    objects = value.Other is null ? Array.Empty<ManifestObject>() : ManifestDocuments.Extract(value.Other, valueLine, null, session);
                }
                else if (value.Items is null)
                {
                    objects = ManifestDocuments.Single(value.Root, valueLine, session);
                }
                else
                {
                    var items = value.Items;
                    var itemLines = items.Select(i => lines.LineAt(i.Start)).ToArray();
                    objects = ManifestDocuments.List(
                        value.Root,
                        valueLine,
                        new ListItems(
                            items.Count,
                            i => items[i].Shape,
                            i => items[i].Shape.Equals(ItemShape.Null) ? null : BuildItem(utf8, items[i], lines, session, names, out itemDuplicates),
                            i => itemLines[i]),
                        session);
                }

                foreach (var item in objects)
                {
                    var duplicates = (valueDuplicates ?? Array.Empty<string>()).Concat(itemDuplicates ?? Array.Empty<string>()).ToArray();
                    if (duplicates.Length > 0)
                    {
                        item.DuplicateKeys = duplicates;
                    }

                    itemDuplicates = null;
                    yield return item;
                }
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
            var reader = new Utf8JsonReader(utf8.AsSpan(0, length), StrictOptions);
            if (!reader.Read())
            {
                return null;
            }

            var builder = new Builder(0, new PropertyNames());
            var node = builder.Value(ref reader);
            reader.Read(); // throws when anything but whitespace follows the value
            return node;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>
    /// Reads one top-level value starting at <paramref name="offset"/>. An object is built except for its "items"
    /// (recorded as ranges and checked: every item must be an object or null and not a list itself); anything else is
    /// kept whole for <see cref="ManifestDocuments"/> to refuse. Throws <see cref="JsonException"/> on syntax errors.
    /// </summary>
    private static TopLevelValue ReadValue(byte[] utf8, int offset, int length, PropertyNames names)
    {
        var reader = new Utf8JsonReader(utf8.AsSpan(offset, length - offset), StrictOptions);
        reader.Read();
        var builder = new Builder(offset, names);
        var value = new TopLevelValue();
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            value.Other = builder.Value(ref reader);
            value.End = offset + (int)reader.BytesConsumed;
            value.Problem = builder.Problem;
            value.DuplicateOffsets = builder.Duplicates;
            return value;
        }

        var root = new JsonObject();
        int? itemsOffset = null;
        string? itemsProblem = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = builder.Name(ref reader);
            int nameOffset = offset + (int)reader.TokenStartIndex;
            reader.Read();
            if (name == "items")
            {
                if (itemsOffset is not null)
                {
                    builder.Duplicate(name, nameOffset);
                }

                // The items are kept aside (the last "items" wins).
                itemsOffset = nameOffset;
                itemsProblem = null;
                value.Items = reader.TokenType switch
                {
                    JsonTokenType.StartArray => Items(ref reader, offset, builder),
                    JsonTokenType.Null => new List<ItemRange>(),
                    _ => null,
                };
                if (value.Items is null)
                {
                    var items = builder.Value(ref reader)!;
                    itemsProblem = $"'items' is {ManifestDocuments.Describe(items)}; a list's items must be an array (kubectl: cannot unmarshal it into Go struct field decodeList.items of type []json.RawMessage)";
                    value.Items = new List<ItemRange>();
                }

                continue;
            }

            builder.Set(root, name, builder.Value(ref reader), nameOffset);
        }

        value.Root = root;
        value.End = offset + (int)reader.BytesConsumed;
        value.Problem = itemsProblem ?? builder.Problem;
        value.DuplicateOffsets = builder.Duplicates;
        return value;
    }

    // The entries of an "items" array: where each is, and whether it is an object, null, a nested list or else.
    private static List<ItemRange> Items(ref Utf8JsonReader reader, int offset, Builder builder)
    {
        var items = new List<ItemRange>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            int start = offset + (int)reader.TokenStartIndex;
            ItemShape shape;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    shape = ScanItem(ref reader, builder) ? ItemShape.List : ItemShape.Object;
                    break;
                case JsonTokenType.Null:
                    shape = ItemShape.Null;
                    break;
                default:
                    shape = ItemShape.Other(builder.Value(ref reader)!);
                    break;
            }

            items.Add(new ItemRange(start, offset + (int)reader.BytesConsumed - start, shape));
        }

        return items;
    }

    // Walks an item object without building it (numbers are still checked); true when its own "items" is an array.
    private static bool ScanItem(ref Utf8JsonReader reader, Builder builder)
    {
        int depth = reader.CurrentDepth;
        bool nestedList = false;
        bool itemsNext = false;
        while (reader.Read())
        {
            if (reader.CurrentDepth == depth + 1 && reader.TokenType == JsonTokenType.PropertyName)
            {
                itemsNext = reader.ValueTextEquals("items"u8);
                continue;
            }

            if (itemsNext && reader.CurrentDepth == depth + 1)
            {
                nestedList = reader.TokenType == JsonTokenType.StartArray; // the last "items" wins
                itemsNext = false;
            }

            if (reader.TokenType == JsonTokenType.Number)
            {
                builder.CheckNumber(ref reader);
            }

            if (reader.TokenType == JsonTokenType.EndObject && reader.CurrentDepth == depth)
            {
                break;
            }
        }

        return nestedList;
    }

    // Builds one list item from its own bytes; its duplicate keys are reported as it is built.
    private static JsonObject? BuildItem(byte[] utf8, ItemRange item, LineCounter lines, ReadSession session, PropertyNames names, out string[]? duplicateKeys)
    {
        var reader = new Utf8JsonReader(utf8.AsSpan(item.Start, item.Length), StrictOptions);
        reader.Read();
        var builder = new Builder(item.Start, names);
        var node = builder.Value(ref reader) as JsonObject;
        duplicateKeys = null;
        if (builder.Duplicates is { } duplicates)
        {
            var found = duplicates.Select(d => new DuplicateKey(d.Key, lines.LineAtAnyOrder(d.Offset))).ToList();
            session.Duplicates(found);
            duplicateKeys = ManifestReader.DuplicateKeyList(found);
        }

        return node;
    }

    private static int SkipWhitespace(byte[] utf8, int offset, int length)
    {
        while (offset < length && utf8[offset] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
        {
            offset++;
        }

        return offset;
    }

    /// <summary>Builds nodes; records duplicate keys and numbers kubectl cannot hold without stopping the read.</summary>
    private sealed class Builder
    {
        private readonly int offset;
        private readonly PropertyNames names;

        public Builder(int offset, PropertyNames names)
        {
            this.offset = offset;
            this.names = names;
        }

        public List<(string Key, int Offset)>? Duplicates { get; private set; }

        public string? Problem { get; private set; }

        public JsonNode? Value(ref Utf8JsonReader reader)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    var obj = new JsonObject();
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        string name = Name(ref reader);
                        int nameOffset = offset + (int)reader.TokenStartIndex;
                        reader.Read();
                        Set(obj, name, Value(ref reader), nameOffset);
                    }

                    return obj;
                case JsonTokenType.StartArray:
                    var array = new JsonArray();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        array.Add(Value(ref reader));
                    }

                    return array;
                case JsonTokenType.String:
                    return JsonValue.Create(String(ref reader));
                case JsonTokenType.Number:
                    return CheckNumber(ref reader);
                case JsonTokenType.True:
                    return JsonValue.Create(true);
                case JsonTokenType.False:
                    return JsonValue.Create(false);
                default:
                    return null;
            }
        }

        // A repeated key keeps its last value, as in Go's encoding/json; it is reported.
        public void Set(JsonObject obj, string name, JsonNode? value, int nameOffset)
        {
            if (obj.ContainsKey(name))
            {
                Duplicate(name, nameOffset);
            }

            obj[name] = value;
        }

        public void Duplicate(string name, int nameOffset) => (Duplicates ??= new()).Add((name, nameOffset));

        public JsonNode? CheckNumber(ref Utf8JsonReader reader)
        {
            if (reader.TryGetInt64(out long integer))
            {
                return JsonValue.Create(integer);
            }

            if (reader.TryGetDouble(out double number) && !double.IsInfinity(number))
            {
                return YamlScalars.Number(number);
            }

            string literal = Encoding.UTF8.GetString(reader.ValueSpan);
            Problem ??= $"the number {literal} is out of range (kubectl: cannot unmarshal number {literal} into Go value of type float64)";
            return null;
        }

        /// <summary>A property name: the same string for the same unescaped bytes (manifests repeat a few hundred names).</summary>
        public string Name(ref Utf8JsonReader reader)
        {
            if (reader.ValueIsEscaped || reader.HasValueSequence)
            {
                return String(ref reader);
            }

            var bytes = reader.ValueSpan;
            return names.Find(bytes) ?? names.Add(bytes, String(ref reader));
        }

        // Go decodes a lone surrogate escape (\ud800) as U+FFFD where .NET refuses it.
        public string String(ref Utf8JsonReader reader)
        {
            try
            {
                return reader.GetString()!;
            }
            catch (InvalidOperationException)
            {
                return UnescapeLeniently(Encoding.UTF8.GetString(reader.ValueSpan));
            }
        }

        private static string UnescapeLeniently(string escaped)
        {
            var text = new StringBuilder(escaped.Length);
            for (int i = 0; i < escaped.Length; i++)
            {
                char c = escaped[i];
                if (c != '\\' || i + 1 >= escaped.Length)
                {
                    text.Append(c);
                    continue;
                }

                char e = escaped[++i];
                switch (e)
                {
                    case 'n': text.Append('\n'); break;
                    case 't': text.Append('\t'); break;
                    case 'r': text.Append('\r'); break;
                    case 'b': text.Append('\b'); break;
                    case 'f': text.Append('\f'); break;
                    case 'u' when i + 4 < escaped.Length:
                        char unit = (char)Convert.ToInt32(escaped.Substring(i + 1, 4), 16);
                        i += 4;
                        if (char.IsHighSurrogate(unit) && i + 6 < escaped.Length && escaped[i + 1] == '\\' && escaped[i + 2] == 'u'
                            && char.IsLowSurrogate((char)Convert.ToInt32(escaped.Substring(i + 3, 4), 16)))
                        {
                            text.Append(unit).Append((char)Convert.ToInt32(escaped.Substring(i + 3, 4), 16));
                            i += 6;
                        }
                        else
                        {
                            text.Append(char.IsSurrogate(unit) ? '\ufffd' : unit);
                        }

                        break;
                    default: text.Append(e); break;
                }
            }

            return text.ToString();
        }
    }

    /// <summary>Property names already decoded in this text, by their UTF-8 bytes (one slot per hash, last one wins).</summary>
    private sealed class PropertyNames
    {
        private const int MaxLength = 64;
        private readonly (byte[] Utf8, string Text)[] slots = new (byte[], string)[512];

        public string? Find(ReadOnlySpan<byte> utf8)
        {
            if (utf8.IsEmpty || utf8.Length > MaxLength)
            {
                return null;
            }

            var (cached, text) = slots[Slot(utf8)];
            return cached is not null && utf8.SequenceEqual(cached) ? text : null;
        }

        public string Add(ReadOnlySpan<byte> utf8, string text)
        {
            if (!utf8.IsEmpty && utf8.Length <= MaxLength)
            {
                slots[Slot(utf8)] = (utf8.ToArray(), text);
            }

            return text;
        }

        private int Slot(ReadOnlySpan<byte> utf8) => ((utf8.Length * 31) ^ (utf8[0] * 7) ^ utf8[^1]) & (slots.Length - 1);
    }

    /// <summary>One top-level value of the stream.</summary>
    private sealed class TopLevelValue
    {
        public JsonObject? Root { get; set; }

        public List<ItemRange>? Items { get; set; }

        public JsonNode? Other { get; set; }

        public int End { get; set; }

        public string? Problem { get; set; }

        public List<(string Key, int Offset)>? DuplicateOffsets { get; set; }
    }

    /// <summary>One entry of a list's items: its bytes in the text, and how it looks.</summary>
    private readonly record struct ItemRange(int Start, int Length, ItemShape Shape);

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

        // For the rare offsets asked out of order (duplicate keys): counts from the start, leaving the cursor alone.
        public int LineAtAnyOrder(int target) => 1 + utf8.AsSpan(0, Math.Min(target, length)).Count((byte)'\n');
    }
}
