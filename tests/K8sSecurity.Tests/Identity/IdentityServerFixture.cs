using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Identity;

/// <summary>One in-process API server per test class, with an admin kubeconfig and the cluster CA on disk.</summary>
public sealed class IdentityServerFixture : IAsyncLifetime
{
    public KubeApiTestServer Server { get; private set; } = null!;

    public string Directory { get; } = TestPaths.NewTempDirectory();

    public string AdminKubeconfig => Path.Combine(Directory, "admin.kubeconfig");

    public string CaPath => Path.Combine(Directory, "cluster-ca.crt");

    public async Task InitializeAsync()
    {
        Server = await KubeApiTestServer.StartAsync();
        Server.WriteKubeconfig(AdminKubeconfig);
        File.WriteAllText(CaPath, Server.CaCertificatePem);
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
