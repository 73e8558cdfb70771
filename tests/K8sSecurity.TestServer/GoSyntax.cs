using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>
/// Go's %#v rendering of the values kube-apiserver quotes in field errors ("Invalid value: v1.LabelSelector{…}",
/// "rbac.RoleRef{…}", the internal core.PodTemplateSpec of a Job, golden 87/90/104). Pointers print as addresses,
/// as in Go; the golden comparison treats those as generated.
/// </summary>
public static class GoSyntax
{
    public static string Quote(string s)
    {
        var sb = new StringBuilder("\"");
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\t' => "\\t",
                '\r' => "\\r",
                < ' ' => $"\\x{(int)c:x2}",
                _ => c.ToString(),
            });
        }

        return sb.Append('"').ToString();
    }

    /// <summary>[]string{"a", "b"}.</summary>
    public static string StringSlice(IEnumerable<string>? values, string type = "[]string") =>
        values is null ? $"{type}(nil)" : $"{type}{{{string.Join(", ", values.Select(Quote))}}}";

    /// <summary>map[string]string{"a":"b", "c":"d"} with sorted keys (Go sorts map keys when printing).</summary>
    public static string StringMap(JsonNode? map, string type = "map[string]string")
    {
        if (map is not JsonObject o)
        {
            return $"{type}(nil)";
        }

        var entries = o.StringMap().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{Quote(kv.Key)}:{Quote(kv.Value)}");
        return $"{type}{{{string.Join(", ", entries)}}}";
    }

    public static string LabelSelector(JsonNode? selector)
    {
        var expressions = selector?["matchExpressions"] is JsonArray a
            ? "[]v1.LabelSelectorRequirement{" + string.Join(", ", a.OfType<JsonObject>().Select(e =>
                $"v1.LabelSelectorRequirement{{Key:{Quote(e.Str("key") ?? "")}, Operator:{Quote(e.Str("operator") ?? "")}, Values:{StringSlice(e["values"] is JsonArray ? e.Strings("values") : null)}}}")) + "}"
            : "[]v1.LabelSelectorRequirement(nil)";
        return $"v1.LabelSelector{{MatchLabels:{StringMap(selector?["matchLabels"])}, MatchExpressions:{expressions}}}";
    }

    public static string RoleRef(JsonNode? roleRef) =>
        $"rbac.RoleRef{{APIGroup:{Quote(roleRef.Str("apiGroup") ?? "")}, Kind:{Quote(roleRef.Str("kind") ?? "")}, Name:{Quote(roleRef.Str("name") ?? "")}}}";

    /// <summary>The internal core.PodTemplateSpec (its ObjectMeta and core.PodSpec with every field, in declaration order).</summary>
    public static string PodTemplateSpec(JsonNode? template)
    {
        var md = template?["metadata"];
        var spec = template?["spec"] as JsonObject ?? [];
        var meta = "v1.ObjectMeta{" + string.Join(", ",
            $"Name:{Quote(md.Str("name") ?? "")}",
            $"GenerateName:{Quote(md.Str("generateName") ?? "")}",
            $"Namespace:{Quote(md.Str("namespace") ?? "")}",
            "SelfLink:\"\"",
            "UID:\"\"",
            "ResourceVersion:\"\"",
            "Generation:0",
            "CreationTimestamp:time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)",
            "DeletionTimestamp:<nil>",
            "DeletionGracePeriodSeconds:(*int64)(nil)",
            $"Labels:{StringMap(md?["labels"])}",
            $"Annotations:{StringMap(md?["annotations"])}",
            "OwnerReferences:[]v1.OwnerReference(nil)",
            "Finalizers:[]string(nil)",
            "ManagedFields:[]v1.ManagedFieldsEntry(nil)") + "}";
        var hostSecurity = spec.Bool("hostNetwork") is not null || spec.Bool("hostPID") is not null || spec.Bool("hostIPC") is not null;
        var podSpec = "core.PodSpec{" + string.Join(", ",
            $"Volumes:{Slice(spec["volumes"], "core.Volume", null)}",
            $"InitContainers:{Slice(spec["initContainers"], "core.Container", Container)}",
            $"Containers:{Slice(spec["containers"], "core.Container", Container)}",
            $"EphemeralContainers:{Slice(spec["ephemeralContainers"], "core.EphemeralContainer", null)}",
            $"RestartPolicy:{Quote(spec.Str("restartPolicy") ?? "")}",
            $"TerminationGracePeriodSeconds:{Pointer(spec["terminationGracePeriodSeconds"], "int64")}",
            $"ActiveDeadlineSeconds:{Pointer(spec["activeDeadlineSeconds"], "int64")}",
            $"DNSPolicy:{Quote(spec.Str("dnsPolicy") ?? "")}",
            $"NodeSelector:{StringMap(spec["nodeSelector"])}",
            $"ServiceAccountName:{Quote(spec.Str("serviceAccountName") ?? spec.Str("serviceAccount") ?? "")}",
            $"AutomountServiceAccountToken:{Pointer(spec["automountServiceAccountToken"], "bool")}",
            $"NodeName:{Quote(spec.Str("nodeName") ?? "")}",
            $"SecurityContext:{Pointer(spec["securityContext"] ?? (hostSecurity ? new JsonObject() : null), "core.PodSecurityContext")}",
            $"ImagePullSecrets:{Slice(spec["imagePullSecrets"], "core.LocalObjectReference", o => $"core.LocalObjectReference{{Name:{Quote(o.Str("name") ?? "")}}}")}",
            $"Hostname:{Quote(spec.Str("hostname") ?? "")}",
            $"Subdomain:{Quote(spec.Str("subdomain") ?? "")}",
            $"SetHostnameAsFQDN:{Pointer(spec["setHostnameAsFQDN"], "bool")}",
            $"Affinity:{Pointer(spec["affinity"], "core.Affinity")}",
            $"SchedulerName:{Quote(spec.Str("schedulerName") ?? "")}",
            $"Tolerations:{Slice(spec["tolerations"], "core.Toleration", null)}",
            $"HostAliases:{Slice(spec["hostAliases"], "core.HostAlias", null)}",
            $"PriorityClassName:{Quote(spec.Str("priorityClassName") ?? "")}",
            $"Priority:{Pointer(spec["priority"], "int32")}",
            $"PreemptionPolicy:{Pointer(spec["preemptionPolicy"], "core.PreemptionPolicy")}",
            $"DNSConfig:{Pointer(spec["dnsConfig"], "core.PodDNSConfig")}",
            $"ReadinessGates:{Slice(spec["readinessGates"], "core.PodReadinessGate", null)}",
            $"RuntimeClassName:{Pointer(spec["runtimeClassName"], "string")}",
            $"Overhead:{ResourceList(spec["overhead"])}",
            $"EnableServiceLinks:{Pointer(spec["enableServiceLinks"], "bool")}",
            $"TopologySpreadConstraints:{Slice(spec["topologySpreadConstraints"], "core.TopologySpreadConstraint", null)}",
            $"OS:{Pointer(spec["os"], "core.PodOS")}",
            $"SchedulingGates:{Slice(spec["schedulingGates"], "core.PodSchedulingGate", null)}",
            $"ResourceClaims:{Slice(spec["resourceClaims"], "core.PodResourceClaim", null)}",
            $"Resources:{Pointer(spec["resources"], "core.ResourceRequirements")}") + "}";
        return $"core.PodTemplateSpec{{ObjectMeta:{meta}, Spec:{podSpec}}}";
    }

    private static string Container(JsonObject c) => "core.Container{" + string.Join(", ",
        $"Name:{Quote(c.Str("name") ?? "")}",
        $"Image:{Quote(c.Str("image") ?? "")}",
        $"Command:{StringSlice(c["command"] is JsonArray ? c.Strings("command") : null)}",
        $"Args:{StringSlice(c["args"] is JsonArray ? c.Strings("args") : null)}",
        $"WorkingDir:{Quote(c.Str("workingDir") ?? "")}",
        $"Ports:{Slice(c["ports"], "core.ContainerPort", p => $"core.ContainerPort{{Name:{Quote(p.Str("name") ?? "")}, HostPort:{p.Long("hostPort") ?? 0}, ContainerPort:{p.Long("containerPort") ?? 0}, Protocol:{Quote(p.Str("protocol") ?? "")}, HostIP:{Quote(p.Str("hostIP") ?? "")}}}")}",
        $"EnvFrom:{Slice(c["envFrom"], "core.EnvFromSource", null)}",
        $"Env:{Slice(c["env"], "core.EnvVar", e => $"core.EnvVar{{Name:{Quote(e.Str("name") ?? "")}, Value:{Quote(e.Str("value") ?? "")}, ValueFrom:{Pointer(e["valueFrom"], "core.EnvVarSource")}}}")}",
        $"Resources:core.ResourceRequirements{{Limits:{ResourceList(c.At("resources", "limits"))}, Requests:{ResourceList(c.At("resources", "requests"))}, Claims:{Slice(c.At("resources", "claims"), "core.ResourceClaim", null)}}}",
        $"ResizePolicy:{Slice(c["resizePolicy"], "core.ContainerResizePolicy", null)}",
        $"RestartPolicy:{Pointer(c["restartPolicy"], "core.ContainerRestartPolicy")}",
        $"VolumeMounts:{Slice(c["volumeMounts"], "core.VolumeMount", null)}",
        $"VolumeDevices:{Slice(c["volumeDevices"], "core.VolumeDevice", null)}",
        $"LivenessProbe:{Pointer(c["livenessProbe"], "core.Probe")}",
        $"ReadinessProbe:{Pointer(c["readinessProbe"], "core.Probe")}",
        $"StartupProbe:{Pointer(c["startupProbe"], "core.Probe")}",
        $"Lifecycle:{Pointer(c["lifecycle"], "core.Lifecycle")}",
        $"TerminationMessagePath:{Quote(c.Str("terminationMessagePath") ?? "")}",
        $"TerminationMessagePolicy:{Quote(c.Str("terminationMessagePolicy") ?? "")}",
        $"ImagePullPolicy:{Quote(c.Str("imagePullPolicy") ?? "")}",
        $"SecurityContext:{Pointer(c["securityContext"], "core.SecurityContext")}",
        $"Stdin:{Bool(c, "stdin")}",
        $"StdinOnce:{Bool(c, "stdinOnce")}",
        $"TTY:{Bool(c, "tty")}") + "}";

    private static string Bool(JsonObject o, string key) => (o.Bool(key) ?? false) ? "true" : "false";

    /// <summary>Non-nil pointers print as their address, like %#v does below the top level.</summary>
    private static string Pointer(JsonNode? value, string type) =>
        value is null ? $"(*{type})(nil)" : $"(*{type})(0xc{RandomNumberGenerator.GetInt32(0x10000000, int.MaxValue).ToString("x", CultureInfo.InvariantCulture)}0)";

    private static string ResourceList(JsonNode? map) =>
        map is JsonObject o && o.Count > 0
            ? "core.ResourceList{" + string.Join(", ", o.StringMap().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{Quote(kv.Key)}:resource.MustParse({Quote(kv.Value)})")) + "}"
            : "core.ResourceList(nil)";

    private static string Slice(JsonNode? value, string element, Func<JsonObject, string>? render)
    {
        if (value is not JsonArray a)
        {
            return $"[]{element}(nil)";
        }

        return $"[]{element}{{" + string.Join(", ", a.OfType<JsonObject>().Select(o => render is null ? $"{element}{{…}}" : render(o))) + "}";
    }
}
