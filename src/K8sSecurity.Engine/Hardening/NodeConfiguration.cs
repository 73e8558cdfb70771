using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Hardening;

/// <summary>A control-plane component started as a kubeadm static pod, with its flags parsed as it parses them.</summary>
internal sealed class StaticPodComponent
{
    public required string Name { get; init; }

    public required string ManifestPath { get; init; }

    public required ComponentFlags Flags { get; init; }

    /// <summary>The container's environment (etcd also reads ETCD_* variables for flags not given).</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary>Why the manifest could not be read; the component's checks then fail.</summary>
    public string? ReadError { get; init; }
}

/// <summary>The kubelet: its systemd command line and its KubeletConfiguration file.</summary>
internal sealed class KubeletState
{
    public KubeletServiceUnit? Unit { get; init; }

    public required ComponentFlags Flags { get; init; }

    public string? ConfigPath { get; init; }

    public JsonObject? Config { get; init; }

    public string? ConfigError { get; init; }

    /// <summary>The file that set the command line (the drop-in, or the environment file that holds the flags).</summary>
    public string? FlagsFile => Unit?.ServiceFile;
}

/// <summary>
/// One node's configuration files, read offline from a copy of its file system (or the live root): kubeadm's static
/// pod manifests, the kubelet's unit, flags and config file, kubeconfigs and PKI. Absolute paths inside the files
/// (--config=/var/lib/kubelet/config.yaml) are looked up under the same root.
/// </summary>
internal sealed class NodeConfiguration
{
    public static readonly IReadOnlyDictionary<string, FlagKind> ApiServerFlags = Kinds(
        bools: new[] { "anonymous-auth", "profiling", "service-account-lookup", "allow-privileged", "enable-bootstrap-token-auth", "enable-aggregator-routing", "enable-priority-and-fairness", "contention-profiling", "enable-garbage-collector", "enable-logs-handler", "audit-log-compress", "debug-socket-path-enabled" },
        lists: new[] { "enable-admission-plugins", "disable-admission-plugins", "admission-control", "authorization-mode", "tls-cipher-suites", "etcd-servers", "api-audiences", "service-account-issuer", "cors-allowed-origins", "requestheader-allowed-names", "requestheader-group-headers", "requestheader-username-headers", "requestheader-extra-headers-prefix", "kubelet-preferred-address-types", "service-account-key-file" },
        maps: new[] { "feature-gates", "runtime-config" });

    public static readonly IReadOnlyDictionary<string, FlagKind> ControllerManagerFlags = Kinds(
        bools: new[] { "use-service-account-credentials", "profiling", "leader-elect", "allocate-node-cidrs", "configure-cloud-routes", "contention-profiling", "enable-dynamic-provisioning", "enable-hostpath-provisioner", "enable-garbage-collector", "enable-taint-manager" },
        lists: new[] { "controllers", "tls-cipher-suites", "authorization-always-allow-paths" },
        maps: new[] { "feature-gates" });

    public static readonly IReadOnlyDictionary<string, FlagKind> SchedulerFlags = Kinds(
        bools: new[] { "profiling", "leader-elect", "contention-profiling" },
        lists: new[] { "tls-cipher-suites", "authorization-always-allow-paths" },
        maps: new[] { "feature-gates" });

    public static readonly IReadOnlyDictionary<string, FlagKind> EtcdFlags = Kinds(
        bools: new[] { "client-cert-auth", "peer-client-cert-auth", "auto-tls", "peer-auto-tls", "strict-reconfig-check", "enable-pprof", "experimental-initial-corrupt-check", "debug", "force-new-cluster", "enable-v2", "experimental-enable-lease-checkpoint" },
        lists: Array.Empty<string>(),
        maps: Array.Empty<string>());

    public static readonly IReadOnlyDictionary<string, FlagKind> KubeletFlags = Kinds(
        bools: new[] { "anonymous-auth", "rotate-certificates", "rotate-server-certificates", "protect-kernel-defaults", "make-iptables-util-chains", "fail-swap-on", "register-node", "enable-server", "enable-debugging-handlers", "cgroups-per-qos", "serialize-image-pulls", "enable-controller-attach-detach", "exit-on-lock-contention", "kernel-memcg-notification", "localStorageCapacityIsolation" },
        lists: new[] { "tls-cipher-suites", "cluster-dns", "enforce-node-allocatable", "register-with-taints", "node-labels" },
        maps: new[] { "feature-gates" });

