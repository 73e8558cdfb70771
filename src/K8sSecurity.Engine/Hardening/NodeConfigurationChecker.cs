using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// Test-K8sNodeConfiguration: the CIS Kubernetes Benchmark (v1.10 numbering, as kube-bench's cis-1.10 runs it) on a
/// kubeadm node's files, offline. Values are the ones in effect: flags parsed as the component parses them, then the
/// kubelet's config file, then the component's built-in default (so an unset --profiling is true and an unset
/// controller-manager --bind-address is 0.0.0.0). Checks the benchmark marks Manual report Warn instead of Fail.
/// </summary>
public static class NodeConfigurationChecker
{
    // kube-bench cis-1.10 1.2.29 and 4.2.12: the cipher suites the benchmark accepts.
    private static readonly HashSet<string> ApiServerCiphers = new(StringComparer.Ordinal)
    {
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    };

    private static readonly HashSet<string> KubeletCiphers = new(StringComparer.Ordinal)
    {
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        "TLS_RSA_WITH_AES_256_GCM_SHA384", "TLS_RSA_WITH_AES_128_GCM_SHA256",
    };

    // Admission plugins kube-apiserver enables unless --disable-admission-plugins names them (the ones the benchmark asks about).
    private static readonly HashSet<string> DefaultAdmissionPlugins = new(StringComparer.Ordinal) { "NamespaceLifecycle", "ServiceAccount", "LimitRanger", "Priority", "DefaultTolerationSeconds", "DefaultStorageClass", "StorageObjectInUseProtection", "PersistentVolumeClaimResize", "RuntimeClass", "CertificateApproval", "CertificateSigning", "ClusterTrustBundleAttest", "CertificateSubjectRestriction", "DefaultIngressClass", "MutatingAdmissionWebhook", "ValidatingAdmissionPolicy", "ValidatingAdmissionWebhook", "ResourceQuota", "PodSecurity", "TaintNodesByCondition" };

    public static IEnumerable<HardeningCheckResult> Check(string path)
    {
        var node = NodeConfiguration.Load(path);
        var results = new List<HardeningCheckResult>();
        FileChecks(node, results);
        if (node.ApiServer is { } apiServer)
        {
            ApiServerChecks(node, apiServer, results);
        }

        if (node.ControllerManager is { } controllerManager)
        {
            ControllerManagerChecks(controllerManager, results);
        }

        if (node.Scheduler is { } scheduler)
        {
            SchedulerChecks(node, scheduler, results);
        }

        if (node.Etcd is { } etcd)
        {
            EtcdChecks(node, etcd, results);
        }

        if (node.Kubelet is { } kubelet)
        {
            KubeletChecks(node, kubelet, results);
        }

        return results;
    }

    private static void FileChecks(NodeConfiguration node, List<HardeningCheckResult> results)
    {
        string k8s = node.KubernetesDirectory;
        string manifests = Path.Combine(k8s, "manifests");
        var files = new (string Component, string Path, string PermId, string OwnId, string What)[]
        {
            ("kube-apiserver", Path.Combine(manifests, "kube-apiserver.yaml"), "1.1.1", "1.1.2", "API server pod specification file"),
            ("kube-controller-manager", Path.Combine(manifests, "kube-controller-manager.yaml"), "1.1.3", "1.1.4", "controller manager pod specification file"),
            ("kube-scheduler", Path.Combine(manifests, "kube-scheduler.yaml"), "1.1.5", "1.1.6", "scheduler pod specification file"),
            ("etcd", Path.Combine(manifests, "etcd.yaml"), "1.1.7", "1.1.8", "etcd pod specification file"),
            ("kubeconfig", Path.Combine(k8s, "admin.conf"), "1.1.13", "1.1.14", "default administrative credential file (admin.conf)"),
            ("kubeconfig", Path.Combine(k8s, "super-admin.conf"), "1.1.13", "1.1.14", "super-admin.conf credential file"),
            ("kubeconfig", Path.Combine(k8s, "scheduler.conf"), "1.1.15", "1.1.16", "scheduler.conf file"),
            ("kubeconfig", Path.Combine(k8s, "controller-manager.conf"), "1.1.17", "1.1.18", "controller-manager.conf file"),
        };
        foreach (var file in files)
        {
            if (node.Stat.Stat(file.Path) is { } info)
            {
                results.Add(Permissions(file.PermId, $"The {file.What} permissions are 600 or more restrictive", file.Component, info, 600, manual: false));
                results.Add(Ownership(file.OwnId, $"The {file.What} ownership is root:root", file.Component, info, manual: false));
            }
        }

        CniFileChecks(node, results);

        // 4.1.3/4.1.4: kubeadm's kube-proxy reads its kubeconfig from a ConfigMap inside its pod, so most kubeadm nodes
        // have none; where kube-proxy runs from the node's files (kube-bench's proxy kubeconfig paths) the file is checked.
        foreach (string proxyKubeconfig in new[] { "etc/kubernetes/proxy.conf", "etc/kubernetes/ssl/kubecfg-kube-proxy.yaml", "var/lib/kube-proxy/kubeconfig.conf" })
        {
            if (node.Stat.Stat(node.OnNode(proxyKubeconfig)) is { } proxyInfo)
            {
                results.Add(Permissions("4.1.3", "The kube-proxy kubeconfig file permissions are 600 or more restrictive", "kube-proxy", proxyInfo, 600, manual: true));
                results.Add(Ownership("4.1.4", "The kube-proxy kubeconfig file ownership is root:root", "kube-proxy", proxyInfo, manual: true));
            }
        }

        string pki = Path.Combine(k8s, "pki");
        if (Directory.Exists(pki))
        {
            var entries = new[] { pki }.Concat(Directory.EnumerateFileSystemEntries(pki, "*", SearchOption.AllDirectories)).Order(StringComparer.Ordinal).ToList();
            var notRoot = entries.Select(node.Stat.Stat).OfType<NodeFileInfo>().Where(i => i.Uid != 0 || i.Gid != 0).ToList();
            results.Add(Result("1.1.19", "The Kubernetes PKI directory and file ownership is root:root", "pki", notRoot.Count == 0 ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, pki,
                notRoot.Count == 0 ? "root:root" : string.Join(", ", notRoot.Take(5).Select(i => $"{Relative(node, i.Path)} {i.Ownership}")), "root:root",
                notRoot.Count == 0 ? $"All {entries.Count} entries under the PKI folder belong to root:root." : $"{notRoot.Count} entries under the PKI folder do not belong to root:root.",
                $"chown -R root:root {NodePath(node, pki)}"));
            foreach (var (id, pattern, what) in new[] { ("1.1.20", "*.crt", "certificate"), ("1.1.21", "*.key", "key") })
            {
                var matching = Directory.EnumerateFiles(pki, pattern, SearchOption.AllDirectories).Order(StringComparer.Ordinal).Select(node.Stat.Stat).OfType<NodeFileInfo>().ToList();
                var open = matching.Where(i => !UnixModes.AtMost(i.Mode, 600)).ToList();
                results.Add(Result(id, $"The Kubernetes PKI {what} file permissions are 600 or more restrictive", "pki", open.Count == 0 ? HardeningStatus.Pass : Manual(true), FindingSeverity.Medium, pki,
                    open.Count == 0 ? $"{matching.Count} files, all 600 or stricter" : string.Join(", ", open.Take(5).Select(i => $"{Relative(node, i.Path)} {i.ModeOctal}")), "600 or more restrictive",
                    open.Count == 0 ? $"Every {pattern} file under the PKI folder is 600 or stricter." : $"{open.Count} {pattern} files are readable beyond their owner.",
                    $"chmod -R 600 {NodePath(node, pki)}/{pattern}"));
            }
        }
    }

