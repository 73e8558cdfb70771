using System.Diagnostics;
using System.Text.Json;
using System.Xml.Linq;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Engine.Tests.Audit;
using K8sSecurity.Engine.Tests.Scanning;
using Microsoft.CodeAnalysis.Sarif;
using Newtonsoft.Json;
using Xunit;

namespace K8sSecurity.Engine.Tests.Reporting;

public sealed class ReportWriterTests
{
    private static readonly string Examples = Path.Combine(SharedFixtures.RepoRoot, "examples", "manifests");

    private static IReadOnlyList<ReportFinding> ExampleFindings()
    {
        var scanner = new WorkloadScanner(new ScanOptions { AllowedRegistries = new[] { "registry.example.com" } });
        return ManifestScan.ScanFiles(scanner, ManifestReader.ExpandPaths(new[] { Examples }), ex => throw ex)
            .SelectMany(r => r.ToReportFindings()).ToList();
    }

    private static ReportContext Context => new() { BaseDirectory = SharedFixtures.RepoRoot, Title = "Example <scan> & report", ToolVersion = "0.1.0" };

    [Fact]
    public void SarifReadsBackWithTheSarifSdkAndMeetsCodeScanningRequirements()
    {
        var findings = ExampleFindings();
        string text = ReportWriter.Write(ReportFormat.Sarif, findings, Context);
        var log = JsonConvert.DeserializeObject<SarifLog>(text)!;

        Assert.Equal(SarifVersion.Current, log.Version);
        Assert.Equal("https://json.schemastore.org/sarif-2.1.0.json", log.SchemaUri.ToString());
        var run = Assert.Single(log.Runs);
        Assert.Equal("K8sSecurity", run.Tool.Driver.Name);
        var rules = run.Tool.Driver.Rules;
        Assert.Equal(rules.Count, rules.Select(r => r.Id).Distinct().Count());
        Assert.All(rules, r =>
        {
            Assert.False(string.IsNullOrEmpty(r.ShortDescription?.Text));
            Assert.False(string.IsNullOrEmpty(r.Help?.Text));
            Assert.True(double.TryParse(r.GetProperty("security-severity"), System.Globalization.CultureInfo.InvariantCulture, out double score) && score is >= 0 and <= 10);
        });

        int failed = findings.Count(f => f.Status == FindingStatus.Failed);
        int skipped = findings.Count(f => f.Status == FindingStatus.Skipped);
        Assert.Equal(failed + skipped, run.Results.Count);
        Assert.Equal(skipped, run.Results.Count(r => r.Suppressions?.Count > 0));
        foreach (var result in run.Results)
        {
            Assert.Equal(result.RuleId, rules[result.RuleIndex].Id);
            var location = Assert.Single(result.Locations);
            Assert.Equal("%SRCROOT%", location.PhysicalLocation.ArtifactLocation.UriBaseId);
            Assert.False(location.PhysicalLocation.ArtifactLocation.Uri.IsAbsoluteUri);
            Assert.True(File.Exists(Path.Combine(SharedFixtures.RepoRoot, location.PhysicalLocation.ArtifactLocation.Uri.OriginalString)));
            Assert.True(location.PhysicalLocation.Region.StartLine >= 1);
            Assert.False(string.IsNullOrEmpty(result.Message.Text));
            Assert.NotEmpty(result.PartialFingerprints);
        }

        var privileged = run.Results.Single(r => r.RuleId == "PSS-BASELINE-PRIVILEGED");
        Assert.Equal(FailureLevel.Error, privileged.Level);
        Assert.Equal("examples/manifests/insecure-deployment.yaml", privileged.Locations[0].PhysicalLocation.ArtifactLocation.Uri.OriginalString);
        Assert.Equal(3, privileged.Locations[0].PhysicalLocation.Region.StartLine);
        Assert.Equal("Deployment/ci/build-runner", privileged.Locations[0].LogicalLocations[0].FullyQualifiedName);
    }

    [Fact]
    public void SarifForClusterFindingsUsesLogicalLocationsOnly()
    {
        var finding = new ReportFinding
        {
            RuleId = "BP-IMAGE-TAG", Title = "Image without tag", Category = "BestPractice", Message = "m",
            ResourceKind = "Deployment", Namespace = "shop", ResourceName = "web", Severity = FindingSeverity.Medium,
        };
        var log = JsonConvert.DeserializeObject<SarifLog>(ReportWriter.Write(ReportFormat.Sarif, new[] { finding }, new ReportContext()))!;
        var location = Assert.Single(Assert.Single(log.Runs[0].Results).Locations);
        Assert.Null(location.PhysicalLocation);
        Assert.Equal("Deployment/shop/web", location.LogicalLocations[0].FullyQualifiedName);
    }

