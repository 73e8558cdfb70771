using System.Diagnostics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.TestServer;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>
/// The API server's certificate is checked like kubectl checks it (Go's crypto/tls): the name (IP SANs for an IP,
/// tls-server-name when set, never the Common Name), the chain to the kubeconfig's CA, and the serverAuth usage.
/// Each case serves a certificate signed by the CA the kubeconfig pins; the expected outcome and text are what
/// kubectl v1.32 printed for the same certificate ("tls: failed to verify certificate: …"), and when kubectl is
/// installed the test asks it again. A refused server never receives a request, so the token is never sent.
/// </summary>
public sealed class ServerCertificateTests
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string AnyUsage = "2.5.29.37.0";
    private const string MicrosoftServerGatedCrypto = "1.3.6.1.4.1.311.10.3.3";

    private static readonly IPAddress[] Loopback = { IPAddress.Loopback };

    public static TheoryData<string> Cases() => new(CaseTable.Keys);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task ServerCertificateIsVerifiedLikeKubectl(string name)
    {
        var (serve, tlsServerName, kubectlSays) = CaseTable[name];
        await using var server = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { ServerCertificate = serve });
        string directory = Directory.CreateTempSubdirectory("k8ssec-tls-").FullName;
        string token = server.AddToken("robot", "system:masters");
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, "config"), token);
        if (tlsServerName is not null)
        {
            File.WriteAllText(kubeconfig, File.ReadAllText(kubeconfig).Replace("    server: ", $"    tls-server-name: {tlsServerName}\n    server: ", StringComparison.Ordinal));
        }

        server.ClearRequests();
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        if (kubectlSays is null)
        {
            var connection = await client.VerifyAsync(CancellationToken.None);
            Assert.Equal("robot", connection.UserName);
        }
        else
        {
            var error = await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
            Assert.Equal(K8sErrorKind.Connection, error.Kind);
            Assert.Contains("tls: failed to verify certificate: " + kubectlSays, error.Message, StringComparison.Ordinal);
            Assert.Contains(server.BaseAddress.Authority, error.Message, StringComparison.Ordinal);
            Assert.Empty(server.Requests);
        }

        if (Kubectl is { } kubectl)
        {
            var (exit, _, stderr) = await RunAsync(kubectl, directory, "--kubeconfig", kubeconfig, "get", "--raw", "/version");
            if (kubectlSays is null)
            {
                Assert.True(exit == 0, stderr);
            }
            else
            {
                Assert.NotEqual(0, exit);
                Assert.Contains("tls: failed to verify certificate: " + kubectlSays, stderr, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void NamesAreMatchedLikeGo()
    {
        using var ca = new CertificateAuthority();
        using var wildcard = ca.IssueServingCertificate("CN=x", new[] { "*.Example.com", "api.internal." }, Array.Empty<IPAddress>(), new[] { ServerAuth });
        Assert.Null(ServerCertificateVerifier.CheckHostname(wildcard, "FOO.example.com"));
        Assert.Null(ServerCertificateVerifier.CheckHostname(wildcard, "foo.example.com."));
        Assert.NotNull(ServerCertificateVerifier.CheckHostname(wildcard, "example.com"));
        Assert.NotNull(ServerCertificateVerifier.CheckHostname(wildcard, "a.b.example.com"));
        Assert.Null(ServerCertificateVerifier.CheckHostname(wildcard, "api.internal."));

        using var v6 = ca.IssueServingCertificate("CN=x", Array.Empty<string>(), new[] { IPAddress.IPv6Loopback, IPAddress.Parse("10.1.2.3") }, null);
        Assert.Null(ServerCertificateVerifier.CheckHostname(v6, "[::1]"));
        Assert.Null(ServerCertificateVerifier.CheckHostname(v6, "::ffff:10.1.2.3"));
        Assert.Equal("x509: certificate is valid for ::1, 10.1.2.3, not 127.0.0.1", ServerCertificateVerifier.CheckHostname(v6, "127.0.0.1"));
        Assert.Equal("x509: certificate is not valid for any names, but wanted to match kubernetes", ServerCertificateVerifier.CheckHostname(v6, "kubernetes"));
    }

    /// <summary>Name → (serving certificate, tls-server-name, kubectl's reason or null when kubectl connects).</summary>
    private static readonly Dictionary<string, (Func<CertificateAuthority, X509Certificate2> Serve, string? TlsServerName, string? KubectlSays)> CaseTable = new()
    {
        ["usual serving certificate"] = (ca => ca.IssueServerCertificate(), null, null),
        ["DNS name of another host only"] = (
            ca => ca.IssueServingCertificate("CN=evil", new[] { "evil.example.com" }, Array.Empty<IPAddress>(), new[] { ServerAuth }),
            null,
            "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"),
        ["a client certificate served as the server certificate"] = (
            ca =>
            {
                var (certificate, key) = ca.IssueClientCertificate("admin", new[] { "system:masters" });
                return X509Certificate2.CreateFromPem(certificate, key);
            },
            null,
            "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs"),
        ["right IP but client-auth usage only"] = (
            ca => ca.IssueServingCertificate("CN=admin", Array.Empty<string>(), Loopback, new[] { ClientAuth }),
            null,
            "x509: certificate specifies an incompatible key usage"),
        ["server-gated-crypto usage is not server auth"] = (
            ca => ca.IssueServingCertificate("CN=x", Array.Empty<string>(), Loopback, new[] { MicrosoftServerGatedCrypto }),
            null,
            "x509: certificate specifies an incompatible key usage"),
        ["no extended key usage extension allows any use"] = (
            ca => ca.IssueServingCertificate("CN=x", Array.Empty<string>(), Loopback, null),
            null,
            null),
        ["any extended key usage"] = (
            ca => ca.IssueServingCertificate("CN=x", Array.Empty<string>(), Loopback, new[] { AnyUsage }),
            null,
            null),
        ["IP only in the Common Name"] = (
            ca => ca.IssueServingCertificate("CN=127.0.0.1", Array.Empty<string>(), Array.Empty<IPAddress>(), new[] { ServerAuth }),
            null,
            "x509: certificate relies on legacy Common Name field, use SANs instead"),
        ["another IP"] = (
            ca => ca.IssueServingCertificate("CN=x", Array.Empty<string>(), new[] { IPAddress.Parse("10.0.0.1") }, new[] { ServerAuth }),
            null,
            "x509: certificate is valid for 10.0.0.1, not 127.0.0.1"),
        ["tls-server-name matching a DNS SAN"] = (
            ca => ca.IssueServingCertificate("CN=x", new[] { "kubernetes" }, Array.Empty<IPAddress>(), new[] { ServerAuth }),
            "kubernetes",
            null),
        ["tls-server-name only in the Common Name"] = (
            ca => ca.IssueServingCertificate("CN=kubernetes", Array.Empty<string>(), Array.Empty<IPAddress>(), new[] { ServerAuth }),
            "kubernetes",
            "x509: certificate relies on legacy Common Name field, use SANs instead"),
        ["tls-server-name not in the certificate"] = (
            ca => ca.IssueServingCertificate("CN=evil", new[] { "evil.example.com" }, Loopback, new[] { ServerAuth }),
            "kubernetes",
            "x509: certificate is valid for evil.example.com, not kubernetes"),
        ["wildcard covers one label"] = (
            ca => ca.IssueServingCertificate("CN=x", new[] { "*.example.com" }, Array.Empty<IPAddress>(), new[] { ServerAuth }),
            "api.example.com",
            null),
        ["wildcard does not cover two labels"] = (
            ca => ca.IssueServingCertificate("CN=x", new[] { "*.example.com" }, Array.Empty<IPAddress>(), new[] { ServerAuth }),
            "a.b.example.com",
            "x509: certificate is valid for *.example.com, not a.b.example.com"),
        ["signed by another CA"] = (
            _ =>
            {
                using var other = new CertificateAuthority();
                return other.IssueServerCertificate();
            },
            null,
            "x509: certificate signed by unknown authority"),
    };

    private static string? Kubectl =>
        new[] { "/usr/local/bin/kubectl", "/usr/bin/kubectl" }.FirstOrDefault(File.Exists);

    private static async Task<(int Exit, string Out, string Err)> RunAsync(string tool, string home, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = home;
        start.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
