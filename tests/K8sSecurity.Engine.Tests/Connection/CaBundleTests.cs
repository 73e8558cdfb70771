using System.Diagnostics;
using System.Text;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.TestServer;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>
/// The kubeconfig's certificate-authority-data as a bundle: the server is trusted when any CA of the bundle signed
/// it, refused when none did, and CA data that holds no certificate at all is refused before connecting (never a
/// silent fall-back to the system roots). Expected outcomes are kubectl v1.32's, asked again when it is installed.
/// </summary>
public sealed class CaBundleTests : IAsyncLifetime
{
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-ca-bundle-").FullName;
    private KubeApiTestServer server = null!;
    private string token = null!;

    public async Task InitializeAsync()
    {
        server = await KubeApiTestServer.StartAsync();
        token = server.AddToken("robot", "system:masters");
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task A_bundle_whose_second_ca_signed_the_server_is_trusted_also_when_both_have_the_same_name()
    {
        // Both are named CN=k8ssecurity-test-ca, like the old and the new CA in a bundle during a CA rotation.
        using var other = new CertificateAuthority();
        Assert.Equal(server.Context.Ca.Certificate.Subject, other.Certificate.Subject);
        string kubeconfig = WithCaData("second", other.CertificatePem + server.CaCertificatePem);

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        Assert.Equal("robot", (await client.VerifyAsync(CancellationToken.None)).UserName);
        await AssertKubectlAsync(kubeconfig, null);
    }

    [Fact]
    public async Task A_bundle_of_other_cas_only_is_refused_and_no_request_is_sent()
    {
        using var first = new CertificateAuthority();
        using var second = new CertificateAuthority();
        string kubeconfig = WithCaData("others", first.CertificatePem + second.CertificatePem);
        server.ClearRequests();

        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var error = await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        Assert.Contains("x509: certificate signed by unknown authority", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
        await AssertKubectlAsync(kubeconfig, "x509: certificate signed by unknown authority");
    }

    [Theory]
    [InlineData("private-key", "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF\n-----END PRIVATE KEY-----\n", "unable to load root certificates: no valid certificate authority data seen")]
    [InlineData("not-pem", "this is not a certificate\n", "unable to load root certificates: unable to parse bytes as PEM block")]
    public async Task Ca_data_without_a_certificate_is_refused_before_connecting(string name, string data, string kubectlSays)
    {
        string kubeconfig = WithCaData(name, data);
        server.ClearRequests();

        var error = await Assert.ThrowsAsync<K8sOperationException>(async () =>
        {
            using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
            await client.VerifyAsync(CancellationToken.None);
        });
        Assert.Equal(K8sErrorKind.Configuration, error.Kind);
        Assert.Contains(kubectlSays, error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
        await AssertKubectlAsync(kubeconfig, kubectlSays);
    }

    private string WithCaData(string name, string caPem)
    {
        string kubeconfig = server.WriteTokenKubeconfig(Path.Combine(directory, name), token);
        string original = Convert.ToBase64String(Encoding.UTF8.GetBytes(server.CaCertificatePem));
        string text = File.ReadAllText(kubeconfig);
        Assert.Contains(original, text, StringComparison.Ordinal);
        File.WriteAllText(kubeconfig, text.Replace(original, Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem)), StringComparison.Ordinal));
        return kubeconfig;
    }

    private async Task AssertKubectlAsync(string kubeconfig, string? kubectlSays)
    {
        string? kubectl = new[] { "/usr/local/bin/kubectl", "/usr/bin/kubectl" }.FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            return;
        }

        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { "--kubeconfig", kubeconfig, "get", "--raw", "/version" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["HOME"] = directory;
        start.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        _ = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        if (kubectlSays is null)
        {
            Assert.True(process.ExitCode == 0, await stderr);
        }
        else
        {
            Assert.NotEqual(0, process.ExitCode);
            Assert.Contains(kubectlSays, await stderr, StringComparison.Ordinal);
        }
    }
}
