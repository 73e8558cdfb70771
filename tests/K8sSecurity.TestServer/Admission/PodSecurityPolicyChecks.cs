using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// The Pod Security Standards checks (k8s.io/pod-security-admission/policy) as each policy version defines them,
/// producing the same "reason (detail)" strings. Baseline checks run first, then restricted ones; at restricted level
/// capabilities_restricted (v1.22+) and seccompProfile_restricted (v1.19+) replace their baseline counterparts.
/// Versions: allowPrivilegeEscalation from v1.8, runAsUser from v1.23, seccomp fields from v1.19 (annotations
/// before), the Windows exemptions of restricted checks from v1.25, AppArmor fields from v1.30, container_engine_t
/// from v1.31, sysctls added in v1.27, v1.29 and v1.32. Pinned by every fixture of shared/pss-fixtures v1.0 … v1.32.
/// </summary>
public static class PodSecurityPolicyChecks
{
    /// <summary>The minor version "latest" means on this server (v1.32).</summary>
    public const int LatestMinor = 32;
    private static readonly string[] BaselineCaps = ["AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"];
    private static readonly (string Name, int Since)[] SafeSysctls =
    [
        ("kernel.shm_rmid_forced", 0), ("net.ipv4.ip_local_port_range", 0), ("net.ipv4.ip_unprivileged_port_start", 0), ("net.ipv4.tcp_syncookies", 0),
        ("net.ipv4.ping_group_range", 0), ("net.ipv4.ip_local_reserved_ports", 27), ("net.ipv4.tcp_keepalive_time", 29), ("net.ipv4.tcp_fin_timeout", 29),
        ("net.ipv4.tcp_keepalive_intvl", 29), ("net.ipv4.tcp_keepalive_probes", 29), ("net.ipv4.tcp_rmem", 32), ("net.ipv4.tcp_wmem", 32),
    ];

