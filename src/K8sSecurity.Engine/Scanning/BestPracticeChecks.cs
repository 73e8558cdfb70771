using System.Text.Json.Nodes;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// Checks beyond the Pod Security Standards (run with -Profile All): image hygiene, resources, service account
/// tokens, read-only root file systems, namespaces, secrets in environment variables and probes.
/// </summary>
public static class BestPracticeChecks
{
    private const string Category = "BestPractice";

    public static CheckDefinition ImageTag { get; } = Define("BP-IMAGE-TAG", "Image without tag or :latest", FindingSeverity.Medium,
        "Images without a tag or with :latest change under the workload: rollouts are not reproducible and rollbacks do not roll back.",
        "Use an explicit version tag (better: a digest) for every container image.");

    public static CheckDefinition ImageDigest { get; } = Define("BP-IMAGE-DIGEST", "Image not pinned by digest", FindingSeverity.Low,
        "A tag can be moved to other content; only a digest identifies exactly the image that was reviewed and scanned.",
        "Reference images as name:tag@sha256:<digest>.");

    public static CheckDefinition ImageRegistry { get; } = Define("BP-IMAGE-REGISTRY", "Image from a registry that is not allowed", FindingSeverity.High,
        "Images from registries outside the trusted list bypass the organisation's image scanning and signing.",
        "Pull images only from the allowed registries (-AllowedRegistry), mirroring public images there.");

    public static CheckDefinition ImagePullPolicy { get; } = Define("BP-IMAGE-PULL-POLICY", "imagePullPolicy not Always for a mutable tag", FindingSeverity.Low,
        "With a mutable tag and IfNotPresent/Never, nodes can run different images for the same tag.",
        "Pin the image by digest, or set imagePullPolicy: Always.");

    public static CheckDefinition ResourceRequests { get; } = Define("BP-RESOURCES-REQUESTS", "Missing CPU/memory requests", FindingSeverity.Medium,
        "Without requests the scheduler cannot place the pod sensibly and it is first to be evicted.",
        "Set resources.requests.cpu and resources.requests.memory on every container.");

    public static CheckDefinition ResourceLimits { get; } = Define("BP-RESOURCES-LIMITS", "Missing CPU/memory limits", FindingSeverity.Medium,
        "Without limits one container can starve its neighbours on the node (noisy neighbour, denial of service).",
        "Set resources.limits.cpu and resources.limits.memory on every container (or enforce them with a LimitRange).");

    public static CheckDefinition ServiceAccountToken { get; } = Define("BP-SA-TOKEN-AUTOMOUNT", "Service account token mounted automatically", FindingSeverity.Medium,
        "Most workloads never call the Kubernetes API, yet every container gets a token an attacker can use.",
        "Set spec.automountServiceAccountToken: false (and mount a projected token only where the API is needed).");

    public static CheckDefinition ReadOnlyRootFilesystem { get; } = Define("BP-READONLY-ROOTFS", "Writable root file system", FindingSeverity.Medium,
        "A writable root file system lets an attacker drop tools and persist changes inside the container.",
        "Set securityContext.readOnlyRootFilesystem: true and mount emptyDir volumes for the paths that must be writable.");

    public static CheckDefinition DefaultNamespace { get; } = Define("BP-DEFAULT-NAMESPACE", "Workload in the default namespace", FindingSeverity.Low,
        "The default namespace usually has no quotas, network policies or Pod Security labels of its own.",
        "Deploy workloads into a dedicated namespace.");

    public static CheckDefinition SecretEnvironment { get; } = Define("BP-SECRET-ENV", "Secrets exposed as environment variables", FindingSeverity.Medium,
        "Environment variables leak into logs, crash dumps and child processes.",
        "Mount secrets as files (secret volumes) instead of env valueFrom.secretKeyRef / envFrom.secretRef.");

    public static CheckDefinition Probes { get; } = Define("BP-PROBES", "Missing liveness/readiness probes", FindingSeverity.Low,
        "Without probes Kubernetes routes traffic to containers that are not ready and never restarts hung ones.",
        "Add livenessProbe and readinessProbe to every long-running container.");

    public static IReadOnlyList<CheckDefinition> Definitions { get; } = new[]
    {
        ImageTag, ImageDigest, ImageRegistry, ImagePullPolicy, ResourceRequests, ResourceLimits, ServiceAccountToken,
        ReadOnlyRootFilesystem, DefaultNamespace, SecretEnvironment, Probes,
    };

