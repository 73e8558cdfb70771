using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Fixtures;

/// <summary>
/// A full audit (every category) of a generated 50-namespace cluster with 5,000 pods through the in-process API
/// test server over TLS: listing (paged, one list per kind), SubjectAccessReviews and all checks.
/// Run: dotnet run -c Release --project tests/K8sSecurity.Benchmarks -- --filter '*AuditBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class AuditBenchmarks
{
    private KubeApiTestServer server = null!;
    private ClusterClient cluster = null!;
    private FlawedClusterFixture fixture = null!;

    [GlobalSetup]
    public void Setup()
    {
        server = KubeApiTestServer.StartAsync().GetAwaiter().GetResult();
        fixture = FlawedClusterFixture.Seed(server.Store, new FlawedClusterOptions
        {
            CleanNamespaces = 25,
            FlawedNamespaces = 25,
            DeploymentsPerNamespace = 20,
            ReplicasPerDeployment = 5,
        });
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-bench", Guid.NewGuid().ToString("N"));
        cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = server.WriteKubeconfig(Path.Combine(dir, "config")) });
        Console.WriteLine($"// Seeded {fixture.PodCount} pods in {fixture.CleanNamespaces.Count + fixture.FlawedNamespaces.Count} namespaces; {string.Join(", ", fixture.Seeded.Select(p => $"{p.Key} {p.Value}"))}");
    }

    [Benchmark]
    public int FullAudit()
    {
        var result = new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None).GetAwaiter().GetResult();
        return result.Findings.Count;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        using var process = Process.GetCurrentProcess();
        Console.WriteLine($"// Peak working set of the benchmark process (client and in-process server): {process.PeakWorkingSet64 / (1024 * 1024)} MB");
        cluster.Dispose();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
