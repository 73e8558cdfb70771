using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Reporting;

public sealed class ExportK8sSecurityReportTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    private static string Examples => Path.Combine(TestPaths.RepoRoot, "examples", "manifests");

    [Theory]
    [InlineData("report.sarif", "Sarif", "\"version\": \"2.1.0\"")]
    [InlineData("junit.xml", "JUnit", "<testsuites")]
    [InlineData("report.json", "Json", "\"summary\"")]
    [InlineData("summary.md", "Markdown", "## Failed checks")]
    [InlineData("report.html", "Html", "<!DOCTYPE html>")]
    public void WritesEveryFormatFromScanResultsWithTheFormatFromTheExtension(string file, string format, string marker)
    {
        string path = Path.Combine(directory, file);
        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] | Export-K8sSecurityReport -Path $args[1]", Examples, path).AssertNoErrors();

        var report = Assert.Single(result.Output);
        Assert.Equal(format, report.Properties["Format"].Value.ToString());
        Assert.Equal(path, report.Properties["Path"].Value);
        Assert.Equal(5, report.Properties["ResourceCount"].Value);
        Assert.True((int)report.Properties["FailedCount"].Value > 0);
        Assert.Contains(marker, File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(directory, ".*.tmp")); // atomic write left no temporary file
    }

    [Fact]
    public void RefusesToOverwriteWithoutForceAndChangesNothing()
    {
        string path = Path.Combine(directory, "report.sarif");
        File.WriteAllText(path, "previous");
        var refused = session.Invoke("Test-K8sPodSecurity -Path $args[0] | Export-K8sSecurityReport -Path $args[1]", Examples, path);

        Assert.NotNull(refused.TerminatingError);
        Assert.StartsWith("K8sFileSystem,", refused.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(path, refused.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Equal("previous", File.ReadAllText(path));

        session.Invoke("Test-K8sPodSecurity -Path $args[0] | Export-K8sSecurityReport -Path $args[1] -Force", Examples, path).AssertNoErrors();
        Assert.StartsWith("{", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void WhatIfWritesNothing()
    {
        string path = Path.Combine(directory, "report.html");
        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] | Export-K8sSecurityReport -Path $args[1] -WhatIf", Examples, path).AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.False(File.Exists(path));
        Assert.Contains("What if", session.Host.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void PassThruChainsSeveralExportsAndDetailedRowsAreReportable()
    {
        string sarif = Path.Combine(directory, "a.sarif");
        string markdown = Path.Combine(directory, "b.md");
        var result = session.Invoke(
            "Test-K8sPodSecurity -Path $args[0] -Detailed | Export-K8sSecurityReport -Path $args[1] -PassThru | Export-K8sSecurityReport -Path $args[2] -Format Markdown",
            Path.Combine(Examples, "insecure-deployment.yaml"), sarif, markdown).AssertNoErrors();

        var report = Assert.Single(result.Output);
        Assert.Equal("Markdown", report.Properties["Format"].Value.ToString());
        Assert.Contains("PSS-BASELINE-PRIVILEGED", File.ReadAllText(sarif), StringComparison.Ordinal);
        Assert.Contains("build-runner", File.ReadAllText(markdown), StringComparison.Ordinal);
    }

    [Fact]
    public void NonReportableInputIsANonTerminatingErrorAndTheRestIsWritten()
    {
        string path = Path.Combine(directory, "r.json");
        var result = session.Invoke(
            "@('just text') + @(Test-K8sPodSecurity -Path $args[0]) | Export-K8sSecurityReport -Path $args[1]",
            Path.Combine(Examples, "debug-pod.yaml"), path);

        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(1, Assert.Single(result.Output).Properties["ResourceCount"].Value);
        Assert.Contains("netshoot", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownExtensionWithoutFormatIsRejectedBeforeReading()
    {
        string path = Path.Combine(directory, "report.txt");
        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] | Export-K8sSecurityReport -Path $args[1]", Examples, path);
        Assert.StartsWith("K8sInvalidArgument,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("report.txt", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void EmptyInputWritesAnEmptyReport()
    {
        string path = Path.Combine(directory, "empty.xml");
        var result = session.Invoke("@() | Export-K8sSecurityReport -Path $args[0] -Format JUnit", path).AssertNoErrors();
        Assert.Equal(0, Assert.Single(result.Output).Properties["FailedCount"].Value);
        Assert.Contains("tests=\"0\"", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultViewShowsCountsAndPath()
    {
        string path = Path.Combine(directory, "view.json");
        string text = session.Render("Test-K8sPodSecurity -Path $args[0] | Export-K8sSecurityReport -Path $args[1]", Examples, path);
        Assert.Contains("Format", text, StringComparison.Ordinal);
        Assert.Contains("Failed", text, StringComparison.Ordinal);
        Assert.Contains("view.json", text, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
