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
        var found = ViolationBuilder.Rent();
        try
        {
            onResult(DangerousCapabilitiesCheck, pod.IsWindows ? null : Dangerous(pod, found));
            if (!pod.IsWindows)
            {
                // Windows containers have no Linux capabilities or numeric ids.
                onResult(InsecureCapabilitiesCheck, Insecure(pod, found));
                onResult(LowIdCheck, LowIds(pod, found));
            }

            onResult(SensitiveHostPathCheck, HostPathMounts(pod, found));
            onResult(EnvironmentCredentialCheck, EnvironmentCredentials(pod, found));
        }
        finally
        {
            ViolationBuilder.Return(found);
        }
    }

    /// <summary>A capability as the container runtime reads it: upper case, without the CAP_ prefix.</summary>
    public static string NormalizeCapability(string capability)
    {
        if (IsNormalized(capability))
        {
            return capability; // what manifests almost always hold: no copy
        }

        string upper = capability.Trim().ToUpperInvariant();
        return upper.StartsWith("CAP_", StringComparison.Ordinal) ? upper[4..] : upper;
    }

    private static bool IsNormalized(string capability)
    {
        if (capability.Length == 0 || capability.StartsWith("CAP_", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in capability)
        {
            // Upper-case ASCII letters, digits and '_' stay as they are under Trim and ToUpperInvariant.
            if (c is not ((>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_'))
            {
                return false;
            }
        }

        return true;
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

    // Indexes of InsecureCapabilities by normalized name: a container's capabilities become two bit masks, no sets.
    private static readonly Dictionary<string, int> InsecureIndex =
        InsecureCapabilities.Select((cap, i) => (cap, i)).ToDictionary(p => p.cap, p => p.i, StringComparer.Ordinal);

    private static readonly int NetBindServiceBit = 1 << InsecureIndex["NET_BIND_SERVICE"];

    private static CheckViolation? Dangerous(PodView pod, ViolationBuilder found)
    {
        foreach (var c in pod.ContainerArray)
        {
            if (c.CapabilitiesAdd is not JsonArray add)
            {
                continue;
            }

            ViolationBuilder? text = null;
            foreach (var node in add)
            {
                if (Json.Str(node) is { } name && IsDangerous(NormalizeCapability(name)))
                {
                    text = text is null ? found.Add(c, ".securityContext.capabilities.add").Append(" adds \"") : text.Append(", \"");
                    text.Append(name).Append('"');
                }
            }
        }

        return found.Take("dangerous capabilities");
    }

    private static bool IsDangerous(string capability)
    {
        foreach (string dangerous in DangerousCapabilities)
        {
            if (string.Equals(dangerous, capability, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static CheckViolation? Insecure(PodView pod, ViolationBuilder found)
    {
        int all = (1 << InsecureCapabilities.Count) - 1;
        foreach (var c in pod.ContainerArray)
        {
            if (c.Kind == ContainerKind.EphemeralContainer)
            {
                continue;
            }

            var (dropped, dropAll) = CapabilityMask(c.CapabilitiesDrop);
            var (added, addAll) = CapabilityMask(c.CapabilitiesAdd);
            // Kept: neither dropped (nor ALL dropped), or added back. Adding NET_BIND_SERVICE back after drop ALL is
            // what the Restricted standard allows: not a finding.
            int kept = (dropAll ? 0 : all & ~dropped) | ((addAll ? all : added) & ~NetBindServiceBit);
            if (kept == 0)
            {
                continue;
            }

            found.Add(c, ".securityContext.capabilities").Append(" keeps ").Append(KeptList(kept));
        }

        return found.Take("insecure capabilities");
    }

    // "NET_ADMIN, CHOWN, ..." for a mask of InsecureCapabilities: a few masks (everything, everything but one) are what
    // manifests produce, so each text is built once.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, string> KeptLists = new();

    private static string KeptList(int kept) => KeptLists.Count < 4096
        ? KeptLists.GetOrAdd(kept, BuildKeptList)
        : KeptLists.TryGetValue(kept, out var list) ? list : BuildKeptList(kept);

    private static string BuildKeptList(int kept)
    {
        var names = new List<string>(InsecureCapabilities.Count);
        for (int i = 0; i < InsecureCapabilities.Count; i++)
        {
            if ((kept & (1 << i)) != 0)
            {
                names.Add(InsecureCapabilities[i]);
            }
        }

        return string.Join(", ", names);
    }

    /// <summary>The insecure capabilities a list names, as bits of InsecureCapabilities, and whether it names ALL.</summary>
    private static (int Mask, bool All) CapabilityMask(JsonNode? list)
    {
        if (list is not JsonArray array)
        {
            return (0, false);
        }

        int mask = 0;
        bool all = false;
        foreach (var node in array)
        {
            if (Json.Str(node) is not { } name)
            {
                continue;
            }

            string capability = NormalizeCapability(name);
            if (capability == "ALL")
            {
                all = true;
            }
            else if (InsecureIndex.TryGetValue(capability, out int index))
            {
                mask |= 1 << index;
            }
        }

        return (mask, all);
    }

    private static CheckViolation? HostPathMounts(PodView pod, ViolationBuilder found)
    {
        if (pod.VolumeList is not { } volumes)
        {
            return null;
        }

        for (int i = 0; i < volumes.Count; i++)
        {
            if (volumes[i] is JsonObject volume && Json.Str(Json.Obj(volume, "hostPath")?["path"]) is { } path && SensitivePathOf(path) is { } sensitive)
            {
                string name = Json.Str(volume["name"]) ?? string.Empty;
                var text = found.Next(pod.SpecPath, string.Create(CultureInfo.InvariantCulture, $".volumes[{i}].hostPath.path"))
                    .Append("volume \"").Append(name).Append("\" mounts host path \"").Append(path).Append('"');
                if (NormalizePath(path) != sensitive && path.TrimEnd('/') != sensitive)
                {
                    text.Append(" (exposes ").Append(sensitive).Append(')');
                }
            }
        }

        return found.Take("sensitive host paths");
    }

    private static CheckViolation? LowIds(PodView pod, ViolationBuilder found)
    {
        long? podGroup = pod.RunAsGroup;
        foreach (var c in pod.ContainerArray)
        {
            if (c.Kind == ContainerKind.EphemeralContainer)
            {
                continue;
            }

            long? user = c.RunAsUser ?? pod.RunAsUser;
            long? group = c.RunAsGroup ?? podGroup;
            bool lowUser = user is null or < MinimumId, lowGroup = group is null or < MinimumId;
            if (!lowUser && !lowGroup)
            {
                continue;
            }

            var text = found.Add(c, ".securityContext").Append(' ');
            if (lowUser)
            {
                AppendId(text, "runAsUser is not set", "runs as user ", user);
            }

            if (lowGroup)
            {
                AppendId(lowUser ? text.Append(" and ") : text, "runAsGroup is not set", "runs as group ", group);
            }
        }

        return found.Take("user or group id below 10000");
    }

    private static void AppendId(ViolationBuilder text, string unset, string runsAs, long? id)
    {
        if (id is { } value)
        {
            text.Append(runsAs).Append(value.ToString(CultureInfo.InvariantCulture));
        }
        else
        {
            text.Append(unset);
        }
    }

    private static CheckViolation? EnvironmentCredentials(PodView pod, ViolationBuilder found)
    {
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
                    found.Add(c, string.Create(CultureInfo.InvariantCulture, $".env[{i}].value"))
                        .Append(" sets \"").Append(name).Append("\" to a literal value: ").Append(reason);
                }
            }
        }

        return found.Take("credentials in environment values");
    }

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
