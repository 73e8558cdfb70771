using System.Management.Automation.Language;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

/// <summary>
/// The example and deploy scripts parse and call only cmdlets the module exports. The suites themselves run under
/// real Pester against the API test server in tests/Pester/ExampleSuites.Tests.ps1.
/// </summary>
public sealed class AuditExamplesTests : IDisposable
{
    private readonly PsSession session = new();

    [Theory]
    [InlineData("examples/compliance/ClusterBaseline.Tests.ps1")]
    [InlineData("examples/runbooks/Invoke-NightlyClusterAudit.ps1")]
    [InlineData("deploy/run-audit.ps1")]
    public void ScriptsParse(string relativePath)
    {
        string path = Path.Combine(TestPaths.RepoRoot, relativePath);
        Parser.ParseFile(path, out _, out var errors);
        Assert.Empty(errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"));

        // Every K8sSecurity cmdlet the script calls exists in the module.
        string text = File.ReadAllText(path);
        var exported = session.Invoke("(Get-Module K8sSecurity).ExportedCmdlets.Keys").AssertNoErrors().Output.Select(o => o.ToString()).ToHashSet();
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(text, @"\b[A-Z][a-z]+-K8s[A-Za-z]+\b"))
        {
            Assert.Contains(match.Value, exported);
        }
    }

    public void Dispose() => session.Dispose();
}
