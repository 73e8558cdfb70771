using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Engine.Tests.Audit;
using Xunit;

namespace K8sSecurity.Engine.Tests.Reporting;

/// <summary>
/// The HTML report at scale: a real scan of generated workloads, written and opened in headless Chromium. The table the
/// page draws from its embedded data must hold exactly the input's results, texts as text, and the file must stay
/// within 1 MB per 1,000 workloads.
/// </summary>
public sealed class HtmlReportTests
{
    private static readonly string[] SeverityNames = { "Info", "Low", "Medium", "High", "Critical" };

    [Fact]
    public void AThousandWorkloadsFitInOneMegabyte()
    {
        string dir = GenerateWorkloads(1000);
        var findings = Scan(dir);
        Assert.True(findings.Count >= 20_000, $"only {findings.Count} results: the generated workloads should trip most checks");

        string html = ReportWriter.Write(ReportFormat.Html, findings, new ReportContext { BaseDirectory = dir });
        int bytes = Encoding.UTF8.GetByteCount(html);
        Assert.True(bytes <= 1_000_000, $"the report of 1,000 workloads ({findings.Count} results) is {bytes:N0} bytes");
    }

    [Fact]
    public void DataCannotCloseTheScriptElementOrStartMarkup()
    {
        var finding = Hostile();
        string html = ReportWriter.Write(ReportFormat.Html, new[] { finding }, new ReportContext());
        int data = html.IndexOf("<script type=\"application/json\" id=\"report-data\">", StringComparison.Ordinal);
        int end = html.IndexOf("</script>", data, StringComparison.Ordinal);
        string json = html[(data + "<script type=\"application/json\" id=\"report-data\">".Length)..end];

        Assert.DoesNotContain('<', json);
        Assert.DoesNotContain('>', json);
        Assert.DoesNotContain('&', json);
        var strings = JsonNode.Parse(json)!["strings"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
        Assert.All(finding.Message.Split('"'), part => Assert.Contains(part, strings)); // messages are kept as their parts between quotes
        Assert.Contains(finding.Remediation!, strings);
    }

    [ChromiumFact]
    public async Task TheDrawnTableHoldsEveryResultOfTheScanAsText()
    {
        string dir = GenerateWorkloads(120);
        var findings = Scan(dir).Append(Hostile()).Append(new ReportFinding
        {
            RuleId = "BP-IMAGE-TAG", Title = "Image tag", Category = "BestPractice", Status = FindingStatus.Skipped, Severity = FindingSeverity.Medium,
            ResourceKind = "Deployment", Namespace = "team-00", ResourceName = "exempt", Message = "not evaluated", SkipReason = "excluded by annotation: pinned by digest upstream",
            SourceFile = Path.Combine(dir, "exempt.yaml"), Line = 3,
        }).ToList();
        string file = Path.Combine(dir, "report.html");
        await File.WriteAllTextAsync(file, ReportWriter.Write(ReportFormat.Html, findings, new ReportContext { BaseDirectory = dir, Title = "Scan <of> generated & hostile" }));

        await using var browser = await HeadlessChromium.OpenAsync(file);
        Assert.Empty(browser.Errors);
        Assert.Equal(new[] { new Uri(file).AbsoluteUri }, browser.Requests);

        // Opens on the failed results, one page drawn.
        int failed = findings.Count(f => f.Status == FindingStatus.Failed);
        Assert.Equal($"{failed} of {findings.Count} findings", await TextAsync(browser, "document.getElementById('count').textContent"));
        Assert.Equal(Math.Min(failed, HtmlReportWriter.PageSize), await IntAsync(browser, "document.querySelectorAll('#findings tbody tr').length"));

        // All statuses, every page: the rows are exactly the results (as a multiset), hostile text shown as text.
        var rows = (await browser.EvaluateAsync("""
            (function () {
              var s = document.getElementById('status'); s.value = ''; s.dispatchEvent(new Event('change'));
              var more = document.getElementById('more');
              while (!more.hidden) { more.click(); }
              return Array.prototype.map.call(document.querySelectorAll('#findings tbody tr'), function (r) {
                return Array.prototype.map.call(r.cells, function (c) { return c.textContent; }).join('\u0001');
              });
            }())
            """))!.AsArray().Select(r => r!.GetValue<string>()).ToList();
        var expected = findings.Select(f => Row(f, dir)).ToList();
        Assert.Equal(expected.Order(StringComparer.Ordinal), rows.Order(StringComparer.Ordinal));
        Assert.Equal(0, await IntAsync(browser, "document.querySelectorAll('#findings img, #findings script, #findings b').length"));

        // Non-passed results come first, most severe first.
        var statuses = rows.Select(r => r.Split('\u0001')[0]).ToList();
        Assert.True(statuses.FindLastIndex(s => s != "Passed") < statuses.IndexOf("Passed"));
        var failedSeverities = rows.Where(r => r.StartsWith("Failed", StringComparison.Ordinal)).Select(r => Array.IndexOf(SeverityNames, r.Split('\u0001')[1])).ToList();
        Assert.Equal(failedSeverities.OrderDescending(), failedSeverities);

        // The filters: text (a resource), minimum severity, status.
        const string resource = "app-0042";
        int byText = findings.Count(f => ReportWriter.Resource(f).Contains(resource, StringComparison.Ordinal));
        Assert.Equal($"{byText} of {findings.Count} findings", await TextAsync(browser, $$"""
            (function () { var q = document.getElementById('q'); q.value = '{{resource}}'; q.dispatchEvent(new Event('input')); return document.getElementById('count').textContent; }())
            """));
        int highFailed = findings.Count(f => f.Status == FindingStatus.Failed && f.Severity >= FindingSeverity.High);
        Assert.Equal($"{highFailed} of {findings.Count} findings", await TextAsync(browser, """
            (function () {
              var q = document.getElementById('q'); q.value = ''; q.dispatchEvent(new Event('input'));
              var s = document.getElementById('status'); s.value = 'Failed'; s.dispatchEvent(new Event('change'));
              var v = document.getElementById('severity'); v.value = '3'; v.dispatchEvent(new Event('change'));
              return document.getElementById('count').textContent;
            }())
            """));
        Assert.Equal("1 of " + findings.Count + " findings", await TextAsync(browser, """
            (function () {
              var v = document.getElementById('severity'); v.value = '0'; v.dispatchEvent(new Event('change'));
              var s = document.getElementById('status'); s.value = 'Skipped'; s.dispatchEvent(new Event('change'));
              return document.getElementById('count').textContent;
            }())
            """));
        Assert.Empty(browser.Errors);

        string png = await HeadlessChromium.ScreenshotAsync(file, Path.Combine(dir, "report.png"));
        byte[] bytes = await File.ReadAllBytesAsync(png);
        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, bytes[..4]);
        Assert.True(bytes.Length > 20_000, $"screenshot is only {bytes.Length} bytes");
    }

