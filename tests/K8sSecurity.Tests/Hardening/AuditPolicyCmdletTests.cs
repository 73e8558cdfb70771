using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Hardening;

/// <summary>New-K8sAuditPolicy and Test-K8sAuditPolicy through the real PowerShell engine.</summary>
public sealed class AuditPolicyCmdletTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Fact]
    public void WrittenPolicyPassesEveryCheckAndTheViewFits80Columns()
    {
        string path = Path.Combine(directory, "policy.yaml");
        var written = session.Invoke("New-K8sAuditPolicy $args[0] -GroupLevel @{ apps = 'RequestResponse'; core = 'Request' } -SensitiveResource sealedsecrets.bitnami.com", path).AssertNoErrors();
        var file = Assert.Single(written.Output);
        Assert.Equal(path, file.Properties["Path"].Value);
        Assert.Contains("secrets", (IEnumerable<string>)file.Properties["MetadataOnly"].Value!);

        var failing = session.Invoke("Test-K8sAuditPolicy $args[0] -SensitiveResource sealedsecrets.bitnami.com | Where-Object Status -ne Pass", path).AssertNoErrors();
        Assert.Empty(failing.Output);

        string text = File.ReadAllText(path);
        Assert.Contains("omitStages:\n- RequestReceived", text, StringComparison.Ordinal);
        string rendered = session.Render(EncryptionConfigurationCmdletTests.Narrow + "Test-K8sAuditPolicy $args[0]", path)
            + session.Render(EncryptionConfigurationCmdletTests.Narrow + "New-K8sAuditPolicy $args[0] -Force", path);
        Assert.Contains("AUDIT-SECRET-BODIES", rendered, StringComparison.Ordinal);
        Assert.All(rendered.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 80, line));
    }

    [Fact]
    public void PolicyThatLogsSecretBodiesFailsWithTheRuleThatDoesIt()
    {
        string path = Path.Combine(directory, "leaky.yaml");
        File.WriteAllText(path, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n  verbs: [get, list]\n- level: Metadata\n  resources: [{group: '', resources: [secrets]}]\n");
        var result = session.Invoke("Test-K8sAuditPolicy $args[0] | Where-Object { $_.Id -eq 'AUDIT-SECRET-BODIES' -and $_.Status -eq 'Fail' }", path).AssertNoErrors();
        Assert.NotEmpty(result.Output);
        Assert.All(result.Output, r => Assert.Equal("rules[0] level RequestResponse", r.Properties["Effective"].Value));
    }

    [Fact]
    public void BadInputIsRefusedAndExistingFilesAreKept()
    {
        string path = Path.Combine(directory, "refused.yaml");
        var bad = session.Invoke("New-K8sAuditPolicy $args[0] -GroupLevel @{ apps = 'Everything' }", path);
        Assert.StartsWith("K8sInvalidArgument", bad.TerminatingError?.FullyQualifiedErrorId ?? Assert.Single(bad.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.False(File.Exists(path));

        session.Invoke("New-K8sAuditPolicy $args[0] -WhatIf", path).AssertNoErrors();
        Assert.False(File.Exists(path));
        session.Invoke("New-K8sAuditPolicy $args[0]", path).AssertNoErrors();
        string before = File.ReadAllText(path);
        var again = session.Invoke("New-K8sAuditPolicy $args[0] -DefaultLevel None", path);
        Assert.StartsWith("K8sFileSystem", Assert.Single(again.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(path));

        var unreadable = session.Invoke("Test-K8sAuditPolicy $args[0]", Path.Combine(directory, "missing.yaml"));
        Assert.StartsWith("K8sFileSystem", Assert.Single(unreadable.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
