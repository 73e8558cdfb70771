using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Scanning;

/// <summary>What a scan evaluates and how.</summary>
public sealed class ScanOptions
{
    public PodSecurityLevel Level { get; init; } = PodSecurityLevel.Restricted;

    public PssVersion Version { get; init; } = PssVersion.Latest;

    public ScanProfile Profile { get; init; } = ScanProfile.All;

    /// <summary>Registries (host, host/path prefix or wildcard) images may come from; empty = not checked.</summary>
    public IReadOnlyList<string> AllowedRegistries { get; init; } = Array.Empty<string>();

    /// <summary>Check ids (or PSS check names) to skip; * and ? wildcards.</summary>
    public IReadOnlyList<string> ExcludeChecks { get; init; } = Array.Empty<string>();

    /// <summary>Validates the patterns before any scan starts.</summary>
    public void Validate()
    {
        foreach (string pattern in ExcludeChecks)
        {
            if (string.IsNullOrWhiteSpace(pattern))
            {
                throw K8sOperationException.InvalidArgument("ExcludeCheck", pattern, "a check id must not be empty.");
            }

            if (!WorkloadScanner.AllDefinitions.Any(d => Glob.IsMatch(pattern, d.Id) || (d.PssCheckId is not null && Glob.IsMatch(pattern, d.PssCheckId))))
            {
                throw K8sOperationException.InvalidArgument("ExcludeCheck", pattern,
                    "no check has this id; run Get-Help Test-K8sPodSecurity -Parameter ExcludeCheck for the list (e.g. PSS-RESTRICTED-RUNASNONROOT, BP-IMAGE-DIGEST).");
            }
        }

        foreach (string registry in AllowedRegistries)
        {
            if (string.IsNullOrWhiteSpace(registry) || registry.Contains(' ', StringComparison.Ordinal))
            {
                throw K8sOperationException.InvalidArgument("AllowedRegistry", registry, "expected a registry host, host/path prefix or wildcard such as *.azurecr.io.");
            }
        }
    }
}

/// <summary>
/// Finds the pod template of each workload (Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob,
/// ReplicationController, PodTemplate) and evaluates it. Stateless per object, so callers can stream.
/// </summary>
public sealed class WorkloadScanner
{
    /// <summary>Annotation listing check ids to ignore on a workload or its pod template ("*" = all).</summary>
    public const string IgnoreAnnotation = "k8ssecurity.io/ignore";

    /// <summary>Annotation with the reason for <see cref="IgnoreAnnotation"/>, shown in Skipped results.</summary>
    public const string IgnoreReasonAnnotation = "k8ssecurity.io/ignore-reason";

    /// <summary>Kinds that own pods or pod-owning objects; their children are reported through them.</summary>
    public static IReadOnlyCollection<string> ControllerKinds { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController",
    };

    public static IReadOnlyList<string> WorkloadKinds { get; } = new[]
    {
        "Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicationController", "PodTemplate",
    };

    public static IReadOnlyList<CheckDefinition> AllDefinitions { get; } = PodSecurityStandards.Definitions.Concat(BestPracticeChecks.Definitions).Concat(HardeningChecks.Definitions).ToArray();

    private readonly ScanOptions options;
    private readonly string versionText;
    private readonly int checkCapacity; // the most results one object can get: PSS checks of the level/version + best practices

    public WorkloadScanner(ScanOptions options)
    {
        options.Validate();
        this.options = options;
        versionText = options.Version.ToString();
        checkCapacity = options.Profile switch
        {
            ScanProfile.Hardening => HardeningChecks.Definitions.Count,
            ScanProfile.All => PodSecurityStandards.ChecksFor(options.Level, options.Version).Count + BestPracticeChecks.Definitions.Count + HardeningChecks.Definitions.Count,
            _ => PodSecurityStandards.ChecksFor(options.Level, options.Version).Count,
        };
    }

    public ScanOptions Options => options;

    /// <summary>True for the kinds this scanner evaluates.</summary>
    public static bool IsWorkload(string? kind) => kind is not null && WorkloadKinds.Contains(kind, StringComparer.Ordinal);

