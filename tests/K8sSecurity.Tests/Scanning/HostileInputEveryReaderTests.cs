using System.Diagnostics;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>
/// Issue 16 item 4 for every reader besides Test-/Assert-K8sPodSecurity (HostileManifestInputTests): the offline
/// RBAC, network policy and audit loaders and the hardening checks get a FIFO named like a manifest, a link to
/// /dev/zero, 20,000 nested '[' and a folder link loop. Each is an error (or a failed check) naming the file, never a
/// hang, a crash or a pass, and the good file next to them is still read. Every input is generated here.
/// </summary>
public sealed class HostileInputEveryReaderTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(2);

    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Theory]
    [InlineData("Test-K8sAccess -Path $args[0] -Verb get -Resource pods -Namespace team -User dave -ExcludeDefaultPolicy")]
    [InlineData("Find-K8sRbacRisk -Path $args[0] -ExcludeDefaultPolicy")]
    [InlineData("Get-K8sEffectivePermission -Path $args[0] -User dave -ExcludeDefaultPolicy")]
    [InlineData("Test-K8sNetworkPolicy -Path $args[0] -Unisolated")]
    [InlineData("Invoke-K8sSecurityAudit -Path $args[0]")]
    public async Task Every_offline_loader_reports_each_hostile_file_and_reads_the_good_one(string command)
    {
        string folder = Path.Combine(directory, "input");
        Directory.CreateDirectory(Path.Combine(folder, "sub"));
        File.WriteAllText(Path.Combine(folder, "a-brackets.yaml"), new string('[', 20_000));
        MakeFifo(Path.Combine(folder, "b-pipe.yaml"));
        File.CreateSymbolicLink(Path.Combine(folder, "c-zero.yaml"), "/dev/zero");
        Directory.CreateSymbolicLink(Path.Combine(folder, "sub", "loop"), "..");
        File.WriteAllText(Path.Combine(folder, "d-good.yaml"), """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: {name: everything}
            rules: [{apiGroups: ["*"], resources: ["*"], verbs: ["*"]}]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: {name: dave-everything}
            subjects: [{kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}]
            roleRef: {kind: ClusterRole, name: everything, apiGroup: rbac.authorization.k8s.io}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: team, labels: {app: web}}
            spec: {containers: [{name: c, image: registry.example.com/web:1}]}
            """);

        var result = await Task.Run(() => session.Invoke(command, folder)).WaitAsync(Bound);

        Assert.Null(result.TerminatingError);
        foreach (string hostile in new[] { "a-brackets.yaml", "b-pipe.yaml", "c-zero.yaml" })
        {
            var error = Assert.Single(result.Errors, e => e.Exception.Message.Contains(hostile, StringComparison.Ordinal));
            Assert.StartsWith("K8s", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        }

        Assert.Equal(3, result.Errors.Count); // the loop is followed once, not reported and not read forever
        Assert.NotEmpty(result.Output);
    }

    [Theory]
    [InlineData("Test-K8sEncryptionConfiguration -Path $args[0]", "ENC-LOAD")]
    [InlineData("Test-K8sAuditPolicy -Path $args[0]", "AUDIT-LOAD")]
    public async Task A_hostile_configuration_file_fails_the_load_check(string command, string loadCheck)
    {
        string fifo = Path.Combine(directory, "fifo.yaml");
        MakeFifo(fifo);
        string zero = Path.Combine(directory, "zero.yaml");
        File.CreateSymbolicLink(zero, "/dev/zero");
        string deep = Path.Combine(directory, "deep.yaml");
        File.WriteAllText(deep, "a: " + new string('[', 20_000) + new string(']', 20_000) + "\n");

        foreach (var (file, says) in new[] { (fifo, "not a regular file"), (zero, "not a regular file"), (deep, "nested deeper") })
        {
            var result = await Task.Run(() => session.Invoke(command, file)).WaitAsync(Bound);
            var load = Assert.Single(result.Output, o => (string)o.Properties["Id"].Value == loadCheck);
            Assert.Equal("Fail", load.Properties["Status"].Value.ToString());
            Assert.Contains(says, (string)load.Properties["Message"].Value, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_node_root_with_a_fifo_manifest_and_a_dev_zero_kubelet_config_fails_both_read_checks()
    {
        string root = Path.Combine(directory, "node");
        Directory.CreateDirectory(Path.Combine(root, "etc", "kubernetes", "manifests"));
        Directory.CreateDirectory(Path.Combine(root, "var", "lib", "kubelet"));
        MakeFifo(Path.Combine(root, "etc", "kubernetes", "manifests", "kube-apiserver.yaml"));
        File.CreateSymbolicLink(Path.Combine(root, "var", "lib", "kubelet", "config.yaml"), "/dev/zero");

        var result = await Task.Run(() => session.Invoke("Test-K8sNodeConfiguration -Path $args[0]", root)).WaitAsync(Bound);

        foreach (string check in new[] { "K8S-KUBE-APISERVER-MANIFEST", "K8S-KUBELET-CONFIG" })
        {
            var read = Assert.Single(result.Output, o => (string)o.Properties["Id"].Value == check);
            Assert.Equal("Fail", read.Properties["Status"].Value.ToString());
        }
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
