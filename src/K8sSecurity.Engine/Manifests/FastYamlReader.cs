using System.Buffers;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// A hand-written reader for the block-style YAML subset that manifests and `kubectl -o yaml` use: block mappings
/// and sequences, plain and simple quoted scalars, literal `|`/`|-` block scalars, one-line flow collections and
/// comments, one document (a <see cref="YamlChunk"/> of kubectl's splitting) at a time. YamlDotNet's event model
/// allocates heavily (tokens, events, marks); this reader goes straight from text to JsonNode trees, about 7× faster
/// with a third of the allocations. Scalars and keys are typed by <see cref="YamlScalars"/> exactly as on the full
/// path. It never guesses: on anything it does not handle with certainty (anchors, aliases, tags, merge keys, folded
/// or indicated block scalars, multi-line or escaped scalars, tabs, odd indentation, "..." markers, directives,
/// values kubectl refuses, errors…) it gives up on that document and the caller reads it with
/// <see cref="YamlDocumentDecoder"/>, so results and errors are exactly that path's (the differential tests compare
/// both with kubectl on every fixture and on a generated corpus).
/// </summary>
internal sealed class FastYamlReader
{
    // Deeper trees are legal but rare; giving up keeps recursion bounded.
    private const int MaxDepth = 64;

    // YAML limits implicit keys to 1024 characters; stay well below it.
    private const int MaxKeyLength = 1000;

    private readonly ManifestText source;
    private readonly string text;
    private readonly List<int> lineStarts;
    private readonly List<int> lineEnds; // exclusive, without the '\r' of "\r\n"
    private int line; // current line
    private int pos; // current position inside the current line
    private int documentEndLine; // exclusive end of the current document's lines
    private int depth;
    private List<DuplicateKey>? duplicates;
    private readonly List<PendingMapping> pendingMappings = new();

    // The characters of a plain key as Kubernetes writes them (the first one may not be '-').
    private static readonly SearchValues<char> PlainKeyCharacters =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./$-");

    // Manifests repeat the same keys (name, image, securityContext…) thousands of times: reuse their strings, and
    // for the plain keys go-yaml could read as something else (name, tier, type… start like null, true or false),
    // the JSON key they resolve to.
    private readonly string?[] keyCache = new string?[512];
    private readonly string?[] resolvedKeyFor = new string?[512];
    private readonly string?[] resolvedKey = new string?[512];

    public FastYamlReader(ManifestText source)
    {
        this.source = source;
        text = source.Text;
        lineStarts = source.LineStarts;
        lineEnds = source.LineEnds;
    }

    /// <summary>
    /// For the document <see cref="TryRead"/> returned last: the 1-based line of each entry of its root "items"
    /// block sequence (a `kubectl get -o yaml` List), so every item can report its own line; null when there is none.
    /// </summary>
    public List<int>? ItemLines { get; private set; }

    // Set while the root mapping's "items" value is parsed: that sequence records where its entries start.
    private bool readingRootItems;