    /// <summary>
    /// 1.1.9/1.1.10: the CNI configuration files (under /etc/cni/net.d, the conf dir containerd and CRI-O read, or the
    /// kubelet's legacy --cni-conf-dir) and the IPAM files under /var/lib/cni/networks, as kube-bench finds them.
    /// Only files are checked: a directory needs its x bits to be usable.
    /// </summary>
    private static void CniFileChecks(NodeConfiguration node, List<HardeningCheckResult> results)
    {
        var folders = new List<string> { node.OnNode("/etc/cni/net.d"), node.OnNode("/var/lib/cni/networks") };
        if (node.Kubelet?.Flags.Value("cni-conf-dir") is { Length: > 0 } confDir)
        {
            folders.Insert(0, node.OnNode(confDir));
        }

        var files = folders.Distinct(StringComparer.Ordinal).Where(Directory.Exists)
            .SelectMany(f => Directory.EnumerateFiles(f, "*", SearchOption.AllDirectories))
            .Order(StringComparer.Ordinal).Select(node.Stat.Stat).OfType<NodeFileInfo>().ToList();
        if (files.Count == 0)
        {
            return;
        }

        string where = string.Join(" and ", folders.Where(Directory.Exists).Select(f => NodePath(node, f)));
        var open = files.Where(i => !UnixModes.AtMost(i.Mode, 600)).ToList();
        results.Add(Result("1.1.9", "The Container Network Interface file permissions are 600 or more restrictive", "cni", open.Count == 0 ? HardeningStatus.Pass : Manual(true), FindingSeverity.Medium, files[0].Path,
            open.Count == 0 ? $"{files.Count} files, all 600 or stricter" : string.Join(", ", open.Take(5).Select(i => $"{Relative(node, i.Path)} {i.ModeOctal}")), "600 or more restrictive",
            open.Count == 0 ? $"Every CNI file under {where} is 600 or stricter." : $"{open.Count} of {files.Count} CNI files under {where} are readable beyond their owner.",
            $"chmod 600 {string.Join(' ', open.Take(5).Select(i => NodePath(node, i.Path)))}".TrimEnd()));
        var notRoot = files.Where(i => i.Uid != 0 || i.Gid != 0).ToList();
        results.Add(Result("1.1.10", "The Container Network Interface file ownership is root:root", "cni", notRoot.Count == 0 ? HardeningStatus.Pass : Manual(true), FindingSeverity.Medium, files[0].Path,
            notRoot.Count == 0 ? "root:root" : string.Join(", ", notRoot.Take(5).Select(i => $"{Relative(node, i.Path)} {i.Ownership}")), "root:root",
            notRoot.Count == 0 ? $"Every CNI file under {where} belongs to root:root." : $"{notRoot.Count} of {files.Count} CNI files under {where} do not belong to root:root.",
            $"chown root:root {string.Join(' ', notRoot.Take(5).Select(i => NodePath(node, i.Path)))}".TrimEnd()));
    }

