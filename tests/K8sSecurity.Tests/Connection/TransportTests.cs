using System.Diagnostics;
using System.Management.Automation;
using System.Net;
using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// Settings that weaken the connection are never silent: insecure-skip-tls-verify warns (and is refused together with
/// a CA, like kubectl), credentials are not sent over plain HTTP unless -AllowUnencryptedAuthentication says so,
/// proxy-url is honoured (HTTP CONNECT and SOCKS5), and a server that never answers costs the connect or request
/// timeout, with an error naming the context and server; in a fleet audit the other clusters still complete.
/// </summary>
public sealed class TransportTests : IAsyncLifetime
{
    private readonly string directory = TestPaths.NewTempDirectory();
    private KubeApiTestServer server = null!;
    private PsSession session = null!;

    public async Task InitializeAsync()
    {
        server = await KubeApiTestServer.StartAsync();
        session = new PsSession();
    }

    public async Task DisposeAsync()
    {
        session.Dispose();
        await server.DisposeAsync();
    }

    [Fact]
    public void SkippingTlsVerificationWarns()
    {
        string token = server.AddToken("robot", "system:masters");
        string kubeconfig = Kubeconfig("insecure", ("local", server.BaseAddress.ToString(), "insecure-skip-tls-verify: true"), $"token: {token}");

        var connect = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] | Out-Null", kubeconfig).AssertNoErrors();
        var warning = Assert.Single(connect.Warnings);
        Assert.Contains("insecure-skip-tls-verify", warning, StringComparison.Ordinal);
        Assert.Contains("'local'", warning, StringComparison.Ordinal);

