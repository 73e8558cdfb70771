using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// Reads one YAML document (a <see cref="YamlChunk"/>) with YamlDotNet's parser and decodes it as kubectl does:
/// go-yaml v2's decoder (anchors and aliases re-decoded where used, merge keys applied in order so a later merge
/// overrides earlier keys and, in a list of merges, earlier maps win, the same limit on alias expansion: "document
/// contains excessive aliasing") followed by sigs.k8s.io/yaml's conversion to JSON. Only the first document of the
/// chunk is read, like go-yaml's Unmarshal. Nesting deeper than <see cref="ManifestLimits.MaxNestingDepth"/> is an
/// error, so hostile input cannot exhaust the stack.
/// </summary>
internal static class YamlDocumentDecoder
{
    /// <summary>Decodes the chunk's document; null for an empty one. Throws <see cref="ManifestDecodeException"/>.</summary>
    public static JsonNode? Decode(string documentText, int firstLine, List<DuplicateKey> duplicates, out int documentLine, List<int>? itemLines)
    {
        Node? root;
        try
        {
            root = Parse(documentText, firstLine, out documentLine);
        }
        catch (ManifestDecodeException ex) when (ex.FromParser && YamlIndentRelaxer.Relax(documentText) is { } relaxed)
        {
            // libyaml accepts under-indented continuation lines of flow collections and quoted scalars; YamlDotNet
            // does not. Read once more with those lines indented; if that fails too, the first error stands.
            try
            {
                root = Parse(relaxed, firstLine, out documentLine);
            }
            catch (ManifestDecodeException)
            {
                throw ex;
            }
        }

        if (root is null)
        {
            return null;
        }

        var decoder = new Decoder(duplicates);
        var node = decoder.Unmarshal(root, 1);
        if (itemLines is not null && root is Mapping mapping)
        {
            RecordItemLines(mapping, itemLines);
        }

        return node;
    }

    // The entries of the root mapping's (last) "items" sequence start on these lines; kubectl -o yaml Lists use them.
    private static void RecordItemLines(Mapping root, List<int> itemLines)
    {
        for (int i = root.Children.Count - 2; i >= 0; i -= 2)
        {
            if (root.Children[i] is Scalar { Value: "items" } && root.Children[i + 1] is Sequence items)
            {
                itemLines.AddRange(items.Items.Select(item => item.Line));
                return;
            }
        }
    }

    private static Node? Parse(string documentText, int firstLine, out int documentLine)
    {
        documentLine = firstLine;
        RefuseLeadingEndMarker(documentText, firstLine);
        RefuseTabsAfterIndicators(documentText, firstLine);
        var parser = new Parser(new StringReader(documentText));
        try
        {
            var anchors = new Dictionary<string, Node>(StringComparer.Ordinal);
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case StreamStart:
                        continue;
                    case StreamEnd:
                        return null;
                    case DocumentStart:
                        parser.MoveNext();
                        if (parser.Current is DocumentEnd)
                        {
                            return null;
                        }

                        documentLine = firstLine + (int)parser.Current!.Start.Line - 1;
                        var root = Build(parser, anchors, firstLine, 1, documentText);
                        parser.MoveNext(); // DocumentEnd; anything after it is ignored, like go-yaml's Unmarshal
                        return root;
                }
            }