    private static void ApiServerChecks(NodeConfiguration node, StaticPodComponent pod, List<HardeningCheckResult> results)
    {
        if (ComponentReadable(pod, results) is false)
        {
            return;
        }

        var flags = pod.Flags;
        string edit = $"Edit {NodePath(node, pod.ManifestPath)} and set";
        var both = (flags.List("enable-admission-plugins") ?? Array.Empty<string>()).Intersect(flags.List("disable-admission-plugins") ?? Array.Empty<string>(), StringComparer.Ordinal).ToList();
        if (both.Count > 0)
        {
            results.Add(Result("K8S-KUBE-APISERVER-MANIFEST", "The kube-apiserver admission plugin flags agree", "kube-apiserver", HardeningStatus.Fail, FindingSeverity.High, pod.ManifestPath,
                string.Join(',', both), "no plugin in both --enable-admission-plugins and --disable-admission-plugins",
                $"kube-apiserver refuses to start: {string.Join(", ", both)} both enabled and disabled.", "Remove the plugin from one of the two flags."));
        }

        results.Add(FlagBool(pod, "1.2.1", "--anonymous-auth is false", "anonymous-auth", defaultValue: true, expected: false, manual: true, FindingSeverity.High, $"{edit} --anonymous-auth=false."));
        results.Add(FlagUnset(pod, "1.2.2", "--token-auth-file is not set", "token-auth-file", FindingSeverity.High, $"Use another authentication method, then remove --token-auth-file from {NodePath(node, pod.ManifestPath)}."));
        results.Add(FlagHas(pod, "1.2.3", "The DenyServiceExternalIPs admission plugin is enabled", EnabledPlugins(flags), "DenyServiceExternalIPs", manual: true, FindingSeverity.Low, $"{edit} --enable-admission-plugins=...,DenyServiceExternalIPs."));
        results.Add(FlagsSet(pod, "1.2.4", "--kubelet-client-certificate and --kubelet-client-key are set", new[] { "kubelet-client-certificate", "kubelet-client-key" }, manual: false, FindingSeverity.High, $"{edit} --kubelet-client-certificate and --kubelet-client-key."));
        results.Add(FlagsSet(pod, "1.2.5", "--kubelet-certificate-authority is set", new[] { "kubelet-certificate-authority" }, manual: false, FindingSeverity.High, $"{edit} --kubelet-certificate-authority to the CA that signs the kubelets' serving certificates."));

        var modes = flags.List("authorization-mode");
        string? authzConfig = flags.Value("authorization-config");
        var effectiveModes = modes ?? (authzConfig is null ? new[] { "AlwaysAllow" } : null);
        foreach (var (id, title, test, expected) in new (string, string, Func<IReadOnlyList<string>, bool>, string)[]
                 {
                     ("1.2.6", "--authorization-mode is not AlwaysAllow", m => !m.Contains("AlwaysAllow"), "without AlwaysAllow"),
                     ("1.2.7", "--authorization-mode includes Node", m => m.Contains("Node"), "includes Node"),
                     ("1.2.8", "--authorization-mode includes RBAC", m => m.Contains("RBAC"), "includes RBAC"),
                 })
        {
            results.Add(effectiveModes is null
                ? Result(id, title, "kube-apiserver", HardeningStatus.Warn, FindingSeverity.Critical, pod.ManifestPath, $"--authorization-config={authzConfig}", expected,
                    $"Authorizers come from the AuthorizationConfiguration file {authzConfig}; check it by hand.", $"{edit} --authorization-mode=Node,RBAC or list Node and RBAC authorizers in {authzConfig}.")
                : Result(id, title, "kube-apiserver", test(effectiveModes) ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.Critical, pod.ManifestPath,
                    string.Join(',', effectiveModes) + (modes is null ? " (default)" : string.Empty), expected,
                    test(effectiveModes) ? $"Authorization mode {string.Join(',', effectiveModes)}." : $"Authorization mode {string.Join(',', effectiveModes)}{(modes is null ? " (the default when the flag is not set)" : string.Empty)} {(id == "1.2.6" ? "allows every request" : "misses a required authorizer")}.",
                    $"{edit} --authorization-mode=Node,RBAC."));
        }

        var enabled = EnabledPlugins(flags);
        results.Add(FlagHas(pod, "1.2.9", "The EventRateLimit admission plugin is enabled", enabled, "EventRateLimit", manual: true, FindingSeverity.Low, $"{edit} --enable-admission-plugins=...,EventRateLimit and --admission-control-config-file."));
        results.Add(Result("1.2.10", "The AlwaysAdmit admission plugin is not enabled", "kube-apiserver", enabled.Contains("AlwaysAdmit") ? HardeningStatus.Fail : HardeningStatus.Pass, FindingSeverity.High, pod.ManifestPath,
            string.Join(',', enabled), "without AlwaysAdmit", enabled.Contains("AlwaysAdmit") ? "AlwaysAdmit is enabled." : "AlwaysAdmit is not enabled.", $"Remove AlwaysAdmit from --enable-admission-plugins in {NodePath(node, pod.ManifestPath)}."));
        results.Add(FlagHas(pod, "1.2.11", "The AlwaysPullImages admission plugin is enabled", enabled, "AlwaysPullImages", manual: true, FindingSeverity.Low, $"{edit} --enable-admission-plugins=...,AlwaysPullImages."));
        results.Add(FlagHas(pod, "1.2.12", "The ServiceAccount admission plugin is enabled", enabled, "ServiceAccount", manual: false, FindingSeverity.High, $"Remove ServiceAccount from --disable-admission-plugins in {NodePath(node, pod.ManifestPath)}."));
        results.Add(FlagHas(pod, "1.2.13", "The NamespaceLifecycle admission plugin is enabled", enabled, "NamespaceLifecycle", manual: false, FindingSeverity.Medium, $"Remove NamespaceLifecycle from --disable-admission-plugins in {NodePath(node, pod.ManifestPath)}."));
        results.Add(FlagHas(pod, "1.2.14", "The NodeRestriction admission plugin is enabled", enabled, "NodeRestriction", manual: false, FindingSeverity.High, $"{edit} --enable-admission-plugins=...,NodeRestriction."));
        results.Add(FlagBool(pod, "1.2.15", "--profiling is false", "profiling", defaultValue: true, expected: false, manual: false, FindingSeverity.Medium, $"{edit} --profiling=false."));
        results.Add(FlagsSet(pod, "1.2.16", "--audit-log-path is set", new[] { "audit-log-path" }, manual: false, FindingSeverity.High, $"{edit} --audit-log-path=/var/log/kubernetes/audit/audit.log (and --audit-policy-file)."));
        results.Add(FlagAtLeast(pod, "1.2.17", "--audit-log-maxage is 30 or more", "audit-log-maxage", 30, FindingSeverity.Medium, $"{edit} --audit-log-maxage=30."));
        results.Add(FlagAtLeast(pod, "1.2.18", "--audit-log-maxbackup is 10 or more", "audit-log-maxbackup", 10, FindingSeverity.Medium, $"{edit} --audit-log-maxbackup=10."));
        results.Add(FlagAtLeast(pod, "1.2.19", "--audit-log-maxsize is 100 or more", "audit-log-maxsize", 100, FindingSeverity.Medium, $"{edit} --audit-log-maxsize=100."));

        string timeout = flags.Value("request-timeout") ?? "1m0s";
        bool timeoutOk = GoDuration.TryParse(timeout, out var requestTimeout) && requestTimeout > TimeSpan.Zero && requestTimeout <= TimeSpan.FromMinutes(5);
        results.Add(Result("1.2.20", "--request-timeout is set as appropriate", "kube-apiserver", timeoutOk ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Low, pod.ManifestPath,
            timeout + (flags.IsSet("request-timeout") ? string.Empty : " (default)"), "a positive duration up to 5m (default 1m0s)",
            timeoutOk ? $"Requests time out after {timeout}." : $"'{timeout}' is not a positive duration up to 5m: long-held requests tie up the API server.", $"{edit} --request-timeout=60s (or remove it for the 1m0s default)."));
        results.Add(FlagBool(pod, "1.2.21", "--service-account-lookup is true", "service-account-lookup", defaultValue: true, expected: true, manual: false, FindingSeverity.Medium, $"{edit} --service-account-lookup=true (or remove it)."));
        results.Add(FlagsSet(pod, "1.2.22", "--service-account-key-file is set", new[] { "service-account-key-file" }, manual: false, FindingSeverity.Medium, $"{edit} --service-account-key-file=/etc/kubernetes/pki/sa.pub."));
        results.Add(FlagsSet(pod, "1.2.23", "--etcd-certfile and --etcd-keyfile are set", new[] { "etcd-certfile", "etcd-keyfile" }, manual: false, FindingSeverity.High, $"{edit} --etcd-certfile and --etcd-keyfile."));
        results.Add(FlagsSet(pod, "1.2.24", "--tls-cert-file and --tls-private-key-file are set", new[] { "tls-cert-file", "tls-private-key-file" }, manual: false, FindingSeverity.High, $"{edit} --tls-cert-file and --tls-private-key-file."));
        results.Add(FlagsSet(pod, "1.2.25", "--client-ca-file is set", new[] { "client-ca-file" }, manual: false, FindingSeverity.High, $"{edit} --client-ca-file=/etc/kubernetes/pki/ca.crt."));
        results.Add(FlagsSet(pod, "1.2.26", "--etcd-cafile is set", new[] { "etcd-cafile" }, manual: false, FindingSeverity.High, $"{edit} --etcd-cafile=/etc/kubernetes/pki/etcd/ca.crt."));
        results.Add(FlagsSet(pod, "1.2.27", "--encryption-provider-config is set", new[] { "encryption-provider-config" }, manual: true, FindingSeverity.High, $"Write one with New-K8sEncryptionConfiguration, then {edit} --encryption-provider-config (with a read-only hostPath mount)."));
        results.Add(EncryptionProviders(node, pod));
        results.Add(Ciphers(pod, "1.2.29", "The API server only makes use of strong cryptographic ciphers", flags.List("tls-cipher-suites"), ApiServerCiphers, $"{edit} --tls-cipher-suites to a subset of the benchmark's list."));

        string minVersion = flags.Value("tls-min-version") ?? string.Empty;
        bool tlsOk = minVersion is "" or "VersionTLS12" or "VersionTLS13";
        results.Add(Result("K8S-APISERVER-TLS-MIN-VERSION", "--tls-min-version is TLS 1.2 or newer", "kube-apiserver", tlsOk ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, pod.ManifestPath,
            minVersion.Length == 0 ? "VersionTLS12 (Go's server default)" : minVersion, "VersionTLS12 or VersionTLS13",
            tlsOk ? "Clients need TLS 1.2 or newer." : $"{minVersion} lets clients negotiate a deprecated TLS version.", $"{edit} --tls-min-version=VersionTLS12."));
        results.Add(FlagsSet(pod, "3.2.1", "A minimal audit policy is created (--audit-policy-file is set)", new[] { "audit-policy-file" }, manual: true, FindingSeverity.Medium, $"Write a policy with New-K8sAuditPolicy, then {edit} --audit-policy-file (with a read-only hostPath mount)."));
        results.Add(AuditPolicy(node, pod));
    }

