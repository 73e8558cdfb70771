using System.Diagnostics;
using System.Management.Automation;
using System.Net;
using System.Net.Sockets;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>Failures that happen before any API answer: unreachable servers, unknown contexts, stopped pipelines.</summary>
public sealed class ConnectionFailureTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Fact]
    public void UnreachableServerIsOneTerminatingConnectionErrorNamingTheServer()
    {
        // A port that was free a moment ago: nothing listens there.
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        string kubeconfig = WriteKubeconfig($"https://127.0.0.1:{port}");

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]; 'after'", kubeconfig);

        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sConnectionFailed,K8sSecurity.Commands.ConnectK8sClusterCommand", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ConnectionError, result.TerminatingError.CategoryInfo.Category);
        Assert.Contains($"127.0.0.1:{port}", result.TerminatingError.Exception.Message);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void UnknownContextIsAConfigurationErrorListingKnownContexts()
    {
        string kubeconfig = WriteKubeconfig("https://127.0.0.1:1");
        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -Context missing", kubeconfig);
        Assert.StartsWith("K8sConfiguration,", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Contains("'missing'", result.TerminatingError.Exception.Message);
        Assert.Contains("local", result.TerminatingError.Exception.Message);
    }

    [Fact]
    public void StoppingThePipelineCancelsAnInFlightRequest()
    {
        // A server that accepts connections and never answers: only cancellation can end the call.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<TcpClient>();
        _ = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    var client = await silent.AcceptTcpClientAsync();
                    lock (accepted)
                    {
                        accepted.Add(client);
                    }
                }
                catch (Exception)
                {
                    return;
                }
            }
        });
        string kubeconfig = WriteKubeconfig($"https://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");

        using var ps = session.CreatePowerShell();
        ps.AddScript("Connect-K8sCluster -Kubeconfig $args[0]").AddArgument(kubeconfig);
        var running = ps.BeginInvoke();
        Thread.Sleep(TimeSpan.FromSeconds(2)); // the HTTP request is now waiting on a server that never answers
        Assert.False(running.IsCompleted);

        var stopping = Stopwatch.StartNew();
        ps.Stop();
        Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the pipeline did not stop");
        Assert.Equal(PSInvocationState.Stopped, ps.InvocationStateInfo.State);
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"stopping took {stopping.Elapsed}: cancellation did not reach the request");
        silent.Stop();
        lock (accepted)
        {
            accepted.ForEach(c => c.Dispose());
        }
    }

    public void Dispose() => session.Dispose();

    private string WriteKubeconfig(string server)
    {
        string path = Path.Combine(directory, Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: local
            clusters:
            - name: local
              cluster:
                server: {server}
                insecure-skip-tls-verify: true
            contexts:
            - name: local
              context: {"{"} cluster: local, user: local {"}"}
            users:
            - name: local
              user: {"{"} token: abc {"}"}
            """);
        return path;
    }
}
