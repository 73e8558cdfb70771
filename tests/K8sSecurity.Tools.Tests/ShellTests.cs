using System.Diagnostics;
using Xunit;

namespace K8sSecurity.Tools.Tests;

/// <summary>Runs tools/K8sSecurity.Shell as a process, the way the README's quick start does.</summary>
public class ShellTests
{
    private sealed record Run(int ExitCode, string Out, string Err);

    private static Run Shell(string? stdin, params string[] args)
    {
        Assert.True(File.Exists(TestPaths.ShellDll), "build the solution first: " + TestPaths.ShellDll);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TestPaths.ShellDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            process.StandardInput.Write(stdin);
        }

        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the shell did not finish in 2 minutes");
        }

        return new Run(process.ExitCode, output.Result.Replace("\r\n", "\n", StringComparison.Ordinal), error.Result);
    }

    [Fact]
    public void Command_output_goes_through_Out_Default()
    {
        var run = Shell(null, "-Command", "1..3 | ForEach-Object { $_ * 2 }");
        Assert.Equal("", run.Err);
        Assert.Equal("2\n4\n6\n", run.Out);
        Assert.Equal(0, run.ExitCode);
    }

    [Fact]
    public void Objects_are_formatted_as_a_plain_table_when_redirected()
    {
        var run = Shell(null, "-Command", "[pscustomobject]@{ Name = 'web'; Count = 2 }");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Name Count", run.Out, StringComparison.Ordinal);
        Assert.Contains("web      2", run.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_terminating_error_prints_the_message_and_exits_1()
    {
        var run = Shell(null, "-Command", "'before'; throw 'boom'");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("before\n", run.Out);
        Assert.Contains("Exception: boom", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_non_terminating_error_continues_but_exits_1()
    {
        var run = Shell(null, "-Command", "No-SuchCommand; 'after'");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("after\n", run.Out);
        Assert.StartsWith("No-SuchCommand: The term 'No-SuchCommand' is not recognized", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Exit_sets_the_exit_code()
    {
        Assert.Equal(3, Shell(null, "-Command", "exit 3").ExitCode);
    }

    [Fact]
    public void File_runs_a_script_with_arguments_and_module_imports_by_path()
    {
        using var temp = new TempDirectory();
        var module = temp.File("Greeter/Greeter.psm1", "function Get-Greeting([string] $Who) { \"hello $Who\" }\nExport-ModuleMember -Function Get-Greeting\n");
        var script = temp.File("run.ps1", "param([string] $Who)\nGet-Greeting -Who $Who\n$PSScriptRoot -ne $null\nexit 4\n");

        var run = Shell(null, "-Module", module, "-File", script, "world");

        Assert.Equal("", run.Err);
        Assert.Equal("hello world\nTrue\n", run.Out);
        Assert.Equal(4, run.ExitCode);
    }

    [Fact]
    public void A_module_that_fails_to_import_stops_with_exit_1()
    {
        var run = Shell(null, "-Module", "/no/such/module.psd1", "-Command", "'never'");
        Assert.Equal(1, run.ExitCode);
        Assert.DoesNotContain("never", run.Out, StringComparison.Ordinal);
        Assert.Contains("Import-Module", run.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_File_or_Command_it_is_a_repl()
    {
        var run = Shell("$x = 20\n$x + 1\nexit\n");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("21\n", run.Out, StringComparison.Ordinal);
        Assert.Contains("PS ", run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void Get_Help_shows_generated_maml_as_text()
    {
        using var temp = new TempDirectory();
        var module = temp.File("Widgets/Widgets.psm1",
            "function Get-Widget {\n  # .EXTERNALHELP K8sSecurity.dll-Help.xml\n  param([string] $Name, [string] $Colour, [int] $Id, [switch] $Force)\n}\n");
        var help = K8sSecurity.HelpGen.MarkdownHelpParser.ParseFile(TestPaths.TestData("Get-Widget.md"));
        foreach (var folder in new[] { "Widgets/en-US", "Widgets" })
        {
            Directory.CreateDirectory(Path.Combine(temp.Path, folder));
            K8sSecurity.HelpGen.MamlWriter.Write([help], Path.Combine(temp.Path, folder, "K8sSecurity.dll-Help.xml"));
        }

        var run = Shell(null, "-Module", module, "-Command", "Get-Help Get-Widget -Full");

        Assert.Equal("", run.Err);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Gets widgets from the shelf.", run.Out, StringComparison.Ordinal);
        Assert.Contains("Get-Widget [-Name] <String> [-Colour {red | green}] [-Force] [<CommonParameters>]", run.Out, StringComparison.Ordinal);
        Assert.Contains("Example 1: Get a widget by name", run.Out, StringComparison.Ordinal);
        Assert.Contains("The widget's number.", run.Out, StringComparison.Ordinal);
    }
}