    private NodeConfiguration(string root) => Root = root;

    public string Root { get; }

    public StaticPodComponent? ApiServer { get; private init; }

    public StaticPodComponent? ControllerManager { get; private init; }

    public StaticPodComponent? Scheduler { get; private init; }

    public StaticPodComponent? Etcd { get; private init; }

    public KubeletState? Kubelet { get; private init; }

    public NodeFileStat Stat { get; private init; } = null!;

    public string KubernetesDirectory => Path.Combine(Root, "etc", "kubernetes");

    public static NodeConfiguration Load(string path)
    {
        string root = Path.GetFullPath(path);
        if (!Directory.Exists(root))
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find the node folder '{root}'.", root);
        }

        string manifests = Path.Combine(root, "etc", "kubernetes", "manifests");
        var node = new NodeConfiguration(root)
        {
            Stat = new NodeFileStat(root),
            ApiServer = LoadStaticPod(Path.Combine(manifests, "kube-apiserver.yaml"), "kube-apiserver", FlagSyntax.Pflag, ApiServerFlags),
            ControllerManager = LoadStaticPod(Path.Combine(manifests, "kube-controller-manager.yaml"), "kube-controller-manager", FlagSyntax.Pflag, ControllerManagerFlags),
            Scheduler = LoadStaticPod(Path.Combine(manifests, "kube-scheduler.yaml"), "kube-scheduler", FlagSyntax.Pflag, SchedulerFlags),
            Etcd = LoadStaticPod(Path.Combine(manifests, "etcd.yaml"), "etcd", FlagSyntax.GoFlag, EtcdFlags),
            Kubelet = LoadKubelet(root),
        };
        if (node.ApiServer is null && node.ControllerManager is null && node.Scheduler is null && node.Etcd is null && node.Kubelet is null)
        {
            throw new K8sOperationException(
                K8sErrorKind.InvalidArgument,
                $"'{root}' holds no node configuration: expected a node's root with etc/kubernetes/manifests/*.yaml, var/lib/kubelet/config.yaml or a kubelet systemd unit.",
                root);
        }

