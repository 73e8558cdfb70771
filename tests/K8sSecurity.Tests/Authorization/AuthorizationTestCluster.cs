using System.Text.Json.Nodes;
using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;

namespace K8sSecurity.Tests.Authorization;

/// <summary>A test API server with default RBAC, an admin kubeconfig and a PowerShell session connected to it.</summary>
public sealed class AuthorizationTestCluster : IDisposable
{
    private AuthorizationTestCluster(KubeApiTestServer server, string directory)
    {
        Server = server;
        Directory = directory;
        Kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "admin.kubeconfig"));
        Session = new PsSession();
        Session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] | Out-Null", Kubeconfig).AssertNoErrors();
    }

    public KubeApiTestServer Server { get; }

    public string Directory { get; }

    public string Kubeconfig { get; }

    public PsSession Session { get; }

    public static AuthorizationTestCluster Start(params string[] namespaces)
    {
        var server = KubeApiTestServer.StartAsync().GetAwaiter().GetResult();
        foreach (string ns in namespaces)
        {
            server.Store.Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
        }

        return new AuthorizationTestCluster(server, TestPaths.NewTempDirectory());
    }

    public PsResult Invoke(string script, params object?[] args) => Session.Invoke(script, args);

    /// <summary>Requests that changed state (anything but GET), to prove -WhatIf and re-runs send no writes.</summary>
    public IReadOnlyList<RecordedRequest> Writes() => Server.Requests.Where(r => r.Method != "GET").ToList();

    public JsonObject? Get(string apiVersion, string kind, string? ns, string name) => Server.Store.Get(apiVersion, kind, ns, name);

    public IReadOnlyList<JsonObject> List(string apiVersion, string kind, string? ns = null) => Server.Store.List(apiVersion, kind, ns);

    public void Dispose()
    {
        Session.Dispose();
        Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
