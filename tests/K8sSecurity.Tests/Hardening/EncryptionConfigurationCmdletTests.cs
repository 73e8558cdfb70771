using System.Text.RegularExpressions;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Hardening;

/// <summary>New-K8sEncryptionConfiguration and Test-K8sEncryptionConfiguration through the real PowerShell engine.</summary>
public sealed class EncryptionConfigurationCmdletTests : IDisposable
{
    internal const string Narrow = "$Host.UI.RawUI.BufferSize = [System.Management.Automation.Host.Size]::new(80, 3000)\n";

    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Fact]
    public void WritesAFileThatPassesEveryCheckAndNoStreamShowsTheKey()
    {
        string path = Path.Combine(directory, "enc.yaml");
        var result = session.Invoke("New-K8sEncryptionConfiguration -Path $args[0] -Resource secrets, configmaps -Verbose", path).AssertNoErrors();
        var file = Assert.Single(result.Output);
        Assert.Equal("Created", file.Properties["Action"].Value);
        Assert.Equal("secretbox", file.Properties["Provider"].Value);
        Assert.Equal("key1", file.Properties["ActiveKey"].Value);
        Assert.NotEmpty(result.Verbose);

        string secret = SecretsOf(path).Single();
        Assert.Equal(32, Convert.FromBase64String(secret).Length);
        string rendered = session.Render(Narrow + "New-K8sEncryptionConfiguration -Path $args[0] -Force -Verbose", path);
        string renderedTest = session.Render(Narrow + "Test-K8sEncryptionConfiguration $args[0]", path);
        string secretAfterForce = SecretsOf(path).Single();
        Assert.NotEqual(secret, secretAfterForce);
        foreach (string key in new[] { secret, secretAfterForce })
        {
            Assert.DoesNotContain(key, result.AllText(session.Host.Text) + rendered + renderedTest, StringComparison.Ordinal);
        }

        var checks = session.Invoke("New-K8sEncryptionConfiguration -Path $args[0] -Force | Test-K8sEncryptionConfiguration -Resource secrets", path).AssertNoErrors();
        Assert.NotEmpty(checks.Output);
        Assert.All(checks.Output, c => Assert.Equal("Pass", c.Properties["Status"].Value?.ToString()));
        Assert.DoesNotContain(SecretsOf(path).Single(), checks.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public void ViewsFitIn80Columns()
    {
        string path = Path.Combine(directory, "view.yaml");
        string created = session.Render(Narrow + "New-K8sEncryptionConfiguration -Path $args[0] -Provider aescbc", path);
        Assert.Contains("Created", created, StringComparison.Ordinal);
        Assert.Contains("aescbc", created, StringComparison.Ordinal);
        string tested = session.Render(Narrow + "Test-K8sEncryptionConfiguration $args[0]", path);
        Assert.Contains("ENC-PROVIDER-STRENGTH", tested, StringComparison.Ordinal);
        Assert.Matches(new Regex(@"Warn\s+ENC-PROVIDER-STRENGTH"), tested);
        foreach (string line in (created + tested).Split('\n'))
        {
            Assert.True(line.TrimEnd('\r').Length <= 80, $"line longer than 80 columns: '{line}'");
        }
    }

    [Fact]
    public void RotationThroughTheCmdletKeepsTheOldKeyUntilRemoved()
    {
        string path = Path.Combine(directory, "rotate.yaml");
        session.Invoke("New-K8sEncryptionConfiguration $args[0] -Provider aesgcm", path).AssertNoErrors();
        string key1 = SecretsOf(path).Single();

        var added = session.Invoke("New-K8sEncryptionConfiguration $args[0] -AddKey -Verbose", path).AssertNoErrors();
        Assert.Equal("KeyAdded", Assert.Single(added.Output).Properties["Action"].Value);
        var afterAdd = SecretsOf(path);
        Assert.Equal(2, afterAdd.Count);
        Assert.Equal(key1, afterAdd[1]);

        session.Invoke("New-K8sEncryptionConfiguration $args[0] -RemoveOldKeys -WhatIf", path).AssertNoErrors();
        Assert.Equal(2, SecretsOf(path).Count);
        var removed = session.Invoke("New-K8sEncryptionConfiguration $args[0] -RemoveOldKeys", path).AssertNoErrors();
        Assert.Equal("OldKeysRemoved", Assert.Single(removed.Output).Properties["Action"].Value);
        Assert.Equal(new[] { afterAdd[0] }, SecretsOf(path));
        foreach (string key in afterAdd)
        {
            Assert.DoesNotContain(key, added.AllText() + removed.AllText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void WhatIfAndRefusalsWriteNothing()
    {
        string path = Path.Combine(directory, "refused.yaml");
        session.Invoke("New-K8sEncryptionConfiguration $args[0] -WhatIf", path).AssertNoErrors();
        Assert.False(File.Exists(path));

        var bad = session.Invoke("New-K8sEncryptionConfiguration $args[0] -Resource Secrets", path);
        var error = Assert.Single(bad.Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("Secrets", error.ToString(), StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        session.Invoke("New-K8sEncryptionConfiguration $args[0]", path).AssertNoErrors();
        string before = File.ReadAllText(path);
        var again = session.Invoke("New-K8sEncryptionConfiguration $args[0]", path);
        Assert.StartsWith("K8sFileSystem", Assert.Single(again.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(path));
        Assert.DoesNotContain(SecretsOf(path).Single(), again.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public void IdentityFirstConfigurationFails()
    {
        string path = Path.Combine(directory, "plain.yaml");
        File.WriteAllText(path, "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n");
        var failed = session.Invoke("Test-K8sEncryptionConfiguration $args[0] | Where-Object Status -eq Fail | ForEach-Object Id", path).AssertNoErrors()
            .Output.Select(o => o.ToString()).ToList();
        Assert.Contains("ENC-IDENTITY-FIRST", failed);
        Assert.Contains("ENC-KEY-STRENGTH", failed);
        var missing = session.Invoke("Test-K8sEncryptionConfiguration $args[0] -Resource configmaps | Where-Object Id -eq ENC-RESOURCE-MISSING", path).AssertNoErrors();
        Assert.Equal("Fail", Assert.Single(missing.Output).Properties["Status"].Value?.ToString());
        Assert.DoesNotContain("c2VjcmV0IGlzIHNlY3VyZQ==", missing.AllText(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    /// <summary>Key secrets in file order, read with a plain line scan (independent of the module).</summary>
    private static List<string> SecretsOf(string path) =>
        File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.StartsWith("secret:", StringComparison.Ordinal))
            .Select(l => l["secret:".Length..].Trim().Trim('"')).ToList();
}
