using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Hardening;
using Xunit;

namespace K8sSecurity.Engine.Tests.Hardening;

[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class NodeConfigurationTests
{
    /// <summary>
    /// What kube-bench (cis-1.10) reports on a fresh kubeadm v1.32 control-plane node, except where this module reads
    /// the value in effect: nothing here differs on kubeadm's files (kubeadm sets --bind-address and rotateCertificates).
    /// </summary>
    public static TheoryData<string, HardeningStatus> KubeadmDefaults() => new()
    {
        { "1.1.1", HardeningStatus.Pass }, { "1.1.2", HardeningStatus.Pass }, { "1.1.3", HardeningStatus.Pass }, { "1.1.7", HardeningStatus.Pass },
        { "1.1.11", HardeningStatus.Pass }, { "1.1.12", HardeningStatus.Fail }, { "1.1.13", HardeningStatus.Pass }, { "1.1.15", HardeningStatus.Pass },
        { "1.1.17", HardeningStatus.Pass }, { "1.1.19", HardeningStatus.Pass }, { "1.1.20", HardeningStatus.Warn }, { "1.1.21", HardeningStatus.Pass },
        { "1.2.1", HardeningStatus.Warn }, { "1.2.2", HardeningStatus.Pass }, { "1.2.3", HardeningStatus.Warn }, { "1.2.4", HardeningStatus.Pass },
        { "1.2.5", HardeningStatus.Fail }, { "1.2.6", HardeningStatus.Pass }, { "1.2.7", HardeningStatus.Pass }, { "1.2.8", HardeningStatus.Pass },
        { "1.2.9", HardeningStatus.Warn }, { "1.2.10", HardeningStatus.Pass }, { "1.2.11", HardeningStatus.Warn }, { "1.2.12", HardeningStatus.Pass },
        { "1.2.13", HardeningStatus.Pass }, { "1.2.14", HardeningStatus.Pass }, { "1.2.15", HardeningStatus.Fail }, { "1.2.16", HardeningStatus.Fail },
        { "1.2.17", HardeningStatus.Fail }, { "1.2.18", HardeningStatus.Fail }, { "1.2.19", HardeningStatus.Fail }, { "1.2.20", HardeningStatus.Pass },
        { "1.2.21", HardeningStatus.Pass }, { "1.2.22", HardeningStatus.Pass }, { "1.2.23", HardeningStatus.Pass }, { "1.2.24", HardeningStatus.Pass },
        { "1.2.25", HardeningStatus.Pass }, { "1.2.26", HardeningStatus.Pass }, { "1.2.27", HardeningStatus.Warn }, { "1.2.28", HardeningStatus.Warn },
        { "1.2.29", HardeningStatus.Warn }, { "1.3.1", HardeningStatus.Warn }, { "1.3.2", HardeningStatus.Fail }, { "1.3.3", HardeningStatus.Pass },
        { "1.3.4", HardeningStatus.Pass }, { "1.3.5", HardeningStatus.Pass }, { "1.3.6", HardeningStatus.Pass }, { "1.3.7", HardeningStatus.Pass },
        { "1.4.1", HardeningStatus.Fail }, { "1.4.2", HardeningStatus.Pass }, { "2.1", HardeningStatus.Pass }, { "2.2", HardeningStatus.Pass },
        { "2.3", HardeningStatus.Pass }, { "2.4", HardeningStatus.Pass }, { "2.5", HardeningStatus.Pass }, { "2.6", HardeningStatus.Pass }, { "2.7", HardeningStatus.Pass },
        { "4.1.1", HardeningStatus.Fail }, { "4.1.2", HardeningStatus.Pass }, { "4.1.5", HardeningStatus.Pass }, { "4.1.6", HardeningStatus.Pass },
        { "4.1.7", HardeningStatus.Warn }, { "4.1.8", HardeningStatus.Pass }, { "4.1.9", HardeningStatus.Fail }, { "4.1.10", HardeningStatus.Pass },
        { "4.2.1", HardeningStatus.Pass }, { "4.2.2", HardeningStatus.Pass }, { "4.2.3", HardeningStatus.Pass }, { "4.2.4", HardeningStatus.Pass },
        { "4.2.5", HardeningStatus.Pass }, { "4.2.6", HardeningStatus.Pass }, { "4.2.7", HardeningStatus.Pass }, { "4.2.8", HardeningStatus.Pass },
        { "4.2.9", HardeningStatus.Warn }, { "4.2.10", HardeningStatus.Pass }, { "4.2.11", HardeningStatus.Pass }, { "4.2.12", HardeningStatus.Warn },
        { "4.2.13", HardeningStatus.Warn }, { "K8S-KUBELET-PROTECT-KERNEL-DEFAULTS", HardeningStatus.Fail },
        { "K8S-APISERVER-TLS-MIN-VERSION", HardeningStatus.Pass }, { "K8S-APISERVER-AUDIT-POLICY", HardeningStatus.Fail }, { "3.2.1", HardeningStatus.Warn },
    };

    [Theory]
    [MemberData(nameof(KubeadmDefaults))]
    public void KubeadmDefaultNodeGivesTheBenchmarksVerdicts(string id, HardeningStatus expected)
    {
        KubeadmNodeTree.RequireRoot();
        using var tree = new KubeadmNodeTree();
        var result = Assert.Single(NodeConfigurationChecker.Check(tree.Root), r => r.Id == id && r.File?.EndsWith("super-admin.conf", StringComparison.Ordinal) != true);
        Assert.True(expected == result.Status, $"{id}: expected {expected}, got {result.Status}: {result.Message} (effective {result.Effective})");
    }

    [Fact]
    public void EveryResultNamesItsFileEffectiveAndExpectedValueAndRemediation()
    {
        using var tree = new KubeadmNodeTree();
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.True(results.Count > 70, $"{results.Count} results");
        Assert.Equal(results.Count, results.Select(r => (r.Id, r.File)).Distinct().Count());
        Assert.All(results, r =>
        {
            Assert.False(string.IsNullOrWhiteSpace(r.Expected), r.Id);
            Assert.False(string.IsNullOrWhiteSpace(r.Remediation), r.Id);
            Assert.False(string.IsNullOrWhiteSpace(r.Effective), r.Id);
        });
        var profiling = results.Single(r => r.Id == "1.2.15");
        Assert.Equal(("true (default)", "false", tree["etc/kubernetes/manifests/kube-apiserver.yaml"]), (profiling.Effective, profiling.Expected, profiling.File));
        Assert.Equal(tree["usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"], results.Single(r => r.Id == "4.1.1").File);
    }

    /// <summary>A kubeadm node with every Automated check fixed, the way the benchmark's remediations say.</summary>
    private static KubeadmNodeTree Hardened()
    {
        var tree = new KubeadmNodeTree();
        Directory.CreateDirectory(tree["etc/kubernetes/enc"]);
        EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = tree["etc/kubernetes/enc/enc.yaml"] }, EngineLog.None);
        Directory.CreateDirectory(tree["etc/kubernetes/audit"]);
        AuditPolicyService.New(new AuditPolicyRequest { Path = tree["etc/kubernetes/audit/policy.yaml"] }, EngineLog.None);
        tree.AddFlags("kube-apiserver", "--anonymous-auth=false", "--profiling=false", "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
            "--audit-log-path=/var/log/kubernetes/audit/audit.log", "--audit-log-maxage=30", "--audit-log-maxbackup=10", "--audit-log-maxsize=100",
            "--audit-policy-file=/etc/kubernetes/audit/policy.yaml", "--encryption-provider-config=/etc/kubernetes/enc/enc.yaml",
            "--enable-admission-plugins=EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs",
            "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384");
        tree.AddFlags("kube-controller-manager", "--profiling=false", "--terminated-pod-gc-threshold=10");
        tree.AddFlags("kube-scheduler", "--profiling=false");
        tree.Append("var/lib/kubelet/config.yaml", "protectKernelDefaults: true\nserverTLSBootstrap: true\npodPidsLimit: 4096\ntlsCipherSuites:\n- TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n");
        foreach (string file in new[] { "var/lib/kubelet/config.yaml", "usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", "etc/kubernetes/pki/ca.crt" })
        {
            tree.SetMode(file, "600");
        }

        foreach (string crt in Directory.GetFiles(tree["etc/kubernetes/pki"], "*.crt", SearchOption.AllDirectories))
        {
            tree.SetMode(crt, "600");
        }

        // A CNI plugin's files (flannel's conflist, a host-local IPAM lease) and a kube-proxy kubeconfig kept on the node.
        foreach (var (file, text) in new[]
                 {
                     ("etc/cni/net.d/10-flannel.conflist", "{\"name\":\"cbr0\",\"cniVersion\":\"0.3.1\",\"plugins\":[{\"type\":\"flannel\",\"delegate\":{\"hairpinMode\":true,\"isDefaultGateway\":true}},{\"type\":\"portmap\",\"capabilities\":{\"portMappings\":true}}]}\n"),
                     ("var/lib/cni/networks/cbr0/10.244.0.2", "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0\neth0"),
                     ("var/lib/kube-proxy/kubeconfig.conf", "apiVersion: v1\nkind: Config\nclusters:\n- name: default\n  cluster:\n    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt\n    server: https://192.168.1.10:6443\n"),
                 })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(tree[file])!);
            File.WriteAllText(tree[file], text);
            tree.SetMode(file, "600");
        }

        Directory.CreateDirectory(tree["etc"]);
        File.WriteAllText(tree["etc/passwd"], "root:x:0:0:root:/root:/bin/bash\netcd:x:996:996::/var/lib/etcd:/usr/sbin/nologin\n");
        File.WriteAllText(tree["etc/group"], "root:x:0:\netcd:x:996:\n");
        if (KubeadmNodeTree.IsRoot)
        {
            tree.Chown("var/lib/etcd", 996, 996);
        }

        return tree;
    }

    [Fact]
    public void HardenedNodePassesEveryAutomatedCheck()
    {
        KubeadmNodeTree.RequireRoot();
        using var tree = Hardened();
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Empty(results.Where(r => r.Status == HardeningStatus.Fail).Select(r => $"{r.Id}: {r.Message}"));
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "1.2.28").Status);
        Assert.Equal("secretbox (key 'key1')", results.Single(r => r.Id == "1.2.28").Effective);
        Assert.Equal("etcd:etcd", results.Single(r => r.Id == "1.1.12").Effective);
    }

    /// <summary>One change to the hardened node per check, each making exactly that check fail (or warn, for Manual ones).</summary>
    public static TheoryData<string, string, HardeningStatus> Breakages() => new()
    {
        { "1.1.1", "chmod etc/kubernetes/manifests/kube-apiserver.yaml 644", HardeningStatus.Fail },
        { "1.1.2", "chown etc/kubernetes/manifests/kube-apiserver.yaml 1000", HardeningStatus.Fail },
        { "1.1.11", "chmod var/lib/etcd 755", HardeningStatus.Fail },
        { "1.1.13", "chmod etc/kubernetes/admin.conf 640", HardeningStatus.Fail },
        { "1.1.19", "chown etc/kubernetes/pki/ca.key 1000", HardeningStatus.Fail },
        { "1.1.21", "chmod etc/kubernetes/pki/ca.key 644", HardeningStatus.Warn },
        { "1.2.1", "kube-apiserver --anonymous-auth", HardeningStatus.Warn },
        { "1.2.2", "kube-apiserver --token-auth-file=/etc/kubernetes/tokens.csv", HardeningStatus.Fail },
        { "1.2.5", "replace etc/kubernetes/manifests/kube-apiserver.yaml|- --kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt\n|", HardeningStatus.Fail },
        { "1.2.6", "kube-apiserver --authorization-mode=AlwaysAllow", HardeningStatus.Fail },
        { "1.2.7", "replace etc/kubernetes/manifests/kube-apiserver.yaml|--authorization-mode=Node,RBAC|--authorization-mode=RBAC", HardeningStatus.Fail },
        { "1.2.10", "kube-apiserver --enable-admission-plugins=AlwaysAdmit", HardeningStatus.Fail },
        { "1.2.12", "kube-apiserver --disable-admission-plugins=ServiceAccount", HardeningStatus.Fail },
        { "1.2.13", "kube-apiserver --disable_admission_plugins=NamespaceLifecycle", HardeningStatus.Fail },
        { "1.2.14", "replace etc/kubernetes/manifests/kube-apiserver.yaml|--enable-admission-plugins=NodeRestriction\n|--enable-admission-plugins=PodSecurity\n", HardeningStatus.Fail },
        { "1.2.15", "kube-apiserver --profiling", HardeningStatus.Fail },
        { "1.2.17", "kube-apiserver --audit-log-maxage=7", HardeningStatus.Fail },
        { "1.2.20", "kube-apiserver --request-timeout=1h", HardeningStatus.Warn },
        { "1.2.21", "kube-apiserver --service-account-lookup=false", HardeningStatus.Fail },
        { "1.2.28", "write etc/kubernetes/enc/enc.yaml|apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n", HardeningStatus.Fail },
        { "1.2.29", "kube-apiserver --tls-cipher-suites=TLS_RSA_WITH_RC4_128_SHA", HardeningStatus.Warn },
        { "K8S-APISERVER-TLS-MIN-VERSION", "kube-apiserver --tls-min-version=VersionTLS10", HardeningStatus.Fail },
        { "K8S-APISERVER-AUDIT-POLICY", "write etc/kubernetes/audit/policy.yaml|apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n", HardeningStatus.Fail },
        { "1.3.2", "kube-controller-manager --profiling=true", HardeningStatus.Fail },
        { "1.3.3", "kube-controller-manager --use-service-account-credentials=false", HardeningStatus.Fail },
        { "1.3.6", "kube-controller-manager --feature-gates=RotateKubeletServerCertificate=false", HardeningStatus.Fail },
        { "1.3.7", "replace etc/kubernetes/manifests/kube-controller-manager.yaml|    - --bind-address=127.0.0.1\n|", HardeningStatus.Fail },
        { "1.4.1", "kube-scheduler --profiling=True", HardeningStatus.Fail },
        { "1.4.2", "kube-scheduler --bind-address=0.0.0.0", HardeningStatus.Fail },
        { "2.2", "etcd --client-cert-auth=false", HardeningStatus.Fail },
        { "2.3", "etcd --auto-tls=true", HardeningStatus.Fail },
        { "2.5", "replace etc/kubernetes/manifests/etcd.yaml|    - --peer-client-cert-auth=true\n|", HardeningStatus.Fail },
        { "2.6", "etcd -peer-auto-tls", HardeningStatus.Fail },
        { "2.7", "replace etc/kubernetes/manifests/etcd.yaml|--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt|--trusted-ca-file=/etc/kubernetes/pki/ca.crt", HardeningStatus.Warn },
        { "4.1.9", "chmod var/lib/kubelet/config.yaml 644", HardeningStatus.Fail },
        { "4.2.1", "replace var/lib/kubelet/config.yaml|  anonymous:\n    enabled: false|  anonymous:\n    enabled: true", HardeningStatus.Fail },
        { "4.2.2", "kubelet --authorization-mode=AlwaysAllow", HardeningStatus.Fail },
        { "4.2.4", "extra --read-only-port=10255", HardeningStatus.Warn },
        { "4.2.5", "kubelet --streaming-connection-idle-timeout=0", HardeningStatus.Warn },
        { "4.2.6", "replace var/lib/kubelet/config.yaml|protectKernelDefaults: true|protectKernelDefaults: true\nmakeIPTablesUtilChains: false", HardeningStatus.Fail },
        { "4.2.7", "extra --hostname-override=other", HardeningStatus.Warn },
        { "4.2.10", "replace var/lib/kubelet/config.yaml|rotateCertificates: true|rotateCertificates: false", HardeningStatus.Fail },
        { "4.2.13", "replace var/lib/kubelet/config.yaml|podPidsLimit: 4096|podPidsLimit: -1", HardeningStatus.Warn },
        { "K8S-KUBELET-PROTECT-KERNEL-DEFAULTS", "extra --protect-kernel-defaults=false", HardeningStatus.Fail },
        { "1.1.3", "chmod etc/kubernetes/manifests/kube-controller-manager.yaml 640", HardeningStatus.Fail },
        { "1.1.4", "chown etc/kubernetes/manifests/kube-controller-manager.yaml 1000", HardeningStatus.Fail },
        { "1.1.5", "chmod etc/kubernetes/manifests/kube-scheduler.yaml 644", HardeningStatus.Fail },
        { "1.1.6", "chown etc/kubernetes/manifests/kube-scheduler.yaml 1000", HardeningStatus.Fail },
        { "1.1.7", "chmod etc/kubernetes/manifests/etcd.yaml 604", HardeningStatus.Fail },
        { "1.1.8", "chown etc/kubernetes/manifests/etcd.yaml 996", HardeningStatus.Fail },
        { "1.1.9", "chmod etc/cni/net.d/10-flannel.conflist 644", HardeningStatus.Warn },
        { "1.1.9", "chmod var/lib/cni/networks/cbr0/10.244.0.2 640", HardeningStatus.Warn },
        { "1.1.10", "chown etc/cni/net.d/10-flannel.conflist 1000", HardeningStatus.Warn },
        { "1.1.12", "chown var/lib/etcd 0", HardeningStatus.Fail },
        { "1.1.14", "chown etc/kubernetes/admin.conf 1000", HardeningStatus.Fail },
        { "1.1.15", "chmod etc/kubernetes/scheduler.conf 644", HardeningStatus.Fail },
        { "1.1.16", "chown etc/kubernetes/scheduler.conf 1000", HardeningStatus.Fail },
        { "1.1.17", "chmod etc/kubernetes/controller-manager.conf 660", HardeningStatus.Fail },
        { "1.1.18", "chown etc/kubernetes/controller-manager.conf 1000", HardeningStatus.Fail },
        { "1.1.20", "chmod etc/kubernetes/pki/front-proxy-ca.crt 644", HardeningStatus.Warn },
        { "1.2.3", "replace etc/kubernetes/manifests/kube-apiserver.yaml|EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs|EventRateLimit,AlwaysPullImages", HardeningStatus.Warn },
        { "1.2.4", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --kubelet-client-key=/etc/kubernetes/pki/apiserver-kubelet-client.key\n|", HardeningStatus.Fail },
        { "1.2.8", "replace etc/kubernetes/manifests/kube-apiserver.yaml|--authorization-mode=Node,RBAC|--authorization-mode=Node,ABAC", HardeningStatus.Fail },
        { "1.2.9", "replace etc/kubernetes/manifests/kube-apiserver.yaml|EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs|AlwaysPullImages,DenyServiceExternalIPs", HardeningStatus.Warn },
        { "1.2.11", "replace etc/kubernetes/manifests/kube-apiserver.yaml|EventRateLimit,AlwaysPullImages,DenyServiceExternalIPs|EventRateLimit,DenyServiceExternalIPs", HardeningStatus.Warn },
        { "1.2.16", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --audit-log-path=/var/log/kubernetes/audit/audit.log\n|", HardeningStatus.Fail },
        { "1.2.18", "kube-apiserver --audit-log-maxbackup=5", HardeningStatus.Fail },
        { "1.2.19", "kube-apiserver --audit-log-maxsize=50", HardeningStatus.Fail },
        { "1.2.22", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --service-account-key-file=/etc/kubernetes/pki/sa.pub\n|", HardeningStatus.Fail },
        { "1.2.23", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --etcd-keyfile=/etc/kubernetes/pki/apiserver-etcd-client.key\n|", HardeningStatus.Fail },
        { "1.2.24", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --tls-private-key-file=/etc/kubernetes/pki/apiserver.key\n|", HardeningStatus.Fail },
        { "1.2.25", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --client-ca-file=/etc/kubernetes/pki/ca.crt\n|", HardeningStatus.Fail },
        { "1.2.26", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt\n|", HardeningStatus.Fail },
        { "1.2.27", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --encryption-provider-config=/etc/kubernetes/enc/enc.yaml\n|", HardeningStatus.Warn },
        { "3.2.1", "replace etc/kubernetes/manifests/kube-apiserver.yaml|    - --audit-policy-file=/etc/kubernetes/audit/policy.yaml\n|", HardeningStatus.Warn },
        { "1.3.1", "replace etc/kubernetes/manifests/kube-controller-manager.yaml|    - --terminated-pod-gc-threshold=10\n|", HardeningStatus.Warn },
        { "1.3.4", "replace etc/kubernetes/manifests/kube-controller-manager.yaml|    - --service-account-private-key-file=/etc/kubernetes/pki/sa.key\n|", HardeningStatus.Fail },
        { "1.3.5", "replace etc/kubernetes/manifests/kube-controller-manager.yaml|    - --root-ca-file=/etc/kubernetes/pki/ca.crt\n|", HardeningStatus.Fail },
        { "2.1", "replace etc/kubernetes/manifests/etcd.yaml|    - --key-file=/etc/kubernetes/pki/etcd/server.key\n|", HardeningStatus.Fail },
        { "2.4", "replace etc/kubernetes/manifests/etcd.yaml|    - --peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt\n|", HardeningStatus.Fail },
        { "4.1.1", "chmod usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf 644", HardeningStatus.Fail },
        { "4.1.2", "chown usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf 1000", HardeningStatus.Fail },
        { "4.1.3", "chmod var/lib/kube-proxy/kubeconfig.conf 644", HardeningStatus.Warn },
        { "4.1.4", "chown var/lib/kube-proxy/kubeconfig.conf 1000", HardeningStatus.Warn },
        { "4.1.5", "chmod etc/kubernetes/kubelet.conf 644", HardeningStatus.Fail },
        { "4.1.6", "chown etc/kubernetes/kubelet.conf 1000", HardeningStatus.Fail },
        { "4.1.7", "chmod etc/kubernetes/pki/ca.crt 644", HardeningStatus.Warn },
        { "4.1.8", "chown etc/kubernetes/pki/ca.crt 1000", HardeningStatus.Warn },
        { "4.1.10", "chown var/lib/kubelet/config.yaml 1000", HardeningStatus.Fail },
        { "4.2.3", "replace var/lib/kubelet/config.yaml|    clientCAFile: /etc/kubernetes/pki/ca.crt\n|", HardeningStatus.Fail },
        { "4.2.8", "extra --event-qps=-1", HardeningStatus.Warn },
        { "4.2.9", "replace var/lib/kubelet/config.yaml|serverTLSBootstrap: true|serverTLSBootstrap: false", HardeningStatus.Warn },
        { "4.2.11", "kubelet --feature-gates=RotateKubeletServerCertificate=false", HardeningStatus.Warn },
        { "4.2.12", "extra --tls-cipher-suites=TLS_RSA_WITH_3DES_EDE_CBC_SHA", HardeningStatus.Warn },
        { "K8S-KUBE-CONTROLLER-MANAGER-MANIFEST", "write etc/kubernetes/manifests/kube-controller-manager.yaml|kind: Pod\nspec: [unclosed\n", HardeningStatus.Fail },
        { "K8S-ETCD-MANIFEST", "etcd -auto-tls=maybe", HardeningStatus.Fail },
        { "K8S-KUBELET-CONFIG", "write var/lib/kubelet/config.yaml|apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeProxyConfiguration\n", HardeningStatus.Fail },
        { "K8S-KUBELET-FLAGS", "extra --rotate-certificates=sometimes", HardeningStatus.Fail },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void EachCheckPassesOnTheHardenedNodeAndFailsWhenItsSettingBreaks(string id, string change, HardeningStatus expected)
    {
        KubeadmNodeTree.RequireRoot();
        using var tree = Hardened();
        Assert.All(NodeConfigurationChecker.Check(tree.Root).Where(r => r.Id == id), r => Assert.Equal(HardeningStatus.Pass, r.Status));

        Apply(tree, change);
        var after = NodeConfigurationChecker.Check(tree.Root).Where(r => r.Id == id).ToList();
        Assert.Contains(after, r => r.Status == expected);
    }

    /// <summary>
    /// Every numeric id is the number kube-bench's cis-1.10 gives the same check: the id exists there and the words that
    /// name the check (the flag, the file) are in both kube-bench's text and the result's title. Every other id is K8S-*.
    /// </summary>
    [Fact]
    public void EveryNumericIdIsKubeBenchsCis110NumberForTheSameCheck()
    {
        var kubeBench = KubeBenchChecks("cis-1.10.tsv");
        using var tree = Hardened();
        tree.AddFlags("kube-apiserver", "--token-auth-file=/etc/kubernetes/tokens.csv");
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        foreach (string id in new[] { "1.1.9", "1.1.10", "4.1.3", "4.1.4", "3.2.1", "4.1.7", "4.2.13" })
        {
            Assert.Contains(results, r => r.Id == id);
        }

        Assert.All(results, r =>
        {
            if (!char.IsAsciiDigit(r.Id[0]))
            {
                Assert.StartsWith("K8S-", r.Id, StringComparison.Ordinal);
                return;
            }

            Assert.True(kubeBench.TryGetValue(r.Id, out var check), $"{r.Id} ({r.Title}) is not a check of kube-bench cfg/cis-1.10");
            foreach (string words in check.Words)
            {
                Assert.True(check.Text.Contains(words, StringComparison.OrdinalIgnoreCase), $"test data: '{words}' is not in kube-bench's {r.Id} text");
                Assert.True(r.Title.Contains(words, StringComparison.OrdinalIgnoreCase), $"{r.Id}: the title '{r.Title}' does not name '{words}' as kube-bench's {r.Id} does: {check.Text}");
            }
        });

        // protectKernelDefaults left the benchmark after CIS 1.24, where it was 4.2.6 (cis-1.10's 4.2.6 is make-iptables-util-chains).
        Assert.DoesNotContain(kubeBench.Values, c => c.Text.Contains("protect-kernel-defaults", StringComparison.Ordinal));
        Assert.Contains("--protect-kernel-defaults", KubeBenchChecks("cis-1.24.tsv")["4.2.6"].Text, StringComparison.Ordinal);
        Assert.Contains("CIS 1.24 4.2.6", results.Single(r => r.Id == "K8S-KUBELET-PROTECT-KERNEL-DEFAULTS").Title, StringComparison.Ordinal);
    }

    /// <summary>A kubelet started without --config keeps the command line's legacy defaults (options.go, applyLegacyDefaults).</summary>
    [Fact]
    public void AKubeletWithoutAConfigFileHasAnonymousAuthAlwaysAllowAndTheReadOnlyPort()
    {
        using var tree = Hardened();
        tree.Replace("usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf", "Environment=\"KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml\"\n", string.Empty);
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(("true (default)", HardeningStatus.Fail), (results.Single(r => r.Id == "4.2.1").Effective, results.Single(r => r.Id == "4.2.1").Status));
        Assert.Equal(("AlwaysAllow", HardeningStatus.Fail), (results.Single(r => r.Id == "4.2.2").Effective, results.Single(r => r.Id == "4.2.2").Status));
        Assert.Equal(("10255", HardeningStatus.Warn), (results.Single(r => r.Id == "4.2.4").Effective, results.Single(r => r.Id == "4.2.4").Status));

        File.WriteAllText(tree["etc/default/kubelet"], "KUBELET_EXTRA_ARGS=\"--anonymous-auth=false --authorization-mode=Webhook --read-only-port=0\"\n");
        results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.All(new[] { "4.2.1", "4.2.2", "4.2.4" }, id => Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == id).Status));
    }

    /// <summary>--config-dir: *.conf drop-ins merge over config.yaml in name order as JSON merge patches; other files are ignored.</summary>
    [Fact]
    public void KubeletDropInsOverrideTheConfigFileAndAnUnreadableOneFailsClosed()
    {
        using var tree = Hardened();
        const string header = "apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n";
        Directory.CreateDirectory(tree["etc/kubernetes/kubelet.conf.d/90-site"]);
        File.WriteAllText(tree["etc/kubernetes/kubelet.conf.d/10-anonymous.conf"], header + "authentication:\n  anonymous:\n    enabled: true\n");
        File.WriteAllText(tree["etc/kubernetes/kubelet.conf.d/20-port.yaml"], header + "readOnlyPort: 10255\n");
        File.WriteAllText(tree["etc/kubernetes/kubelet.conf.d/90-site/authz.conf"], header + "authorization:\n  mode: AlwaysAllow\n");
        File.WriteAllText(tree["etc/kubernetes/kubelet.conf.d/95-pids.conf"], header + "podPidsLimit: null\n");
        File.WriteAllText(tree["etc/default/kubelet"], "KUBELET_EXTRA_ARGS=--config-dir=/etc/kubernetes/kubelet.conf.d\n");

        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "4.2.1").Status);
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "4.2.3").Status); // the x509 settings beside anonymous stay
        Assert.Equal(("AlwaysAllow", HardeningStatus.Fail), (results.Single(r => r.Id == "4.2.2").Effective, results.Single(r => r.Id == "4.2.2").Status));
        Assert.Equal(("0", HardeningStatus.Pass), (results.Single(r => r.Id == "4.2.4").Effective, results.Single(r => r.Id == "4.2.4").Status));
        Assert.Equal(HardeningStatus.Warn, results.Single(r => r.Id == "4.2.13").Status); // null removed podPidsLimit: 4096

        File.WriteAllText(tree["etc/kubernetes/kubelet.conf.d/99-broken.conf"], "authentication: [unclosed\n");
        results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "K8S-KUBELET-CONFIG").Status);
        Assert.DoesNotContain(results, r => r.Id == "4.2.1");
    }

    /// <summary>etcd with --config-file reads only the file (etcd's embed.Config YAML): the manifest's other flags no longer count.</summary>
    [Fact]
    public void EtcdWithAConfigFileIsJudgedByTheFileAndAMissingFileFails()
    {
        using var tree = Hardened();
        tree.AddFlags("etcd", "--config-file=/etc/kubernetes/etcd/etcd.conf.yml");
        Directory.CreateDirectory(tree["etc/kubernetes/etcd"]);
        File.WriteAllText(tree["etc/kubernetes/etcd/etcd.conf.yml"],
            "name: cp1\ndata-dir: /var/lib/etcd\nclient-transport-security:\n  cert-file: /etc/kubernetes/pki/etcd/server.crt\n  key-file: /etc/kubernetes/pki/etcd/server.key\n" +
            "  client-cert-auth: true\n  trusted-ca-file: /etc/kubernetes/pki/etcd/ca.crt\n  auto-tls: true\npeer-transport-security:\n  cert-file: /etc/kubernetes/pki/etcd/peer.crt\n  key-file: /etc/kubernetes/pki/etcd/peer.key\n");
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "2.1").Status);
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "2.2").Status);
        Assert.Equal(("true", HardeningStatus.Fail), (results.Single(r => r.Id == "2.3").Effective, results.Single(r => r.Id == "2.3").Status));
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "2.4").Status);
        Assert.Equal(("false (default)", HardeningStatus.Fail), (results.Single(r => r.Id == "2.5").Effective, results.Single(r => r.Id == "2.5").Status)); // the manifest's --peer-client-cert-auth=true is ignored
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "2.7").Status);

        File.Delete(tree["etc/kubernetes/etcd/etcd.conf.yml"]);
        results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "K8S-ETCD-MANIFEST").Status);
        Assert.DoesNotContain(results, r => r.Id == "2.2");
    }

    /// <summary>kube-scheduler --config: "--profiling ... is ignored if a config file is specified in --config"; enableProfiling decides.</summary>
    [Fact]
    public void SchedulerWithAConfigFileIgnoresTheProfilingFlag()
    {
        using var tree = Hardened();
        tree.AddFlags("kube-scheduler", "--config=/etc/kubernetes/scheduler-config.yaml");
        File.WriteAllText(tree["etc/kubernetes/scheduler-config.yaml"], "apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nclientConnection:\n  kubeconfig: /etc/kubernetes/scheduler.conf\n");
        var profiling = NodeConfigurationChecker.Check(tree.Root).Single(r => r.Id == "1.4.1");
        Assert.Equal(("true (default; --config ignores --profiling)", HardeningStatus.Fail), (profiling.Effective, profiling.Status));

        tree.Append("etc/kubernetes/scheduler-config.yaml", "enableProfiling: false\n");
        Assert.Equal(HardeningStatus.Pass, NodeConfigurationChecker.Check(tree.Root).Single(r => r.Id == "1.4.1").Status);

        File.Delete(tree["etc/kubernetes/scheduler-config.yaml"]);
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "K8S-KUBE-SCHEDULER-MANIFEST").Status);
        Assert.DoesNotContain(results, r => r.Id == "1.4.1");
    }

    private static Dictionary<string, (string[] Words, string Text)> KubeBenchChecks(string file)
    {
        return File.ReadLines(Path.Combine(K8sSecurity.Engine.Tests.Scanning.SharedFixtures.RepoRoot, "tests", "K8sSecurity.Engine.Tests", "Hardening", "KubeBench", file))
            .Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l.Split('\t'))
            .ToDictionary(f => f[0], f => (f[1].Split(';'), f[2]), StringComparer.Ordinal);
    }

    [Fact]
    public void BooleanFlagsNeverTakeTheNextArgumentAndTheComponentWouldRefuseTheStrayValue()
    {
        using var tree = Hardened();
        tree.AddFlags("kube-apiserver", "--profiling", "false");
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(("true", HardeningStatus.Fail), (results.Single(r => r.Id == "1.2.15").Effective, results.Single(r => r.Id == "1.2.15").Status));
        var manifest = results.Single(r => r.Id == "K8S-KUBE-APISERVER-MANIFEST");
        Assert.Equal(HardeningStatus.Fail, manifest.Status);
        Assert.Contains("unexpected argument \"false\"", manifest.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ListFlagsAppendSoARepeatedAuthorizationModeKeepsTheEarlierModes()
    {
        using var tree = new KubeadmNodeTree();
        tree.AddFlags("kube-apiserver", "--authorization-mode=AlwaysAllow");
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(("Node,RBAC,AlwaysAllow", HardeningStatus.Fail), (results.Single(r => r.Id == "1.2.6").Effective, results.Single(r => r.Id == "1.2.6").Status));
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "1.2.7").Status);
    }

    [Fact]
    public void APluginBothEnabledAndDisabledKeepsTheApiServerFromStarting()
    {
        using var tree = new KubeadmNodeTree();
        tree.AddFlags("kube-apiserver", "--disable-admission-plugins=NodeRestriction");
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "K8S-KUBE-APISERVER-MANIFEST").Status);
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "1.2.14").Status);
    }

    [Fact]
    public void KubeletFlagsFromEnvironmentFilesOverrideTheConfigFile()
    {
        using var tree = Hardened();
        File.WriteAllText(tree["etc/default/kubelet"], "KUBELET_EXTRA_ARGS=\"--anonymous-auth=true --authorization-mode AlwaysAllow\"\n");
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        var anonymous = results.Single(r => r.Id == "4.2.1");
        Assert.Equal((HardeningStatus.Fail, "--anonymous-auth=true", tree["usr/lib/systemd/system/kubelet.service.d/10-kubeadm.conf"]), (anonymous.Status, anonymous.Effective, anonymous.File));
        Assert.Equal(("AlwaysAllow", HardeningStatus.Fail), (results.Single(r => r.Id == "4.2.2").Effective, results.Single(r => r.Id == "4.2.2").Status));
    }

    [Fact]
    public void UnreadableInputFailsClosed()
    {
        using var tree = new KubeadmNodeTree();
        File.WriteAllText(tree["etc/kubernetes/manifests/kube-scheduler.yaml"], "spec: [unclosed\n");
        File.Delete(tree["var/lib/kubelet/config.yaml"]);
        var results = NodeConfigurationChecker.Check(tree.Root).ToList();
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "K8S-KUBE-SCHEDULER-MANIFEST").Status);
        Assert.DoesNotContain(results, r => r.Id == "1.4.1");
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "K8S-KUBELET-CONFIG").Status);
        Assert.DoesNotContain(results, r => r.Id == "4.2.1");

        string empty = Directory.CreateTempSubdirectory("k8ssec-empty").FullName;
        var ex = Assert.Throws<K8sOperationException>(() => NodeConfigurationChecker.Check(empty).ToList());
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Directory.Delete(empty);
    }

    [Fact]
    public async Task TheAuditIncludesTheNodeFolder()
    {
        using var tree = new KubeadmNodeTree();
        var result = await new SecurityAuditor().AuditOfflineAsync(new[] { tree["etc/kubernetes/manifests"] }, new AuditOptions { NodePath = tree.Root, Categories = new[] { AuditCategory.NodeConfiguration } }, null, EngineLog.None, CancellationToken.None);
        Assert.Contains(result.Findings, f => f.Id == "CIS-1.2.15" && f.Category == AuditCategory.NodeConfiguration && f.Severity == K8sSecurity.Engine.Reporting.FindingSeverity.Medium);
        Assert.Contains(result.Findings, f => f.Id == "CIS-1.2.1" && f.Severity == K8sSecurity.Engine.Reporting.FindingSeverity.Low);
        Assert.DoesNotContain(result.Findings, f => f.Id == "CIS-1.2.14");
    }

    [Theory]
    [InlineData(new[] { "--profiling=false", "--profiling=true" }, "profiling", "true")]
    [InlineData(new[] { "--anonymous_auth=false" }, "anonymous-auth", "false")]
    [InlineData(new[] { "--authorization-mode", "Node,RBAC" }, "authorization-mode", "Node,RBAC")]
    [InlineData(new[] { "--enable-admission-plugins=NodeRestriction", "--enable-admission-plugins=EventRateLimit,AlwaysPullImages" }, "enable-admission-plugins", "NodeRestriction,EventRateLimit,AlwaysPullImages")]
    [InlineData(new[] { "--profiling" }, "profiling", "true")]
    [InlineData(new[] { "-v=2", "--tls-cert-file", "/a.crt" }, "tls-cert-file", "/a.crt")]
    public void PflagRules(string[] args, string flag, string expected)
    {
        var flags = ComponentFlags.Parse(args, FlagSyntax.Pflag, NodeConfiguration.ApiServerFlags);
        Assert.Empty(flags.Errors);
        Assert.Equal(expected, flags.Value(flag));
    }

    [Fact]
    public void PflagAndGoFlagRefuseWhatTheComponentsRefuse()
    {
        Assert.Contains("strconv.ParseBool", Assert.Single(ComponentFlags.Parse(new[] { "--profiling=yes" }, FlagSyntax.Pflag, NodeConfiguration.ApiServerFlags).Errors), StringComparison.Ordinal);
        Assert.NotEmpty(ComponentFlags.Parse(new[] { "-profiling=false" }, FlagSyntax.Pflag, NodeConfiguration.ApiServerFlags).Errors);
        var gates = ComponentFlags.Parse(new[] { "--feature-gates=A=true,B=false", "--feature-gates=B=true" }, FlagSyntax.Pflag, NodeConfiguration.ApiServerFlags);
        Assert.Equal(new Dictionary<string, string> { ["A"] = "true", ["B"] = "true" }, gates.Map("feature-gates"));

        // Go's flag package: one dash works, parsing stops at the first non-flag, and etcd refuses the leftovers.
        var etcd = ComponentFlags.Parse(new[] { "-client-cert-auth=true", "--peer-client-cert-auth", "false", "--auto-tls=true" }, FlagSyntax.GoFlag, NodeConfiguration.EtcdFlags);
        Assert.Equal(("true", "true", null), (etcd.Value("client-cert-auth"), etcd.Value("peer-client-cert-auth"), etcd.Value("auto-tls")));
        Assert.Contains("'false' is not a valid flag", Assert.Single(etcd.Errors), StringComparison.Ordinal);
    }

    private static void Apply(KubeadmNodeTree tree, string change)
    {
        string[] words = change.Split(' ', 2);
        switch (words[0])
        {
            case "chmod":
                var chmod = words[1].Split(' ');
                tree.SetMode(chmod[0], chmod[1]);
                break;
            case "chown":
                var chown = words[1].Split(' ');
                tree.Chown(chown[0], int.Parse(chown[1], System.Globalization.CultureInfo.InvariantCulture), int.Parse(chown[1], System.Globalization.CultureInfo.InvariantCulture));
                break;
            case "replace":
                var replace = words[1].Split('|');
                tree.Replace(replace[0], replace[1], replace[2]);
                break;
            case "write":
                var write = words[1].Split('|', 2);
                File.WriteAllText(tree[write[0]], write[1]);
                break;
            case "kubelet":
                File.WriteAllText(tree["var/lib/kubelet/kubeadm-flags.env"], $"KUBELET_KUBEADM_ARGS=\"--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock {words[1]}\"\n");
                break;
            case "extra":
                File.WriteAllText(tree["etc/default/kubelet"], $"KUBELET_EXTRA_ARGS={words[1]}\n");
                break;
            default:
                tree.AddFlags(words[0], words[1].Split(' '));
                break;
        }
    }
}