    private static void ControllerManagerChecks(StaticPodComponent pod, List<HardeningCheckResult> results)
    {
        if (ComponentReadable(pod, results) is false)
        {
            return;
        }

        string edit = $"Edit the controller manager manifest and set";
        results.Add(FlagsSet(pod, "1.3.1", "--terminated-pod-gc-threshold is set", new[] { "terminated-pod-gc-threshold" }, manual: true, FindingSeverity.Low, $"{edit} --terminated-pod-gc-threshold=10."));
        results.Add(FlagBool(pod, "1.3.2", "--profiling is false", "profiling", defaultValue: true, expected: false, manual: false, FindingSeverity.Medium, $"{edit} --profiling=false."));
        results.Add(FlagBool(pod, "1.3.3", "--use-service-account-credentials is true", "use-service-account-credentials", defaultValue: false, expected: true, manual: false, FindingSeverity.High, $"{edit} --use-service-account-credentials=true."));
        results.Add(FlagsSet(pod, "1.3.4", "--service-account-private-key-file is set", new[] { "service-account-private-key-file" }, manual: false, FindingSeverity.Medium, $"{edit} --service-account-private-key-file=/etc/kubernetes/pki/sa.key."));
        results.Add(FlagsSet(pod, "1.3.5", "--root-ca-file is set", new[] { "root-ca-file" }, manual: false, FindingSeverity.Medium, $"{edit} --root-ca-file=/etc/kubernetes/pki/ca.crt."));
        results.Add(FeatureGateNotFalse(pod.Flags.Map("feature-gates"), "1.3.6", "RotateKubeletServerCertificate is not disabled", "kube-controller-manager", pod.ManifestPath, "Remove RotateKubeletServerCertificate=false from --feature-gates."));
        results.Add(BindAddress(pod, "1.3.7", $"{edit} --bind-address=127.0.0.1."));
    }

    private static void SchedulerChecks(NodeConfiguration node, StaticPodComponent pod, List<HardeningCheckResult> results)
    {
        if (ComponentReadable(pod, results) is false)
        {
            return;
        }

        if (pod.Flags.Value("config") is { Length: > 0 } configured)
        {
            // With --config the scheduler ignores --profiling: KubeSchedulerConfiguration's enableProfiling (default true) decides.
            string file = node.OnNode(configured);
            JsonObject? config = null;
            string? why = File.Exists(file) ? null : "it is not on the node";
            try
            {
                config = why is null ? YamlDocumentDecoder.Decode(File.ReadAllText(file), 1, new List<DuplicateKey>(), out _, null) as JsonObject : null;
                why ??= config?["kind"]?.ToString() == "KubeSchedulerConfiguration" ? null : "it is not a KubeSchedulerConfiguration";
            }
            catch (Exception ex) when (ex is ManifestDecodeException or IOException or UnauthorizedAccessException)
            {
                why = ex.Message;
            }

            if (why is not null)
            {
                results.Add(Result("K8S-KUBE-SCHEDULER-MANIFEST", "The kube-scheduler configuration file can be read", pod.Name, HardeningStatus.Fail, FindingSeverity.High, file, why, "a KubeSchedulerConfiguration",
                    $"kube-scheduler --config={configured} cannot be loaded ({why}): the scheduler would not start.", "Restore the file --config names, or remove --config."));
            }
            else
            {
                string? raw = config!["enableProfiling"] is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.ToString().ToLowerInvariant() : null;
                bool profiling = raw != "false";
                results.Add(Result("1.4.1", "--profiling is false", pod.Name, profiling ? HardeningStatus.Fail : HardeningStatus.Pass, FindingSeverity.Medium, file,
                    raw is null ? "true (default; --config ignores --profiling)" : $"enableProfiling: {raw}", "false",
                    profiling ? "Profiling is on: the config file decides, and --profiling is ignored with --config." : "enableProfiling is false in the scheduler's config file.",
                    $"Set enableProfiling: false in {configured}."));
            }
        }
        else
        {
            results.Add(FlagBool(pod, "1.4.1", "--profiling is false", "profiling", defaultValue: true, expected: false, manual: false, FindingSeverity.Medium, "Edit the scheduler manifest and set --profiling=false."));
        }

        results.Add(BindAddress(pod, "1.4.2", "Edit the scheduler manifest and set --bind-address=127.0.0.1."));
    }

    private static void EtcdChecks(NodeConfiguration node, StaticPodComponent pod, List<HardeningCheckResult> results)
    {
        if (ComponentReadable(pod, results) is false)
        {
            return;
        }

        // etcd takes ETCD_<FLAG> environment variables for flags not given on the command line; with --config-file
        // (or ETCD_CONFIG_FILE) it reads only that file and ignores the other flags and variables.
        string? Environment(string flag) => pod.Environment.GetValueOrDefault("ETCD_" + flag.ToUpperInvariant().Replace('-', '_'));
        JsonObject? configFile = null;
        if ((pod.Flags.Value("config-file") ?? Environment("config-file")) is { Length: > 0 } configured)
        {
            string file = node.OnNode(configured);
            string? why = File.Exists(file) ? null : "it is not on the node";
            if (why is null)
            {
                try
                {
                    // etcd reads the file with sigs.k8s.io/yaml (YAML to JSON), like a manifest without a kind.
                    configFile = YamlDocumentDecoder.Decode(File.ReadAllText(file), 1, new List<DuplicateKey>(), out _, null) as JsonObject;
                    why = configFile is null ? "it holds no YAML mapping" : null;
                }
                catch (Exception ex) when (ex is ManifestDecodeException or IOException or UnauthorizedAccessException)
                {
                    why = ex.Message;
                }
            }

            if (why is not null)
            {
                results.Add(Result("K8S-ETCD-MANIFEST", "The etcd configuration file can be read", "etcd", HardeningStatus.Fail, FindingSeverity.High, file, why, "an etcd configuration file",
                    $"etcd reads its settings only from --config-file={configured}, and {why}: etcd would not start.", "Restore the file --config-file names, or configure etcd with flags."));
                return;
            }
        }

        string? Value(string flag) => configFile is not null ? EtcdConfigValue(configFile, flag) : pod.Flags.Value(flag) ?? Environment(flag);
        string edit = configFile is not null ? $"Edit the etcd configuration file {pod.Flags.Value("config-file") ?? Environment("config-file")} and set" : $"Edit {NodePath(node, pod.ManifestPath)} and set";
        results.Add(EtcdSet("2.1", "--cert-file and --key-file are set", new[] { "cert-file", "key-file" }, Value, pod, manual: false, $"{edit} --cert-file and --key-file."));
        results.Add(EtcdBool("2.2", "--client-cert-auth is true", "client-cert-auth", Value, pod, expected: true, $"{edit} --client-cert-auth=true."));
        results.Add(EtcdBool("2.3", "--auto-tls is not true", "auto-tls", Value, pod, expected: false, $"{edit} --auto-tls=false (or remove it)."));
        results.Add(EtcdSet("2.4", "--peer-cert-file and --peer-key-file are set", new[] { "peer-cert-file", "peer-key-file" }, Value, pod, manual: false, $"{edit} --peer-cert-file and --peer-key-file."));
        results.Add(EtcdBool("2.5", "--peer-client-cert-auth is true", "peer-client-cert-auth", Value, pod, expected: true, $"{edit} --peer-client-cert-auth=true."));
        results.Add(EtcdBool("2.6", "--peer-auto-tls is not true", "peer-auto-tls", Value, pod, expected: false, $"{edit} --peer-auto-tls=false (or remove it)."));

        string? trusted = Value("trusted-ca-file");
        string? apiClientCa = node.ApiServer?.Flags.Value("client-ca-file");
        bool unique = trusted is not null && trusted != apiClientCa;
        results.Add(Result("2.7", "A unique certificate authority is used for etcd", "etcd", unique ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Medium, pod.ManifestPath,
            trusted ?? "(not set)", "a --trusted-ca-file other than the cluster CA",
            trusted is null ? "--trusted-ca-file is not set." : unique ? $"etcd trusts {trusted}, not the cluster CA." : $"etcd trusts the cluster CA {trusted}: any cluster client certificate can reach etcd.",
            $"{edit} --trusted-ca-file to a dedicated etcd CA (kubeadm: /etc/kubernetes/pki/etcd/ca.crt)."));

        string dataDir = Value("data-dir") ?? "/var/lib/etcd";
        if (node.Stat.Stat(node.OnNode(dataDir)) is { } info)
        {
            results.Add(Permissions("1.1.11", "The etcd data directory permissions are 700 or more restrictive", "etcd", info, 700, manual: false));
            uint? etcdUid = node.Stat.UserId("etcd");
            bool owned = info.Owner == "etcd" && info.Group == "etcd";
            results.Add(Result("1.1.12", "The etcd data directory ownership is etcd:etcd", "etcd", owned ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.Medium, info.Path,
                info.Ownership, "etcd:etcd", owned ? "The data directory belongs to etcd." : $"The data directory belongs to {info.Ownership}{(etcdUid is null ? " and the node has no etcd user" : string.Empty)}.",
                $"Run etcd as the etcd user and chown etcd:etcd {dataDir}."));
        }
    }

