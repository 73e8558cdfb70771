using System.Management.Automation;
using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>Connect/Disconnect and Get-K8sContext against the API test server with every credential kind.</summary>
public sealed class ConnectK8sClusterTests : IAsyncLifetime
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
    public void ClientCertificateKubeconfigConnectsAsTheCertificateSubject()
    {
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "sammy"), "sammy", new[] { "developers" }, "sammy-ctx", "team-a");

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors();

        var connection = Assert.Single(result.Output);
        Assert.Equal("K8sSecurity.Engine.Connection.K8sConnection", connection.TypeNames[0]);
        Assert.Equal("sammy", connection.Properties["UserName"].Value);
        Assert.Contains("developers", (IEnumerable<string>)connection.Properties["Groups"].Value);
        Assert.Contains("system:authenticated", (IEnumerable<string>)connection.Properties["Groups"].Value);
        Assert.Equal("team-a", connection.Properties["Namespace"].Value);
        Assert.Equal(server.ServerGitVersion, connection.Properties["ServerVersion"].Value);
        Assert.Equal("ClientCertificate", connection.Properties["AuthKind"].Value.ToString());
        Assert.Equal(server.BaseAddress.ToString().TrimEnd('/'), connection.Properties["Server"].Value.ToString()!.TrimEnd('/'));
    }

    [Fact]
    public void BearerTokenKubeconfigConnects()
    {
        string token = server.AddToken("robot", "ci");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "token"), token);

        var connection = Assert.Single(session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("robot", connection.Properties["UserName"].Value);
        Assert.Equal("Token", connection.Properties["AuthKind"].Value.ToString());
    }

    [Fact]
    public void ExecPluginKubeconfigConnects()
    {
        string token = server.AddToken("oidc:alice", "oidc:admins");
        string kubeconfig = server.WriteExecScriptKubeconfig(Path.Combine(directory, "exec"), token);

        var connection = Assert.Single(session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("oidc:alice", connection.Properties["UserName"].Value);
        Assert.Equal("Exec", connection.Properties["AuthKind"].Value.ToString());

        var context = Assert.Single(session.Invoke("Get-K8sContext -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("sh", context.Properties["ExecCommand"].Value);
    }

    [Fact]
    public void SessionDefaultIsUsedUntilDisconnect()
    {
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "admin"));
        session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -Namespace kube-system | Out-Null", kubeconfig).AssertNoErrors();
        server.ClearRequests();

        // The namespace completer lists namespaces through the session connection: proof the default is used.
        var completion = session.Invoke(
            "$line = 'Connect-K8sCluster -Namespace kube-'; (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches | ForEach-Object CompletionText").AssertNoErrors();
        Assert.Contains("kube-system", completion.Output.Select(o => o.ToString()));
        Assert.Contains(server.Requests, r => r.Path == "/api/v1/namespaces" && r.User == "admin");

        var removed = Assert.Single(session.Invoke("Disconnect-K8sCluster -PassThru").AssertNoErrors().Output);
        Assert.Equal("kube-system", removed.Properties["Namespace"].Value);
        Assert.Empty(session.Invoke("Disconnect-K8sCluster -PassThru").AssertNoErrors().Output);
    }

    [Fact]
    public void ContextsPipeIntoConnectByPropertyName()
    {
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "piped"), "alice", new[] { "ops" }, "alice-ctx");

        // Get-K8sContext's Name and KubeconfigPath bind to Connect-K8sCluster's -Context and -Kubeconfig.
        var connection = Assert.Single(session.Invoke("Get-K8sContext -Kubeconfig $args[0] | Connect-K8sCluster", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("alice-ctx", connection.Properties["Context"].Value);
        Assert.Equal("alice", connection.Properties["UserName"].Value);
    }

    [Fact]
    public void RejectedTokenIsATerminatingAuthenticationError()
    {
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "bad"), "not-a-valid-token");

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig);

        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sUnauthorized,", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.AuthenticationError, result.TerminatingError.CategoryInfo.Category);
        Assert.DoesNotContain("not-a-valid-token", result.AllText());
    }

    [Fact]
    public void ServerCertificateFromAnotherCaIsATlsConnectionError()
    {
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "wrong-ca"));
        // Swap in a CA that did not sign the server certificate: verification must fail, never be skipped.
        string otherCa = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(CreateOtherCaPem()));
        string text = File.ReadAllText(kubeconfig);
        text = System.Text.RegularExpressions.Regex.Replace(text, "certificate-authority-data: \\S+", "certificate-authority-data: " + otherCa);
        File.WriteAllText(kubeconfig, text);

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig);

        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sConnectionFailed,", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Contains(server.BaseAddress.Authority, result.TerminatingError.Exception.Message);
        Assert.DoesNotContain(server.Requests, r => r.Path == "/version");
    }

    [Fact]
    public void DefaultViewShowsTheConnectionAsAList()
    {
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "view"));
        string text = session.Render("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig);
        Assert.Matches(@"Context\s+: test", text);
        Assert.Matches(@"UserName\s+: admin", text);
        Assert.Matches(@"Groups\s+: .*system:masters", text);
    }

    private static string CreateOtherCaPem()
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=other-ca", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return cert.ExportCertificatePem();
    }
}