            return null;
        }
        catch (YamlException ex)
        {
            int line = firstLine + Math.Max(0, (int)ex.Start.Line - 1);
            throw new ManifestDecodeException(line, "yaml: " + ex.Message) { FromParser = true };
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet's parser reports some malformed streams (a directive with no document, an under-indented
            // flow collection) this way.
            throw new ManifestDecodeException(firstLine, "yaml: " + ex.Message) { FromParser = true };
        }
    }

    // libyaml (go-yaml v2, kubectl) skips tabs between tokens only where no simple key may start: in flow collections
    // and after a key's ':'. After a block "-", an explicit "?" and the ':' of an explicit key, a tab (after any spaces)
    // cannot start a token and the file is refused; YamlDotNet reads on. Checked only when the text has a tab.
    private static void RefuseTabsAfterIndicators(string documentText, int firstLine)
    {
        if (!documentText.Contains('\t', StringComparison.Ordinal))
        {
            return;
        }

        var scanner = new Scanner(new StringReader(documentText), skipComments: true);
        int flowLevel = 0;
        try
        {
            while (scanner.MoveNext())
            {
                var token = scanner.Current!;
                switch (token)
                {
                    case YamlDotNet.Core.Tokens.FlowSequenceStart or YamlDotNet.Core.Tokens.FlowMappingStart:
                        flowLevel++;
                        break;
                    case YamlDotNet.Core.Tokens.FlowSequenceEnd or YamlDotNet.Core.Tokens.FlowMappingEnd:
                        flowLevel = Math.Max(0, flowLevel - 1);
                        break;
                    case YamlDotNet.Core.Tokens.BlockEntry when flowLevel == 0:
                    case YamlDotNet.Core.Tokens.Key when flowLevel == 0 && token.End.Index > token.Start.Index: // "?", not an implied key
                    case YamlDotNet.Core.Tokens.Value when flowLevel == 0 && StartsItsLine(documentText, (int)token.Start.Index): // an explicit key's ":"
                        int at = (int)token.End.Index;
                        while (at < documentText.Length && documentText[at] == ' ')
                        {
                            at++;
                        }

                        if (at < documentText.Length && documentText[at] == '\t')
                        {
                            throw new ManifestDecodeException(
                                firstLine + (int)token.Start.Line - 1,
                                $"yaml: found character that cannot start any token (a tab after '{documentText[(int)token.Start.Index]}')")
                            { FromParser = false };
                        }

                        break;
                    case YamlDotNet.Core.Tokens.Scalar { Style: ScalarStyle.Literal or ScalarStyle.Folded }:
                        RefuseTabIndentedBlockScalar(documentText, firstLine, token);
                        break;
                }
            }
        }
        catch (YamlException)
        {
            // Malformed elsewhere: the parser reports it.
        }
    }

    // In a block scalar whose indentation is detected (no indentation digit after | or >), libyaml refuses a tab where
    // an indentation space is expected: after the leading spaces of a line, before the indentation is known or while a
    // line has fewer spaces than it ("found a tab character where an indentation space is expected").
    private static void RefuseTabIndentedBlockScalar(string text, int firstLine, YamlDotNet.Core.Tokens.Token token)
    {
        int header = (int)token.Start.Index;
        int lineEnd = text.IndexOf('\n', header);
        if (lineEnd < 0)
        {
            return;
        }

        for (int i = header + 1; i < lineEnd && text[i] is not (' ' or '#' or '\r' or '\t'); i++)
        {
            if (char.IsAsciiDigit(text[i]))
            {
                return; // explicit indentation: not checked
            }
        }

        int end = Math.Min(text.Length, (int)token.End.Index);
        int indent = 0;
        int lineNumber = (int)token.Start.Line;
        for (int start = lineEnd + 1; start < end; start = lineEnd + 1)
        {
            lineNumber++;
            lineEnd = text.IndexOf('\n', start);
            if (lineEnd < 0)
            {
                lineEnd = text.Length;
            }

            int spaces = 0;
            while (start + spaces < lineEnd && text[start + spaces] == ' ')
            {
                spaces++;
            }

            if ((indent == 0 || spaces < indent) && start + spaces < lineEnd && text[start + spaces] == '\t')
            {
                throw new ManifestDecodeException(firstLine + lineNumber - 1, "yaml: found a tab character where an indentation space is expected");
            }

            bool blank = start + spaces >= lineEnd || text[start + spaces] == '\r';
            if (indent == 0 && !blank)
            {
                indent = spaces;
            }
        }
    }

    private static bool StartsItsLine(string text, int index)
    {
        for (int i = index - 1; i >= 0 && text[i] != '\n'; i--)
        {
            if (text[i] != ' ')
            {
                return false;
            }
        }

        return true;
    }

    // libyaml (unlike YamlDotNet) does not skip a "..." marker before an implicit document: it expects a node there.
    private static void RefuseLeadingEndMarker(string documentText, int firstLine)
    {
        if (documentText.StartsWith("---", StringComparison.Ordinal))
        {
            return; // an explicit document start: "..." then ends an empty document
        }

        int line = firstLine;
        foreach (var text in documentText.AsSpan().EnumerateLines())
        {
            var content = text.TrimStart(' ');
            if (content.IsEmpty || content[0] == '#')
            {
                line++;
                continue;
            }

            if (text.StartsWith("...") && (text.Length == 3 || text[3] is ' ' or '\t' or '\r'))
            {
                throw new ManifestDecodeException(line, "yaml: did not find expected node content (a '...' end marker before any document)");
            }

            return;
        }
    }

    // Builds the node at parser.Current; leaves the parser on the node's last event.
    private static Node Build(Parser parser, Dictionary<string, Node> anchors, int firstLine, int depth, string text)
    {
        var current = parser.Current!;
        int line = firstLine + (int)current.Start.Line - 1;
        if (depth > ManifestLimits.MaxNestingDepth && current is SequenceStart or MappingStart)
        {
            throw TooDeep(line, string.Empty);
        }

        switch (current)
        {
            case YamlDotNet.Core.Events.Scalar scalar:
                if (scalar.Style == ScalarStyle.DoubleQuoted)
                {
                    RefuseYaml12Escapes(scalar, text, line);
                }

                string? tag = scalar.Tag.IsEmpty ? null : scalar.Tag.IsNonSpecific ? "!" : scalar.Tag.Value;
                var node = new Scalar(line, scalar.Value, tag, (tag is null && scalar.Style == ScalarStyle.Plain) || tag == "!");
                Anchor(scalar.Anchor, node, anchors, line);
                return node;
            case SequenceStart start:
                var sequence = new Sequence(line);
                Anchor(start.Anchor, sequence, anchors, line);
                while (parser.MoveNext() && parser.Current is not SequenceEnd)
                {
                    sequence.Items.Add(Build(parser, anchors, firstLine, depth + 1, text));
                }

                return sequence;
            case MappingStart start:
                var mapping = new Mapping(line);
                Anchor(start.Anchor, mapping, anchors, line);
                while (parser.MoveNext() && parser.Current is not MappingEnd)
                {
                    if (mapping.Children.Count % 2 == 0 && parser.Current is YamlDotNet.Core.Events.Scalar key)
                    {
                        RefuseLongImplicitKey(key, text, firstLine);
                    }

                    mapping.Children.Add(Build(parser, anchors, firstLine, depth + 1, text));
                }

                return mapping;
            case AnchorAlias alias:
                string name = alias.Value.Value;
                CheckAnchorName(name, line);
                return anchors.TryGetValue(name, out var target)
                    ? new Alias(line, name, target)
                    : throw new ManifestDecodeException(line, $"yaml: unknown anchor '{name}' referenced");
            default:
                throw new ManifestDecodeException(line, $"yaml: unexpected {current.GetType().Name}");
        }
    }

    // YAML (and libyaml) limit an implicit key to 1,024 characters up to its ':'; YamlDotNet does not enforce it.
    private static void RefuseLongImplicitKey(YamlDotNet.Core.Events.Scalar key, string text, int firstLine)
    {
        int start = (int)key.Start.Index;
        int end = (int)key.End.Index;
        if (end - start <= 1024 || start > text.Length || end > text.Length)
        {
            return;
        }

        int before = start - 1;
        while (before >= 0 && text[before] == ' ')
        {
            before--;
        }

        if (before >= 0 && text[before] == '?')
        {
            return; // an explicit key may be longer
        }

        throw new ManifestDecodeException(firstLine + (int)key.Start.Line - 1, "yaml: could not find expected ':' (an implicit key longer than 1024 characters)");
    }

    private static ManifestDecodeException TooDeep(int line, string how) =>
        new(line, $"mappings and sequences nested deeper than {ManifestLimits.MaxNestingDepth} levels{how}: refused, so hostile input cannot exhaust the stack");

    // libyaml's anchor and alias names are letters, digits, '-' and '_' only.
    private static void CheckAnchorName(string name, int line)
    {
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                throw new ManifestDecodeException(line, "yaml: did not find expected alphabetic or numeric character (an anchor or alias name may hold letters, digits, '-' and '_')");
            }
        }
    }

    // "\/" is a YAML 1.2 escape that go-yaml v2 (YAML 1.1) does not know.
    private static void RefuseYaml12Escapes(YamlDotNet.Core.Events.Scalar scalar, string text, int line)
    {
        int start = (int)scalar.Start.Index;
        int end = Math.Min((int)scalar.End.Index, text.Length);
        for (int i = start; i + 1 < end; i++)
        {
            if (text[i] != '\\')
            {
                continue;
            }

            if (text[i + 1] == '/')
            {
                throw new ManifestDecodeException(line, "yaml: found unknown escape character ('\\/' is not a YAML 1.1 escape)");
            }

            i++; // the escaped character
        }
    }

    private static void Anchor(AnchorName anchor, Node node, Dictionary<string, Node> anchors, int line)
    {
        if (!anchor.IsEmpty)
        {
            CheckAnchorName(anchor.Value, line);
            anchors[anchor.Value] = node; // a later anchor of the same name replaces it for the aliases that follow
        }
    }

    /// <summary>go-yaml v2's decoder into interface{}, then sigs.k8s.io/yaml's JSON conversion, in one pass.</summary>
    private sealed class Decoder
    {
        private readonly List<DuplicateKey> duplicates;
        private readonly HashSet<Alias> expanding = new();
        private int decodeCount;
        private int aliasCount;
        private int aliasDepth;

        public Decoder(List<DuplicateKey> duplicates) => this.duplicates = duplicates;

        public JsonNode? Unmarshal(Node node, int depth)
        {
            Count(node);
            if (depth > ManifestLimits.MaxNestingDepth && node is Sequence or Mapping)
            {
                throw TooDeep(node.Line, " once aliases are expanded");
            }

            switch (node)
            {
                case Alias alias:
                    return Expand(alias, target => Unmarshal(target, depth));
                case Scalar scalar:
                    if (!YamlScalars.TryResolve(scalar.Value, scalar.Tag, scalar.ImplicitPlain, out var resolved, out string? error)
                        || !YamlScalars.TryToJson(resolved, out var value, out error))
                    {
                        throw new ManifestDecodeException(scalar.Line, error!.StartsWith("json:", StringComparison.Ordinal) ? error : "yaml: " + error);
                    }

                    return value;
                case Sequence sequence:
                    var array = new JsonArray();
                    foreach (var item in sequence.Items)
                    {
                        array.Add(Unmarshal(item, depth + 1));
                    }

                    return array;
                default:
                    var obj = new JsonObject();
                    Fill(obj, (Mapping)node, depth, new HashSet<string>(StringComparer.Ordinal));
                    return obj;
            }
        }

        // go-yaml's mapping(): keys in order, a merge key unmarshals its map(s) into the same map at that point.
        private void Fill(JsonObject obj, Mapping mapping, int depth, HashSet<string> explicitKeys)
        {
            var children = mapping.Children;
            for (int i = 0; i + 1 < children.Count; i += 2)
            {
                var keyNode = children[i];
                var valueNode = children[i + 1];
                if (keyNode is Scalar { Value: "<<" } merge && (merge.ImplicitPlain || merge.Tag == YamlScalars.MergeTag))
                {
                    Merge(obj, valueNode, depth);
                    continue;
                }

                string key = Key(keyNode);
                var value = Unmarshal(valueNode, depth + 1);
                if (!explicitKeys.Add(key))
                {
                    duplicates.Add(new DuplicateKey(key, keyNode.Line));
                }

                obj[key] = value;
            }
        }

        private void Merge(JsonObject obj, Node value, int depth)
        {
            switch (value)
            {
                case Mapping map:
                    Count(map);
                    Fill(obj, map, depth, new HashSet<string>(StringComparer.Ordinal));
                    break;
                case Alias { Target: Mapping } alias:
                    Count(alias);
                    Expand(alias, target =>
                    {
                        Count(target);
                        Fill(obj, (Mapping)target, depth, new HashSet<string>(StringComparer.Ordinal));
                        return null;
                    });
                    break;
                case Sequence list:
                    // Step backwards: earlier maps take precedence.
                    for (int i = list.Items.Count - 1; i >= 0; i--)
                    {
                        if (list.Items[i] is not (Mapping or Alias { Target: Mapping }))
                        {
                            throw WantMap(list.Items[i]);
                        }

                        Merge(obj, list.Items[i], depth);
                    }

                    break;
                default:
                    throw WantMap(value);
            }
        }

        private static ManifestDecodeException WantMap(Node node) =>
            new(node.Line, "yaml: map merge requires map or sequence of maps as the value");

        private string Key(Node keyNode)
        {
            var node = keyNode;
            if (node is Alias alias)
            {
                Count(alias);
                node = alias.Target; // the alias marks count as alias-driven in go-yaml; one level is all a key can have
                aliasDepth++;
                try
                {
                    Count(node);
                }
                finally
                {
                    aliasDepth--;
                }
            }
            else
            {
                Count(node);
            }

            if (node is not Scalar scalar)
            {
                throw new ManifestDecodeException(keyNode.Line, "yaml: invalid map key: a mapping or sequence cannot be a key");
            }

            if (!YamlScalars.TryResolve(scalar.Value, scalar.Tag, scalar.ImplicitPlain, out var resolved, out string? error)
                || !YamlScalars.TryKeyToString(resolved, out string text, out error))
            {
                throw new ManifestDecodeException(keyNode.Line, error!.StartsWith("cannot decode", StringComparison.Ordinal) ? "yaml: " + error : error);
            }

            return text;
        }

        private JsonNode? Expand(Alias alias, Func<Node, JsonNode?> decode)
        {
            if (!expanding.Add(alias))
            {
                throw new ManifestDecodeException(alias.Line, $"yaml: anchor '{alias.Name}' value contains itself");
            }

            aliasDepth++;
            try
            {
                return decode(alias.Target);
            }
            finally
            {
                aliasDepth--;
                expanding.Remove(alias);
            }
        }

        // go-yaml's guard against alias bombs: once past 1,000 decoded nodes, at most 99% of them may come from
        // alias expansion (down to 10% for documents of 4,000,000 nodes).
        private void Count(Node node)
        {
            decodeCount++;
            if (aliasDepth > 0)
            {
                aliasCount++;
            }

            if (aliasCount > 100 && decodeCount > 1000 && (double)aliasCount / decodeCount > AllowedAliasRatio(decodeCount))
            {
                throw new ManifestDecodeException(node.Line, "yaml: document contains excessive aliasing");
            }
        }

        private static double AllowedAliasRatio(int decodeCount) => decodeCount switch
        {
            <= 400_000 => 0.99,
            >= 4_000_000 => 0.10,
            _ => 0.99 - (0.89 * ((decodeCount - 400_000) / 3_600_000.0)),
        };
    }

    private abstract class Node
    {
        protected Node(int line) => Line = line;

        public int Line { get; }
    }

    private sealed class Scalar : Node
    {
        public Scalar(int line, string value, string? tag, bool implicitPlain)
            : base(line)
        {
            Value = value;
            Tag = tag;
            ImplicitPlain = implicitPlain;
        }

        public string Value { get; }

        public string? Tag { get; }

        public bool ImplicitPlain { get; }
    }

    private sealed class Sequence : Node
    {
        public Sequence(int line)
            : base(line)
        {
        }

        public List<Node> Items { get; } = new();
    }

    private sealed class Mapping : Node
    {
        public Mapping(int line)
            : base(line)
        {
        }

        public List<Node> Children { get; } = new(); // key, value, key, value…
    }

    private sealed class Alias : Node
    {
        public Alias(int line, string name, Node target)
            : base(line)
        {
            Name = name;
            Target = target;
        }

        public string Name { get; }

        public Node Target { get; }
    }
}