    /// <summary>The row's cell texts as the input says they are (the page's cells joined by \u0001).</summary>
    private static string Row(ReportFinding f, string dir)
    {
        string resource = $"{f.ResourceKind}/{(string.IsNullOrEmpty(f.Namespace) ? string.Empty : f.Namespace + "/")}{f.ResourceName}";
        string message = f.Status == FindingStatus.Skipped ? f.SkipReason! : f.Message;
        if (f.Status == FindingStatus.Failed && f.Remediation is not null)
        {
            message += "Remediation" + f.Remediation;
        }

        string location = f.SourceFile is null
            ? "cluster"
            : Path.GetRelativePath(dir, f.SourceFile).Replace(Path.DirectorySeparatorChar, '/') + (f.Line is { } line ? ":" + line.ToString(CultureInfo.InvariantCulture) : string.Empty);
        return string.Join('\u0001', f.Status.ToString(), SeverityNames[(int)f.Severity], resource, f.RuleId + f.Title, message, location);
    }

    private static ReportFinding Hostile() => new()
    {
        RuleId = "X-<i>1</i>", Title = "</script><script>alert('title')</script>", Category = "c", Severity = FindingSeverity.Critical,
        Message = "</script><img src=x onerror=alert(1)> & \"quoted\" \u2028 line <!-- comment", Remediation = "<b>bold</b> &amp; done",
        ResourceKind = "Pod", Namespace = "ns", ResourceName = "<img src=y>",
    };

    private static List<ReportFinding> Scan(string dir)
    {
        var scanner = new WorkloadScanner(new ScanOptions());
        return ManifestScan.ScanFiles(scanner, ManifestReader.ExpandPaths(new[] { dir }), ex => throw ex)
            .SelectMany(r => r.ToReportFindings()).ToList();
    }

    /// <summary>Deployments as teams write them: two containers, a mix of settings that pass and fail checks, 50 to a file.</summary>
    private static string GenerateWorkloads(int count)
    {
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-html-report", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var text = new StringBuilder();
        for (int n = 0; n < count; n++)
        {
            text.Append(CultureInfo.InvariantCulture, $"""
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: app-{n:00000}
                  namespace: team-{n % 40:00}
                spec:
                  replicas: 2
                  selector:
                    matchLabels:
                      app: app-{n:00000}
                  template:
                    metadata:
                      labels:
                        app: app-{n:00000}
                    spec:
                      containers:
                      - name: main
                        image: registry.example.com/team/app-{n:00000}:1.{n % 9}.0
                        securityContext:
                          privileged: {(n % 7 == 0 ? "true" : "false")}
                          allowPrivilegeEscalation: {(n % 3 == 0 ? "true" : "false")}
                          runAsNonRoot: {(n % 2 == 0 ? "true" : "false")}
                        resources:
                          limits:
                            cpu: 500m
                            memory: 256Mi
                      - name: sidecar
                        image: envoyproxy/envoy:v1.30.{n % 5}

                """);
            if (n % 50 == 49 || n == count - 1)
            {
                File.WriteAllText(Path.Combine(dir, $"team-{n / 50:000}.yaml"), text.ToString());
                text.Clear();
            }
        }

        return dir;
    }

    private static async Task<string> TextAsync(HeadlessChromium browser, string expression) => (await browser.EvaluateAsync(expression))!.GetValue<string>();

    private static async Task<int> IntAsync(HeadlessChromium browser, string expression) => (await browser.EvaluateAsync(expression))!.GetValue<int>();
}
