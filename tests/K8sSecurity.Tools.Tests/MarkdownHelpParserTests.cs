using K8sSecurity.HelpGen;
using Xunit;

namespace K8sSecurity.Tools.Tests;

public class MarkdownHelpParserTests
{
    private static string Sample => File.ReadAllText(TestPaths.TestData("Get-Widget.md"));

    private static CommandHelp ParseSample() => MarkdownHelpParser.Parse(Sample, "Get-Widget.md");

    [Fact]
    public void Reads_every_section_of_the_sample()
    {
        var help = ParseSample();

        Assert.Equal("Get-Widget", help.Name);
        Assert.Equal("K8sSecurity.dll-Help.xml", help.ExternalHelpFile);
        Assert.Equal(["Gets widgets from the shelf."], help.Synopsis);
        Assert.Equal("The Get-Widget function gets widgets, one by one.", help.Description[0]);
        Assert.Equal("- it only reads\n- it caches nothing", help.Description[2]);
        Assert.Equal(["ByName", "ById"], help.Syntax.Select(s => s.Name));
        Assert.True(help.Syntax[0].IsDefault);
        Assert.Equal(["Name", "Colour", "Id", "Force"], help.Parameters.Select(p => p.Name));
        Assert.True(help.SupportsCommonParameters);
        Assert.Equal(["System.String"], help.Inputs.Select(t => t.TypeName));
        Assert.Equal(["Widgets are fictional."], help.Notes);
        Assert.Equal(2, help.Examples.Count);
        Assert.Equal("Get-Widget -Id 7 -Force", Assert.Single(help.Examples[1].Code));
        Assert.Equal(["Online Version:", "about_Widgets", "Widget shop"], help.Links.Select(l => l.Text));
    }

    [Fact]
    public void Reads_the_parameter_yaml()
    {
        var help = ParseSample();
        var name = help.Parameters[0];
        Assert.Equal("String", name.Type);
        Assert.Equal(["WidgetName"], name.Aliases);
        Assert.True(name.Globbing);
        Assert.Equal("True (ByPropertyName)", name.PipelineInput);
        var binding = Assert.Single(name.Bindings);
        Assert.True(binding.Required);
        Assert.Equal("0", binding.Position);

        var colour = help.Parameters[1];
        Assert.Equal(["red", "green"], colour.AcceptedValues);
        Assert.Equal("red", colour.DefaultValue);
        Assert.Equal("named", colour.Bindings[0].Position);

        var force = help.Parameters[3];
        Assert.True(force.IsSwitch);
        Assert.True(force.Bindings[0].AppliesToAll);
    }

    [Theory]
    [InlineData("SYNOPSIS")]
    [InlineData("DESCRIPTION")]
    [InlineData("EXAMPLES")]
    [InlineData("PARAMETERS")]
    [InlineData("SYNTAX")]
    public void A_missing_required_section_names_the_file_and_line(string section)
    {
        var markdown = RemoveSection(Sample, section);

        var e = Assert.Throws<HelpFormatException>(() => MarkdownHelpParser.Parse(markdown, "docs/Get-Widget.md"));

        Assert.Equal("docs/Get-Widget.md", e.FilePath);
        Assert.Equal(8, e.LineNumber); // the '# Get-Widget' heading
        Assert.Contains($"'## {section}'", e.Message, StringComparison.Ordinal);
        Assert.StartsWith("docs/Get-Widget.md:8: ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_front_matter_is_an_error_on_line_1()
    {
        var markdown = Sample[(Sample.IndexOf("# Get-Widget", StringComparison.Ordinal))..];
        var e = Assert.Throws<HelpFormatException>(() => MarkdownHelpParser.Parse(markdown, "x.md"));
        Assert.Equal(1, e.LineNumber);
        Assert.Contains("front matter", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_yaml_key_is_reported_on_its_own_line()
    {
        var markdown = Sample.Replace("Type: Int32", "Typ: Int32", StringComparison.Ordinal);
        var e = Assert.Throws<HelpFormatException>(() => MarkdownHelpParser.Parse(markdown, "x.md"));
        var expectedLine = MarkdownHelpParser.SplitLines(markdown).FindIndex(l => l == "Typ: Int32") + 1;
        Assert.Equal(expectedLine, e.LineNumber);
        Assert.Contains("-Id: unknown yaml line 'Typ: Int32'", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Syntax_naming_an_undocumented_parameter_is_an_error()
    {
        var markdown = Sample.Replace("[-Colour <String>]", "[-Colour <String>] [-Size <Int32>]", StringComparison.Ordinal);
        var e = Assert.Throws<HelpFormatException>(() => MarkdownHelpParser.Parse(markdown, "x.md"));
        Assert.Contains("-Size", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_parameter_missing_from_its_sets_syntax_is_an_error()
    {
        var markdown = Sample.Replace("Get-Widget -Id <Int32> [-Force]", "Get-Widget -Id <Int32>", StringComparison.Ordinal);
        var e = Assert.Throws<HelpFormatException>(() => MarkdownHelpParser.Parse(markdown, "x.md"));
        Assert.Contains("-Force belongs to parameter set 'ById'", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Unfilled_platyps_placeholders_are_errors()
    {
        var markdown = Sample.Replace("The widget's number.", "{{ Fill Id Description }}", StringComparison.Ordinal);
        var e = Assert.Throws<HelpFormatException>(() => MarkdownHelpParser.Parse(markdown, "x.md"));
        Assert.Contains("placeholder", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_example_without_code_is_an_error()
    {
        var markdown = Sample.Replace("```powershell\nGet-Widget -Name gear\n```\n", "", StringComparison.Ordinal);
        var e = Assert.Throws<HelpFormatException>(() => MarkdownHelpParser.Parse(markdown, "x.md"));
        Assert.Contains("has no ```powershell code block", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void The_docs_template_is_itself_valid()
    {
        var help = MarkdownHelpParser.ParseFile(Path.Combine(TestPaths.RepoRoot, "docs", "_TEMPLATE.md"));
        Assert.Equal("Verb-K8sNoun", help.Name);
        Assert.Equal("K8sSecurity.dll-Help.xml", help.ExternalHelpFile);
        Assert.Equal("K8sSecurity", help.ModuleName);
    }

    private static string RemoveSection(string markdown, string section)
    {
        var lines = markdown.Split('\n').ToList();
        var start = lines.IndexOf("## " + section);
        var end = lines.FindIndex(start + 1, l => l.StartsWith("## ", StringComparison.Ordinal));
        lines.RemoveRange(start, (end < 0 ? lines.Count : end) - start);
        return string.Join('\n', lines);
    }
}
