using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The Pod Security Standards checks, versioned exactly like k8s.io/pod-security-admission's policy package:
/// each check picks the newest revision whose minimum version is at or below the requested policy version,
/// Restricted runs every Baseline check except those a Restricted check overrides at that version, and the
/// forbidden reasons and details read like the admission plugin's.
/// </summary>
public static class PodSecurityStandards
{
    private const string CapabilityAll = "ALL";
    private const string CapabilityNetBindService = "NET_BIND_SERVICE";
    private const string SeccompPodAnnotation = "seccomp.security.alpha.kubernetes.io/pod";
    private const string SeccompContainerAnnotationPrefix = "container.seccomp.security.alpha.kubernetes.io/";
    private const string AppArmorContainerAnnotationPrefix = "container.apparmor.security.beta.kubernetes.io/";

    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
        "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    private static readonly HashSet<string> SELinuxTypes1Dot0 = new(StringComparer.Ordinal) { string.Empty, "container_t", "container_init_t", "container_kvm_t" };

    private static readonly HashSet<string> SELinuxTypes1Dot31 = new(SELinuxTypes1Dot0, StringComparer.Ordinal) { "container_engine_t" };

    private static readonly HashSet<string> Sysctls1Dot0 = new(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
        "net.ipv4.ip_unprivileged_port_start",
    };

    private static readonly HashSet<string> Sysctls1Dot27 = new(Sysctls1Dot0, StringComparer.Ordinal) { "net.ipv4.ip_local_reserved_ports" };

    private static readonly HashSet<string> Sysctls1Dot29 = new(Sysctls1Dot27, StringComparer.Ordinal)
    {
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    };

    private static readonly HashSet<string> Sysctls1Dot32 = new(Sysctls1Dot29, StringComparer.Ordinal) { "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem" };

    private static readonly HashSet<string> RestrictedAllowedVolumeSources = new(StringComparer.Ordinal)
    {
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected", "secret",
    };

    // The admission plugin's order of naming restricted volume types (check_restrictedVolumes.go).
    private static readonly string[] RestrictedVolumeSources =
    {
        "hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi", "glusterfs", "rbd", "flexVolume",
        "cinder", "cephfs", "flocker", "fc", "azureFile", "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk",
        "portworxVolume", "scaleIO", "storageos",
    };

    private static readonly PssCheck[] AllChecks = CreateChecks();

    /// <summary>Every Pod Security Standards check with its metadata, Baseline first.</summary>
    public static IReadOnlyList<CheckDefinition> Definitions { get; } = AllChecks.Select(c => c.Definition).ToArray();

    /// <summary>Baseline checks as evaluated for Baseline, per policy minor (index = minor).</summary>
    private static readonly PssCheck[][] BaselineByMinor = Enumerable.Range(0, PssVersion.LatestMinor + 1).Select(m => Select(PodSecurityLevel.Baseline, m)).ToArray();

    private static readonly PssCheck[][] RestrictedByMinor = Enumerable.Range(0, PssVersion.LatestMinor + 1).Select(m => Select(PodSecurityLevel.Restricted, m)).ToArray();

    /// <summary>The checks the admission plugin runs for this level and version, in its order.</summary>
    public static IReadOnlyList<CheckDefinition> ChecksFor(PodSecurityLevel level, PssVersion version) =>
        (level == PodSecurityLevel.Baseline ? BaselineByMinor : RestrictedByMinor)[version.Minor].Select(c => c.Definition).ToArray();

    /// <summary>Evaluates one pod template; <paramref name="onResult"/> gets every check with its violation (null = allowed).</summary>
    public static void Evaluate(PodView pod, PodSecurityLevel level, PssVersion version, Action<CheckDefinition, CheckViolation?> onResult)
    {
        foreach (var check in (level == PodSecurityLevel.Baseline ? BaselineByMinor : RestrictedByMinor)[version.Minor])
        {
            onResult(check.Definition, check.Evaluate(pod, version.Minor));
        }
    }

    /// <summary>True when the admission plugin would allow the pod at this level and version.</summary>
    public static bool IsAllowed(PodView pod, PodSecurityLevel level, PssVersion version)
    {
        foreach (var check in (level == PodSecurityLevel.Baseline ? BaselineByMinor : RestrictedByMinor)[version.Minor])
        {
            if (check.Evaluate(pod, version.Minor) is not null)
            {
                return false;
            }
        }

        return true;
    }

    private static PssCheck[] Select(PodSecurityLevel level, int minor)
    {
        var active = AllChecks.Where(c => c.Definition.MinimumMinor <= minor).ToList();
        if (level == PodSecurityLevel.Baseline)
        {
            return active.Where(c => c.Definition.Level == PodSecurityLevel.Baseline).ToArray();
        }

        var overridden = active.Where(c => c.Overrides is not null).Select(c => c.Overrides!).ToHashSet(StringComparer.Ordinal);
        return active.Where(c => !overridden.Contains(c.Definition.PssCheckId!)).ToArray();
    }

    private sealed record PssCheck(CheckDefinition Definition, Func<PodView, int, CheckViolation?> Evaluate, string? Overrides = null);