    /// <summary>Extracts the pod template (metadata, spec, spec path) of a workload object; false for other kinds.</summary>
    public static bool TryGetPodTemplate(JsonObject body, out PodView pod)
    {
        string? kind = Json.Str(body["kind"]);
        pod = null!;
        JsonObject? template;
        string path;
        switch (kind)
        {
            case "Pod":
                pod = new PodView(body["metadata"] as JsonObject, body["spec"] as JsonObject, "spec");
                return true;
            case "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "Job" or "ReplicationController":
                template = Json.Obj(body["spec"], "template");
                path = "spec.template.spec";
                break;
            case "CronJob":
                template = Json.Obj(Json.Obj(Json.Obj(body["spec"], "jobTemplate"), "spec"), "template");
                path = "spec.jobTemplate.spec.template.spec";
                break;
            case "PodTemplate":
                template = body["template"] as JsonObject;
                path = "template.spec";
                break;
            default:
                return false;
        }

        pod = new PodView(template?["metadata"] as JsonObject, template?["spec"] as JsonObject, path);
        return true;
    }

    /// <summary>The controller owner reference (kind, name) of an object, if any.</summary>
    public static (string Kind, string Name)? ControllerOf(JsonObject body)
    {
        if (Json.Obj(body, "metadata")?["ownerReferences"] is not JsonArray owners)
        {
            return null;
        }

        foreach (var owner in owners.OfType<JsonObject>())
        {
            if (Json.IsTrue(owner["controller"]) && Json.Str(owner["kind"]) is { } kind && Json.Str(owner["name"]) is { } name)
            {
                return (kind, name);
            }
        }

        return null;
    }

    /// <summary>
    /// Scans a batch (one file, one pipeline text, one cluster listing): objects whose controller is in the
    /// batch are skipped so each workload is reported once, through its controller.
    /// </summary>
    public IEnumerable<WorkloadScanResult> ScanBatch(IReadOnlyList<ManifestObject> batch, Action<string>? onSkip = null)
    {
        foreach (var (item, owner) in ControllersInBatch(batch))
        {
            if (owner is not null)
            {
                onSkip?.Invoke($"{item.Kind}/{item.Name} ({item.Location}) is reported through its controller {owner.Value.Kind}/{owner.Value.Name}.");
                continue;
            }

            if (Scan(item) is { } result)
            {
                yield return result;
            }
        }
    }

    /// <summary>
    /// Each object of a batch with the controller (kind, name) it is reported through when that controller is in the
    /// batch too, so each workload is reported once; null for the objects to scan themselves.
    /// </summary>
    public IEnumerable<(ManifestObject Item, (string Kind, string Name)? ReportedThrough)> ControllersInBatch(IReadOnlyList<ManifestObject> batch)
    {
        var present = new HashSet<string>(
            batch.Where(o => o.Kind is not null && ControllerKinds.Contains(o.Kind)).Select(o => Key(o.Kind!, o.Namespace, o.Name)),
            StringComparer.Ordinal);
        foreach (var item in batch)
        {
            var owner = ControllerOf(item.Body);
            bool throughController = owner is { } o && ControllerKinds.Contains(o.Kind) && present.Contains(Key(o.Kind, item.Namespace, o.Name));
            yield return (item, throughController ? owner : null);
        }
    }

