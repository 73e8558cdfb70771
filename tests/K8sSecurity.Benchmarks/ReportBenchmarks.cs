using System.Globalization;
using System.Text;
using BenchmarkDotNet.Attributes;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Benchmarks;

/// <summary>
/// Writing the self-contained HTML reports of a scan (every result, passed ones included, as Export-K8sSecurityReport
/// writes them from Test-K8sPodSecurity) and of an offline audit, for 1,000 and 2,000 of the scanning benchmark's
/// generated workloads. Target: ≤ 1 MB per 1,000 workloads. The sizes are printed before the runs ("// HTML …" lines).
/// Run: dotnet run -c Release --project tests/K8sSecurity.Benchmarks -- --filter '*ReportBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class ReportBenchmarks
{
    private const int WorkloadsPerFile = 100;

    private string directory = string.Empty;
    private List<ReportFinding> scanFindings = new();
    private AuditReport audit = null!;

    [Params(1000, 2000)]
    public int Workloads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        directory = Path.Combine(Path.GetTempPath(), "k8ssec-report-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var random = new Random(42);
        for (int f = 0; f * WorkloadsPerFile < Workloads; f++)
        {
            var text = new StringBuilder();
            for (int w = 0; w < WorkloadsPerFile; w++)
            {
                text.Append(ScanningBenchmarks.Workload((f * WorkloadsPerFile) + w, random)).Append("---\n");
            }

            File.WriteAllText(Path.Combine(directory, $"workloads-{f:D3}.yaml"), text.ToString());
        }

        // What Test-K8sPodSecurity gives by default (Restricted, every check) and what Invoke-K8sSecurityAudit -Path gives.
        var files = ManifestReader.ExpandPaths(new[] { directory }).ToList();
        var scanner = new WorkloadScanner(new ScanOptions { Level = PodSecurityLevel.Restricted, Profile = ScanProfile.All });
        scanFindings = ManifestScan.ScanFiles(scanner, files, ex => throw ex).SelectMany(r => r.ToReportFindings()).ToList();
        var result = new SecurityAuditor().AuditOfflineAsync(files, new AuditOptions { PodSecurityLevel = PodSecurityAuditLevel.Restricted }, null, EngineLog.None, CancellationToken.None)
            .GetAwaiter().GetResult();
        audit = new AuditReport { Summaries = new[] { result.Summary }, Findings = result.Findings };

        Print("scan report", scanFindings.Count, ScanHtml());
        Print("audit report", audit.Findings.Count, AuditHtml());
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(directory, recursive: true);

    [Benchmark(Description = "Scan results → HTML")]
    public int ScanHtml() => Encoding.UTF8.GetByteCount(ReportWriter.Write(ReportFormat.Html, scanFindings, new ReportContext { BaseDirectory = directory }));

    [Benchmark(Description = "Offline audit → HTML")]
    public int AuditHtml() => Encoding.UTF8.GetByteCount(AuditHtmlRenderer.Render(audit));

    private void Print(string what, int results, int bytes) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"// HTML {what}: {Workloads} workloads, {results} results, {bytes:N0} bytes = {bytes * 1000.0 / Workloads / 1_000_000:F2} MB per 1,000 workloads"));
}
