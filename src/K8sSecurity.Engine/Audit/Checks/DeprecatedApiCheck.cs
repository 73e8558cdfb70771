using System.Text.Json;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Objects written with an apiVersion the target Kubernetes version no longer serves (kube-score stable-version,
/// Pluto): a manifest that `kubectl apply` would refuse after the upgrade. The target is -TargetVersion or -KubernetesVersion, else the
/// server's version, else the newest the module knows. Offline every object of the input is checked, whatever its
/// kind; on a live cluster (which answers in the version asked for) the apiVersion kubectl last applied is checked.
/// </summary>
public sealed class DeprecatedApiCheck : IAuditCheck
{
    public const string LastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration";

    /// <summary>The newest Kubernetes minor the removal table is known to be complete for.</summary>
    public const int NewestKnownMinor = 36;

    public AuditCategory Category => AuditCategory.DeprecatedApis;

    // Every kind the audit lists: on a live cluster their last-applied annotations are what is checked.
    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = Enum.GetValues<AuditKind>();

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        int target = TargetMinor(context);
        var seen = new HashSet<(string, string, string?, string)>();
        var findings = new List<AuditFinding>();
        int evaluated = 0;

        void Judge(ManifestApiVersion item, string how)
        {
            if (context.Options.IsExcluded(item.Namespace) || !seen.Add((item.ApiVersion, item.Kind, item.Namespace, item.Name)))
            {
                return;
            }

            evaluated++;
            if (DeprecatedApis.Find(item.ApiVersion, item.Kind) is not { } entry || entry.DeprecatedIn > target)
            {
                return;
            }

            string who = item.Namespace is null ? $"{item.Kind} '{item.Name}'" : $"{item.Kind} '{item.Namespace}/{item.Name}'";
            string? successor = entry.ReplacementAt(target);
            string replacement = successor is null ? "no replacement (the API was removed without successor)" : $"use {successor}";
            bool removed = entry.RemovedIn <= target;
            var evidence = new Dictionary<string, string>
            {
                ["apiVersion"] = item.ApiVersion,
                ["deprecatedIn"] = $"v1.{entry.DeprecatedIn}",
                ["removedIn"] = $"v1.{entry.RemovedIn}",
                ["targetVersion"] = $"v1.{target}",
            };
            findings.Add(context.Finding(AuditCategory.DeprecatedApis,
                removed ? "API-REMOVED" : "API-DEPRECATED",
                removed ? FindingSeverity.High : FindingSeverity.Low,
                removed ? "apiVersion removed in the target Kubernetes version" : "apiVersion deprecated in the target Kubernetes version",
                item.Kind, item.Name, item.Namespace,
                removed
                    ? $"{who} {how} {item.ApiVersion}, which Kubernetes stopped serving in v1.{entry.RemovedIn}: v1.{target} refuses it; {replacement}."
                    : $"{who} {how} {item.ApiVersion}, deprecated since v1.{entry.DeprecatedIn} and removed in v1.{entry.RemovedIn}; {replacement}.",
                successor is null
                    ? $"Remove the {item.Kind} objects and their manifests before upgrading to v1.{entry.RemovedIn}."
                    : $"Change apiVersion to {successor} (check the field changes in the Kubernetes deprecated API migration guide) and re-apply.",
                evidence,
                item.Source));
        }

        foreach (var item in context.Inventory.ApiVersions)
        {
            Judge(item, "is written with");
        }

        cancellationToken.ThrowIfCancellationRequested();
        foreach (var kind in context.Inventory.Kinds)
        {
            foreach (var obj in context.Inventory.Of(kind))
            {
                if (LastAppliedApiVersion(obj.Body) is { } applied && obj.Kind is { } objKind)
                {
                    Judge(new ManifestApiVersion(applied, objKind, obj.Name ?? string.Empty, obj.Namespace, obj.Line > 0 ? obj.Location : null), "was last applied with");
                }
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }

    /// <summary>The minor version checked against: -TargetVersion, -KubernetesVersion, the server's, else the newest known.</summary>
    public static int TargetMinor(AuditContext context) =>
        ParseMinor(context.Options.TargetVersion) ?? ParseMinor(context.Options.KubernetesVersion) ?? ParseMinor(context.Inventory.ServerVersion) ?? NewestKnownMinor;

    private static int? ParseMinor(string? version) => DefaultRbacPolicy.TryParseMinor(version, out int minor) ? minor : null;

    private static string? LastAppliedApiVersion(JsonObject body)
    {
        if (body.Str("metadata", "annotations", LastAppliedAnnotation) is not { Length: > 0 } text)
        {
            return null;
        }

        try
        {
            return (JsonNode.Parse(text) as JsonObject).Str("apiVersion");
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One served apiVersion of a kind that Kubernetes deprecated and removed.</summary>
public sealed record DeprecatedApi(string ApiVersion, string Kind, int DeprecatedIn, int RemovedIn, string? Replacement)
{
    /// <summary>
    /// Successors served before <see cref="Replacement"/> was (newest first, with the minor that first served each): the
    /// guide sends flowcontrol v1beta1 to v1beta3 ("available since v1.26"), as v1 is only served from v1.29.
    /// </summary>
    public IReadOnlyList<(int ServedFrom, string ApiVersion)> EarlierReplacements { get; init; } = Array.Empty<(int, string)>();

    /// <summary>The minor that first served <see cref="Replacement"/>; 0 when it was served before this API was deprecated.</summary>
    public int ReplacementServedFrom { get; init; }

    /// <summary>The successor a cluster at <paramref name="targetMinor"/> serves: the final one once it is served, else the
    /// newest earlier one that is, else the final one.</summary>
    public string? ReplacementAt(int targetMinor)
    {
        if (Replacement is null || targetMinor >= ReplacementServedFrom)
        {
            return Replacement;
        }

        foreach (var (servedFrom, apiVersion) in EarlierReplacements)
        {
            if (targetMinor >= servedFrom)
            {
                return apiVersion;
            }
        }

        return Replacement;
    }
}

/// <summary>
/// The removals of the upstream Deprecated API Migration Guide (kubernetes.io/docs/reference/using-api/deprecation-guide),
/// v1.16 to v1.32; no further removal is scheduled up to v1.36. Deprecation releases as the guide and the release
/// notes give them.
/// </summary>
public static class DeprecatedApis
{
    public static IReadOnlyList<DeprecatedApi> All { get; } = Build();

    public static DeprecatedApi? Find(string apiVersion, string kind) =>
        All.FirstOrDefault(a => string.Equals(a.ApiVersion, apiVersion, StringComparison.Ordinal) && string.Equals(a.Kind, kind, StringComparison.Ordinal));

    private static DeprecatedApi[] Build()
    {
        var list = new List<DeprecatedApi>();
        void Add(int deprecated, int removed, string? replacement, string apiVersion, params string[] kinds) =>
            list.AddRange(kinds.Select(k => new DeprecatedApi(apiVersion, k, deprecated, removed, replacement)));

        // The replacement was first served after this API's deprecation: name what a cluster of the target version serves.
        void AddLate(int deprecated, int removed, (int ServedFrom, string ApiVersion) replacement, (int, string)[] earlier, string apiVersion, params string[] kinds) =>
            list.AddRange(kinds.Select(k => new DeprecatedApi(apiVersion, k, deprecated, removed, replacement.ApiVersion)
            {
                ReplacementServedFrom = replacement.ServedFrom,
                EarlierReplacements = earlier,
            }));

        (int, string) flowcontrolV1 = (29, "flowcontrol.apiserver.k8s.io/v1");
        (int, string) flowcontrolV1beta3 = (26, "flowcontrol.apiserver.k8s.io/v1beta3");
        (int, string) flowcontrolV1beta2 = (23, "flowcontrol.apiserver.k8s.io/v1beta2");

        // v1.16
        Add(9, 16, "networking.k8s.io/v1", "extensions/v1beta1", "NetworkPolicy");
        Add(10, 16, "policy/v1beta1", "extensions/v1beta1", "PodSecurityPolicy");
        Add(9, 16, "apps/v1", "extensions/v1beta1", "DaemonSet", "Deployment", "ReplicaSet");
        Add(9, 16, "apps/v1", "apps/v1beta2", "DaemonSet", "Deployment", "ReplicaSet", "StatefulSet");
        Add(9, 16, "apps/v1", "apps/v1beta1", "Deployment", "ReplicaSet", "StatefulSet");

        // v1.22
        Add(16, 22, "admissionregistration.k8s.io/v1", "admissionregistration.k8s.io/v1beta1", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration");
        Add(16, 22, "apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1", "CustomResourceDefinition");
        Add(19, 22, "apiregistration.k8s.io/v1", "apiregistration.k8s.io/v1beta1", "APIService");
        Add(19, 22, "authentication.k8s.io/v1", "authentication.k8s.io/v1beta1", "TokenReview");
        Add(19, 22, "authorization.k8s.io/v1", "authorization.k8s.io/v1beta1", "SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview");
        Add(19, 22, "certificates.k8s.io/v1", "certificates.k8s.io/v1beta1", "CertificateSigningRequest");
        Add(19, 22, "coordination.k8s.io/v1", "coordination.k8s.io/v1beta1", "Lease");
        AddLate(14, 22, (19, "networking.k8s.io/v1"), [(14, "networking.k8s.io/v1beta1")], "extensions/v1beta1", "Ingress");
        Add(19, 22, "networking.k8s.io/v1", "networking.k8s.io/v1beta1", "Ingress", "IngressClass");
        Add(17, 22, "rbac.authorization.k8s.io/v1", "rbac.authorization.k8s.io/v1beta1", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding");
        Add(14, 22, "scheduling.k8s.io/v1", "scheduling.k8s.io/v1beta1", "PriorityClass");
        Add(19, 22, "storage.k8s.io/v1", "storage.k8s.io/v1beta1", "CSIDriver", "CSINode", "StorageClass", "VolumeAttachment");

        // v1.25
        Add(21, 25, "batch/v1", "batch/v1beta1", "CronJob");
        Add(21, 25, "discovery.k8s.io/v1", "discovery.k8s.io/v1beta1", "EndpointSlice");
        Add(19, 25, "events.k8s.io/v1", "events.k8s.io/v1beta1", "Event");
        Add(23, 25, "autoscaling/v2", "autoscaling/v2beta1", "HorizontalPodAutoscaler");
        Add(21, 25, "policy/v1", "policy/v1beta1", "PodDisruptionBudget");
        Add(21, 25, null, "policy/v1beta1", "PodSecurityPolicy");
        Add(20, 25, "node.k8s.io/v1", "node.k8s.io/v1beta1", "RuntimeClass");

        // v1.26
        AddLate(23, 26, flowcontrolV1, [flowcontrolV1beta3, flowcontrolV1beta2], "flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "PriorityLevelConfiguration");
        Add(23, 26, "autoscaling/v2", "autoscaling/v2beta2", "HorizontalPodAutoscaler");

        // v1.27
        Add(24, 27, "storage.k8s.io/v1", "storage.k8s.io/v1beta1", "CSIStorageCapacity");

        // v1.29
        AddLate(26, 29, flowcontrolV1, [flowcontrolV1beta3], "flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "PriorityLevelConfiguration");

        // v1.32
        Add(29, 32, "flowcontrol.apiserver.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "PriorityLevelConfiguration");
        return list.ToArray();
    }
}