    /// <summary>A flag's value in etcd's configuration file (embed.Config's YAML names: TLS settings nest under the two transport sections).</summary>
    private static string? EtcdConfigValue(JsonObject config, string flag)
    {
        string[] path = flag switch
        {
            "cert-file" or "key-file" or "client-cert-auth" or "auto-tls" or "trusted-ca-file" => new[] { "client-transport-security", flag },
            "peer-cert-file" or "peer-key-file" or "peer-client-cert-auth" or "peer-auto-tls" or "peer-trusted-ca-file" => new[] { "peer-transport-security", flag["peer-".Length..] },
            _ => new[] { flag },
        };
        JsonNode? node = config;
        foreach (string part in path)
        {
            node = (node as JsonObject)?[part];
        }

        return node is JsonValue value ? (value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? value.ToString().ToLowerInvariant() : value.ToString()) : null;
    }

    private static void KubeletChecks(NodeConfiguration node, KubeletState kubelet, List<HardeningCheckResult> results)
    {
        if (kubelet.Unit?.ServiceFile is { } service && node.Stat.Stat(service) is { } serviceInfo)
        {
            results.Add(Permissions("4.1.1", "The kubelet service file permissions are 600 or more restrictive", "kubelet", serviceInfo, 600, manual: false));
            results.Add(Ownership("4.1.2", "The kubelet service file ownership is root:root", "kubelet", serviceInfo, manual: false));
        }

        string kubeconfig = kubelet.Flags.Value("kubeconfig") is { } k ? node.OnNode(k) : Path.Combine(node.KubernetesDirectory, "kubelet.conf");
        if (node.Stat.Stat(kubeconfig) is { } kubeconfigInfo)
        {
            results.Add(Permissions("4.1.5", "The kubelet kubeconfig (kubelet.conf) permissions are 600 or more restrictive", "kubelet", kubeconfigInfo, 600, manual: false));
            results.Add(Ownership("4.1.6", "The kubelet kubeconfig (kubelet.conf) ownership is root:root", "kubelet", kubeconfigInfo, manual: false));
        }

        if (kubelet.ConfigError is not null || (kubelet.Config is null && kubelet.ConfigPath is not null))
        {
            results.Add(Result("K8S-KUBELET-CONFIG", "The kubelet configuration file can be read", "kubelet", HardeningStatus.Fail, FindingSeverity.High, kubelet.ConfigPath,
                kubelet.ConfigError ?? "unreadable", "a KubeletConfiguration", $"The kubelet would not start: {kubelet.ConfigError}", "Fix or restore the file named by the kubelet's --config flag."));
            return;
        }

        if (kubelet.Flags.Errors.Count > 0)
        {
            results.Add(Result("K8S-KUBELET-FLAGS", "The kubelet command line parses", "kubelet", HardeningStatus.Fail, FindingSeverity.High, kubelet.FlagsFile,
                string.Join("; ", kubelet.Flags.Errors), "flags the kubelet accepts", $"The kubelet would refuse to start: {kubelet.Flags.Errors[0]}", "Fix the kubelet flags in its systemd drop-in or environment file."));
        }

        if (kubelet.ConfigPath is not null && node.Stat.Stat(kubelet.ConfigPath) is { } configInfo)
        {
            results.Add(Permissions("4.1.9", "The kubelet config.yaml permissions are 600 or more restrictive", "kubelet", configInfo, 600, manual: false));
            results.Add(Ownership("4.1.10", "The kubelet config.yaml ownership is root:root", "kubelet", configInfo, manual: false));
        }

        var (clientCa, _) = KubeletValue(kubelet, "client-ca-file", "authentication.x509.clientCAFile", null);
        if (clientCa is { Length: > 0 } && node.Stat.Stat(node.OnNode(clientCa)) is { } caInfo)
        {
            results.Add(Permissions("4.1.7", "The kubelet client certificate authorities file permissions are 600 or more restrictive", "kubelet", caInfo, 600, manual: true));
            results.Add(Ownership("4.1.8", "The kubelet client certificate authorities file ownership is root:root", "kubelet", caInfo, manual: true));
        }

        const string restart = " Then systemctl daemon-reload && systemctl restart kubelet.";

        // A kubelet without a config file keeps its command line's legacy defaults: anonymous requests on, AlwaysAllow,
        // read-only port 10255 (cmd/kubelet/app/options/options.go, applyLegacyDefaults). A config file's defaults are the safe ones.
        bool legacyDefaults = kubelet.ConfigPath is null;
        results.Add(KubeletBool(kubelet, "4.2.1", "Anonymous requests to the kubelet are refused (--anonymous-auth=false)", "anonymous-auth", "authentication.anonymous.enabled", defaultValue: legacyDefaults, expected: false, manual: false, FindingSeverity.Critical,
            "Set authentication.anonymous.enabled: false in the kubelet config file (or --anonymous-auth=false)." + restart));
        var (mode, modeSource) = KubeletValue(kubelet, "authorization-mode", "authorization.mode", legacyDefaults ? "AlwaysAllow" : "Webhook");
        results.Add(Result("4.2.2", "The kubelet's authorization mode is Webhook, not AlwaysAllow", "kubelet", mode == "AlwaysAllow" ? HardeningStatus.Fail : HardeningStatus.Pass, FindingSeverity.Critical, modeSource,
            mode, "Webhook", mode == "AlwaysAllow" ? "The kubelet authorizes every request it authenticates (exec, logs, pods) without asking the API server." : $"The kubelet authorizes with {mode}.",
            "Set authorization.mode: Webhook in the kubelet config file (or --authorization-mode=Webhook)." + restart));
        results.Add(Result("4.2.3", "The kubelet's --client-ca-file is set", "kubelet", clientCa is { Length: > 0 } ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, KubeletValue(kubelet, "client-ca-file", "authentication.x509.clientCAFile", null).Source,
            clientCa is { Length: > 0 } ? clientCa : "(not set)", "the cluster CA", clientCa is { Length: > 0 } ? $"Client certificates are verified against {clientCa}." : "The kubelet cannot verify client certificates (the API server's included).",
            "Set authentication.x509.clientCAFile: /etc/kubernetes/pki/ca.crt in the kubelet config file." + restart));
        var (port, portSource) = KubeletValue(kubelet, "read-only-port", "readOnlyPort", legacyDefaults ? "10255" : "0");
        results.Add(Result("4.2.4", "The kubelet's --read-only-port is 0 (disabled)", "kubelet", port == "0" ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.High, portSource,
            port, "0", port == "0" ? "The unauthenticated read-only port is off." : $"Port {port} serves pod and node data without authentication.", "Set readOnlyPort: 0 in the kubelet config file." + restart));
        var (idle, idleSource) = KubeletValue(kubelet, "streaming-connection-idle-timeout", "streamingConnectionIdleTimeout", "4h0m0s");
        if (idleSource == kubelet.ConfigPath && GoDuration.TryParse(idle, out var configured) && configured == TimeSpan.Zero)
        {
            // In the config file a zero duration is "not set" and the kubelet's defaulting makes it 4h (kubeadm writes 0s).
            idle = "4h0m0s (0s in the config file means the default)";
        }

        bool idleOk = !GoDuration.TryParse(idle, out var idleTimeout) || idleTimeout != TimeSpan.Zero;
        results.Add(Result("4.2.5", "--streaming-connection-idle-timeout is not 0", "kubelet", idleOk ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Low, idleSource,
            idle, "not 0 (default 4h)", idleOk ? $"Idle streams close after {idle}." : "Idle exec and port-forward streams never time out.", "Set streamingConnectionIdleTimeout: 5m in the kubelet config file." + restart));
        results.Add(KubeletBool(kubelet, "4.2.6", "--make-iptables-util-chains is true", "make-iptables-util-chains", "makeIPTablesUtilChains", defaultValue: true, expected: true, manual: false, FindingSeverity.Low,
            "Set makeIPTablesUtilChains: true in the kubelet config file (or remove it)." + restart));
        bool hostnameOverride = kubelet.Flags.IsSet("hostname-override");
        results.Add(Result("4.2.7", "--hostname-override is not set", "kubelet", hostnameOverride ? HardeningStatus.Warn : HardeningStatus.Pass, FindingSeverity.Low, kubelet.FlagsFile,
            kubelet.Flags.Value("hostname-override") ?? "(not set)", "not set", hostnameOverride ? "The node name differs from the host name, which can break TLS verification between the API server and the kubelet." : "The kubelet uses the host name.",
            "Remove --hostname-override from the kubelet's flags." + restart));
        var (qps, qpsSource) = KubeletValue(kubelet, "event-qps", "eventRecordQPS", "50");
        bool qpsOk = long.TryParse(qps, NumberStyles.Integer, CultureInfo.InvariantCulture, out long qpsValue) && qpsValue >= 0;
        results.Add(Result("4.2.8", "eventRecordQPS captures events", "kubelet", qpsOk ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Low, qpsSource,
            qps, "0 (no limit) or a limit that keeps every event", qpsOk ? (qpsValue == 0 ? "Events are not rate limited." : $"Events are limited to {qpsValue} per second.") : $"'{qps}' is not a valid event rate.",
            "Set eventRecordQPS in the kubelet config file (0 records every event)." + restart));
        var (cert, certSource) = KubeletValue(kubelet, "tls-cert-file", "tlsCertFile", null);
        var (key, _) = KubeletValue(kubelet, "tls-private-key-file", "tlsPrivateKeyFile", null);
        var (bootstrap, _) = KubeletValue(kubelet, "rotate-server-certificates", "serverTLSBootstrap", "false");
        bool tlsFiles = cert is { Length: > 0 } && key is { Length: > 0 };
        bool serverBootstrap = ComponentFlags.ParseBool(bootstrap) == true;
        results.Add(Result("4.2.9", "--tls-cert-file and --tls-private-key-file are set, or serverTLSBootstrap gets a CA-issued serving certificate", "kubelet", tlsFiles || serverBootstrap ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Medium, certSource,
            tlsFiles ? $"{cert}, {key}" : serverBootstrap ? "serverTLSBootstrap: true" : "self-signed (neither set)", "tlsCertFile and tlsPrivateKeyFile, or serverTLSBootstrap: true",
            tlsFiles || serverBootstrap ? "The serving certificate can be verified by the API server (--kubelet-certificate-authority)." : "The kubelet serves a self-signed certificate nobody can verify.",
            "Set serverTLSBootstrap: true (and approve the kubelet-serving CSRs) or tlsCertFile/tlsPrivateKeyFile in the kubelet config file." + restart));
        results.Add(KubeletBool(kubelet, "4.2.10", "Kubelet client certificate rotation is on (--rotate-certificates / rotateCertificates)", "rotate-certificates", "rotateCertificates", defaultValue: false, expected: true, manual: false, FindingSeverity.Medium,
            "Set rotateCertificates: true in the kubelet config file." + restart));
        var gates = FeatureGates(kubelet);
        results.Add(FeatureGateNotFalse(gates, "4.2.11", "RotateKubeletServerCertificate is not disabled", "kubelet", kubelet.ConfigPath, "Remove RotateKubeletServerCertificate: false from featureGates." + restart, manual: true));
        var ciphers = kubelet.Flags.List("tls-cipher-suites") ?? (ConfigNode(kubelet.Config, "tlsCipherSuites") as JsonArray)?.Select(n => n?.ToString() ?? string.Empty).ToList();
        results.Add(Ciphers(new StaticPodComponent { Name = "kubelet", ManifestPath = kubelet.ConfigPath ?? string.Empty, Flags = kubelet.Flags }, "4.2.12", "The kubelet only makes use of strong cryptographic ciphers", ciphers, KubeletCiphers,
            "Set tlsCipherSuites in the kubelet config file to a subset of the benchmark's list." + restart));
        var (pids, pidsSource) = KubeletValue(kubelet, "pod-max-pids", "podPidsLimit", "-1");
        bool pidsOk = long.TryParse(pids, NumberStyles.Integer, CultureInfo.InvariantCulture, out long pidLimit) && pidLimit > 0;
        results.Add(Result("4.2.13", "A limit is set on pod PIDs", "kubelet", pidsOk ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Low, pidsSource,
            pids, "a positive podPidsLimit", pidsOk ? $"Each pod may run {pidLimit} processes." : "Pods may start processes without limit (fork bombs exhaust the node).", "Set podPidsLimit (e.g. 4096) in the kubelet config file." + restart));
        results.Add(KubeletBool(kubelet, "K8S-KUBELET-PROTECT-KERNEL-DEFAULTS", "protectKernelDefaults is true (CIS 1.24 4.2.6; not in CIS 1.7 and later)", "protect-kernel-defaults", "protectKernelDefaults", defaultValue: false, expected: true, manual: false, FindingSeverity.Medium,
            "Set protectKernelDefaults: true in the kubelet config file (after setting the kernel parameters the kubelet expects)." + restart));
    }