    /// <summary>Whether the fast path reads every document of the text (the tests check it is really used).</summary>
    public static bool TryReadAll(string text)
    {
        var source = new ManifestText(text);
        var reader = new FastYamlReader(source);
        foreach (var chunk in source.Chunks())
        {
            if (chunk.SeparatorError is not null || reader.TryRead(chunk, out _, out _, new List<DuplicateKey>()) == FastReadResult.GiveUp)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Reads the document of one chunk. Duplicate keys (the last value wins, as in kubectl) are added to
    /// <paramref name="duplicateKeys"/>; on <see cref="FastReadResult.GiveUp"/> whatever was added must be discarded.
    /// </summary>
    public FastReadResult TryRead(YamlChunk chunk, out JsonNode? document, out int documentLine, List<DuplicateKey> duplicateKeys)
    {
        document = null;
        documentLine = 0;
        ItemLines = null;
        duplicates = duplicateKeys;
        if (source.HasUnusualCharacters(chunk.First, chunk.End))
        {
            return FastReadResult.GiveUp;
        }

        // A leading separator line is an explicit document start: the content begins after it.
        int first = source.IsSeparator(chunk.First) ? chunk.First + 1 : chunk.First;
        try
        {
            for (int l = first; l < chunk.End; l++)
            {
                // Document end markers and directives: what follows them is the full parser's business.
                int start = lineStarts[l];
                if (lineEnds[l] > start && (text[start] == '%' || (lineEnds[l] - start >= 3 && string.CompareOrdinal(text, start, "...", 0, 3) == 0)))
                {
                    return FastReadResult.GiveUp;
                }
            }

            documentEndLine = chunk.End;
            line = first;
            depth = 0;
            SkipToContent();
            if (line >= documentEndLine)
            {
                return FastReadResult.Empty; // only comments and blank lines
            }

            // An indented root is legal YAML but never seen in manifests.
            if (pos - lineStarts[line] != 0)
            {
                return FastReadResult.GiveUp;
            }

            documentLine = line + 1;
            document = ParseBlock(0);
            if (line < documentEndLine)
            {
                document = null;
                return FastReadResult.GiveUp; // leftover content: an error or something we do not understand
            }

            return FastReadResult.Document;
        }
        catch (BailOutException)
        {
            document = null;
            documentLine = 0;
            ItemLines = null;
            return FastReadResult.GiveUp;
        }
    }

    // Moves from the current line to the first character of the next line with content (not blank, not comment).
    private void NextLine()
    {
        line++;
        SkipToContent();
    }

    // The index of the next line with content after the current one, without moving (the current line when none).
    private int NextContentLine()
    {
        for (int next = line + 1; next < documentEndLine; next++)
        {
            int p = lineStarts[next];
            while (p < lineEnds[next] && text[p] == ' ')
            {
                p++;
            }

            if (p < lineEnds[next] && text[p] != '#')
            {
                return next;
            }
        }

        return line;
    }

    private void SkipToContent()
    {
        for (; line < documentEndLine; line++)
        {
            int p = lineStarts[line];
            int end = lineEnds[line];
            while (p < end && text[p] == ' ')
            {
                p++;
            }

            if (p < end && text[p] != '#')
            {
                pos = p;
                return;
            }
        }
    }

    private bool AtEnd => line >= documentEndLine;

    private int Column => pos - lineStarts[line];

    private int LineEnd => lineEnds[line];

    private bool IsSequenceEntry(int at) => text[at] == '-' && (at + 1 == LineEnd || text[at + 1] == ' ');

    // A mapping or sequence starting at the current position, whose column is the block's indentation.
    private JsonNode ParseBlock(int indent)
    {
        if (++depth > MaxDepth)
        {
            throw new BailOutException();
        }

        JsonNode node = IsSequenceEntry(pos) ? ParseSequence(indent) : ParseMapping(indent);
        depth--;
        return node;
    }

    private JsonObject ParseMapping(int indent)
    {
        var mapping = PendingMapping.At(pendingMappings, depth);
        while (true)
        {
            int keyLine = line;
            string key = TryParseKey(out int afterColon) ?? throw new BailOutException();
            pos = afterColon;
            readingRootItems = depth == 1 && key == "items";
            Set(mapping, key, ParseValue(indent, allowSameIndentSequence: true), keyLine);
            readingRootItems = false;
            if (AtEnd || Column < indent)
            {
                return mapping.ToObject();
            }

            if (Column > indent || IsSequenceEntry(pos))
            {
                throw new BailOutException();
            }
        }
    }

    private JsonArray ParseSequence(int indent)
    {
        var array = new JsonArray();
        var entryLines = readingRootItems && depth == 2 ? ItemLines = new List<int>() : null;
        while (true)
        {
            pos++; // past '-'
            SkipSpaces();
            entryLines?.Add(pos < LineEnd && text[pos] != '#' ? line + 1 : NextContentLine() + 1); // where the entry's content starts, as YamlDotNet marks it
            JsonNode? item;
            if (pos < LineEnd && IsSequenceEntry(pos))
            {
                item = ParseBlock(Column); // "- - x"
            }
            else if (pos < LineEnd && IsKeyAt())
            {
                item = ParseBlock(Column); // "- key: value" starts a mapping at the key's column
            }
            else
            {
                item = ParseValue(indent, allowSameIndentSequence: false);
            }

            array.Add(item);
            if (AtEnd || Column < indent || (Column == indent && !IsSequenceEntry(pos)))
            {
                return array; // a same-indent key after "key:\n- item" belongs to the parent mapping
            }

            if (Column > indent)
            {
                throw new BailOutException();
            }
        }
    }

    // The value after "key:" or "-" (pos is past it): inline scalar, or a nested block on the following lines.
    private JsonNode? ParseValue(int parentIndent, bool allowSameIndentSequence)
    {
        SkipSpaces();
        if (pos < LineEnd && text[pos] != '#')
        {
            JsonNode? scalar;
            if (text[pos] == '|')
            {
                scalar = ParseLiteralBlockScalar(parentIndent); // moves to the line after it
            }
            else
            {
                scalar = ParseInlineScalar();
                NextLine();
            }

            if (!AtEnd && Column > parentIndent)
            {
                throw new BailOutException(); // a multi-line plain scalar or an indentation error
            }

            return scalar;
        }

        NextLine();
        if (AtEnd)
        {
            return null;
        }

        if (Column > parentIndent || (allowSameIndentSequence && Column == parentIndent && IsSequenceEntry(pos)))
        {
            if (!IsSequenceEntry(pos) && !IsKeyAt())
            {
                throw new BailOutException(); // a scalar on its own line
            }

            return ParseBlock(Column);
        }

        return null; // "key:" with nothing: null, like the empty plain scalar
    }

    // A plain key made of the characters Kubernetes uses, or a simple quoted key, followed by ':' and space/end.
    private string? TryParseKey(out int afterColon)
    {
        afterColon = 0;
        int end = LineEnd;
        int p = pos;
        string key;
        char first = text[p];
        if (first is '"' or '\'')
        {
            int close = FindClosingQuote(p, out string? value);
            if (close < 0 || value is null)
            {
                return null;
            }

            key = value;
            p = close + 1;
            if (!IsKeyEnd(p, key.Length))
            {
                return null;
            }
        }
        else
        {
            p = PlainKeyEnd(p, end);
            if (p < 0 || !IsKeyEnd(p, p - pos))
            {
                return null;
            }

            int slot = KeySlot(pos, p - pos);
            key = CachedKey(slot, pos, p - pos);
            if (YamlScalars.MayResolve(key))
            {
                key = ResolvedKey(slot, key);
            }
        }

        afterColon = p + 1;
        return key;
    }

    // Whether a key (as TryParseKey reads it, without making its string) starts at pos.
    private bool IsKeyAt()
    {
        char first = text[pos];
        if (first is '"' or '\'')
        {
            int close = FindClosingQuote(pos, out string? value);
            return close >= 0 && value is not null && IsKeyEnd(close + 1, value.Length);
        }

        int p = PlainKeyEnd(pos, LineEnd);
        return p >= 0 && IsKeyEnd(p, p - pos);
    }

    // The end of the plain key starting at p, or -1 when no plain key starts there.
    private int PlainKeyEnd(int p, int end)
    {
        char first = text[p];
        if (!(char.IsAsciiLetterOrDigit(first) || first is '_' or '.' or '/' or '$'))
        {
            return -1;
        }

        int length = text.AsSpan(p + 1, end - p - 1).IndexOfAnyExcept(PlainKeyCharacters);
        return length < 0 ? end : p + 1 + length;
    }

    // A key ends with ':' followed by a space or the line's end, and is not too long.
    private bool IsKeyEnd(int p, int keyLength)
    {
        int end = LineEnd;
        return p < end && text[p] == ':' && (p + 1 == end || text[p + 1] == ' ') && keyLength <= MaxKeyLength;
    }

    // A plain key is typed like any scalar, then made a JSON key: "y" → "true", "0x10" → "16"; a null or uint64 key
    // is an error the full path reports.
    private string ResolvedKey(int slot, string key)
    {
        if (ReferenceEquals(resolvedKeyFor[slot], key))
        {
            return resolvedKey[slot]!;
        }

        if (!YamlScalars.TryKeyToString(YamlScalars.ResolvePlain(key), out string converted, out _))
        {
            throw new BailOutException();
        }

        resolvedKeyFor[slot] = key;
        return resolvedKey[slot] = converted;
    }

    private int KeySlot(int start, int length) => ((length * 31) ^ (text[start] * 7) ^ text[start + length - 1]) & (keyCache.Length - 1);

    private string CachedKey(int slot, int start, int length)
    {
        string? cached = keyCache[slot];
        if (cached is not null && text.AsSpan(start, length).SequenceEqual(cached))
        {
            return cached;
        }

        return keyCache[slot] = text.Substring(start, length);
    }

    private JsonNode? ParseInlineScalar()
    {
        int end = LineEnd;
        char first = text[pos];
        if (first is '"' or '\'')
        {
            int close = FindClosingQuote(pos, out string? value);
            if (close < 0 || value is null)
            {
                throw new BailOutException();
            }

            pos = close + 1;
            ExpectLineEnd();
            return JsonValue.Create(value); // quoted stays a string
        }

        if (first is '[' or '{')
        {
            JsonNode flow = ParseFlow();
            ExpectLineEnd();
            return flow;
        }

        // Indicators that start anchors, aliases, tags, block scalars, directives, reserved or complex syntax.
        if (first is '&' or '*' or '!' or '|' or '>' or '%' or '@' or '`' or ',' or ']' or '}' or '?' or ':' or '#'
            || (first == '-' && (pos + 1 == end || text[pos + 1] == ' ')))
        {
            throw new BailOutException();
        }

        // A plain scalar runs to the end of the line or to " #" (a comment); trailing spaces are not part of it.
        int stop = end;
        for (int p = pos + 1; p < end; p++)
        {
            if (text[p] == '#' && text[p - 1] == ' ')
            {
                stop = p;
                break;
            }
        }

        while (stop > pos && text[stop - 1] == ' ')
        {
            stop--;
        }

        var span = text.AsSpan(pos, stop - pos);
        if (span.Contains(": ", StringComparison.Ordinal) || span[^1] == ':')
        {
            throw new BailOutException(); // YamlDotNet reads this as a (nested or invalid) mapping
        }

        pos = end;
        return PlainScalar(span.ToString());
    }

    // "|" or "|-" (literal, clip or strip): the common form for scripts and config files in ConfigMaps.
    // Folded ">", keep "|+", indentation indicators, leading blank lines and CRLF text go to the full parser.
    private JsonNode ParseLiteralBlockScalar(int parentIndent)
    {
        pos++;
        bool strip = pos < LineEnd && text[pos] == '-';
        if (strip)
        {
            pos++;
        }

        ExpectLineEnd();
        var value = new System.Text.StringBuilder();
        int contentIndent = -1;
        int pendingBlankLines = 0;
        int lastContentLine = -1;
        int l = line + 1;
        for (; l < documentEndLine; l++)
        {
            int start = lineStarts[l];
            int end = lineEnds[l];
            int spaces = 0;
            while (start + spaces < end && text[start + spaces] == ' ')
            {
                spaces++;
            }

            if (start + spaces == end)
            {
                // Blank lines: leading ones and over-indented ones have rules we do not reproduce.
                if (contentIndent < 0 || spaces > contentIndent)
                {
                    throw new BailOutException();
                }

                pendingBlankLines++;
                continue;
            }

            if (contentIndent < 0)
            {
                contentIndent = spaces > parentIndent ? spaces : throw new BailOutException();
            }

            if (spaces < contentIndent)
            {
                break; // less indented: the scalar has ended (comments included)
            }

            if (lastContentLine >= 0)
            {
                value.Append('\n', 1 + pendingBlankLines);
            }

            value.Append(text, start + contentIndent, end - start - contentIndent);
            pendingBlankLines = 0;
            lastContentLine = l;
        }

        // kubectl ends every line with a line break (the last one too), so clip always keeps one.
        if (lastContentLine < 0)
        {
            throw new BailOutException();
        }

        if (!strip)
        {
            value.Append('\n');
        }

        line = l;
        SkipToContent();
        return JsonValue.Create(value.ToString());
    }

    // A one-line flow collection ({a: 1, b: [x, y]}) at pos; pos ends after its closing bracket.
    // Multi-line flow, trailing commas, empty values and "key:value" without a space need the full parser.
    private JsonNode ParseFlow()
    {
        if (++depth > MaxDepth)
        {
            throw new BailOutException();
        }

        char open = text[pos++];
        char close = open == '[' ? ']' : '}';
        JsonNode result;
        SkipSpaces();
        if (pos < LineEnd && text[pos] == close)
        {
            pos++;
            result = open == '[' ? new JsonArray() : new JsonObject();
        }
        else if (open == '[')
        {
            var array = new JsonArray();
            do
            {
                SkipSpaces();
                array.Add(ParseFlowValue());
            }
            while (NextFlowEntry(close));
            result = array;
        }
        else
        {
            var mapping = PendingMapping.At(pendingMappings, depth);
            do
            {
                SkipSpaces();
                if (pos >= LineEnd)
                {
                    throw new BailOutException();
                }

                string key = TryParseKey(out int afterColon) ?? throw new BailOutException();
                if (afterColon >= LineEnd)
                {
                    throw new BailOutException();
                }

                pos = afterColon;
                SkipSpaces();
                Set(mapping, key, ParseFlowValue(), line);
            }
            while (NextFlowEntry(close));
            result = mapping.ToObject();
        }

        depth--;
        return result;
    }

    // After a flow entry: true on ',' (another entry follows), false on the closing bracket.
    private bool NextFlowEntry(char close)
    {
        SkipSpaces();
        if (pos >= LineEnd)
        {
            throw new BailOutException();
        }

        char c = text[pos++];
        if (c == ',')
        {
            SkipSpaces();
            if (pos >= LineEnd || text[pos] is ',' or ']' or '}')
            {
                throw new BailOutException(); // trailing or doubled comma
            }

            return true;
        }

        return c == close ? false : throw new BailOutException();
    }

    private JsonNode? ParseFlowValue()
    {
        if (pos >= LineEnd)
        {
            throw new BailOutException();
        }

        char first = text[pos];
        if (first is '[' or '{')
        {
            return ParseFlow();
        }

        if (first is '"' or '\'')
        {
            int closeQuote = FindClosingQuote(pos, out string? value);
            if (closeQuote < 0 || value is null)
            {
                throw new BailOutException();
            }

            pos = closeQuote + 1;
            return JsonValue.Create(value);
        }

        if (first is '&' or '*' or '!' or '|' or '>' or '%' or '@' or '`' or ',' or ']' or '}' or '?' or ':' or '#' or '-')
        {
            throw new BailOutException(); // '-' too: "-1" is fine but rare in flow, "- x" is not
        }

        // A flow plain scalar stops at a flow indicator; ": ", ":" at its end, or a comment inside need the full parser.
        int start = pos;
        int end = LineEnd;
        while (pos < end && text[pos] is not (',' or '[' or ']' or '{' or '}'))
        {
            if ((text[pos] == ':' && (pos + 1 == end || text[pos + 1] is ' ' or ',' or '[' or ']' or '{' or '}'))
                || (text[pos] == '#' && text[pos - 1] == ' '))
            {
                throw new BailOutException();
            }

            pos++;
        }

        int stop = pos;
        while (stop > start && text[stop - 1] == ' ')
        {
            stop--;
        }

        return PlainScalar(text.Substring(start, stop - start));
    }

    // Returns the closing quote's index and the unescaped value, or -1 when the scalar is not a simple one-liner.
    private int FindClosingQuote(int open, out string? value)
    {
        value = null;
        int end = LineEnd;
        char quote = text[open];
        if (quote == '"')
        {
            for (int p = open + 1; p < end; p++)
            {
                if (text[p] == '\\')
                {
                    return -1; // escapes: leave them to the full parser
                }

                if (text[p] == '"')
                {
                    value = text.Substring(open + 1, p - open - 1);
                    return p;
                }
            }

            return -1;
        }

        // Single quotes: '' is an escaped quote.
        for (int p = open + 1; p < end; p++)
        {
            if (text[p] != '\'')
            {
                continue;
            }

            if (p + 1 < end && text[p + 1] == '\'')
            {
                p++;
                continue;
            }

            value = text.Substring(open + 1, p - open - 1).Replace("''", "'", StringComparison.Ordinal);
            return p;
        }

        return -1;
    }

    // After a quoted scalar or {} / []: only spaces and a comment may follow on the line.
    private void ExpectLineEnd()
    {
        int start = pos;
        SkipSpaces();
        if (pos < LineEnd && (text[pos] != '#' || pos == start))
        {
            throw new BailOutException();
        }

        pos = LineEnd;
    }

    // A plain scalar typed as kubectl types it; NaN and ±Inf (which kubectl refuses) go to the full path for the error.
    private static JsonNode? PlainScalar(string value)
    {
        if (!YamlScalars.MayResolve(value))
        {
            return JsonValue.Create(value); // most values (names, images…): their first character says string
        }

        var resolved = YamlScalars.ResolvePlain(value);
        return YamlScalars.TryToJson(resolved, out var node, out _) ? node : throw new BailOutException();
    }

    // Last value wins, as in kubectl; the repeated key is reported.
    private void Set(PendingMapping mapping, string key, JsonNode? value, int keyLine)
    {
        if (!mapping.Set(key, value))
        {
            duplicates!.Add(new DuplicateKey(key, keyLine + 1));
        }
    }

    private void SkipSpaces()
    {
        int end = LineEnd;
        while (pos < end && text[pos] == ' ')
        {
            pos++;
        }
    }

    /// <summary>
    /// The entries of a mapping being read, kept aside until it ends so its JsonObject is made once at its final size
    /// (growing one key by key, and checking each key on it, was a tenth of the parse). One per nesting depth, reused.
    /// Duplicate keys keep the first key's place with the last value, as JsonObject's indexer (and kubectl) does.
    /// </summary>
    private sealed class PendingMapping
    {
        // Up to this many keys a linear search beats hashing; beyond it an index keeps big mappings linear in time.
        private const int LinearSearchLimit = 16;

        // JsonObject's first allocation holds this many keys; bigger ones are built at their size.
        private const int SmallObject = 3;

        private readonly List<KeyValuePair<string, JsonNode?>> entries = new();
        private Dictionary<string, int>? index;

        public static PendingMapping At(List<PendingMapping> pool, int depth)
        {
            while (pool.Count <= depth)
            {
                pool.Add(new PendingMapping());
            }

            var mapping = pool[depth];
            mapping.entries.Clear(); // a bail-out may have left entries behind
            mapping.index?.Clear();
            return mapping;
        }

        /// <summary>Adds the entry; false (the value replacing the earlier one) when the key was already there.</summary>
        public bool Set(string key, JsonNode? value)
        {
            int at = IndexOf(key);
            if (at >= 0)
            {
                entries[at] = new KeyValuePair<string, JsonNode?>(entries[at].Key, value);
                return false;
            }

            entries.Add(new KeyValuePair<string, JsonNode?>(key, value));
            if (entries.Count > LinearSearchLimit)
            {
                if (index is null || index.Count == 0)
                {
                    index ??= new Dictionary<string, int>(StringComparer.Ordinal);
                    for (int i = 0; i < entries.Count; i++)
                    {
                        index[entries[i].Key] = i;
                    }
                }
                else
                {
                    index[key] = entries.Count - 1;
                }
            }

            return true;
        }

        public JsonObject ToObject()
        {
            JsonObject obj;
            if (entries.Count <= SmallObject)
            {
                obj = new JsonObject();
                foreach (var (key, value) in entries)
                {
                    obj.Add(key, value);
                }
            }
            else
            {
                obj = new JsonObject(entries); // sized once
            }

            entries.Clear();
            index?.Clear();
            return obj;
        }

        private int IndexOf(string key)
        {
            if (entries.Count > LinearSearchLimit)
            {
                return index!.TryGetValue(key, out int at) ? at : -1;
            }

            for (int i = 0; i < entries.Count; i++)
            {
                if (string.Equals(entries[i].Key, key, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }
    }

    // Thrown (rarely: only for unusual input) to abandon the fast path from deep inside the recursion.
    private sealed class BailOutException : Exception
    {
    }
}

/// <summary>What <see cref="FastYamlReader.ReadNext"/> found.</summary>
internal enum FastReadResult
{
    /// <summary>A document was read.</summary>
    Document,

    /// <summary>The document holds nothing (blank lines and comments).</summary>
    Empty,

    /// <summary>The document needs the full parser.</summary>
    GiveUp,
}
