using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Scanning;

/// <summary>Where a container sits in the pod spec; the order is the admission plugin's visiting order.</summary>
public enum ContainerKind
{
    InitContainer,
    Container,
    EphemeralContainer,
}

/// <summary>One container of a pod spec, with the field path prefix used in messages.</summary>
public sealed class ContainerView
{
    internal ContainerView(JsonObject body, ContainerKind kind, int index, string specPath)
    {
        Body = body;
        Kind = kind;
        Index = index;
        Name = Json.Str(body["name"]) ?? string.Empty;
        SecurityContext = body["securityContext"] as JsonObject;
        string list = kind switch
        {
            ContainerKind.InitContainer => "initContainers",
            ContainerKind.EphemeralContainer => "ephemeralContainers",
            _ => "containers",
        };
        Path = $"{specPath}.{list}[{index}]";
    }

    public JsonObject Body { get; }

    public ContainerKind Kind { get; }

    public int Index { get; }

    public string Name { get; }

    /// <summary>e.g. "spec.template.spec.containers[0]".</summary>
    public string Path { get; }

    public JsonObject? SecurityContext { get; }
}

/// <summary>
/// Read-only view of a pod template (metadata + spec) taken from any workload kind, with the JSON lookups the
/// checks need. Mirrors the Go types' nil semantics: an absent or null field is "unset".
/// </summary>
public sealed class PodView
{
    private static readonly JsonObject Empty = new();

    public PodView(JsonObject? metadata, JsonObject? spec, string specPath)
    {
        Metadata = metadata ?? Empty;
        Spec = spec ?? Empty;
        SpecPath = specPath;
        SecurityContext = Spec["securityContext"] as JsonObject;
        Annotations = Metadata["annotations"] as JsonObject;
        var containers = new List<ContainerView>();
        AddContainers(containers, "initContainers", ContainerKind.InitContainer);
        AddContainers(containers, "containers", ContainerKind.Container);
        AddContainers(containers, "ephemeralContainers", ContainerKind.EphemeralContainer);
        Containers = containers;
    }

    public JsonObject Metadata { get; }

    public JsonObject Spec { get; }

    /// <summary>Path of the pod spec inside the object, e.g. "spec" or "spec.jobTemplate.spec.template.spec".</summary>
    public string SpecPath { get; }

    /// <summary>Pod-level securityContext, null when unset.</summary>
    public JsonObject? SecurityContext { get; }

    public JsonObject? Annotations { get; }

    /// <summary>Init containers, containers, ephemeral containers, in that order (visitContainers order).</summary>
    public IReadOnlyList<ContainerView> Containers { get; }

    /// <summary>spec.os.name == "windows".</summary>
    public bool IsWindows => Json.Str((Spec["os"] as JsonObject)?["name"]) == "windows";

    /// <summary>spec.hostUsers explicitly false: the pod runs in a user namespace (KEP-127).</summary>
    public bool InUserNamespace => Spec["hostUsers"] is JsonValue v && v.TryGetValue<bool>(out bool hostUsers) && !hostUsers;

    public IEnumerable<JsonObject> Volumes => (Spec["volumes"] as JsonArray)?.OfType<JsonObject>() ?? Enumerable.Empty<JsonObject>();

    public string? Annotation(string key) => Annotations is null ? null : Json.Str(Annotations[key]);

    private void AddContainers(List<ContainerView> target, string field, ContainerKind kind)
    {
        if (Spec[field] is not JsonArray array)
        {
            return;
        }

        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject container)
            {
                target.Add(new ContainerView(container, kind, i, SpecPath));
            }
        }
    }
}

/// <summary>Lenient JSON reads: wrong types read as unset, like a decoder that would have rejected them.</summary>
internal static class Json
{
    public static string? Str(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out string? s) ? s : null;

    public static bool? Bool(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<bool>(out bool b))
        {
            return b;
        }

        return null;
    }

    public static bool IsTrue(JsonNode? node) => Bool(node) == true;

    public static long? Long(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out long l))
        {
            return l;
        }

        if (value.TryGetValue<int>(out int i))
        {
            return i;
        }

        if (value.TryGetValue<double>(out double d) && d == Math.Floor(d))
        {
            return (long)d;
        }

        return null;
    }

    public static JsonObject? Obj(JsonNode? node, string key) => (node as JsonObject)?[key] as JsonObject;

    public static IEnumerable<string> Strings(JsonNode? node) =>
        node is JsonArray array ? array.Select(Str).Where(s => s is not null).Select(s => s!) : Enumerable.Empty<string>();
}