    private static IReadOnlyDictionary<string, string>? FeatureGates(KubeletState kubelet)
    {
        var gates = new Dictionary<string, string>(StringComparer.Ordinal);
        if (ConfigNode(kubelet.Config, "featureGates") is JsonObject fromConfig)
        {
            foreach (var (name, value) in fromConfig)
            {
                gates[name] = value?.ToString().ToLowerInvariant() ?? string.Empty;
            }
        }

        foreach (var (name, value) in kubelet.Flags.Map("feature-gates") ?? new Dictionary<string, string>())
        {
            gates[name] = value;
        }

        return gates.Count > 0 ? gates : null;
    }

    private static HardeningCheckResult EncryptionProviders(NodeConfiguration node, StaticPodComponent pod)
    {
        const string title = "Encryption providers are appropriately configured";
        const string expected = "secrets written by kms, secretbox, aesgcm or aescbc in a file kube-apiserver loads";
        if (pod.Flags.Value("encryption-provider-config") is not { } configured)
        {
            return Result("1.2.28", title, "kube-apiserver", HardeningStatus.Warn, FindingSeverity.High, pod.ManifestPath, "(no --encryption-provider-config)", expected,
                "Secrets are stored in etcd as plain text.", "Write a configuration with New-K8sEncryptionConfiguration and point --encryption-provider-config at it.");
        }

        string file = node.OnNode(configured);
        if (!File.Exists(file))
        {
            return Result("1.2.28", title, "kube-apiserver", HardeningStatus.Fail, FindingSeverity.High, file, "missing", expected,
                $"--encryption-provider-config names {configured}, which is not on the node: kube-apiserver would not start.", "Restore the file, or write it with New-K8sEncryptionConfiguration.");
        }

        var failed = EncryptionConfigurationChecker.Check(file, new[] { "secrets" }).Where(r => r.Status == HardeningStatus.Fail && r.Id != "ENC-FILE-PERMISSIONS").ToList();
        var writer = EncryptionConfigurationService.Load(file).Config is { } config ? EncryptionConfigurationRules.ProvidersFor(config, "secrets") : null;
        string effective = writer is { Providers.Count: > 0 } w ? w.Providers[0].Describe() : "identity (secrets not listed)";
        return Result("1.2.28", title, "kube-apiserver", failed.Count == 0 ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, file, effective, expected,
            failed.Count == 0 ? $"Secrets are encrypted by {effective}." : $"{failed[0].Id}: {failed[0].Message}", "Run Test-K8sEncryptionConfiguration on the file and fix what it reports.");
    }

