using System.Globalization;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// Workload checks Polaris and kube-score run beyond the Pod Security Standards: dangerous and insecure capabilities
/// (Polaris' lists), hostPath mounts of the node's sensitive paths, low user and group ids (kube-score) and credentials
/// written as literal environment values. Part of -Profile All and of the audit's Workloads category. Host ports,
/// privileged containers and host namespaces are the Pod Security checks' (see docs/checks.md).
/// </summary>
public static class HardeningChecks
{
    private const string Category = "BestPractice";

    /// <summary>kube-score's threshold: ids below it may exist on the node (container escape lands as that user).</summary>
    public const long MinimumId = 10000;

    /// <summary>Polaris dangerousCapabilities: adding any of these is as good as root on the node.</summary>
    public static IReadOnlyList<string> DangerousCapabilities { get; } = new[] { "ALL", "SYS_ADMIN", "NET_ADMIN" };

    /// <summary>Polaris insecureCapabilities: a container must drop each of these (or ALL).</summary>
    public static IReadOnlyList<string> InsecureCapabilities { get; } = new[]
    {
        "NET_ADMIN", "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP", "SETPCAP",
        "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
    };

    /// <summary>
    /// Host paths a pod must not mount, nor any folder above them (mounting /var exposes /var/lib/kubelet). /var/run is
    /// a link to /run on every current distribution, so paths are compared after that rewrite.
    /// </summary>
    public static IReadOnlyList<string> SensitiveHostPaths { get; } = new[]
    {
        "/etc", "/proc", "/var/lib/kubelet", "/run/docker.sock", "/run/containerd", "/run/crio", "/run/cri-dockerd.sock",
        "/run/dockershim.sock", "/run/k3s", "/run/podman", "/var/lib/docker", "/var/lib/containerd",
    };

    public static CheckDefinition DangerousCapabilitiesCheck { get; } = Define("BP-CAPABILITIES-DANGEROUS", "Dangerous capabilities added", FindingSeverity.Critical,
        "SYS_ADMIN, NET_ADMIN and ALL give a container the powers of root on the node: mounting file systems, rewriting the node's network.",
        "Remove SYS_ADMIN, NET_ADMIN and ALL from securityContext.capabilities.add; add back only the one capability the process needs.");

    public static CheckDefinition InsecureCapabilitiesCheck { get; } = Define("BP-CAPABILITIES-INSECURE", "Insecure capabilities not dropped", FindingSeverity.Medium,
        "The container runtime's default capabilities (NET_RAW, SETUID, CHOWN…) let a compromised process spoof packets and change identities.",
        "Set securityContext.capabilities.drop: [ALL] and add back only what the process needs (usually nothing, or NET_BIND_SERVICE).");

    public static CheckDefinition SensitiveHostPathCheck { get; } = Define("BP-HOSTPATH-SENSITIVE", "Sensitive host path mounted", FindingSeverity.Critical,
        "A mount of the container runtime socket, /, /etc, /proc, /var/run or /var/lib/kubelet hands the pod the node: it can start privileged containers, read every pod's credentials or rewrite the node's configuration.",
        "Remove the hostPath volume; use the Kubernetes API, a CSI driver or a dedicated node agent instead.");

    public static CheckDefinition LowIdCheck { get; } = Define("BP-RUNAS-LOW-ID", "User or group id below 10000", FindingSeverity.Low,
        "With runAsUser/runAsGroup unset or below 10000 the process runs as a user that may exist on the node; after a container escape it keeps that user's rights.",
        "Set securityContext.runAsUser and runAsGroup to 10000 or more (pod or container level).");

    public static CheckDefinition EnvironmentCredentialCheck { get; } = Define("BP-ENV-CREDENTIAL", "Credential in a literal environment value", FindingSeverity.High,
        "A password, token or key written into the manifest is readable by everyone who can read the workload, is kept in Git history and in kubectl's last-applied annotation.",
        "Store the value in a Secret and mount it as a file (or reference it with valueFrom.secretKeyRef); rotate the exposed credential.");

    public static IReadOnlyList<CheckDefinition> Definitions { get; } = new[]
    {
        DangerousCapabilitiesCheck, InsecureCapabilitiesCheck, SensitiveHostPathCheck, LowIdCheck, EnvironmentCredentialCheck,
    };

