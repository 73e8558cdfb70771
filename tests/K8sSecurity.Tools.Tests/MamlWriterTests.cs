using System.Xml.Linq;
using K8sSecurity.HelpGen;
using Xunit;

namespace K8sSecurity.Tools.Tests;

public class MamlWriterTests
{
    private static readonly XNamespace Maml = MamlWriter.Maml;
    private static readonly XNamespace Command = MamlWriter.Command;
    private static readonly XNamespace Dev = MamlWriter.Dev;

    private static XElement SampleCommand()
    {
        var help = MarkdownHelpParser.ParseFile(TestPaths.TestData("Get-Widget.md"));
        var doc = XDocument.Parse(MamlWriter.ToXml([help]));
        Assert.Equal(MamlWriter.Msh + "helpItems", doc.Root!.Name);
        Assert.Equal("maml", doc.Root.Attribute("schema")!.Value);
        return Assert.Single(doc.Root.Elements(Command + "command"));
    }

    [Fact]
    public void Details_and_description_are_paragraphs()
    {
        var command = SampleCommand();
        var details = command.Element(Command + "details")!;
        Assert.Equal("Get-Widget", details.Element(Command + "name")!.Value);
        Assert.Equal("Get", details.Element(Command + "verb")!.Value);
        Assert.Equal("Widget", details.Element(Command + "noun")!.Value);
        Assert.Equal("Gets widgets from the shelf.", details.Element(Maml + "description")!.Value);

        var paras = command.Element(Maml + "description")!.Elements(Maml + "para").Select(p => p.Value).ToList();
        Assert.Equal(
            ["The Get-Widget function gets widgets, one by one.", "It never breaks anything:", "- it only reads", "- it caches nothing", "", "That is all."],
            paras);
    }

    [Fact]
    public void Syntax_has_one_item_per_set_in_syntax_order_and_no_value_for_switches()
    {
        var items = SampleCommand().Element(Command + "syntax")!.Elements(Command + "syntaxItem").ToList();
        Assert.Equal(2, items.Count);
        Assert.Equal(["Name", "Colour", "Force"], Names(items[0]));
        Assert.Equal(["Id", "Force"], Names(items[1]));

        var force = items[1].Elements(Command + "parameter").Last();
        Assert.Null(force.Element(Command + "parameterValue"));
        var colour = items[0].Elements(Command + "parameter").ElementAt(1);
        Assert.Equal(["red", "green"], colour.Element(Command + "parameterValueGroup")!.Elements().Select(e => e.Value));

        var name = items[0].Elements(Command + "parameter").First();
        Assert.Equal("true", name.Attribute("required")!.Value);
        Assert.Equal("0", name.Attribute("position")!.Value);
        Assert.Equal("WidgetName", name.Attribute("aliases")!.Value);
        Assert.Equal("true", name.Attribute("globbing")!.Value);
        Assert.Equal("True (ByPropertyName)", name.Attribute("pipelineInput")!.Value);
    }

    [Fact]
    public void Parameters_carry_types_defaults_and_descriptions()
    {
        var parameters = SampleCommand().Element(Command + "parameters")!.Elements(Command + "parameter").ToList();
        Assert.Equal(["Name", "Colour", "Id", "Force"], parameters.Select(p => p.Element(Maml + "name")!.Value));
        var id = parameters[2];
        Assert.Equal("The widget's number.", id.Element(Maml + "Description")!.Value);
        Assert.Equal("Int32", id.Element(Command + "parameterValue")!.Value);
        Assert.Equal("Int32", id.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("None", id.Element(Dev + "defaultValue")!.Value);
        Assert.Equal("named", id.Attribute("position")!.Value);
        Assert.Equal("none", id.Attribute("aliases")!.Value);

        var force = parameters[3];
        Assert.Equal("SwitchParameter", force.Element(Command + "parameterValue")!.Value);
        Assert.Equal("false", force.Element(Command + "parameterValue")!.Attribute("required")!.Value);
        Assert.Equal("False", force.Element(Dev + "defaultValue")!.Value);
    }

    [Fact]
    public void Inputs_outputs_notes_examples_and_links()
    {
        var command = SampleCommand();
        var input = Assert.Single(command.Element(Command + "inputTypes")!.Elements(Command + "inputType"));
        Assert.Equal("System.String", input.Element(Dev + "type")!.Element(Maml + "name")!.Value);
        Assert.Equal("A widget name.", input.Element(Maml + "description")!.Value);
        var output = Assert.Single(command.Element(Command + "returnValues")!.Elements(Command + "returnValue"));
        Assert.Equal("System.Management.Automation.PSObject", output.Element(Dev + "type")!.Value);
        Assert.Equal("Widgets are fictional.", command.Element(Maml + "alertSet")!.Element(Maml + "alert")!.Value);

        var examples = command.Element(Command + "examples")!.Elements(Command + "example").ToList();
        // PlatyPS pads with (64 - length - 2) / 2 dashes a side: 63 characters for an odd-length title.
        Assert.Equal("--------------- Example 1: Get a widget by name ---------------", examples[0].Element(Maml + "title")!.Value);
        Assert.Equal("Get-Widget -Name gear", examples[0].Element(Dev + "code")!.Value);
        Assert.Equal("Gets the widget called gear.", examples[0].Element(Dev + "remarks")!.Value);

        var links = command.Element(Command + "relatedLinks")!.Elements(Maml + "navigationLink")
            .Select(l => (l.Element(Maml + "linkText")!.Value, l.Element(Maml + "uri")!.Value)).ToList();
        Assert.Equal(
            [("Online Version:", "https://example.com/Get-Widget"), ("about_Widgets", ""), ("Widget shop", "https://example.com/shop")],
            links);
    }

    [Fact]
    public void Example_titles_are_padded_to_64_characters_like_platyps()
    {
        Assert.Equal(new string('-', 16) + " " + new string('x', 30) + " " + new string('-', 16), MamlWriter.PadExampleTitle(new string('x', 30)));
        Assert.Equal(new string('x', 70), MamlWriter.PadExampleTitle(new string('x', 70)));
    }

    private static List<string> Names(XElement syntaxItem) =>
        [.. syntaxItem.Elements(Command + "parameter").Select(p => p.Element(Maml + "name")!.Value)];
}
