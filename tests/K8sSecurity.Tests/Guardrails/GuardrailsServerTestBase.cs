using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Guardrails;

/// <summary>A fresh API test server and a session connected to it as cluster admin, per test.</summary>
public abstract class GuardrailsServerTestBase : IAsyncLifetime
{
    protected string Directory { get; } = TestPaths.NewTempDirectory();

    protected KubeApiTestServer Server { get; private set; } = null!;

    protected PsSession Session { get; private set; } = null!;

    public virtual async Task InitializeAsync()
    {
        Server = await KubeApiTestServer.StartAsync();
        Session = new PsSession();
        string kubeconfig = Server.WriteKubeconfig(Path.Combine(Directory, "admin"), defaultNamespace: "default");
        Session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors();
    }

    public async Task DisposeAsync()
    {
        Session.Dispose();
        await Server.DisposeAsync();
    }

    protected void CreateNamespace(string name) =>
        Server.Store.CreateJson("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"" + name + "\"}}");

    /// <summary>Requests that changed something (anything but GET/LIST/WATCH) since the last <see cref="KubeApiTestServer.ClearRequests"/>.</summary>
    protected IReadOnlyList<RecordedRequest> Writes() =>
        Server.Requests.Where(r => r.Method is not "GET").ToList();

    protected static object? Prop(System.Management.Automation.PSObject o, string name) => o.Properties[name]?.Value;
}
