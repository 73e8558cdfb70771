using System.Text.Json.Nodes;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Diagnostics;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

/// <summary>The HTML audit report, rendered from a real audit of the flawed cluster and opened in headless Chromium.</summary>
public sealed class AuditHtmlReportTests : IClassFixture<FlawedClusterServer>
{
    private readonly FlawedClusterServer fixture;

    public AuditHtmlReportTests(FlawedClusterServer fixture) => this.fixture = fixture;

    [ChromiumFact]
    public async Task ReportRendersWithoutErrorsSortsFiltersAndFetchesNothing()
    {
        var report = await AuditAsync();
        string dir = NewDirectory();
        string file = Path.Combine(dir, "audit.html");
        await File.WriteAllTextAsync(file, AuditHtmlRenderer.Render(report));

        await using var browser = await HeadlessChromium.OpenAsync(file);
        Assert.Empty(browser.Errors);

        // Self-contained: the only request is the file itself.
        Assert.Equal(new[] { new Uri(file).AbsoluteUri }, browser.Requests);

        // Every finding is a row; the charts and the heat map are there.
        Assert.Equal(report.Findings.Count, (await browser.EvaluateAsync("document.querySelectorAll('#findings tbody tr').length"))!.GetValue<int>());
        Assert.Equal(1, (await browser.EvaluateAsync("document.querySelectorAll('#score svg.gauge').length"))!.GetValue<int>());
        Assert.Equal(5, (await browser.EvaluateAsync("document.querySelectorAll('#by-severity svg rect').length"))!.GetValue<int>());
        int heatRows = (await browser.EvaluateAsync("document.querySelectorAll('#heatmap tbody tr').length"))!.GetValue<int>();
        Assert.Equal(report.Findings.Select(f => f.Namespace ?? "(cluster-scoped)").Distinct().Count(), heatRows);

        // Filter by severity through the real control.
        int critical = report.Findings.Count(f => f.Severity == K8sSecurity.Engine.Reporting.FindingSeverity.Critical);
        var visible = await browser.EvaluateAsync("""
            (function () {
              var s = document.getElementById('filter-severity'); s.value = 'Critical'; s.dispatchEvent(new Event('change'));
              return Array.prototype.filter.call(document.querySelectorAll('#findings tbody tr'), function (r) { return !r.hidden; }).length;
            }())
            """);
        Assert.Equal(critical, visible!.GetValue<int>());
        Assert.Equal(critical.ToString(System.Globalization.CultureInfo.InvariantCulture), (await browser.EvaluateAsync("document.getElementById('shown-count').textContent"))!.GetValue<string>());

        // Text filter on top: a namespace name.
        var teamRows = await browser.EvaluateAsync("""
            (function () {
              var s = document.getElementById('filter-severity'); s.value = ''; s.dispatchEvent(new Event('change'));
              var t = document.getElementById('filter-text'); t.value = 'team-07'; t.dispatchEvent(new Event('input'));
              return Array.prototype.filter.call(document.querySelectorAll('#findings tbody tr'), function (r) { return !r.hidden; }).length;
            }())
            """);
        Assert.Equal(report.Findings.Count(f => f.Namespace == "team-07" || f.Resource.Contains("team-07", StringComparison.Ordinal) || f.Message.Contains("team-07", StringComparison.Ordinal)), teamRows!.GetValue<int>());

        // Sort by clicking headers: Namespace ascending, then Severity ascending (Info/Low first).
        var namespaces = await browser.EvaluateAsync("""
            (function () {
              var t = document.getElementById('filter-text'); t.value = ''; t.dispatchEvent(new Event('input'));
              document.querySelectorAll('#findings thead th')[4].click();
              return Array.prototype.map.call(document.querySelectorAll('#findings tbody tr'), function (r) { return r.cells[4].textContent; });
            }())
            """);
        var sortedNamespaces = namespaces!.AsArray().Select(n => n!.GetValue<string>()).ToList();
        Assert.Equal(sortedNamespaces.Order(StringComparer.OrdinalIgnoreCase).ToList(), sortedNamespaces);
        var severities = await browser.EvaluateAsync("""
            (function () {
              document.querySelectorAll('#findings thead th')[0].click();
              return Array.prototype.map.call(document.querySelectorAll('#findings tbody tr'), function (r) { return Number(r.getAttribute('data-rank')); });
            }())
            """);
        var ranks = severities!.AsArray().Select(n => n!.GetValue<int>()).ToList();
        Assert.Equal(ranks.Order().ToList(), ranks);
        Assert.Equal("ascending", (await browser.EvaluateAsync("document.querySelectorAll('#findings thead th')[0].getAttribute('aria-sort')"))!.GetValue<string>());
        Assert.Empty(browser.Errors);
    }