/// <summary>A document kubectl would refuse: where and why (the message says which decoder step refused it).</summary>
internal sealed class ManifestDecodeException : Exception
{
    public ManifestDecodeException(int line, string message)
        : base(message)
    {
        Line = line;
    }

    public ManifestDecodeException()
    {
    }

    public ManifestDecodeException(string message)
        : base(message)
    {
    }

    public ManifestDecodeException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public int Line { get; }

    /// <summary>True when YamlDotNet's parser refused the text (as opposed to the decoding rules).</summary>
    public bool FromParser { get; init; }
}

/// <summary>A key written twice in one mapping (the last value wins, as in kubectl).</summary>
internal readonly record struct DuplicateKey(string Key, int Line);

/// <summary>Bounds that keep hostile manifests from exhausting the process.</summary>
public static class ManifestLimits
{
    /// <summary>
    /// Deepest nesting of mappings and sequences read (kubectl accepts up to 10,000, at seconds and gigabytes per
    /// file; no Kubernetes object comes near this). Deeper input is an error for its file.
    /// </summary>
    public const int MaxNestingDepth = 500;

    /// <summary>Default cap on one manifest file's size (256 MiB); the reading cmdlets take -MaxFileSize.</summary>
    public const long DefaultMaxFileBytes = 256L * 1024 * 1024;
}