    private static HardeningCheckResult AuditPolicy(NodeConfiguration node, StaticPodComponent pod)
    {
        const string title = "An audit policy is configured and keeps secret values out of the log";
        const string expected = "--audit-policy-file naming a policy that passes Test-K8sAuditPolicy";
        if (pod.Flags.Value("audit-policy-file") is not { } configured)
        {
            return Result("K8S-APISERVER-AUDIT-POLICY", title, "kube-apiserver", HardeningStatus.Fail, FindingSeverity.High, pod.ManifestPath, "(no --audit-policy-file)", expected,
                "Without --audit-policy-file kube-apiserver records no audit events at all, whatever --audit-log-path says.", "Write a policy with New-K8sAuditPolicy and set --audit-policy-file (with a read-only hostPath mount).");
        }

        string file = node.OnNode(configured);
        if (!File.Exists(file))
        {
            return Result("K8S-APISERVER-AUDIT-POLICY", title, "kube-apiserver", HardeningStatus.Fail, FindingSeverity.High, file, "missing", expected,
                $"--audit-policy-file names {configured}, which is not on the node: kube-apiserver would not start.", "Restore the file, or write it with New-K8sAuditPolicy.");
        }

        var failed = AuditPolicyChecker.Check(file, Array.Empty<string>()).Where(r => r.Status == HardeningStatus.Fail).ToList();
        return Result("K8S-APISERVER-AUDIT-POLICY", title, "kube-apiserver", failed.Count == 0 ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, file,
            failed.Count == 0 ? configured : $"{failed.Count} failed checks", expected,
            failed.Count == 0 ? "The audit policy passes every Test-K8sAuditPolicy check that can fail." : $"{failed[0].Id}: {failed[0].Message}", "Run Test-K8sAuditPolicy on the file and fix what it reports.");
    }

    /// <summary>Adds a failure when the manifest or its flags cannot be read; false when the component's checks cannot run.</summary>
    private static bool ComponentReadable(StaticPodComponent pod, List<HardeningCheckResult> results)
    {
        string id = $"K8S-{pod.Name.ToUpperInvariant()}-MANIFEST";
        if (pod.ReadError is not null)
        {
            results.Add(Result(id, $"The {pod.Name} manifest can be read", pod.Name, HardeningStatus.Fail, FindingSeverity.High, pod.ManifestPath, pod.ReadError, "a Pod manifest",
                $"The manifest cannot be read: {pod.ReadError}", "Fix or restore the static pod manifest."));
            return false;
        }

        if (pod.Flags.Errors.Count > 0)
        {
            results.Add(Result(id, $"The {pod.Name} command line parses", pod.Name, HardeningStatus.Fail, FindingSeverity.High, pod.ManifestPath, string.Join("; ", pod.Flags.Errors), "flags the component accepts",
                $"{pod.Name} would refuse to start: {pod.Flags.Errors[0]}", "Fix the command of the static pod manifest."));
        }

        return true;
    }

    private static HashSet<string> EnabledPlugins(ComponentFlags flags)
    {
        // The deprecated --admission-control names the complete list; otherwise the defaults plus --enable minus --disable.
        if (flags.List("admission-control") is { } legacy)
        {
            return new HashSet<string>(legacy, StringComparer.Ordinal);
        }

        var enabled = new HashSet<string>(DefaultAdmissionPlugins, StringComparer.Ordinal);
        enabled.UnionWith(flags.List("enable-admission-plugins") ?? Array.Empty<string>());
        enabled.ExceptWith(flags.List("disable-admission-plugins") ?? Array.Empty<string>());
        return enabled;
    }

    private static HardeningCheckResult FlagHas(StaticPodComponent pod, string id, string title, HashSet<string> enabled, string plugin, bool manual, FindingSeverity severity, string remediation) =>
        Result(id, title, pod.Name, enabled.Contains(plugin) ? HardeningStatus.Pass : Manual(manual), severity, pod.ManifestPath,
            string.Join(',', enabled.Order(StringComparer.Ordinal)), $"includes {plugin}",
            enabled.Contains(plugin) ? $"{plugin} is enabled." : $"{plugin} is not enabled.", remediation);

    private static HardeningCheckResult FlagBool(StaticPodComponent pod, string id, string title, string flag, bool defaultValue, bool expected, bool manual, FindingSeverity severity, string remediation)
    {
        string? raw = pod.Flags.Value(flag);
        bool? value = raw is null ? defaultValue : ComponentFlags.ParseBool(raw);
        string effective = raw is null ? $"{defaultValue.ToString().ToLowerInvariant()} (default)" : raw;
        return Result(id, title, pod.Name, value == expected ? HardeningStatus.Pass : Manual(manual), severity, pod.ManifestPath, effective, expected.ToString().ToLowerInvariant(),
            value == expected ? $"--{flag} is {effective}." : $"--{flag} is {effective}; expected {expected.ToString().ToLowerInvariant()}.", remediation);
    }

    private static HardeningCheckResult FlagUnset(StaticPodComponent pod, string id, string title, string flag, FindingSeverity severity, string remediation)
    {
        string? value = pod.Flags.Value(flag);
        return Result(id, title, pod.Name, value is null ? HardeningStatus.Pass : HardeningStatus.Fail, severity, pod.ManifestPath, value ?? "(not set)", "not set",
            value is null ? $"--{flag} is not set." : $"--{flag} is set to {value}.", remediation);
    }

    private static HardeningCheckResult FlagsSet(StaticPodComponent pod, string id, string title, string[] flags, bool manual, FindingSeverity severity, string remediation)
    {
        var missing = flags.Where(f => string.IsNullOrEmpty(pod.Flags.Value(f))).ToList();
        return Result(id, title, pod.Name, missing.Count == 0 ? HardeningStatus.Pass : Manual(manual), severity, pod.ManifestPath,
            string.Join(", ", flags.Select(f => pod.Flags.Value(f) is { Length: > 0 } v ? $"--{f}={v}" : $"--{f} not set")), "set",
            missing.Count == 0 ? $"{string.Join(" and ", flags.Select(f => "--" + f))} set." : $"{string.Join(" and ", missing.Select(f => "--" + f))} not set.", remediation);
    }