    /// <summary>Scans one object; null when it is not a workload kind.</summary>
    public WorkloadScanResult? Scan(ManifestObject item)
    {
        if (!TryGetPodTemplate(item.Body, out var pod))
        {
            return null;
        }

        if (PodShape.Problem(item.Body, item.Kind!) is { } shape)
        {
            // The API server refuses this object when it decodes it: an error, never a verdict (gates fail closed).
            throw new K8sOperationException(K8sErrorKind.Invalid,
                $"Cannot read '{item.Source}'{(item.Line > 0 ? $" at line {item.Line}" : string.Empty)}: {item.Kind}/{item.Name}: {shape}; the API server would refuse it.", item.Location);
        }

        // Read once per object: Namespace and Location are computed (JSON lookup, string formatting) on every access.
        string kind = item.Kind!;
        string name = item.Name ?? string.Empty;
        string? itemNamespace = item.Namespace;
        string location = item.Location;
        string? file = item.Line > 0 && item.Source != "pipeline" ? item.Source : null;
        int? line = item.Line > 0 ? item.Line : null;
        var ignore = IgnoredChecks(item.Body, pod);
        var outcomes = new CheckOutcome[checkCapacity];
        int count = 0;
        // Most objects have nothing to skip: their recorder does not look for skip reasons at all (measurably cheaper).
        var record = ignore is null && options.ExcludeChecks.Count == 0
            ? (check, violation) => outcomes[count++] = new CheckOutcome(check, violation, null)
            : new Action<CheckDefinition, CheckViolation?>((check, violation) => outcomes[count++] = new CheckOutcome(check, violation, SkipReason(check, ignore)));

        if (options.Profile != ScanProfile.Hardening)
        {
            PodSecurityStandards.Evaluate(pod, options.Level, options.Version, record);
        }

        if (options.Profile == ScanProfile.All)
        {
            BestPracticeChecks.Evaluate(pod, kind, itemNamespace, options.AllowedRegistries, record);
        }

        if (options.Profile is ScanProfile.All or ScanProfile.Hardening)
        {
            HardeningChecks.Evaluate(pod, record);
        }

        return new WorkloadScanResult(count == outcomes.Length ? outcomes : outcomes[..count])
        {
            Kind = kind,
            Namespace = itemNamespace,
            Name = name,
            ApiVersion = item.ApiVersion,
            Source = location,
            File = file,
            Line = line,
            Level = options.Level,
            Version = versionText,
            Profile = options.Profile,
            DuplicateKeys = item.DuplicateKeys,
        };
    }

    private static string Key(string kind, string? ns, string? name) => $"{kind}/{ns}/{name}";

    private string? SkipReason(CheckDefinition check, IgnoreList? ignore)
    {
        var excluded = options.ExcludeChecks;
        for (int i = 0; i < excluded.Count; i++)
        {
            string pattern = excluded[i];
            if (Glob.IsMatch(pattern, check.Id) || (check.PssCheckId is not null && Glob.IsMatch(pattern, check.PssCheckId)))
            {
                return $"Excluded by -ExcludeCheck {pattern}";
            }
        }

        if (ignore is not null && ignore.Patterns.Any(p => Glob.IsMatch(p, check.Id) || (check.PssCheckId is not null && Glob.IsMatch(p, check.PssCheckId))))
        {
            return $"Ignored by annotation {IgnoreAnnotation} on {ignore.Where}" + (ignore.Reason is null ? " (no reason given)" : $": {ignore.Reason}");
        }

        return null;
    }

    private static bool HasIgnoreAnnotation(JsonObject? metadata) =>
        Json.Str((metadata?["annotations"] as JsonObject)?[IgnoreAnnotation]) is { Length: > 0 };

    private sealed record IgnoreList(IReadOnlyList<string> Patterns, string Where, string? Reason);

    private static IgnoreList? IgnoredChecks(JsonObject body, PodView pod)
    {
        // Most objects carry no ignore annotation: answer without allocating.
        if (!HasIgnoreAnnotation(Json.Obj(body, "metadata")) && !HasIgnoreAnnotation(pod.Metadata))
        {
            return null;
        }

        var patterns = new List<string>();
        string? where = null;
        string? reason = null;
        foreach (var (metadata, label) in new[] { (Json.Obj(body, "metadata"), "the workload"), (pod.Metadata, "the pod template") })
        {
            var annotations = metadata?["annotations"] as JsonObject;
            if (Json.Str(annotations?[IgnoreAnnotation]) is not { Length: > 0 } value)
            {
                continue;
            }

            patterns.AddRange(value.Split(new[] { ',', ' ', ';', '\n' }, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            where ??= label;
            reason ??= Json.Str(annotations?[IgnoreReasonAnnotation]);
            if (ReferenceEquals(metadata, pod.Metadata))
            {
                break; // a Pod's own metadata is both
            }
        }

        return patterns.Count == 0 ? null : new IgnoreList(patterns, where!, reason);
    }
}
