using System.Net;
using System.Net.Sockets;
using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// Runbooks log $Error. Nothing reachable from an error record (exceptions, inner exceptions, Data, TargetObject,
/// every property at any depth, what ConvertTo-Json would print) may hold a token, a password, a request, a header or
/// a body. Each test makes a real failure against the API test server with canary secrets and walks $Error.
/// </summary>
public sealed class SecretsInErrorsTests : IAsyncLifetime
{
    private const string Walk = """
        $secrets = [string[]]$args[1]
        $found = [K8sSecurity.Tests.Connection.ErrorGraph]::Find([object]@($Error), $secrets)
        [pscustomobject]@{ Errors = @($Error | ForEach-Object { "$($_.FullyQualifiedErrorId): $_" }); Found = @($found) }
        """;

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
    public void RejectedBearerTokenIsNotInTheErrorRecord()
    {
        string canary = "canary-token-" + Guid.NewGuid().ToString("N");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "bad-token"), canary);

        var (errors, found) = RunAndWalk("Connect-K8sCluster -Kubeconfig $args[0]", new object?[] { kubeconfig }, canary);

        Assert.Contains(errors, e => e.StartsWith("K8sUnauthorized,", StringComparison.Ordinal));
        Assert.Empty(found);
    }

    [Fact]
    public void BearerTokenIsNotInTheRecordOfAForbiddenOrMissingObject()
    {
        string token = server.AddToken("nobody");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "nobody"), token);

        var (errors, found) = RunAndWalk(
            "Get-K8sRole -Kubeconfig $args[0] -Namespace kube-system -ErrorAction SilentlyContinue; Get-K8sRole -Kubeconfig $args[0] -Name missing -Namespace default -ErrorAction SilentlyContinue",
            new object?[] { kubeconfig },
            token);

        Assert.Contains(errors, e => e.StartsWith("K8sForbidden,", StringComparison.Ordinal));
        Assert.Empty(found);
    }

    [Fact]
    public void BearerTokenIsNotInTheRecordOfARefusedImpersonation()
    {
        string token = server.AddToken("robot", "ci");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "robot-as-sammy"), token);
        File.AppendAllText(kubeconfig, "    as: sammy\n    as-groups: [developers]\n");

        // robot may not impersonate: the impersonation filter answers 403 before the request is authorized.
        var (errors, found) = RunAndWalk("Test-K8sAccess get pods -Kubeconfig $args[0] -Verbose", new object?[] { kubeconfig }, token);

        Assert.Contains(errors, e => e.StartsWith("K8sForbidden,", StringComparison.Ordinal) && e.Contains("cannot impersonate", StringComparison.Ordinal));
        Assert.Empty(found);
    }

    [Fact]
    public void BearerTokenIsNotInTheRecordOfAnImpersonationKubectlRefuses()
    {
        string token = "canary-token-" + Guid.NewGuid().ToString("N");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "groups-without-user"), token);
        File.AppendAllText(kubeconfig, "    as-groups: [developers]\n");
        server.ClearRequests();

        var (errors, found) = RunAndWalk("Connect-K8sCluster -Kubeconfig $args[0] -Verbose", new object?[] { kubeconfig }, token);

        Assert.Contains(errors, e => e.StartsWith("K8sConfiguration,", StringComparison.Ordinal) && e.Contains("without impersonating a user", StringComparison.Ordinal));
        Assert.Empty(server.Requests);
        Assert.Empty(found);
    }

    [Fact]
    public void RegistryPasswordIsNotInTheErrorRecordOfARejectedSecret()
    {
        string token = server.AddToken("admin-robot", "system:masters");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "admin"), token);
        string password = "canary-password-" + Guid.NewGuid().ToString("N");

        // The namespace does not exist: the POST carrying the dockerconfigjson is answered 404.
        var (errors, found) = RunAndWalk(
            """
            $credential = [pscredential]::new('robot', [System.Net.NetworkCredential]::new('', $args[1]).SecurePassword)
            New-K8sRegistrySecret -Kubeconfig $args[0] -Name regcred -Server registry.example.com -Credential $credential -Namespace no-such-namespace
            """,
            new object?[] { kubeconfig, password },
            token,
            password);

        Assert.Contains(errors, e => e.StartsWith("K8sNotFound,", StringComparison.Ordinal));
        Assert.Contains(server.Requests, r => r.Method == "POST" && r.Path.Contains("/secrets", StringComparison.Ordinal));
        Assert.Empty(found);
    }

    [Fact]
    public void BearerTokenIsNotInTheRecordOfAFailedTokenRequest()
    {
        string token = server.AddToken("admin-robot", "system:masters");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "token-request"), token);

        // The service account does not exist: the TokenRequest POST is answered 404.
        var (errors, found) = RunAndWalk(
            "New-K8sServiceAccountToken -Kubeconfig $args[0] -ServiceAccount no-such-account -Namespace default",
            new object?[] { kubeconfig },
            token);

        Assert.Contains(errors, e => e.StartsWith("K8sNotFound,", StringComparison.Ordinal));
        Assert.Contains(server.Requests, r => r.Method == "POST" && r.Path.EndsWith("/token", StringComparison.Ordinal));
        Assert.Empty(found);
    }

    [Fact]
    public void BearerTokenAndPrivateKeyAreNotInTheRecordOfARefusedCsrSubmission()
    {
        string admin = server.WriteKubeconfig(Path.Combine(directory, "csr-admin"));
        session.Invoke(
            "New-K8sClusterRole csr-reader -Verb get,list -Resource certificatesigningrequests -ApiGroup certificates.k8s.io -Kubeconfig $args[0] | Out-Null; Grant-K8sRole -ClusterRole csr-reader -User reader -Kubeconfig $args[0] | Out-Null",
            admin).AssertNoErrors();
        string token = server.AddToken("reader");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "csr"), token);
        string output = Path.Combine(directory, "csr-out");
        Directory.CreateDirectory(output);
        server.ClearRequests();

        // "reader" may read but not create CertificateSigningRequests: the POST carrying the CSR is answered 403.
        var (errors, found) = RunAndWalk(
            "New-K8sUserCertificate -Kubeconfig $args[0] -UserName jane -KeyAlgorithm EcdsaP256 -Submit -OutputDirectory $args[1]",
            new object?[] { kubeconfig, output },
            token);

        Assert.Contains(errors, e => e.StartsWith("K8sForbidden,", StringComparison.Ordinal));
        Assert.Contains(server.Requests, r => r.Method == "POST" && r.Path.Contains("certificatesigningrequests", StringComparison.Ordinal));
        Assert.Empty(found);
        foreach (string key in Directory.GetFiles(output, "*.key"))
        {
            string[] keyLines = File.ReadAllLines(key).Where(l => l.Length >= 16 && !l.StartsWith("-----", StringComparison.Ordinal)).ToArray();
            Assert.Empty(Walked(keyLines));
        }
    }

    [Fact]
    public void ExecPluginOutputIsNeverEchoedInErrors()
    {
        string canary = "canary-exec-output-" + Guid.NewGuid().ToString("N");
        string garbage = WriteExecKubeconfig("garbage", $"printf '%s' '{{\"apiVersion\": \"client.authentication.k8s.io/v1\", {canary}'\n");
        string failing = WriteExecKubeconfig("failing", $"echo '{canary}'\necho 'login expired, run: acme login' >&2\nexit 7\n");

        var (errors, found) = RunAndWalk(
            "try { Connect-K8sCluster -Kubeconfig $args[0] } catch { }; Connect-K8sCluster -Kubeconfig $args[1]",
            new object?[] { garbage, failing },
            canary);

        Assert.Empty(found);
        Assert.Contains(errors, e => e.Contains("getting credentials: decoding stdout", StringComparison.Ordinal));

        // A failing plugin is reported with its exit code and the end of its standard error, as kubectl reports it.
        Assert.Contains(errors, e => e.Contains("exec: executable sh failed with exit code 7", StringComparison.Ordinal)
            && e.Contains("login expired, run: acme login", StringComparison.Ordinal));
    }

    [Fact]
    public void PasswordInTheServerUrlIsShownAsStars()
    {
        string password = "canary-url-password-" + Guid.NewGuid().ToString("N");
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "url"));
        string withPassword = File.ReadAllText(kubeconfig).Replace("https://", $"https://admin:{password}@", StringComparison.Ordinal);
        File.WriteAllText(kubeconfig, withPassword);
        string closed = Path.Combine(directory, "closed");
        File.WriteAllText(closed, withPassword.Replace($":{server.BaseAddress.Port}", $":{FreePort()}", StringComparison.Ordinal));

        var result = session.Invoke(
            """
            Get-K8sContext -Kubeconfig $args[0] | ForEach-Object Server
            Get-K8sKubeconfig -Path $args[0] | ForEach-Object Server
            Connect-K8sCluster -Kubeconfig $args[0] -Verbose | ForEach-Object Server
            Disconnect-K8sCluster
            Connect-K8sCluster -Kubeconfig $args[1] -Verbose
            """,
            kubeconfig,
            closed);

        Assert.Equal($"https://admin:***@127.0.0.1:{server.BaseAddress.Port}", result.Output[0].ToString());
        Assert.Equal($"https://admin:***@127.0.0.1:{server.BaseAddress.Port}", result.Output[1].ToString());
        Assert.Equal($"https://admin:***@127.0.0.1:{server.BaseAddress.Port}", result.Output[2].ToString()!.TrimEnd('/'));
        Assert.StartsWith("K8sConnectionFailed,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("admin:***@", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(password, result.AllText(), StringComparison.Ordinal);
        Assert.Empty(Walked(password));
    }

    private (IReadOnlyList<string> Errors, IReadOnlyList<string> Found) RunAndWalk(string script, object?[] arguments, params string[] secrets)
    {
        session.Invoke("$Error.Clear()\n" + script, arguments);
        var walk = Assert.Single(session.Invoke(Walk, null, secrets).AssertNoErrors().Output);
        var errors = ((object[])walk.Properties["Errors"].Value).Select(e => e.ToString()!).ToList();
        var found = ((object[])walk.Properties["Found"].Value).Select(e => e.ToString()!).ToList();
        Assert.NotEmpty(errors);
        return (errors, found);
    }

    private IReadOnlyList<string> Walked(params string[] secrets)
    {
        var walk = Assert.Single(session.Invoke(Walk, null, secrets).AssertNoErrors().Output);
        return ((object[])walk.Properties["Found"].Value).Select(e => e.ToString()!).ToList();
    }

    private string WriteExecKubeconfig(string name, string script)
    {
        string token = server.AddToken("exec-user");
        string kubeconfig = server.WriteExecScriptKubeconfig(Path.Combine(directory, name), token);
        File.WriteAllText(kubeconfig + ".credential.sh", "#!/bin/sh\n" + script);
        return kubeconfig;
    }

    private static int FreePort()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
