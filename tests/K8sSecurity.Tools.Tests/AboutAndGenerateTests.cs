using K8sSecurity.HelpGen;
using Xunit;

namespace K8sSecurity.Tools.Tests;

public class AboutAndGenerateTests
{
    [Fact]
    public void About_topics_become_plain_text_wrapped_at_80_columns()
    {
        var text = AboutHelpWriter.ConvertFile(TestPaths.TestData("about_Widgets.md"));
        var lines = text.Split('\n');

        Assert.Equal(["TOPIC", "    about_Widgets", "", "SHORT DESCRIPTION", "    Explains widgets."], lines[..5]);
        Assert.Contains("LONG DESCRIPTION", lines);
        Assert.Contains("SEE ALSO", lines);
        Assert.Contains("        Get-Widget -Name gear", lines);
        Assert.Contains("    - first point", lines);
        Assert.All(lines, l => Assert.True(l.Length <= AboutHelpWriter.Width, l));
        Assert.Contains(lines, l => l.StartsWith("      ", StringComparison.Ordinal) && !l.StartsWith("        ", StringComparison.Ordinal)); // hanging indent
    }

    [Fact]
    public void About_topic_tables_become_aligned_columns_and_long_cells_wrap_under_their_column()
    {
        var text = AboutHelpWriter.Convert(
            "# about_T\n\n## SHORT DESCRIPTION\nx\n\n## LONG DESCRIPTION\ny\n\n## CATEGORIES\n"
            + "| Category | What |\n| --- | --- |\n| Rbac | Risky grants. |\n| ServiceAccounts | "
            + string.Join(' ', Enumerable.Repeat("tokens", 15)) + " |\n",
            "docs/about_T.md");
        var lines = text.Split('\n');
        int header = Array.IndexOf(lines, "    Category         What");
        Assert.True(header > 0, text);
        Assert.Equal("    --------         ----", lines[header + 1]);
        Assert.Equal("    Rbac             Risky grants.", lines[header + 2]);
        Assert.StartsWith("    ServiceAccounts  tokens tokens", lines[header + 3], StringComparison.Ordinal);
        Assert.StartsWith("                     tokens", lines[header + 4], StringComparison.Ordinal);
        Assert.All(lines, l => Assert.True(l.Length <= AboutHelpWriter.Width, l));
        Assert.DoesNotContain("|", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Maml_tables_become_list_items_with_the_header_naming_extra_cells()
    {
        var paras = MamlWriter.Paras(["The ids:\n| Id | Title | Severity |\n| --- | --- | --- |\n| `A-1` | First | High |\n| B-2 | Second | Low |", "After."])
            .Select(p => p.Value).ToList();
        Assert.Equal(["The ids:", "- A-1: First (Severity: High)", "- B-2: Second (Severity: Low)", "", "After."], paras);
    }

    [Fact]
    public void About_topics_need_short_and_long_descriptions()
    {
        var e = Assert.Throws<HelpFormatException>(() =>
            AboutHelpWriter.Convert("# about_X\n\n## SHORT DESCRIPTION\nx\n", "docs/about_X.md"));
        Assert.Equal(1, e.LineNumber);
        Assert.Contains("LONG DESCRIPTION", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Generate_writes_maml_and_about_text_and_skips_underscore_files()
    {
        using var temp = new TempDirectory();
        var docs = Path.Combine(temp.Path, "docs");
        Directory.CreateDirectory(docs);
        File.Copy(TestPaths.TestData("Get-Widget.md"), Path.Combine(docs, "Get-Widget.md"));
        File.Copy(TestPaths.TestData("about_Widgets.md"), Path.Combine(docs, "about_Widgets.md"));
        File.WriteAllText(Path.Combine(docs, "_TEMPLATE.md"), "not help at all");
        var output = Path.Combine(temp.Path, "out");

        var result = Program.Generate(docs, output);

        Assert.Empty(result.Errors);
        Assert.Equal(["K8sSecurity.dll-Help.xml", "about_Widgets.help.txt"], result.Written.Select(Path.GetFileName));
        Assert.True(File.Exists(Path.Combine(output, "K8sSecurity.dll-Help.xml")));
    }

    [Fact]
    public void Main_fails_naming_file_and_line_and_writes_nothing()
    {
        using var temp = new TempDirectory();
        var docs = Path.Combine(temp.Path, "docs");
        temp.File("docs/Get-Widget.md", File.ReadAllText(TestPaths.TestData("Get-Widget.md")).Replace("## EXAMPLES", "## EXAMPLE", StringComparison.Ordinal));
        var output = Path.Combine(temp.Path, "out");

        var result = Program.Generate(docs, output);
        var error = Assert.Single(result.Errors);
        Assert.EndsWith("Get-Widget.md", error.FilePath, StringComparison.Ordinal);
        Assert.True(error.LineNumber > 1);
        Assert.Contains("unknown section '## EXAMPLE'", error.Reason, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));

        Assert.Equal(1, Program.Main(["--docs", docs, "--out", output]));
        Assert.Equal(2, Program.Main(["--docs", docs]));
    }

    [Fact]
    public void The_file_name_must_be_the_command_name()
    {
        using var temp = new TempDirectory();
        temp.File("docs/Get-Gadget.md", File.ReadAllText(TestPaths.TestData("Get-Widget.md")));
        var result = Program.Generate(Path.Combine(temp.Path, "docs"), Path.Combine(temp.Path, "out"));
        Assert.Contains("Get-Widget.md", Assert.Single(result.Errors).Reason, StringComparison.Ordinal);
    }
}