    [Fact]
    public void JUnitHasOneSuitePerResourceWithFailuresAndSkips()
    {
        var findings = ExampleFindings();
        var xml = XDocument.Parse(ReportWriter.Write(ReportFormat.JUnit, findings, Context));

        var root = xml.Root!;
        Assert.Equal("testsuites", root.Name.LocalName);
        Assert.Equal(findings.Count, (int)root.Attribute("tests")!);
        Assert.Equal(findings.Count(f => f.Status == FindingStatus.Failed), (int)root.Attribute("failures")!);
        Assert.Equal(findings.Count(f => f.Status == FindingStatus.Skipped), (int)root.Attribute("skipped")!);
        var suites = root.Elements("testsuite").ToList();
        Assert.Equal(5, suites.Count);
        var runner = suites.Single(s => (string?)s.Attribute("name") == "Deployment/ci/build-runner");
        Assert.EndsWith("insecure-deployment.yaml", (string)runner.Attribute("file")!, StringComparison.Ordinal);
        var privileged = runner.Elements("testcase").Single(t => ((string)t.Attribute("name")!).StartsWith("PSS-BASELINE-PRIVILEGED", StringComparison.Ordinal));
        Assert.Equal("Critical", (string)privileged.Element("failure")!.Attribute("type")!);
        Assert.Equal("Deployment.ci.build-runner", (string)privileged.Attribute("classname")!);
        var exporter = suites.Single(s => ((string)s.Attribute("name")!).Contains("node-exporter", StringComparison.Ordinal));
        Assert.Contains(exporter.Descendants("skipped"), s => ((string)s.Attribute("message")!).Contains("SEC-118", StringComparison.Ordinal));
    }

    [Fact]
    public void JsonCarriesSummaryAndEveryFinding()
    {
        var findings = ExampleFindings();
        using var json = JsonDocument.Parse(ReportWriter.Write(ReportFormat.Json, findings, Context));
        var root = json.RootElement;
        Assert.Equal(5, root.GetProperty("summary").GetProperty("resources").GetInt32());
        Assert.Equal(findings.Count, root.GetProperty("findings").GetArrayLength());
        Assert.Equal(findings.Count(f => f.Status == FindingStatus.Failed), root.GetProperty("summary").GetProperty("failed").GetInt32());
        var first = root.GetProperty("findings")[0];
        Assert.Equal(JsonValueKind.String, first.GetProperty("severity").ValueKind);
        Assert.False(string.IsNullOrEmpty(first.GetProperty("ruleId").GetString()));
    }

    [Fact]
    public void MarkdownEscapesTableBreakingText()
    {
        var finding = new ReportFinding
        {
            RuleId = "X-1", Title = "a|b", Category = "c", Message = "line1\nline2 | <b>x</b>", Severity = FindingSeverity.High,
            ResourceKind = "Pod", ResourceName = "p", SourceFile = Path.Combine(SharedFixtures.RepoRoot, "k.yaml"), Line = 7,
        };
        string md = ReportWriter.Write(ReportFormat.Markdown, new[] { finding }, Context);
        Assert.Contains("# Example &lt;scan&gt; & report", md, StringComparison.Ordinal);
        Assert.Contains("| High | `Pod/p` | X-1 — a\\|b | line1<br>line2 \\| &lt;b&gt;x&lt;/b&gt; | k.yaml:7 |", md, StringComparison.Ordinal);
        Assert.Contains("❌ **1 failed check(s)** in 1 of 1 resource(s)", md, StringComparison.Ordinal);
    }

    [Fact]
    public void HtmlIsSelfContainedAndEncodesEverything()
    {
        var finding = new ReportFinding
        {
            RuleId = "X-1", Title = "t", Category = "c", Message = "<script>alert(1)</script>", Severity = FindingSeverity.Low,
            ResourceKind = "Pod", ResourceName = "<img src=x>",
        };
        string html = ReportWriter.Write(ReportFormat.Html, new[] { finding }, Context);
        Assert.DoesNotContain("<script>alert", html, StringComparison.Ordinal);
        Assert.Contains("\\u003cscript\\u003ealert(1)\\u003c/script\\u003e", html, StringComparison.Ordinal); // in the embedded data
        Assert.DoesNotContain("<img", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<link", html, StringComparison.Ordinal);
        Assert.DoesNotMatch("<[a-zA-Z]+[^>]*\\s(src|href)=\"?(https?:)?//", html); // nothing is fetched
        Assert.Contains("default-src 'none'", html, StringComparison.Ordinal);
        Assert.Contains("Example &lt;scan&gt; &amp; report", html, StringComparison.Ordinal);
    }

    [ChromiumFact]
    public async Task HtmlFilterScriptRunsInAHeadlessBrowser()
    {
        string chromium = HeadlessChromium.Executable;
        var findings = ExampleFindings();
        string file = Path.Combine(Path.GetTempPath(), $"k8ssec-report-{Guid.NewGuid():N}.html");
        await File.WriteAllTextAsync(file, ReportWriter.Write(ReportFormat.Html, findings, Context));
        try
        {
            var start = new ProcessStartInfo(chromium)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (string arg in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", new Uri(file).AbsoluteUri })
            {
                start.ArgumentList.Add(arg);
            }

            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            string dom = await process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            await process.WaitForExitAsync(timeout.Token);
            await stderr;

            // The inline script ran: it preselects Failed and counts the visible rows.
            int failed = findings.Count(f => f.Status == FindingStatus.Failed);
            Assert.Contains($"<span id=\"count\">{failed} of {findings.Count} findings</span>", dom, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