        return node;
    }

    /// <summary>Where an absolute path of the node (as written in its files) is inside the root.</summary>
    public string OnNode(string nodePath) => MapOnNode(Root, nodePath);

    private static string MapOnNode(string root, string nodePath) =>
        Path.Combine(root, nodePath.Replace('\\', '/').TrimStart('/'));

    private static StaticPodComponent? LoadStaticPod(string manifest, string name, FlagSyntax syntax, IReadOnlyDictionary<string, FlagKind> kinds)
    {
        if (!File.Exists(manifest))
        {
            return null;
        }

        var errors = new List<string>();
        var pod = ManifestReader.ReadFile(manifest, e => errors.Add($"line {e.Line}: {e.Message}")).FirstOrDefault(o => o.Kind == "Pod");
        var containers = (pod?.Body["spec"] as JsonObject)?["containers"] as JsonArray;
        var container = containers?.OfType<JsonObject>().FirstOrDefault(c => c["name"]?.GetValue<string>() == name) ?? containers?.OfType<JsonObject>().FirstOrDefault();
        if (errors.Count > 0 || container is null)
        {
            return new StaticPodComponent
            {
                Name = name,
                ManifestPath = manifest,
                Flags = ComponentFlags.Parse(Array.Empty<string>(), syntax, kinds),
                ReadError = errors.Count > 0 ? string.Join("; ", errors) : "the manifest holds no Pod with a container",
            };
        }

        var command = Strings(container["command"]);
        var args = Strings(container["args"]);

        // The image's entrypoint is the component itself; a command's first word that is not a flag is the program.
        var argv = command.Count > 0 && !command[0].StartsWith('-') ? command.Skip(1).Concat(args) : command.Concat(args);
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var variable in (container["env"] as JsonArray)?.OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>())
        {
            if (variable["name"]?.GetValue<string>() is { } key && variable["value"] is JsonValue value)
            {
                environment[key] = value.ToString();
            }
        }

        return new StaticPodComponent { Name = name, ManifestPath = manifest, Flags = ComponentFlags.Parse(argv, syntax, kinds), Environment = environment };
    }

    private static KubeletState? LoadKubelet(string root)
    {
        var unit = KubeletServiceUnit.Load(root, p => MapOnNode(root, p));
        string defaultConfig = Path.Combine(root, "var", "lib", "kubelet", "config.yaml");
        if (unit is null && !File.Exists(defaultConfig))
        {
            return null;
        }

        var flags = ComponentFlags.Parse(unit?.Arguments ?? Array.Empty<string>(), FlagSyntax.Pflag, KubeletFlags);
        string? configPath = flags.Value("config") is { Length: > 0 } configured ? MapOnNode(root, configured) : unit is null ? defaultConfig : null;
        JsonObject? config = null;
        string? error = null;
        if (configPath is not null)
        {
            if (!File.Exists(configPath))
            {
                error = $"the kubelet config file '{configPath}' does not exist (the kubelet would not start)";
            }
            else
            {
                var errors = new List<string>();
                var document = ManifestReader.ReadFile(configPath, e => errors.Add($"line {e.Line}: {e.Message}")).FirstOrDefault();
                config = document?.Body;
                if (errors.Count > 0 || document?.Kind != "KubeletConfiguration")
                {
                    error = errors.Count > 0 ? string.Join("; ", errors) : $"'{configPath}' is not a KubeletConfiguration";
                    config = null;
                }
            }
        }

        if (error is null && flags.Value("config-dir") is { Length: > 0 } dropInDir)
        {
            (config, error) = MergeDropIns(config, MapOnNode(root, dropInDir));
        }

        return new KubeletState { Unit = unit, Flags = flags, ConfigPath = configPath, Config = config, ConfigError = error };
    }

    /// <summary>
    /// --config-dir: the kubelet merges every *.conf file under the folder over its configuration, in the order
    /// filepath.WalkDir visits them (names sorted bytewise, subfolders where they sort), each as a JSON merge patch
    /// (cmd/kubelet/app/server.go, mergeKubeletConfigurations). A drop-in it cannot load stops the kubelet.
    /// </summary>
    private static (JsonObject? Config, string? Error) MergeDropIns(JsonObject? config, string folder)
    {
        if (!Directory.Exists(folder))
        {
            return (config, $"the kubelet drop-in folder '{folder}' (--config-dir) does not exist (the kubelet would not start)");
        }

        JsonNode merged = config?.DeepClone() ?? new JsonObject();
        foreach (string file in WalkDir(folder).Where(f => Path.GetExtension(f) == ".conf"))
        {
            var errors = new List<string>();
            var document = ManifestReader.ReadFile(file, e => errors.Add($"line {e.Line}: {e.Message}")).FirstOrDefault();
            if (errors.Count > 0 || document?.Kind != "KubeletConfiguration")
            {
                return (null, $"the kubelet drop-in '{file}': {(errors.Count > 0 ? string.Join("; ", errors) : "not a KubeletConfiguration")}");
            }

            merged = MergePatch(merged, document.Body)!;
        }

        return ((JsonObject)merged, null);
    }

    private static IEnumerable<string> WalkDir(string folder)
    {
        foreach (string entry in Directory.EnumerateFileSystemEntries(folder).Order(StringComparer.Ordinal))
        {
            if (Directory.Exists(entry))
            {
                foreach (string nested in WalkDir(entry))
                {
                    yield return nested;
                }
            }
            else
            {
                yield return entry;
            }
        }
    }

    /// <summary>RFC 7386 JSON merge patch: objects merge member by member, null removes, anything else replaces.</summary>
    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target is JsonObject targetObject ? (JsonObject)targetObject.DeepClone() : new JsonObject();
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = MergePatch(result[name], value);
            }
        }

        return result;
    }

    private static List<string> Strings(JsonNode? node) =>
        (node as JsonArray)?.Select(n => n is JsonValue v ? v.ToString() : string.Empty).ToList() ?? new List<string>();

    private static Dictionary<string, FlagKind> Kinds(string[] bools, string[] lists, string[] maps)
    {
        var kinds = new Dictionary<string, FlagKind>(StringComparer.Ordinal);
        foreach (string name in bools)
        {
            kinds[name] = FlagKind.Bool;
        }

        foreach (string name in lists)
        {
            kinds[name] = FlagKind.List;
        }

        foreach (string name in maps)
        {
            kinds[name] = FlagKind.Map;
        }

        return kinds;
    }
}
