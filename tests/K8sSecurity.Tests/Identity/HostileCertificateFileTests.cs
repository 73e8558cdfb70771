using System.Diagnostics;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Identity;

/// <summary>
/// Issue 16 item 4 for the readers that take certificates and kubeconfigs by path (Get-K8sCertificate,
/// Test-K8sCertificate, Get-K8sKubeconfig, Get-K8sContext, Connect-K8sCluster): a FIFO named like a certificate or
/// kubeconfig used to hang them for good, and a link to /dev/zero ran them out of memory. Each is now an error naming
/// the file, and the other files of a folder are still read. The good certificate is made by openssl.
/// </summary>
public sealed class HostileCertificateFileTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Fact]
    public async Task A_pki_folder_with_a_fifo_and_a_dev_zero_link_reports_both_and_reads_the_real_certificate()
    {
        string pki = Path.Combine(directory, "pki");
        Directory.CreateDirectory(pki);
        IdentityTools.OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=real-ca",
            "-days", "30", "-keyout", Path.Combine(directory, "ca.key"), "-out", Path.Combine(pki, "b-ca.crt"));
        MakeFifo(Path.Combine(pki, "a-pipe.crt"));
        File.CreateSymbolicLink(Path.Combine(pki, "c-zero.crt"), "/dev/zero");

        foreach (string command in new[] { "Get-K8sCertificate -Path $args[0]", "Test-K8sCertificate -Path $args[0]" })
        {
            var result = await Task.Run(() => session.Invoke(command, pki)).WaitAsync(Bound);

            var found = Assert.Single(result.Output);
            string subject = (found.Properties["Subject"] ?? found.Properties["CommonName"])?.Value?.ToString() ?? string.Empty;
            Assert.Contains("real-ca", subject, StringComparison.Ordinal);
            Assert.Equal(2, result.Errors.Count);
            Assert.Contains(result.Errors, e => e.Exception.Message.Contains("a-pipe.crt", StringComparison.Ordinal)
                && e.Exception.Message.Contains("not a regular file", StringComparison.Ordinal));
            Assert.Contains(result.Errors, e => e.Exception.Message.Contains("c-zero.crt", StringComparison.Ordinal));
            Assert.All(result.Errors, e => Assert.StartsWith("K8sFileSystem,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_certificate_path_that_is_a_fifo_or_dev_zero_is_an_error_not_a_hang()
    {
        string fifo = Path.Combine(directory, "ca.crt");
        MakeFifo(fifo);
        string zero = Path.Combine(directory, "zero.pem");
        File.CreateSymbolicLink(zero, "/dev/zero");

        var result = await Task.Run(() => session.Invoke("Get-K8sCertificate -Path $args[0], $args[1]", fifo, zero)).WaitAsync(Bound);

        Assert.Empty(result.Output);
        Assert.Contains(result.Errors, e => e.Exception.Message.Contains(fifo, StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Exception.Message.Contains(zero, StringComparison.Ordinal)
            && e.Exception.Message.Contains("not a regular file", StringComparison.Ordinal));
        Assert.DoesNotContain(result.Errors, e => e.Exception is OutOfMemoryException);
    }

    [Theory]
    [InlineData("Get-K8sKubeconfig -Path $args[0]")]
    [InlineData("Get-K8sContext -Kubeconfig $args[0]")]
    [InlineData("Connect-K8sCluster -Kubeconfig $args[0]")]
    public async Task A_kubeconfig_that_is_a_fifo_or_dev_zero_is_an_error_not_a_hang(string command)
    {
        string fifo = Path.Combine(directory, "fifo-config");
        MakeFifo(fifo);
        string zero = Path.Combine(directory, "zero-config");
        File.CreateSymbolicLink(zero, "/dev/zero");

        foreach (string kubeconfig in new[] { fifo, zero })
        {
            var result = await Task.Run(() => session.Invoke(command, kubeconfig)).WaitAsync(Bound);

            var error = result.TerminatingError ?? Assert.Single(result.Errors);
            Assert.Contains(kubeconfig, error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains("not a regular file", error.Exception.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_kubeconfig_whose_certificate_authority_is_a_fifo_is_refused_before_connecting()
    {
        string fifo = Path.Combine(directory, "ca.crt");
        MakeFifo(fifo);
        string kubeconfig = Path.Combine(directory, "config");
        File.WriteAllText(kubeconfig, $$"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster: {server: "https://127.0.0.1:1", certificate-authority: "{{fifo}}"}
            users:
            - name: u
              user: {token: abc}
            contexts:
            - name: x
              context: {cluster: c, user: u}
            current-context: x
            """);

        var connect = await Task.Run(() => session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig)).WaitAsync(Bound);
        Assert.StartsWith("K8sConfiguration,", connect.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(fifo, connect.TerminatingError.Exception.Message, StringComparison.Ordinal);

        var certificates = await Task.Run(() => session.Invoke("Get-K8sCertificate -Kubeconfig $args[0]", kubeconfig)).WaitAsync(Bound);
        Assert.Contains(certificates.Errors, e => e.Exception.Message.Contains(fifo, StringComparison.Ordinal));
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", path);
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
