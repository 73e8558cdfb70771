using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Hardening;

/// <summary>Test-K8sNodeConfiguration and Invoke-K8sSecurityAudit -NodePath through the real PowerShell engine.</summary>
public sealed class NodeConfigurationCmdletTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string node = TestPaths.NewTempDirectory();

    public NodeConfigurationCmdletTests()
    {
        // The kubeadm node of the engine tests (files only; the engine tests cover modes and owners).
        string source = Path.Combine(TestPaths.RepoRoot, "tests", "K8sSecurity.Engine.Tests", "Hardening", "NodeTrees", "kubeadm");
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string target = Path.Combine(node, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }

    [Fact]
    public void ReportsEachCheckWithItsEffectiveValueAndAFixedSettingPasses()
    {
        var failing = session.Invoke("Test-K8sNodeConfiguration $args[0] | Where-Object Id -eq '1.2.15'", node).AssertNoErrors();
        var profiling = Assert.Single(failing.Output);
        Assert.Equal("Fail", profiling.Properties["Status"].Value?.ToString());
        Assert.Equal("true (default)", profiling.Properties["Effective"].Value);
        Assert.Equal("kube-apiserver", profiling.Properties["Component"].Value);

        string manifest = Path.Combine(node, "etc", "kubernetes", "manifests", "kube-apiserver.yaml");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("    - --secure-port=6443\n", "    - --secure-port=6443\n    - --profiling=false\n", StringComparison.Ordinal));
        var passing = session.Invoke("Test-K8sNodeConfiguration -Path $args[0] | Where-Object Id -eq '1.2.15'", node).AssertNoErrors();
        Assert.Equal("Pass", Assert.Single(passing.Output).Properties["Status"].Value?.ToString());
    }

    [Fact]
    public void ViewGroupsByComponentWithin80Columns()
    {
        string text = session.Render(EncryptionConfigurationCmdletTests.Narrow + "Test-K8sNodeConfiguration $args[0]", node);
        foreach (string component in new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd", "kubelet" })
        {
            Assert.Contains("Component: " + component, text, StringComparison.Ordinal);
        }

        Assert.Contains("1.2.15", text, StringComparison.Ordinal);
        Assert.All(text.Split('\n'), line => Assert.True(line.TrimEnd('\r').Length <= 80, line));
    }

    [Fact]
    public void TheAuditTakesANodeFolderAndAFolderWithoutNodeFilesIsAnError()
    {
        var audit = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -NodePath $args[1] -Category NodeConfiguration", Path.Combine(node, "etc", "kubernetes", "manifests"), node).AssertNoErrors();
        Assert.Contains(audit.Output, o => o.Properties["Id"]?.Value?.ToString() == "CIS-1.2.15");

        var empty = session.Invoke("Test-K8sNodeConfiguration $args[0]", TestPaths.NewTempDirectory());
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(empty.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        var missing = session.Invoke("Test-K8sNodeConfiguration $args[0]", Path.Combine(node, "nope"));
        Assert.StartsWith("K8sFileSystem", Assert.Single(missing.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(node, recursive: true);
    }
}
