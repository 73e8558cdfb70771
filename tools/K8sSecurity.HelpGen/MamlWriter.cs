using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace K8sSecurity.HelpGen;

/// <summary>
/// Writes MAML the way PlatyPS's New-ExternalHelp does (helpItems/command:command with details, description,
/// syntax, parameters, inputTypes, returnValues, alertSet, examples, relatedLinks), which Get-Help reads.
/// </summary>
public static class MamlWriter
{
    public static readonly XNamespace Msh = "http://msh";
    public static readonly XNamespace Maml = "http://schemas.microsoft.com/maml/2004/10";
    public static readonly XNamespace Command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
    public static readonly XNamespace Dev = "http://schemas.microsoft.com/maml/dev/2004/10";
    public static readonly XNamespace MsHelp = "http://msdn.microsoft.com/mshelp";

    public static XDocument ToDocument(IEnumerable<CommandHelp> commands) =>
        new(new XDeclaration("1.0", "utf-8", null),
            new XElement(Msh + "helpItems", new XAttribute("schema", "maml"), commands.Select(CommandElement)));

    public static string ToXml(IEnumerable<CommandHelp> commands)
    {
        var builder = new StringBuilder();
        var settings = new XmlWriterSettings
        {
            Indent = true,
            IndentChars = "  ",
            NewLineChars = "\n",
            Encoding = new UTF8Encoding(false),
        };
        using (var writer = XmlWriter.Create(builder, settings))
        {
            ToDocument(commands).Save(writer);
        }

        // StringBuilder output declares utf-16; the file is utf-8.
        return builder.ToString().Replace("encoding=\"utf-16\"", "encoding=\"utf-8\"", StringComparison.Ordinal) + "\n";
    }

    public static void Write(IEnumerable<CommandHelp> commands, string path) =>
        File.WriteAllText(path, ToXml(commands), new UTF8Encoding(false));

    private static XElement CommandElement(CommandHelp help)
    {
        var dash = help.Name.IndexOf('-', StringComparison.Ordinal);
        return new XElement(Command + "command",
            new XAttribute(XNamespace.Xmlns + "maml", Maml),
            new XAttribute(XNamespace.Xmlns + "command", Command),
            new XAttribute(XNamespace.Xmlns + "dev", Dev),
            new XAttribute(XNamespace.Xmlns + "MSHelp", MsHelp),
            new XElement(Command + "details",
                new XElement(Command + "name", help.Name),
                new XElement(Command + "verb", help.Name[..dash]),
                new XElement(Command + "noun", help.Name[(dash + 1)..]),
                new XElement(Maml + "description", Paras(help.Synopsis))),
            new XElement(Maml + "description", Paras(help.Description)),
            new XElement(Command + "syntax", help.Syntax.Select(set =>
                new XElement(Command + "syntaxItem",
                    new XElement(Maml + "name", help.Name),
                    MarkdownHelpParser.ParametersOf(help, set).Select(x => Parameter(x.Parameter, x.Binding, inSyntax: true))))),
            new XElement(Command + "parameters",
                help.Parameters.Select(p => Parameter(p, p.Bindings[0], inSyntax: false))),
            new XElement(Command + "inputTypes", help.Inputs.Select(t => TypeElement("inputType", t))),
            new XElement(Command + "returnValues", help.Outputs.Select(t => TypeElement("returnValue", t))),
            new XElement(Maml + "alertSet", new XElement(Maml + "alert", Paras(help.Notes))),
            new XElement(Command + "examples", help.Examples.Select(e =>
                new XElement(Command + "example",
                    new XElement(Maml + "title", PadExampleTitle(e.Title)),
                    new XElement(Dev + "code", string.Join("\n\n", e.Code)),
                    new XElement(Dev + "remarks", Paras(e.Remarks))))),
            new XElement(Command + "relatedLinks", help.Links.Select(l =>
                new XElement(Maml + "navigationLink",
                    new XElement(Maml + "linkText", l.Text),
                    // Get-Help only wants absolute URIs; relative markdown links keep their text only (as PlatyPS does).
                    new XElement(Maml + "uri", Uri.TryCreate(l.Uri, UriKind.Absolute, out _) ? l.Uri : "")))));
    }

