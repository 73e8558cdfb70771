using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using K8sSecurity.Engine.Connection;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

public sealed class CancellationProbeTests
{
    [Fact]
    public async Task VerifyHonoursCancellationWhileTheServerIsSilent()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var clients = new List<TcpClient>();
        _ = Task.Run(async () => { try { while (true) { clients.Add(await silent.AcceptTcpClientAsync()); } } catch (Exception) { } });
        string dir = Directory.CreateTempSubdirectory("k8ssec-cancel").FullName;
        string path = Path.Combine(dir, "config");
        File.WriteAllText(path, $"apiVersion: v1\nkind: Config\ncurrent-context: l\nclusters:\n- name: l\n  cluster:\n    server: https://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}\n    insecure-skip-tls-verify: true\ncontexts:\n- name: l\n  context: {{cluster: l, user: l}}\nusers:\n- name: l\n  user: {{token: abc}}\n");
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = path });
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        var sw = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.VerifyAsync(cts.Token));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), sw.Elapsed.ToString());
    }
}
