using System.Text.Json.Nodes;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Workloads evaluated against the Pod Security Standards (Baseline, or Baseline + Restricted) the way Pod
/// Security admission would. Controllers are evaluated on their pod template; pods owned by a controller are
/// skipped so a Deployment with 30 replicas is one finding, not 31.
/// </summary>
public sealed class WorkloadPodSecurityCheck : IAuditCheck
{
    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
        "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    private static readonly HashSet<string> SafeSysctls = new(StringComparer.Ordinal)
    {
        "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
    };

    private static readonly HashSet<string> SelinuxTypes = new(StringComparer.Ordinal)
    {
        string.Empty, "container_t", "container_init_t", "container_kvm_t", "container_engine_t",
    };

    private static readonly HashSet<string> RestrictedVolumeTypes = new(StringComparer.Ordinal)
    {
        "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret",
    };

    private static readonly string[] ControllerKinds = { "ReplicaSet", "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController" };

    public AuditCategory Category => AuditCategory.PodSecurity;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.Pod, AuditKind.Deployment, AuditKind.StatefulSet, AuditKind.DaemonSet, AuditKind.Job, AuditKind.CronJob };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        int evaluated = 0;
        bool restricted = context.Options.PodSecurityLevel == PodSecurityAuditLevel.Restricted;
        foreach (var kind in RequiredKinds)
        {
            foreach (var workload in context.Inventory.Of(kind))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (context.Options.IsExcluded(workload.Namespace) || IsOwnedByController(workload.Body))
                {
                    continue;
                }

                if (PodSpecOf(kind, workload.Body) is not { } spec)
                {
                    continue;
                }

                evaluated++;
                foreach (var violation in Evaluate(spec, restricted))
                {
                    findings.Add(context.Finding(workload, Category, violation.Id, violation.Severity, violation.Title,
                        $"{workload.Kind} '{workload.Namespace}/{workload.Name}' violates Pod Security {violation.Level}: {violation.Detail}.",
                        violation.Remediation,
                        new Dictionary<string, string> { ["level"] = violation.Level, ["fields"] = violation.Detail }));
                }
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }

    public static JsonObject? PodSpecOf(AuditKind kind, JsonObject body) => kind switch
    {
        AuditKind.Pod => body.At("spec") as JsonObject,
        AuditKind.CronJob => body.At("spec", "jobTemplate", "spec", "template", "spec") as JsonObject,
        _ => body.At("spec", "template", "spec") as JsonObject,
    };

    private static bool IsOwnedByController(JsonObject body) =>
        body.Objects("metadata", "ownerReferences").Any(o => o.Bool("controller") == true && ControllerKinds.Contains(o.Str("kind"), StringComparer.Ordinal));

    /// <summary>Checks one pod spec; one violation per check, listing every offending field.</summary>
    public static IEnumerable<PodSecurityViolation> Evaluate(JsonObject spec, bool restricted)
    {
        var containers = spec.Objects("containers").Concat(spec.Objects("initContainers")).Concat(spec.Objects("ephemeralContainers")).ToList();
        string NameOf(JsonObject c) => c.Str("name") ?? "?";

        var hostNamespaces = new[] { "hostNetwork", "hostPID", "hostIPC" }.Where(f => spec.Bool(f) == true).Select(f => $"spec.{f}=true").ToList();
        if (hostNamespaces.Count > 0)
        {
            yield return new("PSS-BASELINE-HOST-NAMESPACES", FindingSeverity.High, "Pod shares host namespaces", "baseline", string.Join(", ", hostNamespaces),
                "Remove hostNetwork, hostPID and hostIPC from the pod spec.");
        }

        var privileged = containers.Where(c => c.Bool("securityContext", "privileged") == true).Select(c => $"{NameOf(c)}: securityContext.privileged=true").ToList();
        if (privileged.Count > 0)
        {
            yield return new("PSS-BASELINE-PRIVILEGED", FindingSeverity.Critical, "Privileged container", "baseline", string.Join(", ", privileged),
                "Remove securityContext.privileged (or set it to false).");
        }

        var capabilities = containers.SelectMany(c => c.Strings("securityContext", "capabilities", "add")
            .Where(a => !BaselineCapabilities.Contains(a)).Select(a => $"{NameOf(c)}: capabilities.add {a}")).ToList();
        if (capabilities.Count > 0)
        {
            yield return new("PSS-BASELINE-CAPABILITIES", FindingSeverity.High, "Container adds dangerous capabilities", "baseline", string.Join(", ", capabilities),
                "Drop the added capabilities beyond the baseline set.");
        }

        var hostPaths = spec.Objects("volumes").Where(v => v["hostPath"] is not null).Select(v => $"volume {v.Str("name")}: hostPath {v.Str("hostPath", "path")}").ToList();
        if (hostPaths.Count > 0)
        {
            yield return new("PSS-BASELINE-HOSTPATH", FindingSeverity.High, "Pod mounts host paths", "baseline", string.Join(", ", hostPaths),
                "Replace hostPath volumes with emptyDir, configMap, secret or persistent volumes.");
        }

        var hostPorts = containers.SelectMany(c => c.Objects("ports").Where(p => (p.Long("hostPort") ?? 0) != 0).Select(p => $"{NameOf(c)}: hostPort {p.Long("hostPort")}")).ToList();
        if (hostPorts.Count > 0)
        {
            yield return new("PSS-BASELINE-HOST-PORTS", FindingSeverity.Medium, "Container binds host ports", "baseline", string.Join(", ", hostPorts),
                "Remove hostPort and expose the workload through a Service.");
        }

        var seLinux = new List<string>();
        foreach (var (owner, context) in SecurityContexts(spec, containers))
        {
            string type = context.Str("seLinuxOptions", "type") ?? string.Empty;
            if (!SelinuxTypes.Contains(type) || context.Str("seLinuxOptions", "user") is not null || context.Str("seLinuxOptions", "role") is not null)
            {
                seLinux.Add($"{owner}: seLinuxOptions");
            }
        }

        if (seLinux.Count > 0)
        {
            yield return new("PSS-BASELINE-SELINUX", FindingSeverity.Medium, "Custom SELinux options", "baseline", string.Join(", ", seLinux),
                "Remove seLinuxOptions.user/role and custom types.");
        }

        var procMount = containers.Where(c => c.Str("securityContext", "procMount") is { } m && m != "Default").Select(c => $"{NameOf(c)}: procMount {c.Str("securityContext", "procMount")}").ToList();
        if (procMount.Count > 0)
        {
            yield return new("PSS-BASELINE-PROC-MOUNT", FindingSeverity.Medium, "Unmasked /proc", "baseline", string.Join(", ", procMount), "Remove securityContext.procMount.");
        }

        var unconfined = SecurityContexts(spec, containers)
            .Where(x => x.Context.Str("seccompProfile", "type") == "Unconfined").Select(x => $"{x.Owner}: seccompProfile Unconfined")
            .Concat(SecurityContexts(spec, containers).Where(x => x.Context.Str("appArmorProfile", "type") == "Unconfined").Select(x => $"{x.Owner}: appArmorProfile Unconfined"))
            .ToList();
        if (unconfined.Count > 0)
        {
            yield return new("PSS-BASELINE-UNCONFINED", FindingSeverity.Medium, "Seccomp or AppArmor disabled", "baseline", string.Join(", ", unconfined),
                "Use seccompProfile RuntimeDefault and do not set Unconfined profiles.");
        }

        var sysctls = spec.Objects("securityContext", "sysctls").Select(s => s.Str("name") ?? string.Empty).Where(n => !SafeSysctls.Contains(n)).ToList();
        if (sysctls.Count > 0)
        {
            yield return new("PSS-BASELINE-SYSCTLS", FindingSeverity.Medium, "Unsafe sysctls", "baseline", "sysctls " + string.Join(", ", sysctls), "Remove the unsafe sysctls.");
        }

        if (SecurityContexts(spec, containers).Any(x => x.Context.Bool("windowsOptions", "hostProcess") == true))
        {
            yield return new("PSS-BASELINE-HOST-PROCESS", FindingSeverity.High, "Windows HostProcess container", "baseline", "windowsOptions.hostProcess=true",
                "Remove windowsOptions.hostProcess.");
        }

        if (!restricted)
        {
            yield break;
        }

        var volumes = spec.Objects("volumes").Select(v => (Name: v.Str("name"), Type: v.Select(p => p.Key).FirstOrDefault(k => k != "name")))
            .Where(v => v.Type is not null && !RestrictedVolumeTypes.Contains(v.Type) && v.Type != "hostPath")
            .Select(v => $"volume {v.Name}: {v.Type}").ToList();
        if (volumes.Count > 0)
        {
            yield return new("PSS-RESTRICTED-VOLUME-TYPES", FindingSeverity.Medium, "Volume type not allowed by restricted", "restricted", string.Join(", ", volumes),
                "Use only configMap, csi, downwardAPI, emptyDir, ephemeral, persistentVolumeClaim, projected or secret volumes.");
        }

        var escalation = containers.Where(c => c.Bool("securityContext", "allowPrivilegeEscalation") != false).Select(c => $"{NameOf(c)}: allowPrivilegeEscalation not false").ToList();
        if (escalation.Count > 0)
        {
            yield return new("PSS-RESTRICTED-PRIVILEGE-ESCALATION", FindingSeverity.Medium, "Privilege escalation allowed", "restricted", string.Join(", ", escalation),
                "Set securityContext.allowPrivilegeEscalation: false on every container.");
        }

        bool podNonRoot = spec.Bool("securityContext", "runAsNonRoot") == true;
        var root = containers.Where(c => c.Bool("securityContext", "runAsNonRoot") is { } own ? !own : !podNonRoot).Select(c => $"{NameOf(c)}: runAsNonRoot not true").ToList();
        root.AddRange(SecurityContexts(spec, containers).Where(x => x.Context.Long("runAsUser") == 0).Select(x => $"{x.Owner}: runAsUser=0"));
        if (root.Count > 0)
        {
            yield return new("PSS-RESTRICTED-RUN-AS-NON-ROOT", FindingSeverity.Medium, "Containers may run as root", "restricted", string.Join(", ", root),
                "Set securityContext.runAsNonRoot: true (pod or every container) and never runAsUser: 0.");
        }

        string? podSeccomp = spec.Str("securityContext", "seccompProfile", "type");
        var seccomp = containers.Where(c => (c.Str("securityContext", "seccompProfile", "type") ?? podSeccomp) is not ("RuntimeDefault" or "Localhost"))
            .Select(c => $"{NameOf(c)}: seccompProfile not RuntimeDefault/Localhost").ToList();
        if (seccomp.Count > 0)
        {
            yield return new("PSS-RESTRICTED-SECCOMP", FindingSeverity.Medium, "No seccomp profile", "restricted", string.Join(", ", seccomp),
                "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.");
        }

        var caps = containers.Where(c => !c.Strings("securityContext", "capabilities", "drop").Contains("ALL", StringComparer.Ordinal)
                || c.Strings("securityContext", "capabilities", "add").Any(a => a != "NET_BIND_SERVICE"))
            .Select(c => $"{NameOf(c)}: capabilities must drop ALL and add only NET_BIND_SERVICE").ToList();
        if (caps.Count > 0)
        {
            yield return new("PSS-RESTRICTED-CAPABILITIES", FindingSeverity.Medium, "Capabilities not dropped", "restricted", string.Join(", ", caps),
                "Set securityContext.capabilities.drop: [ALL] on every container.");
        }
    }

    private static IEnumerable<(string Owner, JsonObject Context)> SecurityContexts(JsonObject spec, IEnumerable<JsonObject> containers)
    {
        if (spec["securityContext"] is JsonObject pod)
        {
            yield return ("pod", pod);
        }

        foreach (var container in containers)
        {
            if (container["securityContext"] is JsonObject own)
            {
                yield return (container.Str("name") ?? "?", own);
            }
        }
    }
}

/// <summary>One failed Pod Security check on one pod spec.</summary>
public sealed record PodSecurityViolation(string Id, FindingSeverity Severity, string Title, string Level, string Detail, string Remediation);
