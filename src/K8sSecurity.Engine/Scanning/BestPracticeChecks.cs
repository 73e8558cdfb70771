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
        var containers = pod.ContainerArray;

        // One parse per image, shared by the four image checks (Original null = no image).
        var images = new ImageParts[containers.Length];
        for (int i = 0; i < containers.Length; i++)
        {
            if (!string.IsNullOrEmpty(containers[i].Image))
            {
                images[i] = ImageParts.Parse(containers[i].Image!);
            }
        }

        // One message buffer per thread, reused from pod to pod.
        var found = ViolationBuilder.Rent();
        try
        {
            Evaluate(pod, kind, @namespace, allowedRegistries, onResult, containers, images, found);
        }
        finally
        {
            ViolationBuilder.Return(found);
        }
    }

    private static void Evaluate(
        PodView pod, string kind, string? @namespace, IReadOnlyList<string> allowedRegistries, Action<CheckDefinition, CheckViolation?> onResult,
        ContainerView[] containers, ImageParts[] images, ViolationBuilder found)
    {
        for (int i = 0; i < containers.Length; i++)
        {
            if (images[i] is { Original: not null, UsesLatest: true } image)
            {
                found.Add(containers[i], ".image").Append(" uses image \"").Append(image.Original).Append("\" without a version tag");
            }
        }

        onResult(ImageTag, found.Take());
        for (int i = 0; i < containers.Length; i++)
        {
            if (images[i] is { Original: not null, PinnedByDigest: false } image)
            {
                found.Add(containers[i], ".image").Append(" image \"").Append(image.Original).Append("\" is not pinned by digest");
            }
        }

        onResult(ImageDigest, found.Take());
        if (allowedRegistries.Count > 0)
        {
            for (int i = 0; i < containers.Length; i++)
            {
                if (images[i] is { Original: not null } image && !IsFromAny(image, allowedRegistries))
                {
                    found.Add(containers[i], ".image").Append(" image \"").Append(image.Original).Append("\" comes from registry ").Append(image.Registry)
                        .Append(", not from ");
                    for (int r = 0; r < allowedRegistries.Count; r++)
                    {
                        found.Append(r == 0 ? string.Empty : ", ").Append(allowedRegistries[r]);
                    }
                }
            }

            onResult(ImageRegistry, found.Take());
        }

        for (int i = 0; i < containers.Length; i++)
        {
            if (images[i] is { Original: not null, PinnedByDigest: false } image && EffectivePullPolicy(containers[i], image) is not "Always")
            {
                found.Add(containers[i], ".imagePullPolicy").Append(" pulls mutable image \"").Append(image.Original).Append("\" with imagePullPolicy ")
                    .Append(EffectivePullPolicy(containers[i], image));
            }
        }

        onResult(ImagePullPolicy, found.Take());
        onResult(ResourceRequests, MissingResources(containers, found, "requests", ".resources.requests", " request"));
        onResult(ResourceLimits, MissingResources(containers, found, "limits", ".resources.limits", " limit"));

        onResult(ServiceAccountToken, pod.AutomountServiceAccountToken == false
            ? null
            : new CheckViolation("service account token mounted", "pod does not set automountServiceAccountToken=false", AutomountField(pod.SpecPath)));

        if (!pod.IsWindows)
        {
            // Windows containers cannot have a read-only root file system.
            foreach (var c in containers)
            {
                if (c.Kind != ContainerKind.EphemeralContainer && c.ReadOnlyRootFilesystem != true)
                {
                    found.Add(c, ".securityContext.readOnlyRootFilesystem").Append(" must set securityContext.readOnlyRootFilesystem=true");
                }
            }

            onResult(ReadOnlyRootFilesystem, found.Take());
        }

        onResult(DefaultNamespace, @namespace == "default"
            ? new CheckViolation("default namespace", $"{kind} runs in the default namespace", new[] { "metadata.namespace" })
            : null);

        foreach (var c in containers)
        {
            if (c.Kind != ContainerKind.EphemeralContainer && (c.Env is not null || c.EnvFrom is not null) && SecretEnvironmentNames(c) is { } names)
            {
                var text = found.Add(c, ".env").Append(" reads secret ");
                for (int n = 0; n < names.Count; n++)
                {
                    text.Append(n == 0 ? "\"" : ", \"").Append(names[n]).Append('"');
                }

                text.Append(" into environment variables");
            }
        }

        onResult(SecretEnvironment, found.Take());

        bool longRunning = kind is not ("Job" or "CronJob")
            && !(kind == "Pod" && pod.RestartPolicy is "Never" or "OnFailure");
        if (longRunning)
        {
            foreach (var c in containers)
            {
                // A probe of the wrong JSON type still counts as set, as before the API server would reject it.
                bool noLiveness = c.LivenessProbe is null && c.Body["livenessProbe"] is null;
                bool noReadiness = c.ReadinessProbe is null && c.Body["readinessProbe"] is null;
                if (c.Kind == ContainerKind.Container && (noLiveness || noReadiness))
                {
                    found.Add(c, string.Empty).Append(" has no ").Append(
                        noLiveness && noReadiness ? "livenessProbe or readinessProbe" : noLiveness ? "livenessProbe" : "readinessProbe");
                }
            }

            onResult(Probes, found.Take());
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

    // The spec paths of the workload kinds are few: their field lists are built once, not per pod.
    private static readonly Dictionary<string, string[]> AutomountFields = new[] { "spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec", "template.spec" }
        .ToDictionary(path => path, path => new[] { path + ".automountServiceAccountToken" }, StringComparer.Ordinal);

    private static IReadOnlyList<string> AutomountField(string specPath) =>
        AutomountFields.TryGetValue(specPath, out var fields) ? fields : new[] { specPath + ".automountServiceAccountToken" };

    private static string EffectivePullPolicy(ContainerView c, in ImageParts image) =>
        c.ImagePullPolicy ?? (image.UsesLatest ? "Always" : "IfNotPresent");

    private static bool IsFromAny(in ImageParts image, IReadOnlyList<string> allowedRegistries)
    {
        for (int i = 0; i < allowedRegistries.Count; i++)
        {
            if (image.IsFrom(allowedRegistries[i]))
            {
                return true;
            }
        }

        return false;
    }

    private static CheckViolation? MissingResources(ContainerView[] containers, ViolationBuilder found, string section, string fieldSuffix, string noun)
    {
        foreach (var c in containers)
        {
            if (c.Kind == ContainerKind.EphemeralContainer)
            {
                continue;
            }

            var values = Json.Obj(c.Resources, section);
            bool cpu = values?["cpu"] is not null, memory = values?["memory"] is not null;
            if (!cpu || !memory)
            {
                found.Add(c, fieldSuffix).Append(" has no ").Append(!cpu && !memory ? "cpu or memory" : !cpu ? "cpu" : "memory").Append(noun);
            }
        }

        return found.Take();
    }

    /// <summary>Secrets a container reads into environment variables (distinct, in order); null when none.</summary>
    private static List<string>? SecretEnvironmentNames(ContainerView c)
    {
        List<string>? names = null;
        void Add(string name)
        {
            names ??= new List<string>(2);
            if (!names.Contains(name, StringComparer.Ordinal))
            {
                names.Add(name);
            }
        }

        if (c.Env is { } env)
        {
            for (int i = 0; i < env.Count; i++)
            {
                if (Json.Obj(Json.Obj(env[i], "valueFrom"), "secretKeyRef") is { } secret)
                {
                    Add(Json.Str(secret["name"]) ?? string.Empty);
                }
            }
        }

        if (c.EnvFrom is { } envFrom)
        {
            for (int i = 0; i < envFrom.Count; i++)
            {
                if (Json.Obj(envFrom[i], "secretRef") is { } secret)
                {
                    Add(Json.Str(secret["name"]) ?? string.Empty);
                }
            }
        }

        return names;
    }
}