    private static XElement Parameter(ParameterHelp p, ParameterSetBinding binding, bool inSyntax)
    {
        var type = p.IsSwitch ? "SwitchParameter" : p.Type;
        var defaultValue = p.IsSwitch && p.DefaultValue.Equals("None", StringComparison.OrdinalIgnoreCase) ? "False" : p.DefaultValue;
        return new XElement(Command + "parameter",
            new XAttribute("required", Lower(binding.Required)),
            new XAttribute("variableLength", "true"),
            new XAttribute("globbing", Lower(p.Globbing)),
            new XAttribute("pipelineInput", p.PipelineInput),
            new XAttribute("position", binding.Position),
            new XAttribute("aliases", p.Aliases.Count > 0 ? string.Join(", ", p.Aliases) : "none"),
            new XElement(Maml + "name", p.Name),
            new XElement(Maml + "Description", Paras(p.Description)),
            inSyntax && p.AcceptedValues.Count > 0
                ? new XElement(Command + "parameterValueGroup", p.AcceptedValues.Select(v =>
                    new XElement(Command + "parameterValue", new XAttribute("required", "false"), new XAttribute("variableLength", "false"), v)))
                : null,
            // Inside syntax a switch shows no value, as in PlatyPS output.
            inSyntax && p.IsSwitch
                ? null
                : new XElement(Command + "parameterValue",
                    new XAttribute("required", Lower(!p.IsSwitch)),
                    new XAttribute("variableLength", "false"),
                    type),
            new XElement(Dev + "type", new XElement(Maml + "name", type), new XElement(Maml + "uri")),
            new XElement(Dev + "defaultValue", defaultValue));
    }

    private static XElement TypeElement(string kind, TypeHelp type) =>
        new(Command + kind,
            new XElement(Dev + "type", new XElement(Maml + "name", type.TypeName)),
            new XElement(Maml + "description", Paras(type.Description)));

    private static string Lower(bool value) => value ? "true" : "false";

    /// <summary>
    /// One maml:para per logical line (PlatyPS splits on line breaks); an empty para closes a list so
    /// Get-Help does not run the next paragraph into the last item.
    /// </summary>
    public static IEnumerable<XElement> Paras(IEnumerable<string> paragraphs)
    {
        var lines = TablesAsLists(paragraphs.SelectMany(p => p.Split('\n')).Where(l => l.Length > 0).ToList());
        for (var i = 0; i < lines.Count; i++)
        {
            if (i > 0 && MarkdownBlocks.IsListItem(lines[i - 1]) && !MarkdownBlocks.IsListItem(lines[i]))
            {
                yield return new XElement(Maml + "para", "");
            }

            yield return new XElement(Maml + "para", lines[i]);
        }
    }

    /// <summary>Get-Help has no tables: each markdown table row becomes a list item (see MarkdownBlocks.TableRowAsListItem).</summary>
    private static List<string> TablesAsLists(List<string> lines)
    {
        var result = new List<string>();
        for (var i = 0; i < lines.Count;)
        {
            if (!MarkdownBlocks.IsTableRow(lines[i]))
            {
                result.Add(lines[i++]);
                continue;
            }

            var table = new List<string>();
            while (i < lines.Count && MarkdownBlocks.IsTableRow(lines[i]))
            {
                table.Add(lines[i++]);
            }

            var (header, rows) = MarkdownBlocks.ParseTable(table);
            result.AddRange(rows.Select(r => MarkdownBlocks.TableRowAsListItem(header, r)));
        }

        return result;
    }

    /// <summary>"Example 1: X" becomes "---------- Example 1: X ----------", 64 characters wide, like PlatyPS.</summary>
    public static string PadExampleTitle(string title)
    {
        if (string.IsNullOrWhiteSpace(title) || title.Length >= 62)
        {
            return title;
        }

        var dashes = new string('-', (64 - title.Length - 2) / 2);
        return $"{dashes} {title} {dashes}";
    }
}
