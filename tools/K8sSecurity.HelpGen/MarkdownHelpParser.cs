using System.Globalization;
using System.Text.RegularExpressions;

namespace K8sSecurity.HelpGen;

/// <summary>
/// Reads one cmdlet help file in the PlatyPS schema 2.0.0 (what New-MarkdownHelp writes) and checks it.
/// Every problem is reported as a <see cref="HelpFormatException"/> naming the file and the 1-based line.
/// </summary>
public static partial class MarkdownHelpParser
{
    public const string AllParameterSets = "__AllParameterSets";

    private static readonly string[] KnownSections =
        ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"];

    private static readonly string[] RequiredSections = ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS"];

    private static readonly string[] RequiredFrontMatter = ["external help file", "Module Name", "schema"];

    private static readonly string[] YamlKeys =
    [
        "Type", "Parameter Sets", "Aliases", "Accepted values", "Required", "Position", "Default value",
        "Accept pipeline input", "Accept wildcard characters", "Applicable",
    ];

    private static readonly string[] RequiredYamlKeys = ["Type", "Parameter Sets", "Required", "Position"];

    [GeneratedRegex(@"(?<=^|[\s\[])-([A-Za-z][A-Za-z0-9_]*)")]
    private static partial Regex SyntaxParameterRegex();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]*)\)")]
    private static partial Regex LinkRegex();

    [GeneratedRegex(@"^[A-Za-z]+-[A-Za-z0-9]+$")]
    private static partial Regex CommandNameRegex();

    public static CommandHelp ParseFile(string path) => Parse(File.ReadAllText(path), path);

    public static CommandHelp Parse(string markdown, string path)
    {
        var lines = SplitLines(markdown);
        var (frontMatter, bodyStart) = ReadFrontMatter(lines, path);
        var blocks = MarkdownBlocks.Parse(lines, bodyStart, lines.Count, path);

        if (blocks.Count == 0 || blocks[0].Kind != BlockKind.Heading || blocks[0].Level != 1)
        {
            throw new HelpFormatException(path, blocks.Count > 0 ? blocks[0].Line : bodyStart + 1,
                "expected '# Verb-Noun' (the command name) right after the front matter");
        }

        var name = blocks[0].Text.Trim();
        if (!CommandNameRegex().IsMatch(name))
        {
            throw new HelpFormatException(path, blocks[0].Line, $"'{name}' is not a Verb-Noun command name");
        }

        var help = new CommandHelp
        {
            Name = name,
            SourcePath = path,
            ExternalHelpFile = frontMatter["external help file"],
            ModuleName = frontMatter["Module Name"],
            OnlineVersion = frontMatter.GetValueOrDefault("online version", ""),
        };

        var sections = SplitSections(blocks, path);
        foreach (var required in RequiredSections)
        {
            if (!sections.ContainsKey(required))
            {
                throw new HelpFormatException(path, blocks[0].Line, $"{name} has no '## {required}' section");
            }
        }

        var synopsisLine = sections["SYNOPSIS"].Line;
        help.Synopsis.AddRange(Text(sections["SYNOPSIS"].Blocks, path, "SYNOPSIS", allowCode: false));
        if (help.Synopsis.Count == 0)
        {
            throw new HelpFormatException(path, synopsisLine, "## SYNOPSIS is empty");
        }

        help.Description.AddRange(Text(sections["DESCRIPTION"].Blocks, path, "DESCRIPTION", allowCode: true));
        if (help.Description.Count == 0)
        {
            throw new HelpFormatException(path, sections["DESCRIPTION"].Line, "## DESCRIPTION is empty");
        }

        ReadSyntax(help, sections["SYNTAX"], path);
        ReadParameters(help, sections["PARAMETERS"], path);
        ReadExamples(help, sections["EXAMPLES"], path);
        if (sections.TryGetValue("INPUTS", out var inputs))
        {
            help.Inputs.AddRange(ReadTypes(inputs, path));
        }

        if (sections.TryGetValue("OUTPUTS", out var outputs))
        {
            help.Outputs.AddRange(ReadTypes(outputs, path));
        }

        if (sections.TryGetValue("NOTES", out var notes))
        {
            help.Notes.AddRange(Text(notes.Blocks, path, "NOTES", allowCode: true));
        }

        ReadLinks(help, sections.GetValueOrDefault("RELATED LINKS"), path);
        CheckSyntaxAgainstParameters(help, path);
        return help;
    }

    /// <summary>The file's lines, CRLF or LF; index + 1 is the line number every error names.</summary>
    public static List<string> SplitLines(string text) =>
        [.. text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n')];

    private static (Dictionary<string, string> Values, int BodyStart) ReadFrontMatter(List<string> lines, string path)
    {
        if (lines.Count == 0 || lines[0].Trim() != "---")
        {
            throw new HelpFormatException(path, 1,
                "missing YAML front matter: the file must start with '---', 'external help file: K8sSecurity.dll-Help.xml', 'Module Name: K8sSecurity', 'online version:', 'schema: 2.0.0', '---'");
        }

        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var i = 1;
        for (; i < lines.Count && lines[i].Trim() != "---"; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            var colon = lines[i].IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new HelpFormatException(path, i + 1, $"front matter line is not 'key: value': '{lines[i]}'");
            }

            values[lines[i][..colon].Trim()] = lines[i][(colon + 1)..].Trim();
        }

        if (i >= lines.Count)
        {
            throw new HelpFormatException(path, 1, "front matter is never closed with '---'");
        }

        foreach (var key in RequiredFrontMatter)
        {
            if (!values.TryGetValue(key, out var value) || value.Length == 0)
            {
                throw new HelpFormatException(path, 1, $"front matter has no '{key}:' value");
            }
        }

        if (values["schema"] != "2.0.0")
        {
            throw new HelpFormatException(path, 1, $"front matter 'schema: {values["schema"]}' is not 'schema: 2.0.0'");
        }

        return (values, i + 1);
    }

    private sealed record Section(int Line, List<MarkdownBlock> Blocks);

    private static Dictionary<string, Section> SplitSections(List<MarkdownBlock> blocks, string path)
    {
        var sections = new Dictionary<string, Section>(StringComparer.Ordinal);
        Section? current = null;
        for (var i = 1; i < blocks.Count; i++)
        {
            var block = blocks[i];
            if (block.Kind == BlockKind.Heading && block.Level == 1)
            {
                throw new HelpFormatException(path, block.Line, "only one '# ' heading (the command name) is allowed");
            }

            if (block.Kind == BlockKind.Heading && block.Level == 2)
            {
                var title = block.Text.Trim().ToUpperInvariant();
                if (!KnownSections.Contains(title))
                {
                    throw new HelpFormatException(path, block.Line,
                        $"unknown section '## {block.Text}'; expected one of: {string.Join(", ", KnownSections)}");
                }

                if (block.Text.Trim() != title)
                {
                    throw new HelpFormatException(path, block.Line, $"section heading must be upper case: '## {title}'");
                }

                if (sections.ContainsKey(title))
                {
                    throw new HelpFormatException(path, block.Line, $"section '## {title}' appears twice");
                }

                current = new Section(block.Line, []);
                sections[title] = current;
                continue;
            }

            if (current is null)
            {
                throw new HelpFormatException(path, block.Line, "text between the '# ' heading and '## SYNOPSIS'");
            }

            current.Blocks.Add(block);
        }

        return sections;
    }

    /// <summary>Paragraph texts of a run of blocks. Code is kept line by line when allowed.</summary>
    private static List<string> Text(IEnumerable<MarkdownBlock> blocks, string path, string where, bool allowCode)
    {
        var result = new List<string>();
        foreach (var block in blocks)
        {
            switch (block.Kind)
            {
                case BlockKind.Paragraph:
                    CheckPlaceholder(block, path);
                    result.Add(block.Text);
                    break;
                case BlockKind.Code when allowCode:
                    result.Add(block.Text);
                    break;
                default:
                    throw new HelpFormatException(path, block.Line,
                        block.Kind == BlockKind.Heading
                            ? $"unexpected heading '{block.Text}' in {where}"
                            : $"code blocks are not allowed in {where}");
            }
        }

        return result;
    }

    private static void CheckPlaceholder(MarkdownBlock block, string path)
    {
        if (block.Text.Contains("{{", StringComparison.Ordinal) && block.Text.Contains("}}", StringComparison.Ordinal))
        {
            throw new HelpFormatException(path, block.Line, $"unfilled placeholder: '{block.Text.Split('\n')[0]}'");
        }
    }

    private static void ReadSyntax(CommandHelp help, Section section, string path)
    {
        string? pendingName = null;
        var pendingDefault = false;
        var pendingLine = section.Line;
        foreach (var block in section.Blocks)
        {
            switch (block.Kind)
            {
                case BlockKind.Heading when block.Level == 3:
                    var title = block.Text.Trim();
                    pendingDefault = title.EndsWith("(Default)", StringComparison.OrdinalIgnoreCase);
                    pendingName = pendingDefault ? title[..^"(Default)".Length].Trim() : title;
                    pendingLine = block.Line;
                    break;
                case BlockKind.Code:
                    var setName = pendingName ?? AllParameterSets;
                    if (help.Syntax.Any(s => s.Name.Equals(setName, StringComparison.OrdinalIgnoreCase)))
                    {
                        throw new HelpFormatException(path, block.Line,
                            pendingName is null
                                ? "several syntax blocks need a '### SetName' heading each"
                                : $"parameter set '{setName}' has more than one syntax block");
                    }

                    help.Syntax.Add(new SyntaxSet { Name = setName, IsDefault = pendingDefault, Text = block.Text, Line = block.Line });
                    pendingName = null;
                    pendingDefault = false;
                    break;
                default:
                    throw new HelpFormatException(path, block.Line,
                        "## SYNTAX holds only '### SetName' headings (optional for one set) and ``` code blocks");
            }
        }

        if (pendingName is not null)
        {
            throw new HelpFormatException(path, pendingLine, $"syntax set '{pendingName}' has no ``` code block");
        }

        if (help.Syntax.Count == 0)
        {
            throw new HelpFormatException(path, section.Line, "## SYNTAX has no ``` code block");
        }

        if (help.Syntax.Count > 1 && help.Syntax.Any(s => s.Name == AllParameterSets))
        {
            throw new HelpFormatException(path, section.Line, "with several syntax blocks each needs a '### SetName' heading");
        }
    }

    private static void ReadParameters(CommandHelp help, Section section, string path)
    {
        ParameterHelp? current = null;
        var inCommon = false;
        foreach (var block in section.Blocks)
        {
            if (block.Kind == BlockKind.Heading)
            {
                FinishParameter(current, path);
                current = null;
                inCommon = false;
                var title = block.Text.Trim();
                if (block.Level == 3 && title == "CommonParameters")
                {
                    help.SupportsCommonParameters = true;
                    inCommon = true;
                    continue;
                }

                if (block.Level != 3 || !title.StartsWith('-') || title.Length < 2 || title.Contains(' ', StringComparison.Ordinal))
                {
                    throw new HelpFormatException(path, block.Line,
                        $"expected '### -ParameterName' or '### CommonParameters' in ## PARAMETERS, found '{new string('#', block.Level)} {title}'");
                }

                var name = title[1..];
                if (help.Parameters.Any(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase)))
                {
                    throw new HelpFormatException(path, block.Line, $"parameter -{name} is documented twice");
                }

                current = new ParameterHelp { Name = name, Line = block.Line };
                help.Parameters.Add(current);
                continue;
            }

            if (inCommon)
            {
                continue; // the standard CommonParameters blurb; PowerShell prints its own
            }

            if (current is null)
            {
                throw new HelpFormatException(path, block.Line, "text in ## PARAMETERS before the first '### -ParameterName'");
            }

            if (block.Kind == BlockKind.Paragraph)
            {
                if (current.Bindings.Count > 0)
                {
                    throw new HelpFormatException(path, block.Line, $"description of -{current.Name} must come before its ```yaml block");
                }

                CheckPlaceholder(block, path);
                current.Description.Add(block.Text);
            }
            else if (block.Info.Equals("yaml", StringComparison.OrdinalIgnoreCase))
            {
                ReadParameterYaml(current, block, path);
            }
            else
            {
                throw new HelpFormatException(path, block.Line, $"code block under -{current.Name} must be ```yaml");
            }
        }

        FinishParameter(current, path);
    }

    private static void FinishParameter(ParameterHelp? parameter, string path)
    {
        if (parameter is null)
        {
            return;
        }

        if (parameter.Description.Count == 0)
        {
            throw new HelpFormatException(path, parameter.Line, $"parameter -{parameter.Name} has no description");
        }

        if (parameter.Bindings.Count == 0)
        {
            throw new HelpFormatException(path, parameter.Line, $"parameter -{parameter.Name} has no ```yaml block");
        }
    }

    private static void ReadParameterYaml(ParameterHelp parameter, MarkdownBlock block, string path)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var yamlLines = SplitLines(block.Text);
        for (var i = 0; i < yamlLines.Count; i++)
        {
            var line = yamlLines[i];
            var lineNo = block.Line + 1 + i;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            var key = colon > 0 ? line[..colon].Trim() : "";
            var known = YamlKeys.FirstOrDefault(k => k.Equals(key, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                throw new HelpFormatException(path, lineNo,
                    $"-{parameter.Name}: unknown yaml line '{line.Trim()}'; keys are: {string.Join(", ", YamlKeys)}");
            }

            values[known] = line[(colon + 1)..].Trim();
        }

        foreach (var key in RequiredYamlKeys)
        {
            if (!values.TryGetValue(key, out var v) || v.Length == 0)
            {
                throw new HelpFormatException(path, block.Line, $"-{parameter.Name}: yaml block has no '{key}:' value");
            }
        }

        var first = parameter.Bindings.Count == 0;
        if (first)
        {
            parameter.Type = values["Type"];
            parameter.Aliases.AddRange(List(values.GetValueOrDefault("Aliases")));
            parameter.AcceptedValues.AddRange(List(values.GetValueOrDefault("Accepted values")));
            var defaultValue = values.GetValueOrDefault("Default value", "");
            parameter.DefaultValue = defaultValue.Length == 0 ? "None" : defaultValue;
            var pipeline = values.GetValueOrDefault("Accept pipeline input", "False");
            parameter.PipelineInput = pipeline.Length == 0 ? "False" : pipeline;
            parameter.Globbing = Bool(values.GetValueOrDefault("Accept wildcard characters", "False"), path, block.Line, parameter.Name);
        }
        else if (!values["Type"].Equals(parameter.Type, StringComparison.OrdinalIgnoreCase))
        {
            throw new HelpFormatException(path, block.Line, $"-{parameter.Name}: every yaml block must have the same Type");
        }

        var binding = new ParameterSetBinding
        {
            Required = Bool(values["Required"], path, block.Line, parameter.Name),
            Position = Position(values["Position"], path, block.Line, parameter.Name),
        };
        binding.Sets.AddRange(List(values["Parameter Sets"]));
        parameter.Bindings.Add(binding);
    }

    private static IEnumerable<string> List(string? value) =>
        string.IsNullOrWhiteSpace(value) || value.Equals("None", StringComparison.OrdinalIgnoreCase)
            ? []
            : value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool Bool(string value, string path, int line, string parameter)
    {
        if (value.StartsWith("True", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (value.StartsWith("False", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        throw new HelpFormatException(path, line, $"-{parameter}: '{value}' is neither True nor False");
    }

    private static string Position(string value, string path, int line, string parameter)
    {
        if (value.Equals("Named", StringComparison.OrdinalIgnoreCase))
        {
            return "named";
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return n.ToString(CultureInfo.InvariantCulture);
        }

        throw new HelpFormatException(path, line, $"-{parameter}: Position '{value}' is neither Named nor a number");
    }

    private static void ReadExamples(CommandHelp help, Section section, string path)
    {
        ExampleHelp? current = null;
        var currentLine = section.Line;
        foreach (var block in section.Blocks)
        {
            if (block.Kind == BlockKind.Heading)
            {
                if (block.Level != 3)
                {
                    throw new HelpFormatException(path, block.Line, "examples are '### Example N: Title' headings");
                }

                FinishExample(current, path, currentLine);
                current = new ExampleHelp { Title = block.Text.Trim() };
                currentLine = block.Line;
                help.Examples.Add(current);
                continue;
            }

            if (current is null)
            {
                throw new HelpFormatException(path, block.Line, "text in ## EXAMPLES before the first '### Example 1: Title'");
            }

            if (block.Kind == BlockKind.Code)
            {
                current.Code.Add(block.Text);
            }
            else
            {
                CheckPlaceholder(block, path);
                current.Remarks.Add(block.Text);
            }
        }

        FinishExample(current, path, currentLine);
        if (help.Examples.Count == 0)
        {
            throw new HelpFormatException(path, section.Line, "## EXAMPLES has no '### Example 1: Title'");
        }
    }

    private static void FinishExample(ExampleHelp? example, string path, int line)
    {
        if (example is not null && example.Code.Count == 0)
        {
            throw new HelpFormatException(path, line, $"example '{example.Title}' has no ```powershell code block");
        }
    }

    private static List<TypeHelp> ReadTypes(Section section, string path)
    {
        var types = new List<TypeHelp>();
        foreach (var block in section.Blocks)
        {
            if (block.Kind == BlockKind.Heading && block.Level == 3)
            {
                types.Add(new TypeHelp { TypeName = block.Text.Trim() });
            }
            else if (block.Kind == BlockKind.Paragraph && types.Count > 0)
            {
                CheckPlaceholder(block, path);
                types[^1].Description.Add(block.Text);
            }
            else
            {
                throw new HelpFormatException(path, block.Line, "## INPUTS and ## OUTPUTS hold '### Type.Name' headings, each followed by text");
            }
        }

        return types;
    }

    private static void ReadLinks(CommandHelp help, Section? section, string path)
    {
        if (help.OnlineVersion.Length > 0)
        {
            help.Links.Add(new LinkHelp { Text = "Online Version:", Uri = help.OnlineVersion });
        }

        if (section is null)
        {
            return;
        }

        foreach (var block in section.Blocks)
        {
            if (block.Kind != BlockKind.Paragraph)
            {
                throw new HelpFormatException(path, block.Line, "## RELATED LINKS holds only '[Text](uri)' lines");
            }

            foreach (var line in block.Text.Split('\n'))
            {
                // Consecutive link lines form one paragraph, so one logical line may hold several links.
                var matches = LinkRegex().Matches(line);
                var rest = LinkRegex().Replace(line, "").Trim(' ', '-', '*');
                if (matches.Count == 0 || rest.Length > 0)
                {
                    throw new HelpFormatException(path, block.Line, $"related link is not '[Text](uri)': '{line}'");
                }

                help.Links.AddRange(matches.Select(m => new LinkHelp { Text = m.Groups[1].Value, Uri = m.Groups[2].Value }));
            }
        }
    }

    /// <summary>Each syntax block and the parameters' "Parameter Sets" must tell the same story.</summary>
    private static void CheckSyntaxAgainstParameters(CommandHelp help, string path)
    {
        var setNames = help.Syntax.Select(s => s.Name).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var parameter in help.Parameters)
        {
            foreach (var set in parameter.Bindings.SelectMany(b => b.Sets))
            {
                if (set != "(All)" && !setNames.Contains(set))
                {
                    throw new HelpFormatException(path, parameter.Line,
                        $"-{parameter.Name} names parameter set '{set}', which has no '### {set}' syntax block");
                }
            }
        }

        foreach (var set in help.Syntax)
        {
            var named = SyntaxParameterRegex().Matches(set.Text).Select(m => m.Groups[1].Value)
                .ToHashSet(StringComparer.OrdinalIgnoreCase);
            foreach (var name in named)
            {
                var parameter = help.Parameters.FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
                if (parameter is null)
                {
                    throw new HelpFormatException(path, set.Line, $"syntax names -{name}, which has no '### -{name}' in ## PARAMETERS");
                }

                if (parameter.BindingFor(set.Name) is null && set.Name != AllParameterSets)
                {
                    throw new HelpFormatException(path, parameter.Line,
                        $"-{name} is in the '{set.Name}' syntax but its yaml 'Parameter Sets' does not list it");
                }
            }

            foreach (var parameter in help.Parameters)
            {
                var inSet = set.Name == AllParameterSets || parameter.BindingFor(set.Name) is not null;
                if (inSet && !named.Contains(parameter.Name))
                {
                    throw new HelpFormatException(path, set.Line,
                        $"-{parameter.Name} belongs to parameter set '{set.Name}' but is missing from its syntax block");
                }
            }
        }
    }

    /// <summary>Parameters of a syntax set, in the order the syntax block names them.</summary>
    public static IEnumerable<(ParameterHelp Parameter, ParameterSetBinding Binding)> ParametersOf(CommandHelp help, SyntaxSet set)
    {
        var order = SyntaxParameterRegex().Matches(set.Text).Select(m => m.Groups[1].Value).ToList();
        return help.Parameters
            .Select(p => (Parameter: p, Binding: set.Name == AllParameterSets ? p.Bindings[0] : p.BindingFor(set.Name)))
            .Where(x => x.Binding is not null)
            .OrderBy(x =>
            {
                var index = order.FindIndex(n => n.Equals(x.Parameter.Name, StringComparison.OrdinalIgnoreCase));
                return index < 0 ? int.MaxValue : index;
            })
            .Select(x => (x.Parameter, x.Binding!));
    }
}
