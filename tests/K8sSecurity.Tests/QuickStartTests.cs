using System.Diagnostics;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests;

/// <summary>The README's first quick-start command works: the minimal shell runs examples/quickstart.ps1 offline.</summary>
public sealed class QuickStartTests
{
    [Fact]
    public async Task QuickStartScansTheExamplesAndIssuesACertificateAndKubeconfig()
    {
        string shell = TestPaths.ShellDll;
        string work = TestPaths.NewTempDirectory();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { shell, "-File", Path.Combine(TestPaths.RepoRoot, "examples", "quickstart.ps1"), work })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = await process.StandardOutput.ReadToEndAsync();
        string stderr = await stderrTask;
        await process.WaitForExitAsync();

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{stdout}\n{stderr}");
        Assert.Matches(@"False\s+Deployment\s+ci\s+build-runner\s+Restricted v1\.36", stdout);
        Assert.Matches(@"True\s+Deployment\s+shop\s+storefront", stdout);
        Assert.Contains("PSS-BASELINE-PRIVILEGED", stdout);
        Assert.Matches(@"sammy\s+developers\s+Issued", stdout);
        Assert.Matches(@"ExpiringSoon\s+sammy", stdout);
        foreach (string file in new[] { "scan.sarif", "scan.html", "sammy.key", "sammy.crt", "sammy.kubeconfig" })
        {
            Assert.True(File.Exists(Path.Combine(work, file)), $"{file} was not written");
        }

        // The private key never reaches the console.
        string keyBody = File.ReadAllLines(Path.Combine(work, "sammy.key"))[1];
        Assert.DoesNotContain(keyBody, stdout + stderr);
    }
}
