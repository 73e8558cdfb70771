namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// YAML text split into lines and into the documents kubectl reads. kubectl (apimachinery's YAMLReader) does not
/// let the YAML parser find documents: it cuts the text at every line that starts with "---" (followed by nothing or
/// a comment; anything else there is an "invalid Yaml document separator" that ends the file; a separator that ends
/// no document stays at the start of the next piece), and go-yaml then reads only the first document of each piece
/// (what follows a "..." marker in the same piece is ignored).
/// Line ends are "\n" or "\r\n" (a lone "\r" stays inside its line, as in Go's bufio.ReadLine).
/// </summary>
internal sealed class ManifestText
{
    private readonly List<int> lineStarts;
    private readonly List<int> lineEnds; // exclusive, without the '\r' of "\r\n"
    private readonly List<int> unusualLines = new(); // lines with characters the fast reader leaves to the full parser

    public ManifestText(string text)
    {
        Text = text;
        int expectedLines = text.Length / 24; // manifest lines average 20-40 characters
        lineStarts = new List<int>(expectedLines);
        lineEnds = new List<int>(expectedLines);
        int start = 0;
        bool unusual = false;
        for (int i = 0; i < text.Length; i++)
        {
            // Printable ASCII is most of the text: jump over it (vectorized) to the next line break or other character.
            int skip = text.AsSpan(i).IndexOfAnyExceptInRange(' ', '~');
            if (skip < 0)
            {
                break;
            }

            i += skip;
            char c = text[i];
            if (c == '\n')
            {
                int end = i > start && text[i - 1] == '\r' ? i - 1 : i;
                AddLine(start, end, unusual);
                unusual = false;
                start = i + 1;
                continue;
            }

            if (c == '\r' && i + 1 < text.Length && text[i + 1] == '\n')
            {
                HasCarriageReturns = true;
                continue;
            }

            // Tabs, lone CR, NEL, BOM, controls, line/paragraph separators: their YAML meaning is the full parser's.
            if (c < '\u00a0' || c is '\u2028' or '\u2029' or '\ufeff' or '\ufffe' or '\uffff')
            {
                unusual = true;
            }
        }

        if (start < text.Length)
        {
            AddLine(start, text.Length, unusual);
            EndsWithoutNewline = true;
        }
    }

    public string Text { get; }

    public int LineCount => lineStarts.Count;

    /// <summary>True when some line ends with "\r\n".</summary>
    public bool HasCarriageReturns { get; }

    /// <summary>True when the last line has no line break (kubectl reads it as if it had one).</summary>
    public bool EndsWithoutNewline { get; }

    public int LineStart(int line) => lineStarts[line];

    public int LineEnd(int line) => lineEnds[line];

    /// <summary>The line starts themselves, for the fast reader's inner loops.</summary>
    internal List<int> LineStarts => lineStarts;

    /// <summary>The line ends (exclusive, without "\r"), for the fast reader's inner loops.</summary>
    internal List<int> LineEnds => lineEnds;

    /// <summary>Whether any of lines [first, end) holds a character the fast reader does not handle.</summary>
    public bool HasUnusualCharacters(int first, int end)
    {
        int index = unusualLines.BinarySearch(first);
        if (index < 0)
        {
            index = ~index;
        }

        return index < unusualLines.Count && unusualLines[index] < end;
    }

    /// <summary>Lines [first, end) as kubectl hands them to go-yaml: each ended by "\n".</summary>
    public string DocumentText(int first, int end)
    {
        if (first >= end)
        {
            return string.Empty;
        }

        if (!HasCarriageReturns)
        {
            int from = lineStarts[first];
            int to = lineEnds[end - 1];
            return to < Text.Length ? Text.Substring(from, to - from + 1) : string.Concat(Text.AsSpan(from, to - from), "\n");
        }

        var builder = new System.Text.StringBuilder();
        for (int line = first; line < end; line++)
        {
            builder.Append(Text, lineStarts[line], lineEnds[line] - lineStarts[line]).Append('\n');
        }

        return builder.ToString();
    }

    /// <summary>
    /// The documents of the text, in order: line ranges [First, End) between separators (empty ranges skipped), or,
    /// last, an invalid separator that ends the stream.
    /// </summary>
    public IEnumerable<YamlChunk> Chunks()
    {
        int first = 0;
        for (int line = 0; line < lineStarts.Count; line++)
        {
            int start = lineStarts[line];
            int end = lineEnds[line];
            if (end - start < 3 || string.CompareOrdinal(Text, start, "---", 0, 3) != 0)
            {
                continue;
            }

            // What follows "---" may only be blank or a comment (Go's strings.TrimSpace, then '#').
            int rest = start + 3;
            int restEnd = end;
            while (rest < restEnd && YamlScalars.IsGoSpace(Text[rest]))
            {
                rest++;
            }

            while (restEnd > rest && YamlScalars.IsGoSpace(Text[restEnd - 1]))
            {
                restEnd--;
            }

            if (rest < restEnd && Text[rest] != '#')
            {
                yield return new YamlChunk(line, line + 1, $"invalid Yaml document separator: {Text[rest..restEnd]}");
                yield break;
            }

            // A separator that ends no document (the first line, or right after another one) is kept as the first line
            // of the next piece, where go-yaml reads it as an explicit document start, as apimachinery does.
            if (line > first)
            {
                yield return new YamlChunk(first, line, null);
                first = line + 1;
            }
        }

        if (first < lineStarts.Count)
        {
            yield return new YamlChunk(first, lineStarts.Count, null);
        }
    }

    /// <summary>Whether a line is a document separator ("---" then only blanks or a comment).</summary>
    public bool IsSeparator(int line)
    {
        int start = lineStarts[line];
        int end = lineEnds[line];
        if (end - start < 3 || string.CompareOrdinal(Text, start, "---", 0, 3) != 0)
        {
            return false;
        }

        int rest = start + 3;
        while (rest < end && YamlScalars.IsGoSpace(Text[rest]))
        {
            rest++;
        }

        return rest == end || Text[rest] == '#';
    }

    /// <summary>
    /// Whether kubectl reads the text as a JSON stream: its first non-space character (within the first 4,096) is
    /// '{'. Anything else, "[" included, is read as YAML.
    /// </summary>
    public static bool LooksLikeJson(string text)
    {
        int limit = Math.Min(text.Length, 4096);
        for (int i = 0; i < limit; i++)
        {
            char c = text[i];
            if (YamlScalars.IsGoSpace(c))
            {
                continue;
            }

            return c == '{';
        }

        return false;
    }

    private void AddLine(int start, int end, bool unusual)
    {
        if (unusual)
        {
            unusualLines.Add(lineStarts.Count);
        }

        lineStarts.Add(start);
        lineEnds.Add(end);
    }
}

/// <summary>
/// One document range of a <see cref="ManifestText"/>: lines [First, End) (0-based), or an invalid separator line
/// (<see cref="SeparatorError"/> set) at which reading stops.
/// </summary>
internal readonly record struct YamlChunk(int First, int End, string? SeparatorError);