    private static PssCheck[] CreateChecks()
    {
        static CheckDefinition Define(string pssId, PodSecurityLevel level, int minimumMinor, string title, FindingSeverity severity, string description, string remediation) => new()
        {
            Id = "PSS-" + (level == PodSecurityLevel.Baseline ? "BASELINE-" : "RESTRICTED-") + pssId.Replace("_baseline", string.Empty, StringComparison.Ordinal).Replace("_restricted", string.Empty, StringComparison.Ordinal).ToUpperInvariant(),
            PssCheckId = pssId,
            Level = level,
            MinimumMinor = minimumMinor,
            Title = title,
            Severity = severity,
            Category = "PodSecurity",
            Description = description,
            Remediation = remediation,
        };

        const PodSecurityLevel B = PodSecurityLevel.Baseline;
        const PodSecurityLevel R = PodSecurityLevel.Restricted;
        return new PssCheck[]
        {
            new(Define("hostNamespaces", B, 0, "Host namespaces", FindingSeverity.Critical,
                "Sharing the host's network, PID or IPC namespace lets a pod see and reach the node's processes and network.",
                "Remove spec.hostNetwork, spec.hostPID and spec.hostIPC (or set them to false)."), HostNamespaces),
            new(Define("privileged", B, 0, "Privileged containers", FindingSeverity.Critical,
                "Privileged containers disable most security mechanisms and have full access to the node.",
                "Remove securityContext.privileged or set it to false on every container."), Privileged),
            new(Define("capabilities_baseline", B, 0, "Non-default capabilities", FindingSeverity.High,
                "Adding Linux capabilities beyond the container runtime's default set (for example NET_RAW or SYS_ADMIN) widens the kernel attack surface.",
                "Add only capabilities from the default set (AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT)."), CapabilitiesBaseline),
            new(Define("hostPathVolumes", B, 0, "hostPath volumes", FindingSeverity.High,
                "hostPath volumes expose the node's file system to the pod.",
                "Replace hostPath volumes with persistentVolumeClaim, configMap, secret, emptyDir or CSI volumes."), HostPathVolumes),
            new(Define("hostPorts", B, 0, "Host ports", FindingSeverity.Medium,
                "Host ports bind directly on the node's network interfaces and bypass network policy.",
                "Remove ports[*].hostPort (or set it to 0); expose the pod through a Service instead."), HostPorts),
            new(Define("appArmorProfile", B, 0, "AppArmor profile", FindingSeverity.Medium,
                "Overriding or disabling the default AppArmor profile (Unconfined) removes mandatory access control from the container.",
                "Set securityContext.appArmorProfile.type to RuntimeDefault or Localhost, and never set the container.apparmor.security.beta.kubernetes.io annotations to unconfined."), AppArmorProfile),
            new(Define("seLinuxOptions", B, 0, "SELinux options", FindingSeverity.Medium,
                "Custom SELinux users, roles or types can escape the container's SELinux confinement.",
                "Leave seLinuxOptions.user and .role unset and use only the types container_t, container_init_t, container_kvm_t or container_engine_t (v1.31+)."), SELinuxOptions),
            new(Define("procMount", B, 0, "/proc mount type", FindingSeverity.Medium,
                "An unmasked /proc exposes kernel interfaces the default masks hide.",
                "Remove securityContext.procMount or set it to Default (from v1.35 Baseline allows other values when spec.hostUsers is false)."), ProcMountBaseline),
            new(Define("seccompProfile_baseline", B, 0, "Seccomp profile (Baseline)", FindingSeverity.Medium,
                "An Unconfined seccomp profile lets the container make any system call.",
                "Do not set seccompProfile.type to Unconfined (nor the seccomp.security.alpha.kubernetes.io annotations to unconfined); use RuntimeDefault or Localhost."), SeccompBaseline),
            new(Define("sysctls", B, 0, "Unsafe sysctls", FindingSeverity.Medium,
                "Sysctls outside the safe set can change kernel behaviour for every pod on the node.",
                "Set only the safe sysctls of the policy version (kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start; more from v1.27, v1.29 and v1.32)."), Sysctls),
            new(Define("windowsHostProcess", B, 0, "Windows HostProcess containers", FindingSeverity.Critical,
                "Windows HostProcess containers run directly on the host with privileged access.",
                "Remove securityContext.windowsOptions.hostProcess or set it to false at pod and container level."), WindowsHostProcess),
            new(Define("hostProbesAndHostLifecycle", B, 34, "Probe and lifecycle host", FindingSeverity.Medium,
                "Probes and lifecycle handlers with a host field make the kubelet connect to arbitrary addresses on the pod's behalf.",
                "Remove the host field from httpGet and tcpSocket probes and lifecycle handlers (the pod IP is used)."), HostProbesAndHostLifecycle),
            new(Define("restrictedVolumes", R, 0, "Restricted volume types", FindingSeverity.Medium,
                "Restricted pods may only use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes.",
                "Replace other volume types with a persistentVolumeClaim or one of the allowed types."), RestrictedVolumes, "hostPathVolumes"),
            new(Define("allowPrivilegeEscalation", R, 8, "Privilege escalation", FindingSeverity.High,
                "Without allowPrivilegeEscalation=false a process can gain more privileges than its parent (setuid binaries).",
                "Set securityContext.allowPrivilegeEscalation: false on every container."), AllowPrivilegeEscalation),
            new(Define("runAsNonRoot", R, 0, "Running as non-root", FindingSeverity.High,
                "Containers must be required to run as non-root users.",
                "Set securityContext.runAsNonRoot: true at pod level (or on every container) and never set it to false."), RunAsNonRoot),
            new(Define("runAsUser", R, 23, "Running as root user (UID 0)", FindingSeverity.High,
                "Containers must not set runAsUser to 0.",
                "Set securityContext.runAsUser to a non-zero UID or leave it unset."), RunAsUser),
            new(Define("seccompProfile_restricted", R, 19, "Seccomp profile (Restricted)", FindingSeverity.Medium,
                "Restricted pods must explicitly use the RuntimeDefault or a Localhost seccomp profile.",
                "Set securityContext.seccompProfile.type: RuntimeDefault at pod level (or Localhost with a profile)."), SeccompRestricted, "seccompProfile_baseline"),
            new(Define("capabilities_restricted", R, 22, "Capabilities (Restricted)", FindingSeverity.Medium,
                "Restricted containers must drop ALL capabilities and may add back only NET_BIND_SERVICE.",
                "Set securityContext.capabilities.drop: [\"ALL\"] on every container and add at most NET_BIND_SERVICE."), CapabilitiesRestricted, "capabilities_baseline"),
            new(Define("procMount_restricted", R, 35, "/proc mount type (Restricted)", FindingSeverity.Medium,
                "Restricted pods must use the default /proc mount, even in a user namespace.",
                "Remove securityContext.procMount or set it to Default."), ProcMountRestricted, "procMount"),
        };
    }

