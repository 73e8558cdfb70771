using System.Diagnostics;
using System.Globalization;
using System.Text;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Diagnostics;

namespace K8sSecurity.Benchmarks;

/// <summary>
/// Peak memory of an offline audit (Invoke-K8sSecurityAudit -Path) over generated manifest dumps. Each size runs in a
/// child process of its own, so one run's heap cannot hide another's: the child audits and reports its peak resident
/// set (VmHWM on Linux, the peak working set elsewhere); the parent prints one row per size. Not BenchmarkDotNet: a
/// peak is a property of the whole process, which BenchmarkDotNet's in-process allocation counters do not measure.
/// Run: dotnet run -c Release --project tests/K8sSecurity.Benchmarks -- audit-memory 50000 500000
/// </summary>
internal static class AuditMemory
{
    public const string Mode = "audit-memory";
    private const string ChildMode = "audit-memory-child";
    private const int WorkloadsPerFile = 1000;

    public static int Run(string[] args)
    {
        if (args[0] == ChildMode)
        {
            return Child(args[1]);
        }

        var sizes = args.Skip(1).Select(a => int.Parse(a, CultureInfo.InvariantCulture)).DefaultIfEmpty(50_000).ToList();
        Console.WriteLine("| Workloads | Manifest size | Findings | Audit time | Peak resident memory |");
        Console.WriteLine("| ---: | ---: | ---: | ---: | ---: |");
        foreach (int size in sizes)
        {
            string directory = Generate(size);
            try
            {
                long bytes = Directory.GetFiles(directory).Sum(f => new FileInfo(f).Length);
                var (findings, seconds, peak) = RunChild(directory);
                Console.WriteLine($"| {size:N0} | {bytes / (1024 * 1024):N0} MB | {findings:N0} | {seconds:N1} s | {peak / (1024 * 1024):N0} MB |");
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }

        return 0;
    }

    /// <summary>The scanning benchmark's generated Deployments (≈ 50 lines each, a third of them not hardened).</summary>
    private static string Generate(int workloads)
    {
        string directory = Path.Combine(Path.GetTempPath(), "k8ssec-audit-memory-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
        var random = new Random(42);
        for (int file = 0; file * WorkloadsPerFile < workloads; file++)
        {
            var text = new StringBuilder();
            for (int i = file * WorkloadsPerFile; i < Math.Min(workloads, (file + 1) * WorkloadsPerFile); i++)
            {
                text.Append(ScanningBenchmarks.Workload(i, random)).Append("---\n");
            }

            File.WriteAllText(Path.Combine(directory, $"workloads-{file:D4}.yaml"), text.ToString());
        }

        return directory;
    }

    private static (int Findings, double Seconds, long PeakBytes) RunChild(string directory)
    {
        var psi = new ProcessStartInfo(Environment.ProcessPath!) { RedirectStandardOutput = true, UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            psi.ArgumentList.Add(typeof(AuditMemory).Assembly.Location);
        }

        psi.ArgumentList.Add(ChildMode);
        psi.ArgumentList.Add(directory);
        using var child = Process.Start(psi)!;
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"The audit child failed ({child.ExitCode}): {output}");
        }

        var values = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
        return (int.Parse(values["findings"], CultureInfo.InvariantCulture), double.Parse(values["seconds"], CultureInfo.InvariantCulture), long.Parse(values["peak"], CultureInfo.InvariantCulture));
    }

    private static int Child(string directory)
    {
        var clock = Stopwatch.StartNew();
        var result = new SecurityAuditor()
            .AuditOfflineAsync(new[] { directory }, new AuditOptions(), null, EngineLog.None, CancellationToken.None)
            .GetAwaiter().GetResult();
        clock.Stop();
        Console.WriteLine($"findings={result.Findings.Count}");
        Console.WriteLine(FormattableString.Invariant($"seconds={clock.Elapsed.TotalSeconds:F1}"));
        Console.WriteLine($"peak={PeakResidentBytes()}");
        return 0;
    }

    /// <summary>VmHWM ("high water mark" of the resident set) from /proc/self/status, else the peak working set.</summary>
    private static long PeakResidentBytes()
    {
        if (File.Exists("/proc/self/status"))
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null)
            {
                return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64;
    }
}