        session.Invoke("Disconnect-K8sCluster").AssertNoErrors();
        var perCommand = session.Invoke("Get-K8sRole -Kubeconfig $args[0] -Namespace kube-system | Out-Null", kubeconfig).AssertNoErrors();
        Assert.Contains(perCommand.Warnings, w => w.Contains("insecure-skip-tls-verify", StringComparison.Ordinal));
    }

    [Fact]
    public void SkippingTlsVerificationTogetherWithACaIsRefusedLikeKubectl()
    {
        string token = server.AddToken("robot", "system:masters");
        string kubeconfig = Kubeconfig(
            "insecure-with-ca",
            ("local", server.BaseAddress.ToString(), $"insecure-skip-tls-verify: true\n    certificate-authority-data: {Base64(server.CaCertificatePem)}"),
            $"token: {token}");

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig);

        Assert.StartsWith("K8sConfiguration,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        const string KubectlSays = "specifying a root certificates file with the insecure flag is not allowed";
        Assert.Contains(KubectlSays, result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
        if (Kubectl(kubeconfig, "get", "--raw", "/version") is { } kubectl)
        {
            Assert.Contains(KubectlSays, kubectl.Err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TokenIsNotSentOverPlainHttpUnlessAllowed()
    {
        using var http = new PlainHttpApiServer();
        string canary = "canary-token-" + Guid.NewGuid().ToString("N");
        string kubeconfig = Kubeconfig("http", ("plain", $"http://127.0.0.1:{http.Port}", null), $"token: {canary}");

        var refused = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig);
        Assert.StartsWith("K8sConfiguration,", refused.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("-AllowUnencryptedAuthentication", refused.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(http.Requests);

        // kubectl never sends credentials over http:// (it connects anonymously instead).
        if (Kubectl(kubeconfig, "get", "--raw", "/version") is not null)
        {
            Assert.NotEmpty(http.Requests);
            Assert.All(http.Requests, r => Assert.Null(r.Authorization));
            http.Requests.Clear();
        }

        var allowed = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -AllowUnencryptedAuthentication", kubeconfig).AssertNoErrors();
        Assert.Contains(allowed.Warnings, w => w.Contains("clear text", StringComparison.Ordinal));
        Assert.Contains(http.Requests, r => r.Authorization == "Bearer " + canary);
    }

    [Fact]
    public void PlainHttpWithoutCredentialsConnects()
    {
        // Such as `kubectl proxy` on localhost: nothing to leak, nothing refused.
        using var http = new PlainHttpApiServer();
        string kubeconfig = Kubeconfig("proxy", ("kubectl-proxy", $"http://127.0.0.1:{http.Port}", null), null);

        var connection = Assert.Single(session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("v1.32.13", connection.Properties["ServerVersion"].Value);
        Assert.All(http.Requests, r => Assert.Null(r.Authorization));
    }

    [Theory]
    [InlineData("http")]
    [InlineData("socks5")]
    public void ProxyUrlIsHonoured(string scheme)
    {
        using var proxy = new TunnelProxy();
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "proxied-" + scheme));
        File.WriteAllText(kubeconfig, File.ReadAllText(kubeconfig).Replace("    server: ", $"    proxy-url: {scheme}://127.0.0.1:{proxy.Port}\n    server: ", StringComparison.Ordinal));

        var connection = Assert.Single(session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("admin", connection.Properties["UserName"].Value);
        string tunnel = Assert.Single(proxy.Tunnels.Distinct());
        Assert.EndsWith($"127.0.0.1:{server.BaseAddress.Port}", tunnel, StringComparison.Ordinal);

        // kubectl goes through the same proxy for the same kubeconfig.
        int before = proxy.Tunnels.Count;
        if (Kubectl(kubeconfig, "get", "--raw", "/version") is { } kubectl)
        {
            Assert.True(kubectl.Exit == 0, kubectl.Err);
            Assert.True(proxy.Tunnels.Count > before, "kubectl did not use the proxy");
        }
    }

    [Fact]
    public void HttpsProxyUrlIsReachedOverVerifiedTls()
    {
        // Like Go: the proxy's certificate is checked with the kubeconfig's roots against the proxy's own name.
        using var proxyCertificate = server.Context.Ca.IssueServingCertificate("CN=proxy", new[] { "localhost" }, Array.Empty<IPAddress>(), new[] { "1.3.6.1.5.5.7.3.1" });
        using var proxy = new TunnelProxy(proxyCertificate);
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "proxied-https"));
        File.WriteAllText(kubeconfig, File.ReadAllText(kubeconfig).Replace("    server: ", $"    proxy-url: https://localhost:{proxy.Port}\n    server: ", StringComparison.Ordinal));

        Assert.Single(session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.EndsWith($"127.0.0.1:{server.BaseAddress.Port}", Assert.Single(proxy.Tunnels.Distinct()), StringComparison.Ordinal);

        int before = proxy.Tunnels.Count;
        if (Kubectl(kubeconfig, "get", "--raw", "/version") is { } kubectl)
        {
            Assert.True(kubectl.Exit == 0, kubectl.Err);
            Assert.True(proxy.Tunnels.Count > before, "kubectl did not use the proxy");
        }
    }

    [Fact]
    public void UnsupportedProxySchemeIsRefusedLikeKubectl()
    {
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "socks4"));
        File.WriteAllText(kubeconfig, File.ReadAllText(kubeconfig).Replace("    server: ", "    proxy-url: socks4://127.0.0.1:1080\n    server: ", StringComparison.Ordinal));

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig);

        Assert.StartsWith("K8sConfiguration,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        const string KubectlSays = "invalid 'proxy-url' \"socks4://127.0.0.1:1080\" for cluster \"k8ssecurity-test\": unsupported scheme \"socks4\", must be http, https, or socks5";
        Assert.Contains(KubectlSays, result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        if (Kubectl(kubeconfig, "get", "--raw", "/version") is { } kubectl)
        {
            Assert.Contains(KubectlSays, kubectl.Err, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void ServerThatNeverAnswersCostsTheConnectTimeoutAndIsNamed()
    {
        using var silent = new SilentServer();
        string kubeconfig = Kubeconfig("silent", ("silent", $"https://127.0.0.1:{silent.Port}", $"certificate-authority-data: {Base64(server.CaCertificatePem)}"), "token: abc");

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -ConnectTimeout 1", kubeconfig);

        Assert.StartsWith("K8sTimeout,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.OperationTimeout, result.TerminatingError.CategoryInfo.Category);
        string message = result.TerminatingError.Exception.Message;
        Assert.Contains("connect timeout of 1 s (-ConnectTimeout)", message, StringComparison.Ordinal);
        Assert.Contains($"https://127.0.0.1:{silent.Port}", message, StringComparison.Ordinal);
        Assert.Contains("'silent'", message, StringComparison.Ordinal);
        Assert.True(silent.Connections > 0);
    }

    [Fact]
    public void ServerThatAcceptsTlsButNeverAnswersCostsTheRequestTimeout()
    {
        using var ca = new CertificateAuthority();
        using var certificate = ca.IssueServerCertificate();
        using var stalling = new StallingTlsServer(certificate);
        string kubeconfig = Kubeconfig("stalling", ("stalling", $"https://127.0.0.1:{stalling.Port}", $"certificate-authority-data: {Base64(ca.CertificatePem)}"), "token: abc");

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -RequestTimeout 1; Get-K8sRole -Namespace default", kubeconfig);

        Assert.StartsWith("K8sTimeout,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        string message = result.TerminatingError.Exception.Message;
        Assert.Contains("request timeout of 1 s (-RequestTimeout)", message, StringComparison.Ordinal);
        Assert.Contains($"https://127.0.0.1:{stalling.Port}", message, StringComparison.Ordinal);
    }

    [Fact]
    public void OneDeadClusterInAFleetAuditIsANonTerminatingErrorWhileTheOthersComplete()
    {
        using var silent = new SilentServer();
        var (certificate, key) = server.IssueClientCertificate("admin", "system:masters");
        string ca = Base64(server.CaCertificatePem);
        string kubeconfig = Path.Combine(directory, "fleet");
        File.WriteAllText(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            current-context: good
            clusters:
            - name: good
              cluster: {"{"} server: "{server.BaseAddress.ToString().TrimEnd('/')}", certificate-authority-data: {ca} {"}"}
            - name: dead
              cluster: {"{"} server: "https://127.0.0.1:{silent.Port}", certificate-authority-data: {ca} {"}"}
            contexts:
            - name: good
              context: {"{"} cluster: good, user: admin {"}"}
            - name: dead
              context: {"{"} cluster: dead, user: admin {"}"}
            - name: also-good
              context: {"{"} cluster: good, user: admin {"}"}
            users:
            - name: admin
              user: {"{"} client-certificate-data: {Base64(certificate)}, client-key-data: {Base64(key)} {"}"}
            """);

        var result = session.Invoke(
            "Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Context good, dead, also-good -ConnectTimeout 1 -Category ServerVersion -Summary",
            kubeconfig);

        Assert.Null(result.TerminatingError);
        Assert.Equal(new[] { "good", "also-good" }, result.Output.Select(o => o.Properties["Cluster"].Value?.ToString()));
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sTimeout,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("'dead'", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains($"https://127.0.0.1:{silent.Port}", error.Exception.Message, StringComparison.Ordinal);
    }

    /// <summary>A kubeconfig with one cluster (extra cluster fields as YAML lines) and one user (its fields, or none).</summary>
    private string Kubeconfig(string name, (string Cluster, string Server, string? Extra) cluster, string? user)
    {
        string path = Path.Combine(directory, name);
        string extra = cluster.Extra is null ? string.Empty : "\n    " + cluster.Extra;
        string userLine = user is null ? string.Empty : ", user: me";
        string users = user is null ? "users: []" : $"users:\n- name: me\n  user:\n    {user}";
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: {cluster.Cluster}
            clusters:
            - name: {cluster.Cluster}
              cluster:
                server: "{cluster.Server.TrimEnd('/')}"{extra}
            contexts:
            - name: {cluster.Cluster}
              context: {"{"} cluster: {cluster.Cluster}{userLine} {"}"}
            {users}
            """);
        return path;
    }

    private static string Base64(string text) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(text));

    /// <summary>Runs kubectl when it is installed (null otherwise), with its own HOME.</summary>
    private (int Exit, string Out, string Err)? Kubectl(string kubeconfig, params string[] args)
    {
        string? kubectl = new[] { "/usr/local/bin/kubectl", "/usr/bin/kubectl" }.FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            return null;
        }

        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(kubeconfig);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = directory;
        start.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "kubectl did not finish");
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
