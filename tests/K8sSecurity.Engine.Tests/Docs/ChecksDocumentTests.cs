using System.Text.RegularExpressions;
using K8sSecurity.Engine.Audit.Checks;
using K8sSecurity.Engine.Hardening;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Engine.Tests.Hardening;
using K8sSecurity.Engine.Tests.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Docs;

/// <summary>
/// docs/checks.md lists every check id the module reports with the severity the code gives it. The ids and severities
/// here come from the engine itself (the check definitions, and the results the configuration checkers return for real
/// inputs), so a new or re-rated check fails this test until the document says so.
/// </summary>
public sealed partial class ChecksDocumentTests : IDisposable
{
    private static readonly Lazy<IReadOnlyDictionary<string, TableRow>> Rows = new(ReadTable);

    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-checksdoc").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public void EveryWorkloadCheckIsListedWithTheSeverityOfItsDefinition()
    {
        Assert.All(WorkloadScanner.AllDefinitions, definition =>
        {
            var row = Row(definition.Id);
            Assert.True(definition.Severity.ToString() == row.Severity, $"{definition.Id}: the code says {definition.Severity}, docs/checks.md says '{row.Severity}'");
        });
    }

    [Fact]
    public void TheTableListsNoWorkloadCheckTheCodeDoesNotHave()
    {
        var known = WorkloadScanner.AllDefinitions.Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
        var stale = Rows.Value.Keys.Where(id => id.StartsWith("PSS-", StringComparison.Ordinal) || id.StartsWith("BP-", StringComparison.Ordinal)).Where(id => !known.Contains(id)).ToList();
        Assert.True(stale.Count == 0, "docs/checks.md lists checks the scanner does not have: " + string.Join(", ", stale));
    }

