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

    /// <summary>The CNI files (1.1.9/1.1.10) and a kube-proxy kubeconfig (4.1.3/4.1.4): Manual checks, so loose files warn.</summary>
    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void CniFilesAndAKubeProxyKubeconfigPassWhenRootOwned600AndWarnOtherwise()
    {
        string[] files = { "etc/cni/net.d/10-flannel.conflist", "var/lib/cni/networks/cbr0/10.244.0.2", "var/lib/kube-proxy/kubeconfig.conf" };
        foreach (string file in files)
        {
            string full = Path.Combine(node, file);
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            File.WriteAllText(full, "{}\n");
            File.SetUnixFileMode(full, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        const string script = "Test-K8sNodeConfiguration -Path $args[0] | Where-Object Id -in '1.1.9', '1.1.10', '4.1.3', '4.1.4' | Sort-Object Id | ForEach-Object { '{0} {1} {2}' -f $_.Id, $_.Status, $_.Effective }";
        var passing = session.Invoke(script, node).AssertNoErrors();
        Assert.Equal(new[] { "1.1.10 Pass root:root", "1.1.9 Pass 2 files, all 600 or stricter", "4.1.3 Pass 600", "4.1.4 Pass root:root" }, passing.Output.Select(o => o.BaseObject.ToString()));

        File.SetUnixFileMode(Path.Combine(node, files[1]), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        File.SetUnixFileMode(Path.Combine(node, files[2]), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        foreach (string file in new[] { files[0], files[2] })
        {
            using var chown = System.Diagnostics.Process.Start("chown", new[] { "1000:1000", Path.Combine(node, file) })!;
            chown.WaitForExit();
            Assert.Equal(0, chown.ExitCode);
        }

        var failing = session.Invoke(script, node).AssertNoErrors();
        Assert.Equal(
            new[] { "1.1.10 Warn etc/cni/net.d/10-flannel.conflist 1000:1000", "1.1.9 Warn var/lib/cni/networks/cbr0/10.244.0.2 644", "4.1.3 Warn 640", "4.1.4 Warn 1000:1000" },
            failing.Output.Select(o => o.BaseObject.ToString()));
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