    private static HardeningCheckResult FlagAtLeast(StaticPodComponent pod, string id, string title, string flag, long minimum, FindingSeverity severity, string remediation)
    {
        string? raw = pod.Flags.Value(flag);
        bool ok = long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) && value >= minimum;
        return Result(id, title, pod.Name, ok ? HardeningStatus.Pass : HardeningStatus.Fail, severity, pod.ManifestPath, raw ?? "(not set)", $"{minimum} or more",
            ok ? $"--{flag} is {value}." : $"--{flag} is {raw ?? "not set"}; expected {minimum} or more.", remediation);
    }

    private static HardeningCheckResult BindAddress(StaticPodComponent pod, string id, string remediation)
    {
        string? raw = pod.Flags.Value("bind-address");
        string effective = raw ?? "0.0.0.0";
        bool local = effective is "127.0.0.1" or "::1" or "localhost";
        return Result(id, "--bind-address is 127.0.0.1", pod.Name, local ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.Medium, pod.ManifestPath,
            raw is null ? "0.0.0.0 (default)" : raw, "127.0.0.1",
            local ? "The secure port listens on loopback only." : $"The secure port listens on {effective}{(raw is null ? " (the default when the flag is not set; kube-bench passes an unset flag)" : string.Empty)}, reachable from the network.", remediation);
    }

    private static HardeningCheckResult Ciphers(StaticPodComponent pod, string id, string title, IReadOnlyList<string>? ciphers, HashSet<string> allowed, string remediation)
    {
        var weak = ciphers?.Where(c => !allowed.Contains(c)).ToList();
        var status = ciphers is null ? HardeningStatus.Warn : weak!.Count == 0 ? HardeningStatus.Pass : HardeningStatus.Warn;
        return Result(id, title, pod.Name, status, FindingSeverity.Medium, pod.ManifestPath.Length > 0 ? pod.ManifestPath : null,
            ciphers is null ? "(not set: Go's default list)" : string.Join(',', ciphers), "a subset of the benchmark's strong suites",
            ciphers is null ? "No cipher suites are set; the benchmark asks for an explicit list of strong suites." : weak!.Count == 0 ? "Only strong cipher suites are allowed." : $"Not in the benchmark's list: {string.Join(", ", weak)}.",
            remediation);
    }

    private static HardeningCheckResult FeatureGateNotFalse(IReadOnlyDictionary<string, string>? gates, string id, string title, string component, string? file, string remediation, bool manual = false)
    {
        string? value = gates?.GetValueOrDefault("RotateKubeletServerCertificate");
        bool disabled = value is not null && ComponentFlags.ParseBool(value) == false;
        return Result(id, title, component, disabled ? Manual(manual) : HardeningStatus.Pass, FindingSeverity.Medium, file, value ?? "true (default)", "true",
            disabled ? "RotateKubeletServerCertificate is disabled: kubelet serving certificates are not rotated." : "RotateKubeletServerCertificate is on.", remediation);
    }

    private static HardeningCheckResult EtcdSet(string id, string title, string[] flags, Func<string, string?> value, StaticPodComponent pod, bool manual, string remediation)
    {
        var missing = flags.Where(f => string.IsNullOrEmpty(value(f))).ToList();
        return Result(id, title, "etcd", missing.Count == 0 ? HardeningStatus.Pass : Manual(manual), FindingSeverity.High, pod.ManifestPath,
            string.Join(", ", flags.Select(f => value(f) is { Length: > 0 } v ? $"--{f}={v}" : $"--{f} not set")), "set",
            missing.Count == 0 ? "Set." : $"{string.Join(" and ", missing.Select(f => "--" + f))} not set.", remediation);
    }

    private static HardeningCheckResult EtcdBool(string id, string title, string flag, Func<string, string?> value, StaticPodComponent pod, bool expected, string remediation)
    {
        string? raw = value(flag);
        bool effective = raw is not null && ComponentFlags.ParseBool(raw) == true; // every one of these etcd flags defaults to false
        return Result(id, title, "etcd", effective == expected ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, pod.ManifestPath,
            raw ?? "false (default)", expected.ToString().ToLowerInvariant(),
            effective == expected ? $"--{flag} is {raw ?? "false (default)"}." : $"--{flag} is {raw ?? "false (default)"}; expected {expected.ToString().ToLowerInvariant()}.", remediation);
    }

    /// <summary>The kubelet's value: a command-line flag overrides the config file, which overrides the default.</summary>
    private static (string? Value, string? Source) KubeletValue(KubeletState kubelet, string flag, string configPath, string? defaultValue)
    {
        if (kubelet.Flags.Value(flag) is { } fromFlag)
        {
            return (fromFlag, kubelet.FlagsFile);
        }

        if (ConfigNode(kubelet.Config, configPath) is JsonValue value)
        {
            return (value.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? value.ToString().ToLowerInvariant() : value.ToString(), kubelet.ConfigPath);
        }

        return (defaultValue, null);
    }

    private static HardeningCheckResult KubeletBool(KubeletState kubelet, string id, string title, string flag, string configPath, bool defaultValue, bool expected, bool manual, FindingSeverity severity, string remediation)
    {
        var (raw, source) = KubeletValue(kubelet, flag, configPath, null);
        bool? value = raw is null ? defaultValue : ComponentFlags.ParseBool(raw);
        string effective = raw is null ? $"{defaultValue.ToString().ToLowerInvariant()} (default)" : source == kubelet.FlagsFile ? $"--{flag}={raw}" : $"{configPath}: {raw}";
        return Result(id, title, "kubelet", value == expected ? HardeningStatus.Pass : Manual(manual), severity, source, effective, expected.ToString().ToLowerInvariant(),
            value == expected ? $"{configPath} is {effective}." : $"{configPath} is {effective}; expected {expected.ToString().ToLowerInvariant()}.", remediation);
    }

    private static JsonNode? ConfigNode(JsonObject? config, string path)
    {
        JsonNode? node = config;
        foreach (string part in path.Split('.'))
        {
            node = (node as JsonObject)?[part];
        }

        return node;
    }

    private static HardeningCheckResult Permissions(string id, string title, string component, NodeFileInfo info, int maximum, bool manual)
    {
        bool ok = UnixModes.AtMost(info.Mode, maximum);
        return Result(id, title, component, ok ? HardeningStatus.Pass : Manual(manual), FindingSeverity.High, info.Path, info.ModeOctal, $"{maximum} or more restrictive",
            ok ? $"Mode {info.ModeOctal}." : $"Mode {info.ModeOctal} grants more than {maximum}.", $"chmod {maximum} {info.Path}");
    }

    private static HardeningCheckResult Ownership(string id, string title, string component, NodeFileInfo info, bool manual)
    {
        bool ok = info.Uid == 0 && info.Gid == 0;
        return Result(id, title, component, ok ? HardeningStatus.Pass : Manual(manual), FindingSeverity.High, info.Path, info.Ownership, "root:root",
            ok ? "Owned by root:root." : $"Owned by {info.Ownership}.", $"chown root:root {info.Path}");
    }

    private static HardeningStatus Manual(bool manual) => manual ? HardeningStatus.Warn : HardeningStatus.Fail;

    private static string NodePath(NodeConfiguration node, string path) => "/" + Path.GetRelativePath(node.Root, path).Replace('\\', '/');

    private static string Relative(NodeConfiguration node, string path) => Path.GetRelativePath(node.Root, path).Replace('\\', '/');

    private static HardeningCheckResult Result(string id, string title, string component, HardeningStatus status, FindingSeverity severity, string? file, string? effective, string expected, string message, string remediation) =>
        HardeningCheckResult.Create(id, title, component, status, severity, file, effective, expected, message, remediation);
}