    [Fact]
    public void EveryAnonymousAccessQuestionIsListedWithItsSeverity()
    {
        Assert.All(AnonymousAccessCheck.Questions, q => AssertSeverity($"ANON-{q.Verb.ToUpperInvariant()}-{q.Resource.ToUpperInvariant()}", q.Severity));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void EveryNodeConfigurationCheckIsListedWithItsSeverity()
    {
        var results = new List<HardeningCheckResult>();
        using (var kubeadm = new KubeadmNodeTree())
        {
            results.AddRange(NodeConfigurationChecker.Check(kubeadm.Root));

            // The checks of files only some nodes have: a CNI plugin's configuration and a kube-proxy kubeconfig.
            foreach (string file in new[] { "etc/cni/net.d/10-flannel.conflist", "var/lib/kube-proxy/kubeconfig.conf" })
            {
                Directory.CreateDirectory(Path.GetDirectoryName(kubeadm[file])!);
                File.WriteAllText(kubeadm[file], "{}\n");
            }

            results.AddRange(NodeConfigurationChecker.Check(kubeadm.Root));
        }

        // The checks that only appear when a component's files cannot be read or its flags would stop it.
        using (var broken = new KubeadmNodeTree())
        {
            foreach (string component in new[] { "kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd" })
            {
                File.WriteAllText(broken[$"etc/kubernetes/manifests/{component}.yaml"], "spec: [unclosed\n");
            }

            File.Delete(broken["var/lib/kubelet/config.yaml"]);
            results.AddRange(NodeConfigurationChecker.Check(broken.Root));
        }

        using (var badFlags = new KubeadmNodeTree())
        {
            File.WriteAllText(badFlags["etc/default/kubelet"], "KUBELET_EXTRA_ARGS=\"--anonymous-auth=maybe\"\n");
            results.AddRange(NodeConfigurationChecker.Check(badFlags.Root));
        }

        foreach (string id in new[] { "K8S-KUBE-APISERVER-MANIFEST", "K8S-ETCD-MANIFEST", "K8S-KUBELET-CONFIG", "K8S-KUBELET-FLAGS", "4.2.13", "1.1.9", "1.1.10", "4.1.3", "4.1.4", "3.2.1" })
        {
            Assert.Contains(results, r => r.Id == id);
        }

        Assert.All(results, r => AssertSeverity(r.Id, r.Severity));
    }

    [Fact]
    public void EveryEncryptionConfigurationCheckIsListedWithItsSeverities()
    {
        const string header = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";
        const string key32 = "A/j5CnrWGB83ylcPkuUhm/6TSyrQtsNJtDPwPHNOj4Q=";
        string key16 = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        var files = new[]
        {
            // aescbc with a text key, a short key and a repeated name; identity last.
            header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n      - name: key2\n        secret: " + key16 + "\n      - name: key2\n        secret: " + key32 + "\n  - identity: {}\n",
            // identity first for a resource that must be encrypted, and for one opted out on purpose.
            header + "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n- resources: [events]\n  providers:\n  - identity: {}\n- resources: ['*.*']\n  providers:\n  - aesgcm:\n      keys:\n      - name: key1\n        secret: " + key32 + "\n",
            header + "resources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: key1\n        secret: " + key32 + "\n",
            header + "resources:\n- resources: [configmaps]\n  providers:\n  - aescbc:\n      keys: []\n",
        };
        var results = files.Select((text, i) => Write($"enc{i}.yaml", text))
            .SelectMany(path => EncryptionConfigurationChecker.Check(path, new[] { "secrets", "configmaps" }))
            .ToList();
        Assert.Contains(results, r => r.Id == "ENC-IDENTITY-FIRST" && r.Severity == FindingSeverity.Low);
        Assert.Contains(results, r => r.Id == "ENC-KEY-STRENGTH" && r.Severity == FindingSeverity.Low);
        Assert.All(results, r => AssertSeverity(r.Id, r.Severity));
    }

    [Fact]
    public void EveryAuditPolicyCheckIsListedWithItsSeverity()
    {
        string valid = Write("policy.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n");
        string invalid = Write("invalid.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n");
        var results = AuditPolicyChecker.Check(valid, Array.Empty<string>()).Concat(AuditPolicyChecker.Check(invalid, Array.Empty<string>())).ToList();
        Assert.Contains(results, r => r.Id == "AUDIT-OMIT-REQUESTRECEIVED");
        Assert.All(results, r => AssertSeverity(r.Id, r.Severity));
    }

    [Fact]
    public void EachIdHasOneRowAndEveryRowNamesAllThreeTools()
    {
        var ids = TableLines().Select(l => IdOf(l.Cells[0])).ToList();
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        Assert.All(TableLines(), l => Assert.True(l.Cells.Count == 6 && l.Cells.Skip(1).All(c => c.Length > 0), l.Line));
    }

    private static void AssertSeverity(string id, FindingSeverity severity)
    {
        var row = Row(id);
        Assert.True(Regex.IsMatch(row.Severity, $@"\b{severity}\b"), $"{id}: the code reports {severity}, docs/checks.md says '{row.Severity}'");
    }

    private static TableRow Row(string id)
    {
        Assert.True(Rows.Value.TryGetValue(id, out var row), $"docs/checks.md has no row for {id}");
        return row!;
    }

    private static IReadOnlyDictionary<string, TableRow> ReadTable() =>
        TableLines().ToDictionary(l => IdOf(l.Cells[0]), l => new TableRow(l.Cells[1]), StringComparer.Ordinal);

    private static List<(string Line, List<string> Cells)> TableLines()
    {
        string path = Path.Combine(SharedFixtures.RepoRoot, "docs", "checks.md");
        return File.ReadLines(path)
            .Where(l => l.StartsWith("| `", StringComparison.Ordinal))
            .Select(l => (l, l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToList()))
            .ToList();
    }

    private static string IdOf(string cell) => FirstCode().Match(cell) is { Success: true } m ? m.Groups[1].Value : cell;

    private string Write(string name, string text)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return path;
    }

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex FirstCode();

    private sealed record TableRow(string Severity);
}
