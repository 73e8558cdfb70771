using System.Security;
using K8sSecurity.Tests.Infrastructure;
using Xunit;
using static K8sSecurity.Tests.Identity.IdentityTools;

namespace K8sSecurity.Tests.Identity;

/// <summary>New-K8sKubeconfig and Get-K8sKubeconfig: every credential kind, merging, no-clobber, kubectl acceptance.</summary>
public sealed class KubeconfigTests : IClassFixture<IdentityServerFixture>, IDisposable
{
    private readonly IdentityServerFixture fixture;
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    public KubeconfigTests(IdentityServerFixture fixture)
    {
        this.fixture = fixture;
    }

    private (string Certificate, string Key) IssueClientFiles(string user, params string[] groups)
    {
        var (certificate, key) = fixture.Server.IssueClientCertificate(user, groups);
        string certificatePath = Path.Combine(directory, user + ".crt");
        string keyPath = Path.Combine(directory, user + ".key");
        File.WriteAllText(certificatePath, certificate);
        File.WriteAllText(keyPath, key);
        return (certificatePath, keyPath);
    }

    private static SecureString Secure(string text)
    {
        var secure = new SecureString();
        foreach (char c in text)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    [Fact]
    public void ClientCertificateKubeconfigCopiesTheClusterFromAContextAndAuthenticates()
    {
        var (certificate, key) = IssueClientFiles("carol", "auditors");
        string path = Path.Combine(directory, "carol.kubeconfig");
        var result = session.Invoke(
            "New-K8sKubeconfig -Path $args[0] -ClientCertificatePath $args[1] -ClientKeyPath $args[2] -Kubeconfig $args[3] -Namespace audit",
            path, certificate, key, fixture.AdminKubeconfig).AssertNoErrors();
        var user = Assert.Single(result.Output);
        Assert.Equal("carol", user.Properties["Name"].Value);
        Assert.Equal("ClientCertificate", user.Properties["AuthKind"].Value.ToString());
        Assert.Equal("embedded", user.Properties["CertificateSource"].Value);
        Assert.Equal(fixture.Server.BaseAddress.ToString().TrimEnd('/'), user.Properties["Server"].Value);
        Assert.True(IsMode0600(path));
        string kubectl = AssertKubectlAccepts(path);
        Assert.Contains("carol@k8ssecurity-test", kubectl);
        Assert.Contains("\"certificate-authority-data\": \"DATA+OMITTED\"", kubectl);

        using var asCarol = new PsSession();
        var connection = Assert.Single(asCarol.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", path).AssertNoErrors().Output);
        Assert.Equal("carol", connection.Properties["UserName"].Value);
        Assert.Equal("audit", connection.Properties["Namespace"].Value);
        AssertNoSecretLines(File.ReadAllText(key), result.AllText());
    }

    [Fact]
    public void TokenKubeconfigTakesASecureStringAndNeverShowsTheToken()
    {
        string token = fixture.Server.AddToken("tina", "testers");
        string path = Path.Combine(directory, "tina.kubeconfig");
        var result = session.Invoke(
            "New-K8sKubeconfig -Path $args[0] -Token $args[1] -UserName tina -Kubeconfig $args[2] -Verbose",
            path, Secure(token), fixture.AdminKubeconfig).AssertNoErrors();
        var user = Assert.Single(result.Output);
        Assert.Equal("Token", user.Properties["AuthKind"].Value.ToString());
        Assert.Contains(token, File.ReadAllText(path));
        Assert.DoesNotContain(token, result.AllText(session.Render("Get-K8sKubeconfig $args[0]", path)));
        AssertKubectlAccepts(path);

        using var asTina = new PsSession();
        var connection = Assert.Single(asTina.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", path).AssertNoErrors().Output);
        Assert.Equal("tina", connection.Properties["UserName"].Value);
        Assert.Contains("testers", (IEnumerable<string>)connection.Properties["Groups"].Value);
    }

    [Fact]
    public void OidcKubeconfigUsesTheKubeloginExecPlugin()
    {
        string path = Path.Combine(directory, "oidc.kubeconfig");
        session.Invoke(
            "New-K8sKubeconfig -Path $args[0] -OidcIssuerUrl https://login.example.com/realms/k8s -OidcClientId kubernetes -OidcExtraScope email,groups -UserName oidc-user -Server https://api.example.com:6443 -CACertificatePath $args[1]",
            path, fixture.CaPath).AssertNoErrors();
        string view = AssertKubectlAccepts(path);
        Assert.Contains("\"command\": \"kubectl\"", view);
        Assert.Contains("\"--oidc-issuer-url=https://login.example.com/realms/k8s\"", view);
        Assert.Contains("\"--oidc-extra-scope=groups\"", view);
        Assert.Contains("\"apiVersion\": \"client.authentication.k8s.io/v1beta1\"", view);
        var user = Assert.Single(session.Invoke("Get-K8sKubeconfig $args[0]", path).AssertNoErrors().Output);
        Assert.Equal("Exec", user.Properties["AuthKind"].Value.ToString());
        Assert.Equal("kubectl", user.Properties["ExecCommand"].Value);

        var bad = session.Invoke("New-K8sKubeconfig -Path $args[0] -OidcIssuerUrl http://insecure.example.com -OidcClientId k -Server https://api.example.com", Path.Combine(directory, "bad.kubeconfig"));
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(bad.Errors).FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(directory, "bad.kubeconfig")));
    }

    [Fact]
    public void OidcClientSecretGoesIntoTheKubeconfigOnlyAndIsValidatedFirst()
    {
        const string secret = "c0nfidential-Client-S3cret";
        string path = Path.Combine(directory, "oidc-confidential.kubeconfig");
        var result = session.Invoke(
            "New-K8sKubeconfig -Path $args[0] -OidcIssuerUrl https://login.example.com/realms/k8s -OidcClientId kubernetes -OidcClientSecret $args[1] -UserName oidc-user -Server https://api.example.com:6443 -CACertificatePath $args[2] -Verbose",
            path, Secure(secret), fixture.CaPath).AssertNoErrors();

        string view = AssertKubectlAccepts(path);
        Assert.Contains($"\"--oidc-client-secret={secret}\"", view);
        Assert.Equal("Exec", Assert.Single(result.Output).Properties["AuthKind"].Value.ToString());
        Assert.DoesNotContain(secret, result.AllText(session.Render("Get-K8sKubeconfig $args[0]", path)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        string badPath = Path.Combine(directory, "oidc-bad-secret.kubeconfig");
        var bad = session.Invoke(
            "New-K8sKubeconfig -Path $args[0] -OidcIssuerUrl https://login.example.com/realms/k8s -OidcClientId kubernetes -OidcClientSecret $args[1] -Server https://api.example.com",
            badPath, Secure("has a space"));
        var error = Assert.Single(bad.Errors);
        Assert.StartsWith("K8sInvalidArgument,", error.FullyQualifiedErrorId);
        Assert.Contains("OidcClientSecret", error.Exception.Message);
        Assert.DoesNotContain("has a space", bad.AllText());
        Assert.False(File.Exists(badPath));
    }

    [Fact]
    public void MergeAddsAContextWithoutTouchingOtherEntriesAndIsIdempotent()
    {
        string path = Path.Combine(directory, "merged.kubeconfig");
        File.Copy(fixture.AdminKubeconfig, path);
        var (certificate, key) = IssueClientFiles("mike", "devs");
        string script = "New-K8sKubeconfig -Path $args[0] -ClientCertificatePath $args[1] -ClientKeyPath $args[2] -Kubeconfig $args[3] -ContextName mike-ctx -Merge";

        var refused = session.Invoke(script.Replace(" -Merge", string.Empty, StringComparison.Ordinal), path, certificate, key, fixture.AdminKubeconfig);
        Assert.StartsWith("K8sFileSystem,", Assert.Single(refused.Errors).FullyQualifiedErrorId);
        Assert.Equal(File.ReadAllText(fixture.AdminKubeconfig), File.ReadAllText(path));

        session.Invoke(script, path, certificate, key, fixture.AdminKubeconfig).AssertNoErrors();
        var contexts = Run("kubectl", "config", "get-contexts", "-o", "name", "--kubeconfig", path);
        Assert.Equal(0, contexts.Exit);
        Assert.Equal(new[] { "mike-ctx", "test" }, contexts.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order());
        Assert.Equal("test", Run("kubectl", "config", "current-context", "--kubeconfig", path).Out.Trim());
        var adminEntry = Run("kubectl", "config", "view", "--raw", "--kubeconfig", path, "-o", "jsonpath={.users[?(@.name==\"admin\")].user.client-key-data}");
        var original = Run("kubectl", "config", "view", "--raw", "--kubeconfig", fixture.AdminKubeconfig, "-o", "jsonpath={.users[?(@.name==\"admin\")].user.client-key-data}");
        Assert.Equal(original.Out, adminEntry.Out);

        byte[] once = File.ReadAllBytes(path);
        session.Invoke(script, path, certificate, key, fixture.AdminKubeconfig).AssertNoErrors();
        Assert.Equal(once, File.ReadAllBytes(path));

        // A different user under an existing entry name needs -Force; the file stays as it was.
        var (otherCertificate, otherKey) = IssueClientFiles("other");
        var clash = session.Invoke(script + " -UserName mike", path, otherCertificate, otherKey, fixture.AdminKubeconfig);
        var error = Assert.Single(clash.Errors);
        Assert.StartsWith("K8sFileSystem,", error.FullyQualifiedErrorId);
        Assert.Contains("'mike'", error.Exception.Message);
        Assert.Equal(once, File.ReadAllBytes(path));
    }

    [Fact]
    public void ReferenceFilesWritesAbsolutePathsLikeTheSeed()
    {
        var (certificate, key) = IssueClientFiles("rick");
        string path = Path.Combine(directory, "rick.kubeconfig");
        session.Invoke(
            "New-K8sKubeconfig -Path $args[0] -ClientCertificatePath $args[1] -ClientKeyPath $args[2] -Server $args[3] -CACertificatePath $args[4] -ReferenceFiles",
            path, certificate, key, fixture.Server.BaseAddress.ToString().TrimEnd('/'), fixture.CaPath).AssertNoErrors();
        string view = AssertKubectlAccepts(path);
        Assert.Contains($"\"client-certificate\": \"{certificate}\"", view);
        Assert.Contains($"\"client-key\": \"{key}\"", view);
        Assert.Contains($"\"certificate-authority\": \"{fixture.CaPath}\"", view);
        var user = Assert.Single(session.Invoke("Get-K8sKubeconfig $args[0]", path).AssertNoErrors().Output);
        Assert.Equal(certificate, user.Properties["CertificateSource"].Value);
        Assert.Equal("rick", user.Properties["SubjectUser"].Value);

        using var asRick = new PsSession();
        Assert.Equal("rick", Assert.Single(asRick.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", path).AssertNoErrors().Output).Properties["UserName"].Value);
    }

    [Fact]
    public void AKeyThatDoesNotMatchTheCertificateIsRefusedAndNothingIsWritten()
    {
        var (certificate, _) = IssueClientFiles("ann");
        var (_, otherKey) = IssueClientFiles("bob");
        string path = Path.Combine(directory, "ann.kubeconfig");
        var result = session.Invoke("New-K8sKubeconfig -Path $args[0] -ClientCertificatePath $args[1] -ClientKeyPath $args[2] -Server https://api.example.com", path, certificate, otherKey);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sInvalidArgument,", error.FullyQualifiedErrorId);
        Assert.Contains(otherKey, error.Exception.Message);
        Assert.False(File.Exists(path));

        var badServer = session.Invoke("New-K8sKubeconfig -Path $args[0] -Token $args[1] -Server 'not a url'", path, Secure("abc"));
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(badServer.Errors).FullyQualifiedErrorId);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void WhatIfWritesNothing()
    {
        var (certificate, key) = IssueClientFiles("wanda");
        string path = Path.Combine(directory, "wanda.kubeconfig");
        session.Invoke("New-K8sKubeconfig -Path $args[0] -ClientCertificatePath $args[1] -ClientKeyPath $args[2] -Server https://api.example.com -WhatIf", path, certificate, key).AssertNoErrors();
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void GetK8sKubeconfigShowsEachUserWithCertificateIdentityAndExpiry()
    {
        string path = Path.Combine(directory, "mixed.kubeconfig");
        File.Copy(fixture.AdminKubeconfig, path);
        session.Invoke("New-K8sKubeconfig -Path $args[0] -Token $args[1] -UserName deployer -Kubeconfig $args[2] -Merge", path, Secure("t0ken-value"), fixture.AdminKubeconfig).AssertNoErrors();

        var users = session.Invoke("Get-K8sKubeconfig -Path $args[0]", path).AssertNoErrors().Output;
        Assert.Equal(2, users.Count);
        var admin = users.Single(u => (string)u.Properties["Name"].Value == "admin");
        Assert.Equal("ClientCertificate", admin.Properties["AuthKind"].Value.ToString());
        Assert.Equal("admin", admin.Properties["SubjectUser"].Value);
        Assert.Equal(new[] { "system:masters" }, (IEnumerable<string>)admin.Properties["SubjectGroups"].Value);
        Assert.Equal("CN=k8ssecurity-test-ca", admin.Properties["Issuer"].Value);
        Assert.InRange((int)admin.Properties["DaysRemaining"].Value, 360, 366);
        Assert.Equal(true, admin.Properties["IsCurrent"].Value);
        var deployer = users.Single(u => (string)u.Properties["Name"].Value == "deployer");
        Assert.Equal("Token", deployer.Properties["AuthKind"].Value.ToString());
        Assert.Null(deployer.Properties["NotAfter"].Value);

        Assert.Single(session.Invoke("Get-K8sKubeconfig -Path $args[0] -Name dep*", path).AssertNoErrors().Output);
        string text = session.Render("Get-K8sKubeconfig -Path $args[0]", path);
        Assert.Matches(@"Current\s+Name\s+AuthKind\s+SubjectUser\s+NotAfter\s+Days\s+Problem", text);
        Assert.Matches(@"\*\s+admin\s+ClientCertificate\s+admin\s+\d{4}-\d{2}-\d{2}\s+36\d", text);
        Assert.DoesNotContain("t0ken-value", text);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
