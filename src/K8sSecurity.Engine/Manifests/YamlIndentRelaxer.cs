using System.Text;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// libyaml (so kubectl) does not require the continuation lines of a flow collection or of a quoted scalar to be
/// indented more than the block they sit in; YamlDotNet does (as YAML 1.2 says), and refuses
/// <c>command: ["sh", "-c",\n  "echo"]</c> under a key at the same column. Leading spaces on such lines carry no
/// content (flow and quoted-scalar folding drop them), so when YamlDotNet refuses a document, the document is read
/// again with those lines indented one column more than the line that opened the construct. go-yaml also knows the
/// escape <c>\'</c> in double-quoted scalars, which YamlDotNet does not: it is read again as <c>\x27</c>. A document
/// that still fails keeps its first error.
/// </summary>
internal static class YamlIndentRelaxer
{
    /// <summary>The text with continuation lines indented, or null when there is nothing to indent.</summary>
    public static string? Relax(string text)
    {
        var lines = text.Split('\n');
        var result = new StringBuilder(text.Length + 64);
        bool changed = false;
        var state = new State();
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i];
            int indent = 0;
            while (indent < line.Length && line[indent] == ' ')
            {
                indent++;
            }

            bool blank = indent == line.Length || line[indent] is '\r';
            if (state.BlockScalarIndent >= 0)
            {
                if (blank || indent > state.BlockScalarIndent)
                {
                    result.Append(line).Append(i + 1 < lines.Length ? "\n" : string.Empty);
                    continue; // literal content: nothing to lex
                }

                state.BlockScalarIndent = -1;
            }

            if (state.FlowDepth > 0 || state.Quote != '\0')
            {
                bool documentMarker = line.StartsWith("...", StringComparison.Ordinal) || line.StartsWith("---", StringComparison.Ordinal);
                if (!blank && indent <= state.ConstructIndent && !documentMarker)
                {
                    line = new string(' ', state.ConstructIndent + 1 - indent) + line;
                    changed = true;
                    indent = state.ConstructIndent + 1;
                }

                Lex(ref line, indent, ref state, continuation: true);
            }
            else
            {
                state.ConstructIndent = indent;
                Lex(ref line, indent, ref state, continuation: false);
            }

            result.Append(line).Append(i + 1 < lines.Length ? "\n" : string.Empty);
        }

        return changed || state.Changed ? result.ToString() : null;
    }

    private static void Lex(ref string line, int start, ref State state, bool continuation)
    {
        int pos = start;
        if (continuation && state.Quote != '\0')
        {
            pos = ScanQuoted(ref line, pos, ref state);
        }

        if (state.FlowDepth > 0)
        {
            ScanFlow(ref line, pos, ref state);
            return;
        }

        ScanBlock(ref line, pos, ref state);
    }

    // Block context: node starts are the line start and what follows "- ", "? ", ": ", anchors and tags.
    private static void ScanBlock(ref string line, int pos, ref State state)
    {
        while (pos < line.Length && state.Quote == '\0' && state.FlowDepth == 0)
        {
            while (pos < line.Length && line[pos] == ' ')
            {
                pos++;
            }

            if (pos >= line.Length || line[pos] is '#' or '\r')
            {
                return;
            }

            char c = line[pos];
            bool indicator = c is '-' or '?' or ':' && (pos + 1 >= line.Length || line[pos + 1] is ' ' or '\r');
            if (indicator)
            {
                pos++;
                continue;
            }

            if (c is '&' or '!' or '*')
            {
                while (pos < line.Length && line[pos] != ' ')
                {
                    pos++;
                }

                continue;
            }

            if (c is '|' or '>')
            {
                state.BlockScalarIndent = state.ConstructIndent;
                return;
            }

            if (c is '[' or '{')
            {
                state.FlowDepth = 1;
                ScanFlow(ref line, pos + 1, ref state);
                return;
            }

            if (c is '"' or '\'')
            {
                state.Quote = c;
                pos = ScanQuoted(ref line, pos + 1, ref state);
                continue;
            }

            // A plain scalar or key: up to ": " (then a value starts) or " #" (a comment).
            while (pos < line.Length)
            {
                if (line[pos] == ':' && (pos + 1 >= line.Length || line[pos + 1] is ' ' or '\r'))
                {
                    pos++;
                    break;
                }

                if (line[pos] == '#' && pos > 0 && line[pos - 1] == ' ')
                {
                    return;
                }

                pos++;
            }
        }
    }

    private static void ScanFlow(ref string line, int pos, ref State state)
    {
        char previous = '[';
        while (pos < line.Length && state.FlowDepth > 0)
        {
            char c = line[pos];
            if (state.Quote != '\0')
            {
                pos = ScanQuoted(ref line, pos, ref state);
                previous = '"';
                continue;
            }

            switch (c)
            {
                case '[' or '{':
                    state.FlowDepth++;
                    break;
                case ']' or '}':
                    state.FlowDepth--;
                    break;
                case '"' or '\'' when previous is '[' or '{' or ',' or ':' or ' ':
                    state.Quote = c;
                    pos = ScanQuoted(ref line, pos + 1, ref state);
                    previous = '"';
                    continue;
                case '#' when previous == ' ':
                    return;
            }

            previous = c;
            pos++;
        }

        if (state.FlowDepth == 0 && pos < line.Length)
        {
            ScanBlock(ref line, pos, ref state);
        }
    }

    // Inside a quoted scalar from pos: returns the position after its closing quote, or the line end.
    private static int ScanQuoted(ref string line, int pos, ref State state)
    {
        while (pos < line.Length)
        {
            char c = line[pos];
            if (state.Quote == '"' && c == '\\')
            {
                if (pos + 1 < line.Length && line[pos + 1] == '\'')
                {
                    line = string.Concat(line.AsSpan(0, pos), "\\x27", line.AsSpan(pos + 2));
                    state.Changed = true;
                }

                pos += 2;
                continue;
            }

            if (c == state.Quote)
            {
                if (state.Quote == '\'' && pos + 1 < line.Length && line[pos + 1] == '\'')
                {
                    pos += 2;
                    continue;
                }

                state.Quote = '\0';
                return pos + 1;
            }

            pos++;
        }

        return pos;
    }

    private struct State
    {
        public State()
        {
        }

        public int FlowDepth;
        public char Quote;
        public int ConstructIndent;
        public int BlockScalarIndent = -1;
        public bool Changed;
    }
}