    /// <summary>Runs every applicable best-practice check; null violation = passed.</summary>
    public static void Evaluate(PodView pod, string kind, string? @namespace, IReadOnlyList<string> allowedRegistries, Action<CheckDefinition, CheckViolation?> onResult)
    {
        var images = pod.Containers
            .Select(c => (Container: c, Image: Json.Str(c.Body["image"])))
            .Where(x => !string.IsNullOrEmpty(x.Image))
            .Select(x => (x.Container, Reference: ImageReference.Parse(x.Image!)))
            .ToList();
        var runtime = pod.Containers.Where(c => c.Kind != ContainerKind.EphemeralContainer).ToList();

        onResult(ImageTag, Collect(images.Where(i => i.Reference.UsesLatest),
            i => $"{Describe(i.Container)} uses image \"{i.Reference.Original}\" without a version tag", i => i.Container.Path + ".image"));
        onResult(ImageDigest, Collect(images.Where(i => !i.Reference.PinnedByDigest),
            i => $"{Describe(i.Container)} image \"{i.Reference.Original}\" is not pinned by digest", i => i.Container.Path + ".image"));
        if (allowedRegistries.Count > 0)
        {
            onResult(ImageRegistry, Collect(images.Where(i => !allowedRegistries.Any(i.Reference.IsFrom)),
                i => $"{Describe(i.Container)} image \"{i.Reference.Original}\" comes from registry {i.Reference.Registry}, not from {string.Join(", ", allowedRegistries)}",
                i => i.Container.Path + ".image"));
        }

        onResult(ImagePullPolicy, Collect(
            images.Where(i => !i.Reference.PinnedByDigest && EffectivePullPolicy(i.Container, i.Reference) != "Always"),
            i => $"{Describe(i.Container)} pulls mutable image \"{i.Reference.Original}\" with imagePullPolicy {EffectivePullPolicy(i.Container, i.Reference)}",
            i => i.Container.Path + ".imagePullPolicy"));

        onResult(ResourceRequests, Collect(runtime.Where(c => MissingResources(c, "requests").Count > 0),
            c => $"{Describe(c)} has no {string.Join(" or ", MissingResources(c, "requests"))} request", c => c.Path + ".resources.requests"));
        onResult(ResourceLimits, Collect(runtime.Where(c => MissingResources(c, "limits").Count > 0),
            c => $"{Describe(c)} has no {string.Join(" or ", MissingResources(c, "limits"))} limit", c => c.Path + ".resources.limits"));

        onResult(ServiceAccountToken, Json.Bool(pod.Spec["automountServiceAccountToken"]) == false
            ? null
            : new CheckViolation("service account token mounted", "pod does not set automountServiceAccountToken=false", new[] { pod.SpecPath + ".automountServiceAccountToken" }));

        if (!pod.IsWindows)
        {
            // Windows containers cannot have a read-only root file system.
            onResult(ReadOnlyRootFilesystem, Collect(runtime.Where(c => !Json.IsTrue(c.SecurityContext?["readOnlyRootFilesystem"])),
                c => $"{Describe(c)} must set securityContext.readOnlyRootFilesystem=true", c => c.Path + ".securityContext.readOnlyRootFilesystem"));
        }

        onResult(DefaultNamespace, @namespace == "default"
            ? new CheckViolation("default namespace", $"{kind} runs in the default namespace", new[] { "metadata.namespace" })
            : null);

        onResult(SecretEnvironment, Collect(runtime.Where(c => SecretEnvironmentNames(c).Count > 0),
            c => $"{Describe(c)} reads secret {string.Join(", ", SecretEnvironmentNames(c).Select(n => $"\"{n}\""))} into environment variables",
            c => c.Path + ".env"));

        bool longRunning = kind is not ("Job" or "CronJob")
            && !(kind == "Pod" && Json.Str(pod.Spec["restartPolicy"]) is "Never" or "OnFailure");
        if (longRunning)
        {
            onResult(Probes, Collect(pod.Containers.Where(c => c.Kind == ContainerKind.Container && (c.Body["livenessProbe"] is null || c.Body["readinessProbe"] is null)),
                c => $"{Describe(c)} has no {string.Join(" or ", new[] { "livenessProbe", "readinessProbe" }.Where(p => c.Body[p] is null))}",
                c => c.Path));
        }
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

    private static CheckViolation? Collect<T>(IEnumerable<T> offenders, Func<T, string> describe, Func<T, string> field)
    {
        var list = offenders.ToList();
        if (list.Count == 0)
        {
            return null;
        }

        return new CheckViolation(string.Join("; ", list.Select(describe)), string.Empty, list.Select(field).Distinct().ToArray());
    }

    private static string Describe(ContainerView c) => c.Kind switch
    {
        ContainerKind.InitContainer => $"init container \"{c.Name}\"",
        ContainerKind.EphemeralContainer => $"ephemeral container \"{c.Name}\"",
        _ => $"container \"{c.Name}\"",
    };

    private static string EffectivePullPolicy(ContainerView c, ImageReference image) =>
        Json.Str(c.Body["imagePullPolicy"]) ?? (image.UsesLatest ? "Always" : "IfNotPresent");

    private static List<string> MissingResources(ContainerView c, string section)
    {
        var values = Json.Obj(c.Body["resources"], section);
        var missing = new List<string>(2);
        if (values?["cpu"] is null)
        {
            missing.Add("cpu");
        }

        if (values?["memory"] is null)
        {
            missing.Add("memory");
        }

        return missing;
    }

    private static List<string> SecretEnvironmentNames(ContainerView c)
    {
        var names = new List<string>();
        if (c.Body["env"] is JsonArray env)
        {
            foreach (var item in env.OfType<JsonObject>())
            {
                if (Json.Obj(Json.Obj(item, "valueFrom"), "secretKeyRef") is { } secret)
                {
                    names.Add(Json.Str(secret["name"]) ?? string.Empty);
                }
            }
        }

        if (c.Body["envFrom"] is JsonArray envFrom)
        {
            foreach (var item in envFrom.OfType<JsonObject>())
            {
                if (Json.Obj(item, "secretRef") is { } secret)
                {
                    names.Add(Json.Str(secret["name"]) ?? string.Empty);
                }
            }
        }

        return names.Distinct(StringComparer.Ordinal).ToList();
    }
}
