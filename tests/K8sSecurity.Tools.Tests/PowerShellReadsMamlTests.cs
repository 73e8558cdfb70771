using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using K8sSecurity.HelpGen;
using Xunit;

namespace K8sSecurity.Tools.Tests;

/// <summary>
/// The proof that the MAML is right: the real engine's Get-Help reads it. A script module's function points to
/// the generated file with .EXTERNALHELP, exactly as a binary module's cmdlets find K8sSecurity.dll-Help.xml.
/// </summary>
public class PowerShellReadsMamlTests
{
    private const string ModuleSource = """
        function Get-Widget {
            # .EXTERNALHELP K8sSecurity.dll-Help.xml
            [CmdletBinding(DefaultParameterSetName = 'ByName')]
            param(
                [Parameter(Mandatory, Position = 0, ParameterSetName = 'ByName', ValueFromPipelineByPropertyName)]
                [Alias('WidgetName')]
                [SupportsWildcards()]
                [string] $Name,
                [Parameter(ParameterSetName = 'ByName')]
                [ValidateSet('red', 'green')]
                [string] $Colour = 'red',
                [Parameter(Mandatory, ParameterSetName = 'ById')]
                [int] $Id,
                [switch] $Force
            )
            "widget"
        }
        Export-ModuleMember -Function Get-Widget
        """;

    [Fact]
    public void Get_Help_Full_shows_what_the_markdown_says()
    {
        using var temp = new TempDirectory();
        var moduleDir = Path.Combine(temp.Path, "Widgets");
        var module = temp.File("Widgets/Widgets.psm1", ModuleSource);
        var help = MarkdownHelpParser.ParseFile(TestPaths.TestData("Get-Widget.md"));
        // Get-Help looks in <module folder>/<UI culture>; write both en-US and the neutral folder so the test
        // does not depend on this machine's LANG.
        Directory.CreateDirectory(Path.Combine(moduleDir, "en-US"));
        MamlWriter.Write([help], Path.Combine(moduleDir, "en-US", "K8sSecurity.dll-Help.xml"));
        MamlWriter.Write([help], Path.Combine(moduleDir, "K8sSecurity.dll-Help.xml"));

        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo("en-US");
        try
        {
            var state = InitialSessionState.CreateDefault2();
            state.ThreadOptions = PSThreadOptions.UseCurrentThread;
            using var runspace = RunspaceFactory.CreateRunspace(state);
            runspace.Open();
            using var ps = PowerShell.Create();
            ps.Runspace = runspace;
            ps.AddCommand("Import-Module").AddParameter("Name", module).AddStatement()
              .AddCommand("Get-Help").AddParameter("Name", "Get-Widget").AddParameter("Full");
            var result = Assert.Single(ps.Invoke());
            Assert.Empty(ps.Streams.Error);
            Assert.Equal("Gets widgets from the shelf.", Str(result, "Synopsis"));
            var description = Items(Get(result, "description")).Select(p => Str(p, "Text")).ToList();
            Assert.Equal("The Get-Widget function gets widgets, one by one.", description[0]);
            Assert.Contains("- it only reads", description);

            var parameters = Items(Get(Get(result, "parameters"), "parameter"));
            var id = parameters.Single(p => Str(p, "name") == "Id");
            Assert.Equal("The widget's number.", Str(Items(Get(id, "description"))[0], "Text"));
            Assert.Equal("true", Str(id, "required"));
            var name = parameters.Single(p => Str(p, "name") == "Name");
            Assert.Equal("0", Str(name, "position"));
            Assert.Equal("True (ByPropertyName)", Str(name, "pipelineInput"));

            var examples = Items(Get(Get(result, "examples"), "example"));
            Assert.Equal(2, examples.Count);
            Assert.Equal("Get-Widget -Name gear", Str(examples[0], "code"));
            Assert.Contains("Example 1: Get a widget by name", Str(examples[0], "title"), StringComparison.Ordinal);
            Assert.Equal("Gets the widget called gear.", Str(Items(Get(examples[0], "remarks"))[0], "Text"));

            Assert.Equal(2, Items(Get(Get(result, "syntax"), "syntaxItem")).Count);
            var links = Items(Get(Get(result, "relatedLinks"), "navigationLink")).Select(l => Str(l, "linkText")).ToList();
            Assert.Equal(["Online Version:", "about_Widgets", "Widget shop"], links);
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    private static object? Get(object? value, string property) =>
        value is null ? null : PSObject.AsPSObject(value).Properties[property]?.Value;

    private static string Str(object? value, string property) => (Get(value, property)?.ToString() ?? "").Trim();

    private static List<object> Items(object? value) => value switch
    {
        null => [],
        PSObject { BaseObject: object[] array } => [.. array],
        object[] array => [.. array],
        _ => [value],
    };
}
