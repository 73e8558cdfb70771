using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.TestServer;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>
/// Exec credential plugins are scripts here. The module runs them itself (argv intact, like kubectl): their output is
/// bounded, a plugin that hangs or floods is stopped with its whole process tree, a failure reports the exit code and
/// standard error but never standard output, and a credential is reused until it expires or the server rejects it.
/// </summary>
public sealed class ExecCredentialPluginTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-exec-").FullName;
    private KubeApiTestServer server = null!;
    private string token = null!;

    public async Task InitializeAsync()
    {
        server = await KubeApiTestServer.StartAsync();
        token = server.AddToken("oidc:alice", "oidc:admins");
    }

    public async Task DisposeAsync() => await server.DisposeAsync();

    [Fact]
    public async Task ArgumentsReachThePluginIntactAsKubectlPassesThem()
    {
        // sh -c "printf '%s' '<ExecCredential>'": KubernetesClient joined these into one command line and failed.
        string kubeconfig = server.WriteExecKubeconfig(Path.Combine(directory, "argv"), token);
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var connection = await client.VerifyAsync(CancellationToken.None);
        Assert.Equal("oidc:alice", connection.UserName);
        Assert.Equal(K8sAuthKind.Exec, connection.AuthKind);
    }

    [Fact]
    public async Task PluginSeesKubernetesExecInfoAndRunsOnceWhileItsCredentialIsValid()
    {
        string runs = Path.Combine(directory, "runs");
        string kubeconfig = WritePlugin("counted", $"""
            echo "$KUBERNETES_EXEC_INFO" >> '{runs}'
            {PrintCredential(token)}
            """, provideClusterInfo: true);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        await client.VerifyAsync(CancellationToken.None); // two requests: /version and a SelfSubjectReview
        await client.VerifyAsync(CancellationToken.None);

        string info = Assert.Single(File.ReadAllLines(runs));
        var spec = System.Text.Json.Nodes.JsonNode.Parse(info)!;
        Assert.Equal("ExecCredential", (string?)spec["kind"]);
        Assert.Equal("client.authentication.k8s.io/v1", (string?)spec["apiVersion"]);
        Assert.False((bool)spec["spec"]!["interactive"]!);
        Assert.Equal(server.BaseAddress.ToString().TrimEnd('/'), (string?)spec["spec"]!["cluster"]!["server"]);
    }

    [Fact]
    public async Task ExpiredCredentialRunsThePluginAgain()
    {
        string runs = Path.Combine(directory, "runs");
        string kubeconfig = WritePlugin("expiring", $"""
            echo run >> '{runs}'
            {PrintCredential(token, "2000-01-01T00:00:00Z")}
            """);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        await client.VerifyAsync(CancellationToken.None);
        Assert.Equal(2, File.ReadAllLines(runs).Length);
    }

    [Fact]
    public async Task RejectedCredentialIsFetchedAgainForTheNextRequest()
    {
        // First run: a token the server does not know; second run: a good one (client-go refreshes after a 401).
        string runs = Path.Combine(directory, "runs");
        string kubeconfig = WritePlugin("rotating", $"""
            echo run >> '{runs}'
            if [ "$(wc -l < '{runs}')" -eq 1 ]; then
              {PrintCredential("not-a-known-token")}
            else
              {PrintCredential(token)}
            fi
            """);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var rejected = await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        Assert.Equal(K8sErrorKind.Unauthorized, rejected.Kind);
        var connection = await client.VerifyAsync(CancellationToken.None);
        Assert.Equal("oidc:alice", connection.UserName);
    }

    [Fact]
    public async Task FailingPluginReportsExitCodeAndStandardErrorButNotStandardOutput()
    {
        string kubeconfig = WritePlugin("failing", """
            echo 'half-written-secret-on-stdout'
            echo 'error: refresh token expired; run acme login' >&2
            exit 4
            """);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var error = await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        Assert.Equal(K8sErrorKind.Unauthorized, error.Kind);
        Assert.Contains("getting credentials: exec: executable sh failed with exit code 4", error.Message, StringComparison.Ordinal);
        Assert.Contains("refresh token expired; run acme login", error.Message, StringComparison.Ordinal);
        Assert.Contains("context 'test-exec'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("half-written-secret", error.ToString(), StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task FloodingPluginIsStoppedAtTheOutputLimit()
    {
        // 300 MB on standard output: reading stops at the limit and the plugin (and its child `head`) is killed.
        string pids = Path.Combine(directory, "pids");
        string kubeconfig = WritePlugin("flood", $"""
            echo $$ > '{pids}'
            head -c 314572800 /dev/zero
            """);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var error = await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        Assert.Contains($"wrote more than {ExecCredentialPlugin.MaxOutputBytes / 1024} KiB to standard output", error.Message, StringComparison.Ordinal);
        AssertGone(File.ReadAllLines(pids));
    }

    [Fact]
    public async Task HungPluginIsStoppedWithItsChildrenAfterTheTimeout()
    {
        string pids = Path.Combine(directory, "pids");
        string kubeconfig = WritePlugin("hung", $"""
            sleep 600 &
            echo $$ $! > '{pids}'
            echo 'waiting for the browser login' >&2
            wait
            """);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig, ExecPluginTimeout = TimeSpan.FromSeconds(2) });
        var error = await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        Assert.Equal(K8sErrorKind.Timeout, error.Kind);
        Assert.Contains("did not finish within 2 s and was stopped with its child processes", error.Message, StringComparison.Ordinal);
        Assert.Contains("waiting for the browser login", error.Message, StringComparison.Ordinal);
        AssertGone(File.ReadAllText(pids).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Fact]
    public async Task CancellingStopsARunningPlugin()
    {
        string pids = Path.Combine(directory, "pids");
        string kubeconfig = WritePlugin("cancelled", $"""
            sleep 600 &
            echo $$ $! > '{pids}'
            wait
            """);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        using var cancellation = new CancellationTokenSource();
        var verify = client.VerifyAsync(cancellation.Token);
        while (!File.Exists(pids) || File.ReadAllText(pids).Split(' ', StringSplitOptions.RemoveEmptyEntries).Length < 2)
        {
            Assert.False(verify.IsCompleted, "the plugin ended on its own");
            await Task.Delay(50);
        }

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => verify);
        AssertGone(File.ReadAllText(pids).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    [Theory]
    [InlineData("client.authentication.k8s.io/v1alpha1", "Never", "exec plugin: invalid apiVersion \"client.authentication.k8s.io/v1alpha1\"")]
    [InlineData("client.authentication.k8s.io/v1", null, "interactiveMode must be specified for test-exec-user to use exec authentication plugin")]
    public void ExecSectionIsCheckedLikeKubectlBeforeAnythingRuns(string apiVersion, string? interactiveMode, string kubectlSays)
    {
        string kubeconfig = WritePlugin("invalid", PrintCredential(token));
        string text = File.ReadAllText(kubeconfig).Replace("client.authentication.k8s.io/v1\n", apiVersion + "\n", StringComparison.Ordinal);
        text = interactiveMode is null ? text.Replace("      interactiveMode: Never\n", string.Empty, StringComparison.Ordinal) : text;
        File.WriteAllText(kubeconfig, text);

        var error = Assert.Throws<K8sOperationException>(() => ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig }));
        Assert.Equal(K8sErrorKind.Configuration, error.Kind);
        Assert.Equal(kubectlSays, error.Message);
    }

    private string WritePlugin(string name, string script, bool provideClusterInfo = false)
    {
        string kubeconfig = server.WriteExecScriptKubeconfig(Path.Combine(directory, name), token);
        File.WriteAllText(kubeconfig + ".credential.sh", "#!/bin/sh\n" + script + "\n");
        if (provideClusterInfo)
        {
            File.WriteAllText(kubeconfig, File.ReadAllText(kubeconfig).Replace("      interactiveMode: Never\n", "      interactiveMode: Never\n      provideClusterInfo: true\n", StringComparison.Ordinal));
        }

        return kubeconfig;
    }

    private static string PrintCredential(string bearer, string? expires = null)
    {
        var status = new System.Text.Json.Nodes.JsonObject { ["token"] = bearer };
        if (expires is not null)
        {
            status["expirationTimestamp"] = expires;
        }

        var credential = new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "client.authentication.k8s.io/v1",
            ["kind"] = "ExecCredential",
            ["status"] = status,
        };
        return $"printf '%s' '{credential.ToJsonString()}'";
    }

    /// <summary>Each process has exited (a zombie waiting for its parent counts as gone).</summary>
    private static void AssertGone(IEnumerable<string> pids)
    {
        foreach (string pid in pids)
        {
            string stat = $"/proc/{pid.Trim()}/stat";
            for (int attempt = 0; attempt < 100 && Alive(stat); attempt++)
            {
                Thread.Sleep(100);
            }

            Assert.False(Alive(stat), $"process {pid} is still running");
        }
    }

    private static bool Alive(string stat)
    {
        try
        {
            string text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].Split(' ')[0] != "Z";
        }
        catch (IOException)
        {
            return false;
        }
    }
}
