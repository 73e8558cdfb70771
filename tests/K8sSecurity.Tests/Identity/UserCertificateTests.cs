using K8sSecurity.Tests.Infrastructure;
using Xunit;
using static K8sSecurity.Tests.Identity.IdentityTools;

namespace K8sSecurity.Tests.Identity;

/// <summary>New-K8sUserCertificate offline: key + CSR, local CA signing, kubeconfig; checked by openssl and kubectl.</summary>
public sealed class UserCertificateTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    public UserCertificateTests()
    {
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0] -Confirm:$false", directory).AssertNoErrors();
    }

    private string Ca => Path.Combine(directory, "ca.crt");

    private string CaKey => Path.Combine(directory, "ca.key");

    [Theory]
    [InlineData("Rsa2048", "Private-Key: (2048 bit")]
    [InlineData("Rsa3072", "Private-Key: (3072 bit")]
    [InlineData("Rsa4096", "Private-Key: (4096 bit")]
    [InlineData("EcdsaP256", "prime256v1")]
    [InlineData("EcdsaP384", "secp384r1")]
    public void LocalCaSigningGivesFilesThatOpensslAndKubectlAccept(string algorithm, string opensslKeyText)
    {
        string output = Path.Combine(directory, algorithm);
        string kubeconfig = Path.Combine(output, "sammy.kubeconfig");
        var result = session.Invoke(
            "New-K8sUserCertificate -UserName sammy -Group developers,qa -KeyAlgorithm $args[0] -OutputDirectory $args[1] -CACertificatePath $args[2] -CAKeyPath $args[3] -KubeconfigPath $args[4] -Server https://10.0.0.10:6443 -Namespace dev",
            algorithm, output, Ca, CaKey, kubeconfig).AssertNoErrors();

        var created = Assert.Single(result.Output);
        Assert.Equal("Issued", created.Properties["Status"].Value.ToString());
        Assert.Equal(new[] { "developers", "qa" }, (IEnumerable<string>)created.Properties["Groups"].Value);
        string key = Path.Combine(output, "sammy.key");
        string csr = Path.Combine(output, "sammy.csr");
        string certificate = Path.Combine(output, "sammy.crt");
        Assert.Equal(key, created.Properties["KeyPath"].Value);
        Assert.Equal(certificate, created.Properties["CertificatePath"].Value);
        Assert.Equal(kubeconfig, created.Properties["KubeconfigPath"].Value);

        // The key: PKCS#8, 0600, the requested algorithm.
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key));
        Assert.True(IsMode0600(key));
        Assert.True(IsMode0600(kubeconfig));
        Assert.Contains(opensslKeyText, OpenSsl("pkey", "-in", key, "-noout", "-text"));

        // The CSR: valid self-signature, CN = user, one O per group.
        string csrText = OpenSsl("req", "-verify", "-noout", "-subject", "-in", csr);
        Assert.Contains("subject=CN = sammy, O = developers, O = qa", csrText);

        // The certificate: chains to the CA, client auth only.
        Assert.Contains("sammy.crt: OK", OpenSsl("verify", "-CAfile", Ca, certificate));
        string text = OpenSsl("x509", "-in", certificate, "-noout", "-text");
        Assert.Contains("TLS Web Client Authentication", text);
        Assert.DoesNotContain("TLS Web Server Authentication", text);
        Assert.Contains("CA:FALSE", text);

        // The kubeconfig: kubectl reads it, with the context, namespace and embedded credentials.
        string kubectl = AssertKubectlAccepts(kubeconfig);
        Assert.Contains("sammy@10.0.0.10", kubectl);
        Assert.Contains("\"namespace\": \"dev\"", kubectl);
        Assert.Contains("\"client-certificate-data\": \"DATA+OMITTED\"", kubectl);
    }

    [Fact]
    public void RequestOnlyWritesKeyAndCsrAndNothingElse()
    {
        var result = session.Invoke("New-K8sUserCertificate sammy developers -OutputDirectory $args[0] -KeyAlgorithm EcdsaP256", directory).AssertNoErrors();
        Assert.Equal("Created", Assert.Single(result.Output).Properties["Status"].Value.ToString());
        Assert.True(File.Exists(Path.Combine(directory, "sammy.key")));
        Assert.Contains("subject=CN = sammy, O = developers", OpenSsl("req", "-verify", "-noout", "-subject", "-in", Path.Combine(directory, "sammy.csr")));
        Assert.False(File.Exists(Path.Combine(directory, "sammy.crt")));
    }

    [Fact]
    public void RerunWithoutForceFailsCleanlyAndLeavesEveryFileByteIdentical()
    {
        string kubeconfig = Path.Combine(directory, "sammy.kubeconfig");
        const string script = "New-K8sUserCertificate sammy developers -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KubeconfigPath $args[3] -Server https://10.0.0.10:6443 -KeyAlgorithm EcdsaP256";
        session.Invoke(script, directory, Ca, CaKey, kubeconfig).AssertNoErrors();
        string[] files = { "sammy.key", "sammy.csr", "sammy.crt", "sammy.kubeconfig" };
        var before = files.ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(directory, f)));

        var again = session.Invoke(script, directory, Ca, CaKey, kubeconfig);
        var error = Assert.Single(again.Errors);
        Assert.StartsWith("K8sFileSystem,", error.FullyQualifiedErrorId);
        Assert.Contains("-Force", error.Exception.Message);
        Assert.Empty(again.Output);
        foreach (string file in files)
        {
            Assert.Equal(before[file], File.ReadAllBytes(Path.Combine(directory, file)));
        }

        // With -Force everything is replaced by a new key and certificate.
        session.Invoke(script + " -Force", directory, Ca, CaKey, kubeconfig).AssertNoErrors();
        Assert.NotEqual(before["sammy.key"], File.ReadAllBytes(Path.Combine(directory, "sammy.key")));
        Assert.NotEqual(before["sammy.crt"], File.ReadAllBytes(Path.Combine(directory, "sammy.crt")));
    }

    [Fact]
    public void AnExistingLaterTargetStopsTheRunBeforeAKeyIsGenerated()
    {
        // Only the kubeconfig exists: the run must refuse before writing sammy.key or sammy.csr.
        string kubeconfig = Path.Combine(directory, "taken.kubeconfig");
        File.WriteAllText(kubeconfig, "keep me");
        var result = session.Invoke(
            "New-K8sUserCertificate sammy -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KubeconfigPath $args[3] -Server https://10.0.0.10:6443",
            directory, Ca, CaKey, kubeconfig);
        Assert.StartsWith("K8sFileSystem,", Assert.Single(result.Errors).FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(directory, "sammy.key")));
        Assert.False(File.Exists(Path.Combine(directory, "sammy.csr")));
        Assert.Equal("keep me", File.ReadAllText(kubeconfig));
    }

    [Fact]
    public void KeyMaterialNeverReachesAnyStream()
    {
        string kubeconfig = Path.Combine(directory, "canary.kubeconfig");
        const string script = "New-K8sUserCertificate canary developers -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KubeconfigPath $args[3] -Server https://10.0.0.10:6443 -KeyAlgorithm EcdsaP256 -Verbose";
        var first = session.Invoke(script, directory, Ca, CaKey, kubeconfig).AssertNoErrors();
        string rendered = session.Render("New-K8sUserCertificate canary2 -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KeyAlgorithm EcdsaP256 -Verbose", directory, Ca, CaKey);
        var failed = session.Invoke(script, directory, Ca, CaKey, kubeconfig); // refused: files exist
        var wrongKey = session.Invoke(
            "New-K8sUserCertificate canary3 -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -Verbose",
            directory, Ca, Path.Combine(directory, "canary.key")); // a user key is not the CA key
        Assert.NotEmpty(first.Verbose);
        Assert.NotEmpty(failed.Errors);
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(wrongKey.Errors).FullyQualifiedErrorId);

        string streams = first.AllText(rendered) + failed.AllText() + wrongKey.AllText();
        foreach (string secret in new[] { "canary.key", "canary2.key", "ca.key" })
        {
            AssertNoSecretLines(File.ReadAllText(Path.Combine(directory, secret)), streams);
        }

        // The kubeconfig embeds the key base64-encoded; that text must not leak either.
        foreach (string line in File.ReadAllLines(kubeconfig).Where(l => l.Contains("client-key-data", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain(line.Split(':')[1].Trim()[..40], streams);
        }
    }

    [Fact]
    public void WhatIfWritesNothing()
    {
        var result = session.Invoke(
            "New-K8sUserCertificate sammy -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -WhatIf",
            directory, Ca, CaKey).AssertNoErrors();
        Assert.Empty(result.Output);
        Assert.Contains("sammy.key", session.Host.Text + string.Join('\n', result.Information));
        Assert.Equal(new[] { "ca.crt", "ca.key" }, Directory.GetFiles(directory).Select(Path.GetFileName).Order().ToArray());
    }

    [Fact]
    public void SystemMastersFromALocalCaNeedsForce()
    {
        var result = session.Invoke(
            "New-K8sUserCertificate root system:masters -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KeyAlgorithm EcdsaP256 -Force",
            directory, Ca, CaKey).AssertNoErrors();
        string certificate = (string)Assert.Single(result.Output).Properties["CertificatePath"].Value;
        Assert.Contains("O = system:masters", OpenSsl("x509", "-in", certificate, "-noout", "-subject"));
    }

    [Fact]
    public void BadInputIsRefusedBeforeAnythingIsWritten()
    {
        var blank = session.Invoke("New-K8sUserCertificate ' sammy' -OutputDirectory $args[0]", directory);
        var error = Assert.Single(blank.Errors);
        Assert.StartsWith("K8sInvalidArgument,", error.FullyQualifiedErrorId);
        Assert.Contains("' sammy'", error.Exception.Message);

        var noKubeconfigCertificate = session.Invoke("New-K8sUserCertificate sammy -OutputDirectory $args[0] -Submit -KubeconfigPath $args[1]", directory, Path.Combine(directory, "k"));
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(noKubeconfigCertificate.Errors).FullyQualifiedErrorId);

        var masters = session.Invoke("New-K8sUserCertificate root system:masters -OutputDirectory $args[0] -Submit -Approve", directory);
        var mastersError = Assert.Single(masters.Errors);
        Assert.StartsWith("K8sInvalidArgument,", mastersError.FullyQualifiedErrorId);
        Assert.Contains("system:masters", mastersError.Exception.Message);

        // Signing with a local CA is approving too: the same -Force rule, for users and for custom certificates.
        var localMasters = session.Invoke("New-K8sUserCertificate root system:masters -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2]", directory, Ca, CaKey);
        var localMastersError = Assert.Single(localMasters.Errors);
        Assert.StartsWith("K8sInvalidArgument,", localMastersError.FullyQualifiedErrorId);
        Assert.Contains("system:masters", localMastersError.Exception.Message);
        var customMasters = session.Invoke("New-K8sCertificate -CommonName root -Organization system:masters -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2]", directory, Ca, CaKey);
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(customMasters.Errors).FullyQualifiedErrorId);

        var otherCa = TestPaths.NewTempDirectory();
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0]", otherCa).AssertNoErrors();
        var mismatch = session.Invoke(
            "New-K8sUserCertificate sammy -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2]",
            directory, Ca, Path.Combine(otherCa, "ca.key"));
        var mismatchError = Assert.Single(mismatch.Errors);
        Assert.StartsWith("K8sInvalidArgument,", mismatchError.FullyQualifiedErrorId);
        Assert.Contains("does not belong to the CA certificate", mismatchError.Exception.Message);
        Assert.Equal(new[] { "ca.crt", "ca.key" }, Directory.GetFiles(directory).Select(Path.GetFileName).Order().ToArray());
    }

    [Fact]
    public void OutputPipesIntoNewK8sKubeconfigByPropertyName()
    {
        string kubeconfig = Path.Combine(directory, "piped.kubeconfig");
        var result = session.Invoke(
            "New-K8sUserCertificate sammy developers -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KeyAlgorithm EcdsaP256 | New-K8sKubeconfig -Path $args[3] -Server https://api.example.com:6443 -CertificateAuthorityPath $args[1]", // the alias of -CACertificatePath
            directory, Ca, CaKey, kubeconfig).AssertNoErrors();
        var user = Assert.Single(result.Output);
        Assert.Equal("sammy", user.Properties["Name"].Value);
        Assert.Equal("sammy", user.Properties["SubjectUser"].Value);
        Assert.Equal(new[] { "developers" }, (IEnumerable<string>)user.Properties["SubjectGroups"].Value);
        Assert.Contains("sammy@api.example.com", AssertKubectlAccepts(kubeconfig));
    }

    [Fact]
    public void DefaultViewIsATableWithStatusAndFiles()
    {
        string text = session.Render(
            "New-K8sUserCertificate sammy developers,qa -OutputDirectory $args[0] -CACertificatePath $args[1] -CAKeyPath $args[2] -KeyAlgorithm EcdsaP256",
            directory, Ca, CaKey);
        Assert.Matches(@"UserName\s+Groups\s+Status\s+NotAfter\s+Files", text);
        Assert.Matches(@"sammy\s+developers, qa\s+Issued\s+\d{4}-\d{2}-\d{2}\s+sammy\.key sammy\.csr sammy\.crt", text);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
