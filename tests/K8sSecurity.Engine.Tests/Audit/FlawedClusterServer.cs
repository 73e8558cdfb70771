using K8sSecurity.Engine.Connection;
using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Fixtures;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

/// <summary>One test server per test class, seeded with the generated flawed cluster.</summary>
public sealed class FlawedClusterServer : IAsyncLifetime
{
    public KubeApiTestServer Server { get; private set; } = null!;

    public FlawedClusterFixture Cluster { get; private set; } = null!;

    public string Kubeconfig { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await KubeApiTestServer.StartAsync();
        Cluster = FlawedClusterFixture.Seed(Server.Store);
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        Kubeconfig = Server.WriteKubeconfig(Path.Combine(dir, "config"));
    }

    public ClusterClient Connect() => ClusterClient.Create(new ConnectionRequest { KubeconfigPath = Kubeconfig });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