    /// <summary>Runs every check on one pod template; a null violation is a pass.</summary>
    public static void Evaluate(PodView pod, Action<CheckDefinition, CheckViolation?> onResult)
    {
        onResult(DangerousCapabilitiesCheck, pod.IsWindows ? null : Dangerous(pod));
        if (!pod.IsWindows)
        {
            // Windows containers have no Linux capabilities or numeric ids.
            onResult(InsecureCapabilitiesCheck, Insecure(pod));
            onResult(LowIdCheck, LowIds(pod));
        }

        onResult(SensitiveHostPathCheck, HostPathMounts(pod));
        onResult(EnvironmentCredentialCheck, EnvironmentCredentials(pod));
    }

    /// <summary>A capability as the container runtime reads it: upper case, without the CAP_ prefix.</summary>
    public static string NormalizeCapability(string capability)
    {
        string upper = capability.Trim().ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper[4..] : upper;
    }

    /// <summary>
    /// The sensitive path a host path exposes (itself, one of its folders, or one below it), or null. Paths are compared
    /// the way the node resolves them: repeated and trailing slashes dropped, "." and ".." resolved, /var/run as /run.
    /// </summary>
    public static string? SensitivePathOf(string hostPath)
    {
        if (!hostPath.StartsWith('/'))
        {
            return null;
        }

        string path = NormalizePath(hostPath);
        if (path is "/" or "/run")
        {
            return path == "/" ? "/" : "/var/run";
        }

        foreach (string root in SensitiveHostPaths)
        {
            if (path == root || path.StartsWith(root + "/", StringComparison.Ordinal) || root.StartsWith(path + "/", StringComparison.Ordinal))
            {
                return root.StartsWith("/run/", StringComparison.Ordinal) ? "/var" + root : root;
            }
        }

        return null;
    }

    internal static string NormalizePath(string path)
    {
        var parts = new List<string>();
        foreach (string part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part == ".")
            {
                continue;
            }

            if (part == "..")
            {
                if (parts.Count > 0)
                {
                    parts.RemoveAt(parts.Count - 1);
                }

                continue;
            }

            parts.Add(part);
        }

        if (parts.Count >= 2 && parts[0] == "var" && parts[1] == "run")
        {
            parts.RemoveAt(0);
        }

