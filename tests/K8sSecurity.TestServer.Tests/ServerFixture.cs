using Xunit;

namespace K8sSecurity.TestServer.Tests;

/// <summary>One server per test class (the typical usage).</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public KubeApiTestServer Server { get; private set; } = null!;

    public HttpClient Admin { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Server = await KubeApiTestServer.StartAsync();
        Admin = TestClients.Admin(Server);
    }

    public async Task DisposeAsync()
    {
        Admin.Dispose();
        await Server.DisposeAsync();
    }

    /// <summary>A fresh namespace per test so tests in a class do not see each other's objects.</summary>
    public string NewNamespace(string prefix = "t")
    {
        var name = prefix + "-" + Guid.NewGuid().ToString("N")[..8];
        Server.Store.CreateJson($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{name}}}"}}""");
        return name;
    }
}