    [ChromiumFact]
    public async Task ScreenshotIsAPngWithContent()
    {
        var report = await AuditAsync();
        string dir = NewDirectory();
        string file = Path.Combine(dir, "audit.html");
        await File.WriteAllTextAsync(file, AuditHtmlRenderer.Render(report));

        string png = await HeadlessChromium.ScreenshotAsync(file, Path.Combine(dir, "audit.png"));
        byte[] bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 20_000, $"screenshot is only {bytes.Length} bytes");
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);

        // Width and height from the IHDR chunk: the requested window.
        int width = (bytes[16] << 24) | (bytes[17] << 16) | (bytes[18] << 8) | bytes[19];
        Assert.Equal(1400, width);
        string keep = Path.Combine(Path.GetTempPath(), "k8ssec-audit-report.png");
        File.Copy(png, keep, overwrite: true);
    }

    [Fact]
    public void UntrustedTextIsEscaped()
    {
        var finding = new AuditFinding
        {
            Id = "X-TEST",
            Category = AuditCategory.Rbac,
            Severity = K8sSecurity.Engine.Reporting.FindingSeverity.High,
            Title = "t",
            Resource = "RoleBinding/<script>alert(1)</script>",
            ResourceKind = "RoleBinding",
            ResourceName = "<script>alert(1)</script>",
            Namespace = "ns\"><img src=x onerror=alert(2)>",
            Message = "m & <b>",
        };
        string html = AuditHtmlRenderer.Render(new AuditReport { Findings = new[] { finding } });
        Assert.DoesNotContain("<script>alert(1)", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<img src=x", html, StringComparison.Ordinal);
        Assert.Contains("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e", html, StringComparison.Ordinal); // in the embedded data
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task UntrustedTextIsDrawnAsText()
    {
        var finding = new AuditFinding
        {
            Id = "X-TEST",
            Category = AuditCategory.Rbac,
            Severity = K8sSecurity.Engine.Reporting.FindingSeverity.High,
            Title = "t",
            Resource = "RoleBinding/</script><img src=x onerror=alert(1)>",
            ResourceKind = "RoleBinding",
            ResourceName = "</script><img src=x onerror=alert(1)>",
            Namespace = "ns\"><b>bold</b>",
            Message = "RoleBinding 'x': m & <b>bold</b> <!-- \u2028",
            Remediation = "<i>r</i>",
            Evidence = new Dictionary<string, string> { ["subject"] = "<svg onload=alert(3)>" },
            Source = "dump.json:<1>",
        };
        string file = Path.Combine(NewDirectory(), "hostile.html");
        await File.WriteAllTextAsync(file, AuditHtmlRenderer.Render(new AuditReport { Findings = new[] { finding } }));
        await using var browser = await HeadlessChromium.OpenAsync(file);
        Assert.Empty(browser.Errors);
        var cells = (await browser.EvaluateAsync("Array.prototype.map.call(document.querySelectorAll('#findings tbody td'), function (c) { return c.textContent; })"))!
            .AsArray().Select(c => c!.GetValue<string>()).ToList();
        Assert.Equal(
            new[] { "High", "Rbac", "X-TEST", string.Empty, finding.Namespace, finding.Resource + finding.Source, finding.Message + "subject: <svg onload=alert(3)>", finding.Remediation },
            cells);
        Assert.Equal(0, (await browser.EvaluateAsync("document.querySelectorAll('#findings img, #findings b, #findings i, #findings svg').length"))!.GetValue<int>());
    }

    private async Task<AuditReport> AuditAsync()
    {
        using var cluster = fixture.Connect();
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions { PodSecurityLevel = PodSecurityAuditLevel.Restricted }, EngineLog.None, CancellationToken.None);
        return new AuditReport { Summaries = new[] { result.Summary }, Findings = result.Findings };
    }

    private static string NewDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
