using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Fixtures;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

/// <summary>A test server seeded with the flawed cluster, plus kubeconfigs for single and fleet audits.</summary>
public sealed class AuditServer : IAsyncLifetime
{
    public KubeApiTestServer Server { get; private set; } = null!;

    public FlawedClusterFixture Cluster { get; private set; } = null!;

    /// <summary>Context "test" (admin).</summary>
    public string Kubeconfig { get; private set; } = null!;

    /// <summary>Contexts "test" and "test2" (same server) and "down" (nothing listens there).</summary>
    public string FleetKubeconfig { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await KubeApiTestServer.StartAsync();
        Cluster = FlawedClusterFixture.Seed(Server.Store);
        string dir = TestPaths.NewTempDirectory();
        Kubeconfig = Server.WriteKubeconfig(Path.Combine(dir, "config"));
        string fleet = File.ReadAllText(Kubeconfig).Replace(
            "contexts:\n",
            "- name: unreachable\n  cluster:\n    server: \"https://127.0.0.1:1\"\n    insecure-skip-tls-verify: true\n"
            + "contexts:\n- name: down\n  context:\n    cluster: unreachable\n    user: \"admin\"\n"
            + "- name: test2\n  context:\n    cluster: k8ssecurity-test\n    user: \"admin\"\n",
            StringComparison.Ordinal);
        FleetKubeconfig = Path.Combine(dir, "fleet-config");
        File.WriteAllText(FleetKubeconfig, fleet);
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