        return "/" + string.Join('/', parts);
    }

    private static CheckViolation? Dangerous(PodView pod)
    {
        var messages = new List<string>();
        var fields = new List<string>();
        foreach (var c in pod.ContainerArray)
        {
            var added = Names(c.Capabilities?["add"]).Where(n => DangerousCapabilities.Contains(NormalizeCapability(n), StringComparer.Ordinal)).ToList();
            if (added.Count > 0)
            {
                messages.Add($"{Describe(c)} adds {string.Join(", ", added.Select(a => $"\"{a}\""))}");
                fields.Add(c.Path + ".securityContext.capabilities.add");
            }
        }

        return Violation("dangerous capabilities", messages, fields);
    }

    private static CheckViolation? Insecure(PodView pod)
    {
        var messages = new List<string>();
        var fields = new List<string>();
        foreach (var c in pod.ContainerArray)
        {
            if (c.Kind == ContainerKind.EphemeralContainer)
            {
                continue;
            }

            var dropped = Names(c.Capabilities?["drop"]).Select(NormalizeCapability).ToHashSet(StringComparer.Ordinal);
            var added = Names(c.Capabilities?["add"]).Select(NormalizeCapability).ToHashSet(StringComparer.Ordinal);
            // Adding NET_BIND_SERVICE back after drop ALL is what the Restricted standard allows: not a finding.
            var kept = InsecureCapabilities.Where(cap => (!dropped.Contains("ALL") && !dropped.Contains(cap))
                || ((added.Contains(cap) || added.Contains("ALL")) && cap != "NET_BIND_SERVICE")).ToList();
            if (kept.Count > 0)
            {
                messages.Add($"{Describe(c)} keeps {string.Join(", ", kept)}");
                fields.Add(c.Path + ".securityContext.capabilities");
            }
        }

        return Violation("insecure capabilities", messages, fields);
    }

    private static CheckViolation? HostPathMounts(PodView pod)
    {
        if (pod.VolumeList is not { } volumes)
        {
            return null;
        }

        var messages = new List<string>();
        var fields = new List<string>();
        for (int i = 0; i < volumes.Count; i++)
        {
            if (volumes[i] is JsonObject volume && Json.Str(Json.Obj(volume, "hostPath")?["path"]) is { } path && SensitivePathOf(path) is { } sensitive)
            {
                string name = Json.Str(volume["name"]) ?? string.Empty;
                messages.Add(NormalizePath(path) == sensitive || path.TrimEnd('/') == sensitive
                    ? $"volume \"{name}\" mounts host path \"{path}\""
                    : $"volume \"{name}\" mounts host path \"{path}\" (exposes {sensitive})");
                fields.Add(string.Create(CultureInfo.InvariantCulture, $"{pod.SpecPath}.volumes[{i}].hostPath.path"));
            }
        }

        return Violation("sensitive host paths", messages, fields);
    }

    private static CheckViolation? LowIds(PodView pod)
    {
        long? podGroup = Json.Long(pod.SecurityContext?["runAsGroup"]);
        var messages = new List<string>();
        var fields = new List<string>();
        foreach (var c in pod.ContainerArray)
        {
            if (c.Kind == ContainerKind.EphemeralContainer)
            {
                continue;
            }

            long? user = c.RunAsUser ?? pod.RunAsUser;
            long? group = Json.Long(c.SecurityContext?["runAsGroup"]) ?? podGroup;
            var problems = new List<string>(2);
            if (user is null or < MinimumId)
            {
                problems.Add(user is null ? "runAsUser is not set" : string.Create(CultureInfo.InvariantCulture, $"runs as user {user}"));
            }

            if (group is null or < MinimumId)
            {
                problems.Add(group is null ? "runAsGroup is not set" : string.Create(CultureInfo.InvariantCulture, $"runs as group {group}"));
            }

            if (problems.Count > 0)
            {
                messages.Add($"{Describe(c)} {string.Join(" and ", problems)}");
                fields.Add(c.Path + ".securityContext");
            }
        }

        return Violation("user or group id below 10000", messages, fields);
    }

    private static CheckViolation? EnvironmentCredentials(PodView pod)
    {
        var messages = new List<string>();
        var fields = new List<string>();
        foreach (var c in pod.ContainerArray)
        {
            if (c.Env is not { } env)
            {
                continue;
            }

            for (int i = 0; i < env.Count; i++)
            {
                if (env[i] is not JsonObject variable || Json.Str(variable["name"]) is not { } name)
                {
                    continue;
                }

                // Only the reason is reported, never the value.
                if (CredentialPatterns.Describe(name, Json.Str(variable["value"])) is { } reason)
                {
                    messages.Add($"{Describe(c)} sets \"{name}\" to a literal value: {reason}");
                    fields.Add(string.Create(CultureInfo.InvariantCulture, $"{c.Path}.env[{i}].value"));
                }
            }
        }

        return Violation("credentials in environment values", messages, fields);
    }

    private static IEnumerable<string> Names(JsonNode? node) =>
        node is JsonArray array ? array.Select(Json.Str).OfType<string>() : Enumerable.Empty<string>();

    private static string Describe(ContainerView c) => c.Kind switch
    {
        ContainerKind.InitContainer => $"init container \"{c.Name}\"",
        ContainerKind.EphemeralContainer => $"ephemeral container \"{c.Name}\"",
        _ => $"container \"{c.Name}\"",
    };

    private static CheckViolation? Violation(string reason, List<string> messages, List<string> fields) =>
        messages.Count == 0 ? null : new CheckViolation(reason, string.Join("; ", messages), fields);

    private static CheckDefinition Define(string id, string title, FindingSeverity severity, string description, string remediation) => new()
    {
        Id = id,
        Title = title,
        Severity = severity,
        Category = Category,
        Description = description,
        Remediation = remediation,
        HelpUri = "https://kubernetes.io/docs/concepts/security/security-checklist/",
    };
}
