using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// The part of the PodSecurity admission plugin that answers a namespace label change (also with dryRun): when the
/// pod-security.kubernetes.io/enforce level (or version) changes, the existing pods of the namespace are checked
/// against the new level and violations come back as Warning headers, shaped like the real apiserver's
/// (shared/k8s-api-golden/64-namespace-label-dryrun-psa-preview.json):
///   existing pods in namespace "ns" violate the new PodSecurity enforce level "restricted:latest"
///   nginx (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile
/// Only a documented subset of the Pod Security Standards is checked here (the module relays the server's warnings
/// and evaluates nothing itself): privileged, host namespaces, hostPath volumes, capabilities,
/// allowPrivilegeEscalation, runAsNonRoot, seccompProfile. Reasons are listed in check-ID order like upstream.
/// Not in the default chain: tests add it with <c>server.Context.AdmissionPlugins.Add(new PodSecurityNamespacePreview())</c>.
/// </summary>
public sealed class PodSecurityNamespacePreview : IAdmissionPlugin
{
    private const string EnforceLabel = "pod-security.kubernetes.io/enforce";
    private const string EnforceVersionLabel = "pod-security.kubernetes.io/enforce-version";

    // Capabilities the baseline level allows to be added (upstream capabilities_baseline).
    private static readonly HashSet<string> BaselineCapabilities = new(StringComparer.Ordinal)
    {
        "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
    };

    public string Name => "PodSecurity";

    public void Admit(AdmissionRequest request)
    {
        if (request.Type.Kind != "Namespace" || request.Operation != AdmissionOperation.Update || request.OldObject is null)
        {
            return;
        }

        string? level = request.Object.Str("metadata", "labels", EnforceLabel);
        string version = request.Object.Str("metadata", "labels", EnforceVersionLabel) ?? "latest";
        string? oldLevel = request.OldObject.Str("metadata", "labels", EnforceLabel);
        string oldVersion = request.OldObject.Str("metadata", "labels", EnforceVersionLabel) ?? "latest";
        if (level is null || (level == oldLevel && version == oldVersion))
        {
            return;
        }

        if (level is not ("privileged" or "baseline" or "restricted"))
        {
            request.Warnings.Add($"{EnforceLabel}: unknown level \"{level}\"");
            return;
        }

        if (level == "privileged")
        {
            return;
        }

        string ns = request.Object.Str("metadata", "name") ?? string.Empty;
        var groups = new List<(string Reasons, List<string> Pods)>();
        foreach (var pod in request.Store.ListRaw(ResourceCatalog.Pods, ns).OrderBy(p => p.Str("metadata", "name"), StringComparer.Ordinal))
        {
            var reasons = Violations(pod, restricted: level == "restricted");
            if (reasons.Count == 0)
            {
                continue;
            }

            string key = string.Join(", ", reasons);
            var group = groups.FirstOrDefault(g => g.Reasons == key);
            if (group.Pods is null)
            {
                groups.Add((key, new List<string> { pod.Str("metadata", "name") ?? string.Empty }));
            }
            else
            {
                group.Pods.Add(pod.Str("metadata", "name") ?? string.Empty);
            }
        }

        if (groups.Count == 0)
        {
            return;
        }

        // The apiserver's warning recorder drops duplicates (admission may run more than once per request).
        void Warn(string text)
        {
            if (!request.Warnings.Contains(text))
            {
                request.Warnings.Add(text);
            }
        }

        Warn($"existing pods in namespace \"{ns}\" violate the new PodSecurity enforce level \"{level}:{version}\"");
        foreach (var (reasons, pods) in groups)
        {
            int others = pods.Count - 1;
            string who = others == 0 ? pods[0] : $"{pods[0]} (and {others} other pod{(others == 1 ? string.Empty : "s")})";
            Warn($"{who}: {reasons}");
        }
    }

    /// <summary>Forbidden reasons of one pod, in upstream check-ID order.</summary>
    public static List<string> Violations(JsonObject pod, bool restricted)
    {
        var spec = pod["spec"] as JsonObject ?? new JsonObject();
        var containers = new[] { "initContainers", "containers", "ephemeralContainers" }
            .SelectMany(f => (spec[f] as JsonArray ?? new JsonArray()).OfType<JsonObject>()).ToList();
        JsonNode? Sc(JsonObject c, string field) => c["securityContext"]?[field];
        var podSc = spec["securityContext"] as JsonObject;
        var reasons = new List<string>();

        // allowPrivilegeEscalation (restricted)
        if (restricted && containers.Any(c => Sc(c, "allowPrivilegeEscalation") is not JsonValue v || !v.TryGetValue<bool>(out bool b) || b))
        {
            reasons.Add("allowPrivilegeEscalation != false");
        }

        // capabilities_baseline / capabilities_restricted
        var added = containers.SelectMany(c => (c["securityContext"]?["capabilities"]?["add"] as JsonArray ?? new JsonArray()).Select(a => a?.ToString() ?? string.Empty)).ToList();
        if (restricted)
        {
            bool dropsAll = containers.All(c => (c["securityContext"]?["capabilities"]?["drop"] as JsonArray ?? new JsonArray()).Any(d => d?.ToString() == "ALL"));
            if (!dropsAll || added.Any(a => a != "NET_BIND_SERVICE"))
            {
                reasons.Add("unrestricted capabilities");
            }
        }
        else if (added.Any(a => !BaselineCapabilities.Contains(a)))
        {
            reasons.Add("non-default capabilities");
        }

        // hostNamespaces
        if (new[] { "hostNetwork", "hostPID", "hostIPC" }.Any(f => spec[f] is JsonValue v && v.TryGetValue<bool>(out bool b) && b))
        {
            reasons.Add("host namespaces");
        }

        bool hostPath = (spec["volumes"] as JsonArray ?? new JsonArray()).OfType<JsonObject>().Any(v => v["hostPath"] is not null);

        // hostPathVolumes (baseline; restricted reports it as restricted volume types)
        if (!restricted && hostPath)
        {
            reasons.Add("hostPath volumes");
        }

        // privileged
        if (containers.Any(c => Sc(c, "privileged") is JsonValue v && v.TryGetValue<bool>(out bool b) && b))
        {
            reasons.Add("privileged");
        }

        // restrictedVolumes
        if (restricted && hostPath)
        {
            reasons.Add("restricted volume types");
        }

        // runAsNonRoot (restricted): every container must end up with runAsNonRoot=true
        if (restricted)
        {
            bool podNonRoot = podSc?["runAsNonRoot"] is JsonValue pv && pv.TryGetValue<bool>(out bool pb) && pb;
            bool ok = containers.All(c => Sc(c, "runAsNonRoot") is JsonValue v && v.TryGetValue<bool>(out bool b) ? b : podNonRoot);
            if (!ok)
            {
                reasons.Add("runAsNonRoot != true");
            }

            string? podProfile = podSc?["seccompProfile"]?["type"]?.ToString();
            bool seccompOk = containers.All(c =>
            {
                string? type = c["securityContext"]?["seccompProfile"]?["type"]?.ToString() ?? podProfile;
                return type is "RuntimeDefault" or "Localhost";
            });
            if (!seccompOk)
            {
                reasons.Add("seccompProfile");
            }
        }

        return reasons;
    }
}
