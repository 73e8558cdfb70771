using System.Text.Json.Nodes;
using K8sSecurity.Engine.Tests.Audit;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

/// <summary>Export-K8sSecurityReport turns audit output into the audit HTML report and the audit JSON results.</summary>
public sealed class AuditReportExportTests : IClassFixture<AuditServer>, IDisposable
{
    private readonly AuditServer fixture;
    private readonly PsSession session = new();

    public AuditReportExportTests(AuditServer fixture) => this.fixture = fixture;

    [ChromiumFact]
    public async Task HtmlExportOfAnAuditIsTheAuditReportAndRendersInChromium()
    {
        string dir = TestPaths.NewTempDirectory();
        string html = Path.Combine(dir, "audit.html");
        var result = session.Invoke(
            "Invoke-K8sSecurityAudit -Kubeconfig $args[0] | Export-K8sSecurityReport -Format Html -Path $args[1] -Title 'Nightly audit' | ForEach-Object { $_.Path }",
            fixture.Kubeconfig, html).AssertNoErrors();
        Assert.Equal(html, Assert.Single(result.Output).ToString());
        string text = File.ReadAllText(html);
        Assert.Contains("<title>Nightly audit</title>", text, StringComparison.Ordinal);
        Assert.Contains("id=\"heatmap\"", text, StringComparison.Ordinal);
        Assert.Contains("class=\"gauge\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("CANARY", text, StringComparison.Ordinal);

        await using var browser = await HeadlessChromium.OpenAsync(html);
        Assert.Empty(browser.Errors);
        Assert.Equal(new[] { new Uri(html).AbsoluteUri }, browser.Requests);
        int rows = (await browser.EvaluateAsync("document.querySelectorAll('#findings tbody tr').length"))!.GetValue<int>();
        Assert.Equal(fixture.Cluster.Planted.Count + 1, rows);
    }

    [Fact]
    public void JsonExportOfAnAuditIsReadByCompare()
    {
        string dir = TestPaths.NewTempDirectory();
        string json = Path.Combine(dir, "audit.json");
        session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Namespaces | Export-K8sSecurityReport -Format Json -Path $args[1] | Out-Null", fixture.Kubeconfig, json)
            .AssertNoErrors();
        Assert.Equal("k8ssecurity.audit/v1", JsonNode.Parse(File.ReadAllText(json))!["schema"]!.GetValue<string>());
        var unchanged = session.Invoke("Compare-K8sSecurityAudit -Reference $args[0] -Difference $args[0] | Where-Object Status -eq 'Unchanged'", json).AssertNoErrors();
        Assert.Equal(fixture.Cluster.FlawedNamespaces.Count, unchanged.Output.Count);
    }

    [Fact]
    public void OtherFormatsUseTheGenericWriters()
    {
        string dir = TestPaths.NewTempDirectory();
        string sarif = Path.Combine(dir, "audit.sarif");
        session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Namespaces | Export-K8sSecurityReport -Path $args[1] | Out-Null", fixture.Kubeconfig, sarif).AssertNoErrors();
        var results = JsonNode.Parse(File.ReadAllText(sarif))!["runs"]![0]!["results"]!.AsArray();
        Assert.Equal(fixture.Cluster.FlawedNamespaces.Count, results.Count);
        Assert.Contains(results, r => r!["ruleId"]!.GetValue<string>() == "NS-NO-QUOTA");
    }

    public void Dispose() => session.Dispose();
}
