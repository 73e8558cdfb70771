using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// PodSecurity admission from the namespace labels pod-security.kubernetes.io/{enforce,warn}[-version]:
/// enforce rejects pods (403, golden 61), warn adds Warning headers (golden 63), workload templates get warnings
/// only, and changing a namespace's enforce label previews violations of existing pods (golden 64).
/// Each mode is evaluated at its "-version" label's policy version (v1.N, "latest" = v1.32, newer = latest); an invalid
/// level or version fails closed as restricted:latest, like PolicyToEvaluate.
/// </summary>
public sealed class PodSecurity : IAdmissionPlugin
{
    private const string Prefix = "pod-security.kubernetes.io/";

    public string Name => "PodSecurity";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete || r.Type.Group.Length > 0 && !IsWorkload(r.Type) || r.Subresource.Length > 0)
        {
            return;
        }

        if (r.Type.Kind == "Namespace")
        {
            PreviewNamespace(r);
            return;
        }

        var ns = r.Store.GetRaw(ResourceCatalog.Namespaces, null, r.Namespace);
        var labels = ns.StringMap("metadata", "labels");
        var (enforce, enforceVersion) = Level(labels, "enforce");
        var (warn, warnVersion) = Level(labels, "warn");
        if (r.Type.Kind == "Pod")
        {
            if (r.Operation != AdmissionOperation.Create)
            {
                return;
            }

            var spec = r.Object["spec"] as JsonObject ?? [];
            var md = r.Object["metadata"] as JsonObject;
            var denied = PodSecurityPolicyChecks.Evaluate(enforce, md, spec, Minor(enforceVersion));
            if (denied.Count > 0)
            {
                throw StatusResponses.AdmissionForbidden(r.Type, r.Name, $"violates PodSecurity \"{enforce}:{enforceVersion}\": {string.Join(", ", denied)}");
            }

            var warned = PodSecurityPolicyChecks.Evaluate(warn, md, spec, Minor(warnVersion));
            if (warned.Count > 0)
            {
                r.Warnings.Add($"would violate PodSecurity \"{warn}:{warnVersion}\": {string.Join(", ", warned)}");
            }

            return;
        }

        if (IsWorkload(r.Type) && Template(r.Object) is { } template)
        {
            var (level, version) = warn != "privileged" ? (warn, warnVersion) : (enforce, enforceVersion);
            var v = PodSecurityPolicyChecks.Evaluate(level, template["metadata"] as JsonObject, template["spec"] as JsonObject ?? [], Minor(version));
            if (v.Count > 0)
            {
                r.Warnings.Add($"would violate PodSecurity \"{level}:{version}\": {string.Join(", ", v)}");
            }
        }
    }

    private static bool IsWorkload(ResourceType t) =>
        t.Kind is "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" or "CronJob" or "ReplicationController" or "PodTemplate";

    private static JsonObject? Template(JsonObject o) => o.Str("kind") switch
    {
        "CronJob" => o.At("spec", "jobTemplate", "spec", "template") as JsonObject,
        "PodTemplate" => o["template"] as JsonObject,
        _ => o.At("spec", "template") as JsonObject,
    };

    public static (string Level, string Version) Level(IReadOnlyDictionary<string, string> labels, string mode)
    {
        var level = labels.TryGetValue(Prefix + mode, out var l) ? l : "privileged";
        var version = labels.TryGetValue(Prefix + mode + "-version", out var v) ? v : "latest";
        if (level is not ("baseline" or "restricted" or "privileged") || PodSecurityPolicyChecks.ParseVersion(version) is null)
        {
            return ("restricted", "latest");
        }

        return (level, version);
    }

    private static int Minor(string version) => PodSecurityPolicyChecks.ParseVersion(version) ?? PodSecurityPolicyChecks.LatestMinor;

    /// <summary>What `kubectl label ns … enforce=…` (dry-run or not) warns about existing pods.</summary>
    private static void PreviewNamespace(AdmissionRequest r)
    {
        if (r.Operation != AdmissionOperation.Update)
        {
            return;
        }

        var (newLevel, newVersion) = Level(r.Object.StringMap("metadata", "labels"), "enforce");
        var (oldLevel, oldVersion) = Level(r.OldObject.StringMap("metadata", "labels"), "enforce");
        if (newLevel == "privileged" || (newLevel == oldLevel && newVersion == oldVersion))
        {
            return;
        }

        var groups = new List<(string Reasons, List<string> Pods)>();
        foreach (var pod in r.Store.ListRaw(ResourceCatalog.Pods, r.Name))
        {
            var reasons = PodSecurityPolicyChecks.Violations(newLevel, pod["metadata"] as JsonObject, pod["spec"] as JsonObject ?? [], Minor(newVersion))
                .Select(v => v.Reason).ToList();
            if (reasons.Count == 0)
            {
                continue;
            }

            var key = string.Join(", ", reasons);
            var group = groups.FirstOrDefault(g => g.Reasons == key);
            if (group.Pods is null)
            {
                groups.Add((key, [pod.Str("metadata", "name")!]));
            }
            else
            {
                group.Pods.Add(pod.Str("metadata", "name")!);
            }
        }

        if (groups.Count == 0)
        {
            return;
        }

        r.Warnings.Add($"existing pods in namespace \"{r.Name}\" violate the new PodSecurity enforce level \"{newLevel}:{newVersion}\"");
        foreach (var (reasons, pods) in groups)
        {
            var others = pods.Count - 1;
            var who = others == 0 ? pods[0] : $"{pods[0]} (and {others} other {(others == 1 ? "pod" : "pods")})";
            r.Warnings.Add($"{who}: {reasons}");
        }
    }
}
