using K8sSecurity.Tests.Infrastructure;
using Xunit;
using static K8sSecurity.Tests.Identity.IdentityTools;

namespace K8sSecurity.Tests.Identity;

/// <summary>
/// Files that belong together (a key and its certificate, the user's key/CSR/certificate/kubeconfig) change together:
/// hostile or broken targets are generated here (a folder where a file should go, a file where a folder should be, a
/// symbolic link) and every refused run must leave every file as it was.
/// </summary>
public sealed class FileGroupTests : IClassFixture<IdentityServerFixture>, IDisposable
{
    private readonly IdentityServerFixture fixture;
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    public FileGroupTests(IdentityServerFixture fixture)
    {
        this.fixture = fixture;
    }

    private string[] FilesIn(string folder) => Directory.GetFiles(folder).Select(Path.GetFileName).Order().ToArray()!;

    [Fact]
    public void CertificateAuthorityForceThatCannotWriteTheCertificateKeepsTheOldKey()
    {
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0] -KeyAlgorithm EcdsaP256", directory).AssertNoErrors();
        byte[] oldKey = File.ReadAllBytes(Path.Combine(directory, "ca.key"));

        // Failure injection: the certificate's place is taken by a folder.
        File.Delete(Path.Combine(directory, "ca.crt"));
        Directory.CreateDirectory(Path.Combine(directory, "ca.crt"));
        var result = session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0] -KeyAlgorithm EcdsaP256 -Force", directory);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sFileSystem,", error.FullyQualifiedErrorId);
        Assert.Contains("ca.crt", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(oldKey, File.ReadAllBytes(Path.Combine(directory, "ca.key")));
        Assert.Equal(new[] { "ca.key" }, FilesIn(directory));
    }

    [Fact]
    public void NewCertificateForceThatCannotWriteTheCertificateKeepsTheOldKey()
    {
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0] -KeyAlgorithm EcdsaP256", directory).AssertNoErrors();
        string script = "New-K8sCertificate Admin -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[0].Replace('ca.crt', '') -KeyAlgorithm EcdsaP256";
        session.Invoke(script, Path.Combine(directory, "ca.crt"), Path.Combine(directory, "ca.key")).AssertNoErrors();
        byte[] oldKey = File.ReadAllBytes(Path.Combine(directory, "admin.key"));
        File.Delete(Path.Combine(directory, "admin.crt"));
        Directory.CreateDirectory(Path.Combine(directory, "admin.crt"));

        var result = session.Invoke(script + " -Force", Path.Combine(directory, "ca.crt"), Path.Combine(directory, "ca.key"));
        Assert.StartsWith("K8sFileSystem,", Assert.Single(result.Errors).FullyQualifiedErrorId);
        Assert.Equal(oldKey, File.ReadAllBytes(Path.Combine(directory, "admin.key")));
        Assert.Equal(new[] { "admin.key", "ca.crt", "ca.key" }, FilesIn(directory));
    }

    [Theory]
    [InlineData("under-a-file")]
    [InlineData("a-folder")]
    public void UserCertificateWithAnUnwritableKubeconfigPathLeavesNoKeyRequestOrCertificate(string how)
    {
        string ca = Path.Combine(directory, "ca");
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0] -KeyAlgorithm EcdsaP256", ca).AssertNoErrors();
        string output = Path.Combine(directory, "out");
        Directory.CreateDirectory(output);
        string kubeconfig;
        if (how == "under-a-file")
        {
            File.WriteAllText(Path.Combine(directory, "blocker"), "a file where a folder should be");
            kubeconfig = Path.Combine(directory, "blocker", "sammy.kubeconfig");
        }
        else
        {
            kubeconfig = Path.Combine(directory, "sammy.kubeconfig");
            Directory.CreateDirectory(kubeconfig);
        }

        var result = session.Invoke(
            "New-K8sUserCertificate sammy -KeyAlgorithm EcdsaP256 -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KubeconfigPath $args[3] -Server https://10.0.0.1:6443 -Force",
            output, Path.Combine(ca, "ca.crt"), Path.Combine(ca, "ca.key"), kubeconfig);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sFileSystem,", error.FullyQualifiedErrorId);
        Assert.Contains("sammy.kubeconfig", error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(FilesIn(output));
    }

    [Fact]
    public void SubmittingWithAnUnwritableKubeconfigPathSendsNothingAndWritesNothing()
    {
        File.WriteAllText(Path.Combine(directory, "blocker"), "x");
        string name = $"blocked-{Guid.NewGuid():N}"[..16];
        fixture.Server.ClearRequests();
        var result = session.Invoke(
            "New-K8sUserCertificate tina -Submit -Approve -Wait -Timeout 10 -RequestName $args[0] -KeyAlgorithm EcdsaP256 -OutputDirectory $args[1] -KubeconfigPath $args[2] -Kubeconfig $args[3]",
            name, Path.Combine(directory, "out"), Path.Combine(directory, "blocker", "tina.kubeconfig"), fixture.AdminKubeconfig);
        Assert.StartsWith("K8sFileSystem,", Assert.Single(result.Errors).FullyQualifiedErrorId);
        Assert.DoesNotContain(fixture.Server.Requests, r => r.Path.Contains("certificatesigningrequests", StringComparison.Ordinal));
        Assert.False(Directory.Exists(Path.Combine(directory, "out")));
    }

    [Fact]
    public void ReceiveWithAnUnwritableKubeconfigPathWritesNoCertificate()
    {
        string name = $"recv-{Guid.NewGuid():N}"[..14];
        session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", fixture.AdminKubeconfig).AssertNoErrors();
        session.Invoke("New-K8sUserCertificate rosa -Submit -Approve -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, directory).AssertNoErrors();
        string kubeconfig = Path.Combine(directory, "rosa.kubeconfig");
        Directory.CreateDirectory(kubeconfig);

        var result = session.Invoke(
            "Receive-K8sCertificate $args[0] -Wait -Timeout 10 -KeyPath $args[1] -OutputDirectory $args[2] -KubeconfigPath $args[3] -Force",
            name, Path.Combine(directory, "rosa.key"), directory, kubeconfig);
        Assert.StartsWith("K8sFileSystem,", Assert.Single(result.Errors).FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(directory, "rosa.crt")));

        // With a usable path, the certificate and the kubeconfig are written together.
        Directory.Delete(kubeconfig);
        session.Invoke("Receive-K8sCertificate $args[0] -KeyPath $args[1] -OutputDirectory $args[2] -KubeconfigPath $args[3]", name, Path.Combine(directory, "rosa.key"), directory, kubeconfig).AssertNoErrors();
        Assert.Contains("rosa", AssertKubectlAccepts(kubeconfig), StringComparison.Ordinal);
        Assert.True(IsMode0600(kubeconfig));
        Assert.Equal(new[] { "rosa.crt", "rosa.csr", "rosa.key", "rosa.kubeconfig" }, FilesIn(directory));
    }

    [Fact]
    public void MergeIntoASymlinkedKubeconfigEditsTheFileTheLinkPointsTo()
    {
        // ~/.kube/config -> dotfiles/kube/config, as many admins keep it; kubectl config set-context writes through it.
        string real = Path.Combine(directory, "dotfiles", "kube", "config");
        Directory.CreateDirectory(Path.GetDirectoryName(real)!);
        File.Copy(fixture.AdminKubeconfig, real);
        string link = Path.Combine(directory, "config");
        File.CreateSymbolicLink(link, Path.Combine("dotfiles", "kube", "config"));
        string chain = Path.Combine(directory, "chain");
        File.CreateSymbolicLink(chain, "config");

        var merged = session.Invoke(
            "New-K8sKubeconfig -Path $args[0] -Token $args[2] -Kubeconfig $args[1] -UserName ci -ContextName ci-ctx -Merge -Verbose",
            chain, fixture.AdminKubeconfig, Secure("ci-token-value"));
        merged.AssertNoErrors();
        Assert.Contains(merged.Verbose, v => v.Contains("symbolic link", StringComparison.Ordinal) && v.Contains(real, StringComparison.Ordinal));

        Assert.Equal(Path.Combine("dotfiles", "kube", "config"), new FileInfo(link).LinkTarget);
        Assert.Equal("config", new FileInfo(chain).LinkTarget);
        var contexts = Run("kubectl", "config", "get-contexts", "-o", "name", "--kubeconfig", real);
        Assert.Equal(new[] { "ci-ctx", "test" }, contexts.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.True(IsMode0600(real));
        Assert.Equal(new[] { "config" }, FilesIn(Path.GetDirectoryName(real)!));

        // A new kubeconfig (no -Merge) at a link is refused without -Force, and -Force replaces the link, not its target.
        byte[] before = File.ReadAllBytes(real);
        var refused = session.Invoke("New-K8sKubeconfig -Path $args[0] -Token $args[2] -Kubeconfig $args[1] -UserName ci2", link, fixture.AdminKubeconfig, Secure("t2"));
        Assert.StartsWith("K8sFileSystem,", Assert.Single(refused.Errors).FullyQualifiedErrorId);
        session.Invoke("New-K8sKubeconfig -Path $args[0] -Token $args[2] -Kubeconfig $args[1] -UserName ci2 -Force", link, fixture.AdminKubeconfig, Secure("t2")).AssertNoErrors();
        Assert.Null(new FileInfo(link).LinkTarget);
        Assert.Equal(before, File.ReadAllBytes(real));
    }

    [Fact]
    public void ExportIsRefusedBeforeReadingInputWhenItsPathCannotBeWritten()
    {
        File.WriteAllText(Path.Combine(directory, "blocker"), "x");
        string examples = Path.Combine(TestPaths.RepoRoot, "examples", "manifests");
        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] | Export-K8sSecurityReport -Path $args[1]", examples, Path.Combine(directory, "blocker", "report.sarif"));
        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sFileSystem,", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Contains("is a file, not a folder", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private static System.Security.SecureString Secure(string text)
    {
        var secure = new System.Security.SecureString();
        foreach (char c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }
}