    private static readonly string[] SeLinuxTypes = ["", "container_t", "container_init_t", "container_kvm_t"];
    private static readonly string[] RestrictedVolumeTypes = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];

    /// <summary>Violations as "reason (detail)"; empty when allowed. <paramref name="level"/> is privileged, baseline or restricted.</summary>
    public static List<string> Evaluate(string level, JsonObject? podMetadata, JsonObject podSpec, int minor = LatestMinor) =>
        Violations(level, podMetadata, podSpec, minor).Select(v => v.Detail.Length > 0 ? $"{v.Reason} ({v.Detail})" : v.Reason).ToList();

    /// <summary>The minor version of a "-version" label value: "latest" or "v1.N" (newer than this server: latest); null when invalid.</summary>
    public static int? ParseVersion(string version)
    {
        if (version == "latest")
        {
            return LatestMinor;
        }

        if (version.StartsWith("v1.", StringComparison.Ordinal)
            && int.TryParse(version[3..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var minor)
            && (minor == 0 || version[3] != '0'))
        {
            return Math.Min(minor, LatestMinor);
        }

        return null;
    }

    public static List<(string Reason, string Detail)> Violations(string level, JsonObject? podMetadata, JsonObject spec, int minor = LatestMinor)
    {
        var result = new List<(string, string)>();
        if (level is not ("baseline" or "restricted"))
        {
            return result;
        }

        var restricted = level == "restricted";
        var containers = spec.Objects("initContainers").Concat(spec.Objects("containers")).Concat(spec.Objects("ephemeralContainers")).ToList();
        var podSc = spec["securityContext"] as JsonObject;
        var windows = minor >= 25 && spec.Str("os", "name") == "windows";
        void Add(string reason, string detail) => result.Add((reason, detail));
        static string Names(IEnumerable<string?> names, string singular, string plural)
        {
            var list = names.Select(n => $"\"{n}\"").ToList();
            return list.Count == 1 ? $"{singular} {list[0]}" : $"{plural} {string.Join(", ", list)}";
        }

        // --- baseline (alphabetical by check id, as the evaluator orders them) ---
        var apparmor = new List<string>();
        foreach (var (k, v) in podMetadata.StringMap("annotations"))
        {
            if (k.StartsWith("container.apparmor.security.beta.kubernetes.io/", StringComparison.Ordinal) && v is not ("runtime/default" or "") && !v.StartsWith("localhost/", StringComparison.Ordinal))
            {
                apparmor.Add($"{k}=\"{v}\"");
            }
        }

        if (minor >= 30 && podSc?.Str("appArmorProfile", "type") == "Unconfined")
        {
            apparmor.Add("pod must not set securityContext.appArmorProfile.type to \"Unconfined\"");
        }

        foreach (var c in containers.Where(c => minor >= 30 && c.Str("securityContext", "appArmorProfile", "type") == "Unconfined"))
        {
            apparmor.Add($"container \"{c.Str("name")}\" must not set securityContext.appArmorProfile.type to \"Unconfined\"");
        }

        if (apparmor.Count > 0)
        {
            Add(apparmor.Count == 1 ? "forbidden AppArmor profile" : "forbidden AppArmor profiles", string.Join(", ", apparmor));
        }

        if (!restricted || minor < 22)
        {
            var badCaps = containers.Select(c => (c.Str("name"), Caps: c.Strings("securityContext", "capabilities", "add").Where(a => !BaselineCaps.Contains(a)).ToList())).Where(x => x.Caps.Count > 0).ToList();
            if (badCaps.Count > 0)
            {
                var caps = badCaps.SelectMany(x => x.Caps).Distinct().Select(x => $"\"{x}\"");
                Add("non-default capabilities", $"{Names(badCaps.Select(x => x.Item1), "container", "containers")} must not include {string.Join(", ", caps)} in securityContext.capabilities.add");
            }
        }

        var hostNs = new List<string>();
        foreach (var f in new[] { "hostNetwork", "hostPID", "hostIPC" })
        {
            if (spec.Bool(f) == true)
            {
                hostNs.Add(f + "=true");
            }
        }

        if (hostNs.Count > 0)
        {
            Add("host namespaces", string.Join(", ", hostNs));
        }

        var hostPaths = spec.Objects("volumes").Where(v => v["hostPath"] is not null).Select(v => v.Str("name")).ToList();
        if (hostPaths.Count > 0)
        {
            Add("hostPath volumes", Names(hostPaths, "volume", "volumes"));
        }

        var portUsers = containers.Select(c => (c.Str("name"), Ports: c.Objects("ports").Select(p => p.Long("hostPort") ?? 0).Where(p => p != 0).ToList())).Where(x => x.Ports.Count > 0).ToList();
        if (portUsers.Count > 0)
        {
            var ports = portUsers.SelectMany(x => x.Ports).Distinct().ToList();
            var verb = portUsers.Count == 1 ? "uses" : "use";
            Add("hostPort", $"{Names(portUsers.Select(x => x.Item1), "container", "containers")} {verb} {(ports.Count == 1 ? "hostPort" : "hostPorts")} {string.Join(", ", ports)}");
        }

        var privileged = containers.Where(c => c.Bool("securityContext", "privileged") == true).Select(c => c.Str("name")).ToList();
        if (privileged.Count > 0)
        {
            Add("privileged", $"{Names(privileged, "container", "containers")} must not set securityContext.privileged=true");
        }

        var procMount = containers.Where(c => c.Str("securityContext", "procMount") is { } p && p != "Default").ToList();
        if (procMount.Count > 0)
        {
            Add("procMount", $"{Names(procMount.Select(c => c.Str("name")), "container", "containers")} must not set securityContext.procMount to {string.Join(", ", procMount.Select(c => $"\"{c.Str("securityContext", "procMount")}\"").Distinct())}");
        }

        if (!restricted || windows || minor < 19)
        {
            var seccomp = new List<string>();
            if (minor >= 19)
            {
                if (podSc?.Str("seccompProfile", "type") == "Unconfined")
                {
                    seccomp.Add("pod must not set securityContext.seccompProfile.type to \"Unconfined\"");
                }

                var bad = containers.Where(c => c.Str("securityContext", "seccompProfile", "type") == "Unconfined").Select(c => c.Str("name")).ToList();
                if (bad.Count > 0)
                {
                    seccomp.Add($"{Names(bad, "container", "containers")} must not set securityContext.seccompProfile.type to \"Unconfined\"");
                }
            }
            else
            {
                // v1.0: the alpha seccomp annotations.
                var annotations = podMetadata.StringMap("annotations");
                if (annotations.TryGetValue("seccomp.security.alpha.kubernetes.io/pod", out var pod) && pod == "unconfined")
                {
                    seccomp.Add("seccomp.security.alpha.kubernetes.io/pod=\"unconfined\"");
                }

                foreach (var (k, v) in annotations.Where(kv => kv.Key.StartsWith("container.seccomp.security.alpha.kubernetes.io/", StringComparison.Ordinal) && kv.Value == "unconfined").OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    seccomp.Add($"{k}=\"{v}\"");
                }
            }

            if (seccomp.Count > 0)
            {
                Add(minor >= 19 ? "seccompProfile" : "forbidden seccomp profile", string.Join(minor >= 19 ? "; " : ", ", seccomp));
            }
        }

        var selinux = new List<string>();
        void CheckSeLinux(JsonObject? opts, string who)
        {
            if (opts is null)
            {
                return;
            }

            var problems = new List<string>();
            var type = opts.Str("type") ?? "";
            if (!SeLinuxTypes.Contains(type) && !(minor >= 31 && type == "container_engine_t"))
            {
                problems.Add($"type \"{opts.Str("type")}\"");
            }

            if (!string.IsNullOrEmpty(opts.Str("user")))
            {
                problems.Add($"user \"{opts.Str("user")}\"");
            }

            if (!string.IsNullOrEmpty(opts.Str("role")))
            {
                problems.Add($"role \"{opts.Str("role")}\"");
            }

            if (problems.Count > 0)
            {
                selinux.Add($"{who} set forbidden securityContext.seLinuxOptions: {string.Join("; ", problems)}");
            }
        }

        CheckSeLinux(podSc?["seLinuxOptions"] as JsonObject, "pod");
        foreach (var c in containers)
        {
            CheckSeLinux(c.At("securityContext", "seLinuxOptions") as JsonObject, $"container \"{c.Str("name")}\"");
        }

        if (selinux.Count > 0)
        {
            Add("seLinuxOptions", string.Join("; ", selinux));
        }

        var sysctls = podSc.Objects("sysctls").Select(s => s.Str("name") ?? "").Where(n => !SafeSysctls.Any(x => x.Name == n && x.Since <= minor)).ToList();
        if (sysctls.Count > 0)
        {
            Add("forbidden sysctls", string.Join(", ", sysctls));
        }

        var hostProcess = new List<string>();
        if (podSc?.Bool("windowsOptions", "hostProcess") == true)
        {
            hostProcess.Add("pod must not set securityContext.windowsOptions.hostProcess=true");
        }

        var hpc = containers.Where(c => c.Bool("securityContext", "windowsOptions", "hostProcess") == true).Select(c => c.Str("name")).ToList();
        if (hpc.Count > 0)
        {
            hostProcess.Add($"{Names(hpc, "container", "containers")} must not set securityContext.windowsOptions.hostProcess=true");
        }

        if (hostProcess.Count > 0)
        {
            Add("hostProcess", string.Join("; ", hostProcess));
        }

        if (!restricted)
        {
            return result;
        }

        // --- restricted ---
        if (!windows && minor >= 8)
        {
            var ape = containers.Where(c => c.Bool("securityContext", "allowPrivilegeEscalation") != false).Select(c => c.Str("name")).ToList();
            if (ape.Count > 0)
            {
                Add("allowPrivilegeEscalation != false", $"{Names(ape, "container", "containers")} must set securityContext.allowPrivilegeEscalation=false");
            }
        }

        if (!windows && minor >= 22)
        {
            var capDetails = new List<string>();
            var noDrop = containers.Where(c => !c.Strings("securityContext", "capabilities", "drop").Contains("ALL")).Select(c => c.Str("name")).ToList();
            if (noDrop.Count > 0)
            {
                capDetails.Add($"{Names(noDrop, "container", "containers")} must set securityContext.capabilities.drop=[\"ALL\"]");
            }

            var badAdd = containers.Select(c => (c.Str("name"), Caps: c.Strings("securityContext", "capabilities", "add").Where(a => a != "NET_BIND_SERVICE").ToList())).Where(x => x.Caps.Count > 0).ToList();
            if (badAdd.Count > 0)
            {
                capDetails.Add($"{Names(badAdd.Select(x => x.Item1), "container", "containers")} must not include {string.Join(", ", badAdd.SelectMany(x => x.Caps).Distinct().Select(x => $"\"{x}\""))} in securityContext.capabilities.add");
            }

            if (capDetails.Count > 0)
            {
                Add("unrestricted capabilities", string.Join("; ", capDetails));
            }
        }

        var restrictedVols = spec.Objects("volumes")
            .Select(v => (v.Str("name"), Type: v.Select(kv => kv.Key).FirstOrDefault(k => k != "name" && !RestrictedVolumeTypes.Contains(k))))
            .Where(x => x.Type is not null).ToList();
        if (restrictedVols.Count > 0)
        {
            var types = restrictedVols.Select(x => $"\"{x.Type}\"").Distinct().ToList();
            Add("restricted volume types", $"{Names(restrictedVols.Select(x => x.Item1), "volume", "volumes")} {(restrictedVols.Count == 1 ? "uses" : "use")} {(types.Count == 1 ? "restricted volume type" : "restricted volume types")} {string.Join(", ", types)}");
        }

        var podNonRoot = podSc?.Bool("runAsNonRoot");
        var nonRoot = new List<string>();
        if (podNonRoot == false)
        {
            nonRoot.Add("pod must not set securityContext.runAsNonRoot=false");
        }

        var explicitFalse = containers.Where(c => c.Bool("securityContext", "runAsNonRoot") == false).Select(c => c.Str("name")).ToList();
        if (explicitFalse.Count > 0)
        {
            nonRoot.Add($"{Names(explicitFalse, "container", "containers")} must not set securityContext.runAsNonRoot=false");
        }

        if (podNonRoot != true)
        {
            var unset = containers.Where(c => c.Bool("securityContext", "runAsNonRoot") is null).Select(c => c.Str("name")).ToList();
            if (unset.Count > 0)
            {
                nonRoot.Add($"pod or {Names(unset, "container", "containers")} must set securityContext.runAsNonRoot=true");
            }
        }

        if (nonRoot.Count > 0)
        {
            Add("runAsNonRoot != true", string.Join("; ", nonRoot));
        }

        var runAsUser = new List<string>();
        if (podSc?.Long("runAsUser") == 0)
        {
            runAsUser.Add("pod must not set runAsUser=0");
        }

        var rootContainers = containers.Where(c => c.Long("securityContext", "runAsUser") == 0).Select(c => c.Str("name")).ToList();
        if (rootContainers.Count > 0)
        {
            runAsUser.Add($"{Names(rootContainers, "container", "containers")} must not set runAsUser=0");
        }

        if (runAsUser.Count > 0 && minor >= 23)
        {
            Add("runAsUser=0", string.Join("; ", runAsUser));
        }

        if (!windows && minor >= 19)
        {
            var seccomp = new List<string>();
            var podType = podSc?.Str("seccompProfile", "type");
            var podOk = podType is "RuntimeDefault" or "Localhost";
            if (podType is not null && !podOk)
            {
                seccomp.Add($"pod must not set securityContext.seccompProfile.type to \"{podType}\"");
            }

            var badType = containers.Where(c => c.Str("securityContext", "seccompProfile", "type") is { } t && t is not ("RuntimeDefault" or "Localhost")).ToList();
            if (badType.Count > 0)
            {
                seccomp.Add($"{Names(badType.Select(c => c.Str("name")), "container", "containers")} must not set securityContext.seccompProfile.type to {string.Join(", ", badType.Select(c => $"\"{c.Str("securityContext", "seccompProfile", "type")}\"").Distinct())}");
            }

            if (!podOk)
            {
                var unset = containers.Where(c => c.Str("securityContext", "seccompProfile", "type") is null).Select(c => c.Str("name")).ToList();
                if (unset.Count > 0)
                {
                    seccomp.Add($"pod or {Names(unset, "container", "containers")} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"");
                }
            }

            if (seccomp.Count > 0)
            {
                Add("seccompProfile", string.Join("; ", seccomp));
            }
        }

        return result;
    }
}