    // ---- Baseline -------------------------------------------------------------------------------------------

    private static readonly string[] HostNamespaceFields = { "hostNetwork", "hostPID", "hostIPC" };
    private static readonly string[] ProbeFields = { "livenessProbe", "readinessProbe", "startupProbe" };
    private static readonly string[] HandlerActions = { "httpGet", "tcpSocket" };

    private static CheckViolation? HostNamespaces(PodView pod, int minor)
    {
        if (!pod.HostNetwork && !pod.HostPID && !pod.HostIPC)
        {
            return null;
        }

        var found = new SortedStrings();
        foreach (string field in HostNamespaceFields)
        {
            if (Json.IsTrue(pod.Spec[field]))
            {
                found.Add(field);
            }
        }

        return found.Count == 0
            ? null
            : new CheckViolation("host namespaces", string.Join(", ", found), found.Select(f => $"{pod.SpecPath}.{f}").ToArray());
    }

    private static CheckViolation? Privileged(PodView pod, int minor)
    {
        if (!AnyContainer(pod, static c => c.Privileged == true))
        {
            return null;
        }

        var bad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.Privileged == true)
            {
                bad.Add(c.Name, c.Path, ".securityContext.privileged");
            }
        }

        return bad.Empty ? null : new CheckViolation("privileged", $"{Containers(bad)} must not set securityContext.privileged=true", bad.Fields);
    }

    private static CheckViolation? CapabilitiesBaseline(PodView pod, int minor)
    {
        if (!AnyContainer(pod, static c => c.CapabilitiesAdd is JsonArray { Count: > 0 }))
        {
            return null;
        }

        var bad = new Offenders();
        var capabilities = new SortedStrings();
        foreach (var c in pod.ContainerArray)
        {
            if (c.Capabilities is null)
            {
                continue;
            }

            bool valid = true;
            if (c.CapabilitiesAdd is JsonArray add)
            {
                for (int i = 0; i < add.Count; i++)
                {
                    if (Json.Str(add[i]) is { } cap && !BaselineCapabilities.Contains(cap))
                    {
                        valid = false;
                        capabilities.Add(cap);
                    }
                }
            }

            if (!valid)
            {
                bad.Add(c.Name, c.Path, ".securityContext.capabilities.add");
            }
        }

        return bad.Empty
            ? null
            : new CheckViolation("non-default capabilities", $"{Containers(bad)} must not include {JoinQuote(capabilities)} in securityContext.capabilities.add", bad.Fields);
    }

    private static CheckViolation? HostPathVolumes(PodView pod, int minor)
    {
        if (pod.VolumeList is null)
        {
            return null;
        }

        List<string>? names = null;
        FieldPaths? fields = null;
        var volumes = pod.VolumeList;
        for (int index = 0; index < volumes.Count; index++)
        {
            if (volumes[index] is JsonObject volume && volume["hostPath"] is not null)
            {
                (names ??= new List<string>()).Add(Json.Str(volume["name"]) ?? string.Empty);
                (fields ??= new FieldPaths()).Add(string.Create(CultureInfo.InvariantCulture, $"{pod.SpecPath}.volumes[{index}].hostPath"));
            }
        }

        return names is null ? null : new CheckViolation("hostPath volumes", $"{Pluralize("volume", "volumes", names.Count)} {JoinQuote(names)}", fields!);
    }

    private static CheckViolation? HostPorts(PodView pod, int minor)
    {
        // Most containers declare ports, few declare host ports: look for one before building the message state.
        if (!AnyContainer(pod, static c => HasHostPort(c.Ports)))
        {
            return null;
        }

        var bad = new Offenders();
        var ports = new SortedStrings();
        foreach (var c in pod.ContainerArray)
        {
            bool valid = true;
            if (c.Ports is JsonArray list)
            {
                for (int i = 0; i < list.Count; i++)
                {
                    long? hostPort = Json.Long((list[i] as JsonObject)?["hostPort"]);
                    if (hostPort is { } p && p != 0)
                    {
                        valid = false;
                        ports.Add(p.ToString(CultureInfo.InvariantCulture));
                        bad.Fields.Add($"{c.Path}.ports[{i}].hostPort");
                    }
                }
            }

            if (!valid)
            {
                bad.Names.Add(c.Name);
            }
        }

        return bad.Empty
            ? null
            : new CheckViolation("hostPort", $"{Containers(bad)} {Pluralize("uses", "use", bad.Names.Count)} {Pluralize("hostPort", "hostPorts", ports.Count)} {string.Join(", ", ports)}", bad.Fields);
    }

    private static bool HasHostPort(JsonNode? ports)
    {
        if (ports is JsonArray list)
        {
            for (int i = 0; i < list.Count; i++)
            {
                if (Json.Long((list[i] as JsonObject)?["hostPort"]) is { } p && p != 0)
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static CheckViolation? AppArmorProfile(PodView pod, int minor)
    {
        if (pod.AppArmorProfile is null
            && !AnyContainer(pod, static c => c.AppArmorProfile is not null)
            && !HasAnnotationWithPrefix(pod, AppArmorContainerAnnotationPrefix))
        {
            return null;
        }

        var setters = new List<string>();
        var badValues = new SortedStrings();
        var fields = new FieldPaths();
        if (pod.AppArmorProfile is { } podProfile && !AllowedAppArmorType(Json.Str(podProfile["type"])))
        {
            setters.Add("pod");
            badValues.Add(Json.Str(podProfile["type"]) ?? string.Empty);
            fields.Add(pod.SpecPath, ".securityContext.appArmorProfile.type");
        }

        var bad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.AppArmorProfile is { } profile && !AllowedAppArmorType(Json.Str(profile["type"])))
            {
                bad.Add(c.Name, c.Path, ".securityContext.appArmorProfile.type");
                badValues.Add(Json.Str(profile["type"]) ?? string.Empty);
            }
        }

        if (!bad.Empty)
        {
            setters.Add(Containers(bad).ToString());
            fields.AddRange(bad.Fields);
        }

        var annotations = new List<string>();
        if (pod.Annotations is not null)
        {
            foreach (var (key, value) in pod.Annotations)
            {
                string text = Json.Str(value) ?? string.Empty;
                if (key.StartsWith(AppArmorContainerAnnotationPrefix, StringComparison.Ordinal)
                    && !(text.Length == 0 || text == "runtime/default" || text.StartsWith("localhost/", StringComparison.Ordinal)))
                {
                    annotations.Add($"{key}={Quote(text)}");
                    fields.Add($"metadata.annotations[{key}]");
                }
            }
        }

        var values = badValues.ToList();
        if (annotations.Count > 0)
        {
            annotations.Sort(StringComparer.Ordinal);
            values.AddRange(annotations);
            setters.Add(Pluralize("annotation", "annotations", annotations.Count));
        }

        return setters.Count == 0
            ? null
            : new CheckViolation(
                Pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", values.Count),
                $"{string.Join(" and ", setters)} must not set AppArmor profile type to {JoinQuote(values)}",
                fields);
    }

    private static bool AllowedAppArmorType(string? type) => type is "RuntimeDefault" or "Localhost";

    private static CheckViolation? SELinuxOptions(PodView pod, int minor)
    {
        if (pod.SELinuxOptions is null && !AnyContainer(pod, static c => c.SELinuxOptions is not null))
        {
            return null;
        }

        var allowedTypes = minor >= 31 ? SELinuxTypes1Dot31 : SELinuxTypes1Dot0;
        var badTypes = new SortedStrings();
        bool setUser = false, setRole = false;
        var fields = new FieldPaths();

        bool Valid(JsonObject options, string path)
        {
            bool valid = true;
            string type = Json.Str(options["type"]) ?? string.Empty;
            if (!allowedTypes.Contains(type))
            {
                valid = false;
                badTypes.Add(type);
                fields.Add(path + ".type");
            }

            if (!string.IsNullOrEmpty(Json.Str(options["user"])))
            {
                valid = false;
                setUser = true;
                fields.Add(path + ".user");
            }

            if (!string.IsNullOrEmpty(Json.Str(options["role"])))
            {
                valid = false;
                setRole = true;
                fields.Add(path + ".role");
            }

            return valid;
        }

        var setters = new List<string>();
        if (pod.SELinuxOptions is { } podOptions && !Valid(podOptions, pod.SpecPath + ".securityContext.seLinuxOptions"))
        {
            setters.Add("pod");
        }

        var bad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.SELinuxOptions is { } options && !Valid(options, c.Path + ".securityContext.seLinuxOptions"))
            {
                bad.Names.Add(c.Name);
            }
        }

        if (!bad.Empty)
        {
            setters.Add(Containers(bad).ToString());
        }

        if (setters.Count == 0)
        {
            return null;
        }

        var data = new List<string>();
        if (badTypes.Count > 0)
        {
            data.Add($"{Pluralize("type", "types", badTypes.Count)} {JoinQuote(badTypes)}");
        }

        if (setUser)
        {
            data.Add("user may not be set");
        }

        if (setRole)
        {
            data.Add("role may not be set");
        }

        return new CheckViolation("seLinuxOptions", $"{string.Join(" and ", setters)} set forbidden securityContext.seLinuxOptions: {string.Join("; ", data)}", fields);
    }

    private static CheckViolation? ProcMountBaseline(PodView pod, int minor) =>
        minor >= 35 && pod.InUserNamespace ? null : ProcMountDefaultOnly(pod);

    private static CheckViolation? ProcMountRestricted(PodView pod, int minor) => ProcMountDefaultOnly(pod);

    private static CheckViolation? ProcMountDefaultOnly(PodView pod)
    {
        if (!AnyContainer(pod, static c => c.ProcMount is not null))
        {
            return null;
        }

        var bad = new Offenders();
        var types = new SortedStrings();
        foreach (var c in pod.ContainerArray)
        {
            JsonNode? procMount = c.ProcMount;
            if (procMount is null)
            {
                continue;
            }

            string value = Json.Str(procMount) ?? procMount.ToJsonString();
            if (value != "Default")
            {
                bad.Add(c.Name, c.Path, ".securityContext.procMount");
                types.Add(value);
            }
        }

        return bad.Empty ? null : new CheckViolation("procMount", $"{Containers(bad)} must not set securityContext.procMount to {JoinQuote(types)}", bad.Fields);
    }

    private static CheckViolation? SeccompBaseline(PodView pod, int minor)
    {
        if (minor < 19 ? !HasAnnotationWithPrefix(pod, SeccompContainerAnnotationPrefix) && pod.Annotation(SeccompPodAnnotation) is null
                       : (pod.SeccompProfile is null || ValidSeccomp(pod.SeccompProfile)) && AllContainers(pod, static c => c.SeccompProfile is null || ValidSeccomp(c.SeccompProfile)))
        {
            return null;
        }

        if (minor < 19)
        {
            // Before the seccompProfile field (policy v1.19) only the alpha annotations were checked.
            var forbidden = new SortedStrings();
            var fields = new FieldPaths();
            if (pod.Annotation(SeccompPodAnnotation) == "unconfined")
            {
                forbidden.Add($"{SeccompPodAnnotation}={Quote("unconfined")}");
                fields.Add($"metadata.annotations[{SeccompPodAnnotation}]");
            }

            foreach (var c in pod.ContainerArray)
            {
                string key = SeccompContainerAnnotationPrefix + c.Name;
                if (pod.Annotation(key) == "unconfined")
                {
                    forbidden.Add($"{key}={Quote("unconfined")}");
                    fields.Add($"metadata.annotations[{key}]");
                }
            }

            return forbidden.Count == 0
                ? null
                : new CheckViolation("seccompProfile", $"forbidden {Pluralize("annotation", "annotations", forbidden.Count)} {string.Join(", ", forbidden)}", fields);
        }

        var setters = new List<string>();
        var badValues = new SortedStrings();
        var badFields = new FieldPaths();
        if (pod.SeccompProfile is { } podProfile && !ValidSeccomp(podProfile))
        {
            setters.Add("pod");
            badValues.Add(Json.Str(podProfile["type"]) ?? string.Empty);
            badFields.Add(pod.SpecPath, ".securityContext.seccompProfile.type");
        }

        var bad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.SeccompProfile is { } profile && !ValidSeccomp(profile))
            {
                bad.Add(c.Name, c.Path, ".securityContext.seccompProfile.type");
                badValues.Add(Json.Str(profile["type"]) ?? string.Empty);
            }
        }

        if (!bad.Empty)
        {
            setters.Add(Containers(bad).ToString());
            badFields.AddRange(bad.Fields);
        }

        return setters.Count == 0
            ? null
            : new CheckViolation("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(badValues)}", badFields);
    }

    private static bool ValidSeccomp(JsonObject profile) => Json.Str(profile["type"]) is "RuntimeDefault" or "Localhost";

    private static CheckViolation? Sysctls(PodView pod, int minor)
    {
        if (pod.Sysctls is not JsonArray { Count: > 0 })
        {
            return null;
        }

        var allowed = minor >= 32 ? Sysctls1Dot32 : minor >= 29 ? Sysctls1Dot29 : minor >= 27 ? Sysctls1Dot27 : Sysctls1Dot0;
        var forbidden = new List<string>();
        var fields = new FieldPaths();
        if (pod.Sysctls is JsonArray sysctls)
        {
            for (int i = 0; i < sysctls.Count; i++)
            {
                string name = Json.Str((sysctls[i] as JsonObject)?["name"]) ?? string.Empty;
                if (!allowed.Contains(name))
                {
                    forbidden.Add(name);
                    fields.Add($"{pod.SpecPath}.securityContext.sysctls[{i}].name");
                }
            }
        }

        return forbidden.Count == 0 ? null : new CheckViolation("forbidden sysctls", string.Join(", ", forbidden), fields);
    }

    private static CheckViolation? WindowsHostProcess(PodView pod, int minor)
    {
        if (pod.WindowsOptions is null && !AnyContainer(pod, static c => c.WindowsOptions is not null))
        {
            return null;
        }

        var bad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (Json.IsTrue(c.WindowsOptions?["hostProcess"]))
            {
                bad.Add(c.Name, c.Path, ".securityContext.windowsOptions.hostProcess");
            }
        }

        var setters = new List<string>();
        var fields = new FieldPaths();
        if (Json.IsTrue(pod.WindowsOptions?["hostProcess"]))
        {
            setters.Add("pod");
            fields.Add(pod.SpecPath, ".securityContext.windowsOptions.hostProcess");
        }

        if (!bad.Empty)
        {
            setters.Add(Containers(bad).ToString());
            fields.AddRange(bad.Fields);
        }

        return setters.Count == 0
            ? null
            : new CheckViolation("hostProcess", $"{string.Join(" and ", setters)} must not set securityContext.windowsOptions.hostProcess=true", fields);
    }

    private static CheckViolation? HostProbesAndHostLifecycle(PodView pod, int minor)
    {
        if (!AnyContainer(pod, static c => HasHandlerHost(c.LivenessProbe) || HasHandlerHost(c.ReadinessProbe) || HasHandlerHost(c.StartupProbe)
            || (c.Lifecycle is JsonObject l && (HasHandlerHost(l["postStart"]) || HasHandlerHost(l["preStop"])))))
        {
            return null;
        }

        var badContainers = new SortedStrings();
        var hosts = new SortedStrings();
        var fields = new FieldPaths();

        void Inspect(ContainerView c, JsonObject? handler, string path)
        {
            if (handler is null)
            {
                return;
            }

            foreach (string action in HandlerActions)
            {
                string? host = Json.Str(Json.Obj(handler, action)?["host"]);
                if (!string.IsNullOrEmpty(host))
                {
                    badContainers.Add(c.Name);
                    hosts.Add(host);
                    fields.Add($"{path}.{action}.host");
                }
            }
        }

        foreach (var c in pod.ContainerArray)
        {
            foreach (string probe in ProbeFields)
            {
                Inspect(c, c.Body[probe] as JsonObject, $"{c.Path}.{probe}");
            }

            if (c.Lifecycle is JsonObject lifecycle)
            {
                Inspect(c, lifecycle["postStart"] as JsonObject, $"{c.Path}.lifecycle.postStart");
                Inspect(c, lifecycle["preStop"] as JsonObject, $"{c.Path}.lifecycle.preStop");
            }
        }

        return badContainers.Count == 0
            ? null
            : new CheckViolation(
                "probe or lifecycle host",
                $"{Pluralize("container", "containers", badContainers.Count)} {JoinQuote(badContainers)} {Pluralize("uses", "use", badContainers.Count)} {Pluralize("probe or lifecycle host", "probe or lifecycle hosts", hosts.Count)} {JoinQuote(hosts)}",
                fields);
    }

    // ---- Restricted -----------------------------------------------------------------------------------------

    private static CheckViolation? RestrictedVolumes(PodView pod, int minor)
    {
        if (!AnyRestrictedVolume(pod))
        {
            return null;
        }

        var badVolumes = new List<string>();
        var badTypes = new SortedStrings();
        var fields = new FieldPaths();
        var volumes = pod.VolumeList!;
        for (int index = 0; index < volumes.Count; index++)
        {
            if (volumes[index] is not JsonObject volume || !IsRestrictedVolume(volume))
            {
                continue;
            }

            var sources = volume.Where(p => p.Key != "name" && p.Value is not null).Select(p => p.Key).ToList();

            badVolumes.Add(Json.Str(volume["name"]) ?? string.Empty);
            string type = RestrictedVolumeSources.FirstOrDefault(sources.Contains) ?? "unknown";
            badTypes.Add(type);
            fields.Add(string.Create(CultureInfo.InvariantCulture, $"{pod.SpecPath}.volumes[{index}]") + (type == "unknown" ? string.Empty : "." + type));
        }

        return badVolumes.Count == 0
            ? null
            : new CheckViolation(
                "restricted volume types",
                $"{Pluralize("volume", "volumes", badVolumes.Count)} {JoinQuote(badVolumes)} {Pluralize("uses", "use", badVolumes.Count)} {Pluralize("restricted volume type", "restricted volume types", badTypes.Count)} {JoinQuote(badTypes)}",
                fields);
    }

    private static bool AnyRestrictedVolume(PodView pod)
    {
        if (pod.VolumeList is JsonArray volumes)
        {
            for (int i = 0; i < volumes.Count; i++)
            {
                if (volumes[i] is JsonObject v && IsRestrictedVolume(v))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool IsRestrictedVolume(JsonObject volume)
    {
        bool anySource = false, allowed = false;
        foreach (var (key, value) in volume)
        {
            if (key != "name" && value is not null)
            {
                anySource = true;
                allowed |= RestrictedAllowedVolumeSources.Contains(key);
            }
        }

        // No source at all is an implicit emptyDir: the API server defaults it before admission.
        return anySource && !allowed;
    }

    private static CheckViolation? AllowPrivilegeEscalation(PodView pod, int minor)
    {
        if (AllContainers(pod, static c => c.AllowPrivilegeEscalation == false))
        {
            return null;
        }

        // From v1.25 Windows pods are exempt: the field does not apply to Windows containers.
        if (minor >= 25 && pod.IsWindows)
        {
            return null;
        }

        var bad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.AllowPrivilegeEscalation != false)
            {
                bad.Add(c.Name, c.Path, ".securityContext.allowPrivilegeEscalation");
            }
        }

        return bad.Empty
            ? null
            : new CheckViolation("allowPrivilegeEscalation != false", $"{Containers(bad)} must set securityContext.allowPrivilegeEscalation=false", bad.Fields);
    }

    private static CheckViolation? RunAsNonRoot(PodView pod, int minor)
    {
        bool? podRunAsNonRootSetting = pod.RunAsNonRoot;
        bool podTrue = podRunAsNonRootSetting == true;
        if (podRunAsNonRootSetting != false && AllContainersRunAsNonRoot(pod, podTrue))
        {
            return null;
        }

        // From v1.35 pods in a user namespace are exempt (KEP-127): UID 0 inside maps to an unprivileged host UID.
        if (minor >= 35 && pod.InUserNamespace)
        {
            return null;
        }

        var setters = new List<string>();
        var fields = new FieldPaths();
        bool podRunAsNonRoot = false;
        if (pod.RunAsNonRoot is { } podSetting)
        {
            if (!podSetting)
            {
                setters.Add("pod");
                fields.Add(pod.SpecPath, ".securityContext.runAsNonRoot");
            }
            else
            {
                podRunAsNonRoot = true;
            }
        }

        var explicitlyBad = new Offenders();
        var implicitlyBad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.RunAsNonRoot is { } setting)
            {
                if (!setting)
                {
                    explicitlyBad.Add(c.Name, c.Path, ".securityContext.runAsNonRoot");
                }
            }
            else if (!podRunAsNonRoot)
            {
                implicitlyBad.Add(c.Name, c.Path, ".securityContext.runAsNonRoot");
            }
        }

        if (!explicitlyBad.Empty)
        {
            setters.Add(Containers(explicitlyBad).ToString());
            fields.AddRange(explicitlyBad.Fields);
        }

        if (setters.Count > 0)
        {
            return new CheckViolation("runAsNonRoot != true", $"{string.Join(" and ", setters)} must not set securityContext.runAsNonRoot=false", fields);
        }

        return implicitlyBad.Empty
            ? null
            : new CheckViolation("runAsNonRoot != true", $"pod or {Containers(implicitlyBad)} must set securityContext.runAsNonRoot=true", implicitlyBad.Fields);
    }

    private static CheckViolation? RunAsUser(PodView pod, int minor)
    {
        if (pod.RunAsUser != 0 && !AnyContainer(pod, static c => c.RunAsUser == 0))
        {
            return null;
        }

        if (minor >= 35 && pod.InUserNamespace)
        {
            return null;
        }

        var setters = new List<string>();
        var fields = new FieldPaths();
        if (pod.RunAsUser == 0)
        {
            setters.Add("pod");
            fields.Add(pod.SpecPath, ".securityContext.runAsUser");
        }

        var bad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.RunAsUser == 0)
            {
                bad.Add(c.Name, c.Path, ".securityContext.runAsUser");
            }
        }

        if (!bad.Empty)
        {
            setters.Add(Containers(bad).ToString());
            fields.AddRange(bad.Fields);
        }

        return setters.Count == 0 ? null : new CheckViolation("runAsUser=0", $"{string.Join(" and ", setters)} must not set runAsUser=0", fields);
    }

    private static CheckViolation? SeccompRestricted(PodView pod, int minor)
    {
        bool podValid = pod.SeccompProfile is { } p && ValidSeccomp(p);
        if ((pod.SeccompProfile is null || podValid) && AllContainersSeccompValid(pod, podValid))
        {
            return null;
        }

        if (minor >= 25 && pod.IsWindows)
        {
            return null;
        }

        var setters = new List<string>();
        var badValues = new SortedStrings();
        var fields = new FieldPaths();
        bool podSeccompSet = false;
        if (pod.SeccompProfile is { } podProfile)
        {
            if (!ValidSeccomp(podProfile))
            {
                setters.Add("pod");
                badValues.Add(Json.Str(podProfile["type"]) ?? string.Empty);
                fields.Add(pod.SpecPath, ".securityContext.seccompProfile.type");
            }
            else
            {
                podSeccompSet = true;
            }
        }

        var explicitlyBad = new Offenders();
        var implicitlyBad = new Offenders();
        foreach (var c in pod.ContainerArray)
        {
            if (c.SeccompProfile is { } profile)
            {
                if (!ValidSeccomp(profile))
                {
                    explicitlyBad.Add(c.Name, c.Path, ".securityContext.seccompProfile.type");
                    badValues.Add(Json.Str(profile["type"]) ?? string.Empty);
                }
            }
            else if (!podSeccompSet)
            {
                implicitlyBad.Add(c.Name, c.Path, ".securityContext.seccompProfile.type");
            }
        }

        if (!explicitlyBad.Empty)
        {
            setters.Add(Containers(explicitlyBad).ToString());
            fields.AddRange(explicitlyBad.Fields);
        }

        if (setters.Count > 0)
        {
            return new CheckViolation("seccompProfile", $"{string.Join(" and ", setters)} must not set securityContext.seccompProfile.type to {JoinQuote(badValues)}", fields);
        }

        return implicitlyBad.Empty
            ? null
            : new CheckViolation("seccompProfile", $"pod or {Containers(implicitlyBad)} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"", implicitlyBad.Fields);
    }

    private static CheckViolation? CapabilitiesRestricted(PodView pod, int minor)
    {
        if (AllContainers(pod, static c => c.Capabilities is not null && ContainsString(c.CapabilitiesDrop, CapabilityAll) && OnlyNetBindService(c.CapabilitiesAdd)))
        {
            return null;
        }

        if (minor >= 25 && pod.IsWindows)
        {
            return null;
        }

        var missingDropAll = new Offenders();
        var addingForbidden = new Offenders();
        var forbidden = new SortedStrings();
        foreach (var c in pod.ContainerArray)
        {
            if (c.Capabilities is null)
            {
                missingDropAll.Add(c.Name, c.Path, ".securityContext.capabilities.drop");
                continue;
            }

            if (!ContainsString(c.CapabilitiesDrop, CapabilityAll))
            {
                missingDropAll.Add(c.Name, c.Path, ".securityContext.capabilities.drop");
            }

            bool addedForbidden = false;
            if (c.CapabilitiesAdd is JsonArray add)
            {
                for (int i = 0; i < add.Count; i++)
                {
                    if (Json.Str(add[i]) is { } cap && cap != CapabilityNetBindService)
                    {
                        addedForbidden = true;
                        forbidden.Add(cap);
                    }
                }
            }

            if (addedForbidden)
            {
                addingForbidden.Add(c.Name, c.Path, ".securityContext.capabilities.add");
            }
        }

        var details = new List<string>();
        if (!missingDropAll.Empty)
        {
            details.Add($"{Containers(missingDropAll)} must set securityContext.capabilities.drop=[\"ALL\"]");
        }

        if (!addingForbidden.Empty)
        {
            details.Add($"{Containers(addingForbidden)} must not include {JoinQuote(forbidden)} in securityContext.capabilities.add");
        }

        return details.Count == 0
            ? null
            : new CheckViolation("unrestricted capabilities", string.Join("; ", details), Concat(missingDropAll.Fields, addingForbidden.Fields));
    }

    private static bool AnyContainer(PodView pod, Func<ContainerView, bool> predicate)
    {
        foreach (var c in pod.ContainerArray)
        {
            if (predicate(c))
            {
                return true;
            }
        }

        return false;
    }

    private static bool AllContainers(PodView pod, Func<ContainerView, bool> predicate)
    {
        foreach (var c in pod.ContainerArray)
        {
            if (!predicate(c))
            {
                return false;
            }
        }

        return true;
    }

    // Loops rather than AllContainers: a lambda capturing the pod-level default would allocate on every call.
    private static bool AllContainersRunAsNonRoot(PodView pod, bool podDefault)
    {
        foreach (var c in pod.ContainerArray)
        {
            if (!(c.RunAsNonRoot ?? podDefault))
            {
                return false;
            }
        }

        return true;
    }

    private static bool AllContainersSeccompValid(PodView pod, bool podDefault)
    {
        foreach (var c in pod.ContainerArray)
        {
            if (!(c.SeccompProfile is { } profile ? ValidSeccomp(profile) : podDefault))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasAnnotationWithPrefix(PodView pod, string prefix)
    {
        if (pod.Annotations is null)
        {
            return false;
        }

        foreach (var (key, _) in pod.Annotations)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static bool HasHandlerHost(JsonNode? handler) =>
        handler is JsonObject h && (!string.IsNullOrEmpty(Json.Str(Json.Obj(h, "httpGet")?["host"])) || !string.IsNullOrEmpty(Json.Str(Json.Obj(h, "tcpSocket")?["host"])));

    private static bool OnlyNetBindService(JsonNode? add)
    {
        if (add is JsonArray array)
        {
            for (int i = 0; i < array.Count; i++)
            {
                if (Json.Str(array[i]) != CapabilityNetBindService)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool ContainsString(JsonNode? list, string value)
    {
        if (list is JsonArray array)
        {
            for (int i = 0; i < array.Count; i++)
            {
                if (Json.Str(array[i]) == value)
                {
                    return true;
                }
            }
        }

        return false;
    }

    // ---- message helpers (pluralize / joinQuote of the policy package) -------------------------------------

    private static string Pluralize(string singular, string plural, int count) => count == 1 ? singular : plural;

    private static QuotedList Containers(Offenders offenders) =>
        new(Pluralize("container ", "containers ", offenders.Names.Count), offenders.Names);

    private static QuotedList JoinQuote(IReadOnlyList<string> values) => new(string.Empty, values);

    private static string Quote(string value) => new QuotedList(string.Empty, new[] { value }).ToString();

    /// <summary>
    /// A prefix and the values quoted like Go's %q and joined with ", " (the policy package's joinQuote), written
    /// straight into the message being formatted: no intermediate string per name or per list.
    /// </summary>
    private readonly struct QuotedList : ISpanFormattable
    {
        private readonly string prefix;
        private readonly IReadOnlyList<string> values;

        public QuotedList(string prefix, IReadOnlyList<string> values)
        {
            this.prefix = prefix;
            this.values = values;
        }

        public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
        {
            charsWritten = 0;
            int at = 0;
            if (!Put(destination, ref at, prefix))
            {
                return false;
            }

            for (int i = 0; i < values.Count; i++)
            {
                if ((i > 0 && !Put(destination, ref at, ", ")) || !Put(destination, ref at, "\""))
                {
                    return false;
                }

                foreach (char ch in values[i])
                {
                    bool written = ch switch
                    {
                        '"' => Put(destination, ref at, "\\\""),
                        '\\' => Put(destination, ref at, "\\\\"),
                        '\n' => Put(destination, ref at, "\\n"),
                        '\t' => Put(destination, ref at, "\\t"),
                        _ => Put(destination, ref at, ch),
                    };
                    if (!written)
                    {
                        return false;
                    }
                }

                if (!Put(destination, ref at, "\""))
                {
                    return false;
                }
            }

            charsWritten = at;
            return true;
        }

        public string ToString(string? format, IFormatProvider? formatProvider) => ToString();

        public override string ToString()
        {
            Span<char> buffer = stackalloc char[256];
            if (TryFormat(buffer, out int written, default, null))
            {
                return new string(buffer[..written]);
            }

            for (int size = 1024; ; size *= 2)
            {
                char[] rented = System.Buffers.ArrayPool<char>.Shared.Rent(size);
                try
                {
                    if (TryFormat(rented, out written, default, null))
                    {
                        return new string(rented, 0, written);
                    }
                }
                finally
                {
                    System.Buffers.ArrayPool<char>.Shared.Return(rented);
                }
            }
        }

        private static bool Put(Span<char> destination, ref int at, string text)
        {
            if (!text.AsSpan().TryCopyTo(destination[at..]))
            {
                return false;
            }

            at += text.Length;
            return true;
        }

        private static bool Put(Span<char> destination, ref int at, char ch)
        {
            if (at >= destination.Length)
            {
                return false;
            }

            destination[at++] = ch;
            return true;
        }
    }

    /// <summary>Distinct strings in ordinal order (the policy package sorts its sets); a list is cheaper than a tree for the few values a check collects.</summary>
    private sealed class SortedStrings : IReadOnlyList<string>
    {
        private readonly List<string> items = new(2);

        public int Count => items.Count;

        public string this[int index] => items[index];

        public void Add(string value)
        {
            int at = items.BinarySearch(value, StringComparer.Ordinal);
            if (at < 0)
            {
                items.Insert(~at, value);
            }
        }

        public List<string> ToList() => new(items);

        public IEnumerator<string> GetEnumerator() => items.GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static FieldPaths Concat(FieldPaths first, FieldPaths second)
    {
        first.AddRange(second);
        return first;
    }

    /// <summary>Containers that fail a check, in visiting order, and the offending field paths.</summary>
    private sealed class Offenders
    {
        private List<string>? names;
        private FieldPaths? fields;

        // Allocated on the first offender: most pods pass most checks.
        public List<string> Names => names ??= new List<string>(2);

        public FieldPaths Fields => fields ??= new FieldPaths();

        public bool Empty => names is null || names.Count == 0;

        public void Add(string name, string pathPrefix, string pathSuffix)
        {
            Names.Add(name);
            Fields.Add(pathPrefix, pathSuffix);
        }
    }
}
