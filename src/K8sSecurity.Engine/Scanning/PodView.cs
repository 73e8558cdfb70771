using System.Globalization;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Scanning;

/// <summary>Where a container sits in the pod spec; the order is the admission plugin's visiting order.</summary>
public enum ContainerKind
{
    InitContainer,
    Container,
    EphemeralContainer,
}

/// <summary>
/// One container of a pod spec, with the field path prefix used in messages. The fields the checks read are
/// taken in one pass over the container and its securityContext, so no check repeats a JSON lookup.
/// </summary>
public sealed class ContainerView
{
    internal ContainerView(JsonObject body, ContainerKind kind, int index, string specPath)
    {
        Body = body;
        Kind = kind;
        Index = index;
        this.specPath = specPath;
        foreach (var (key, value) in body)
        {
            switch (key)
            {
                case "name": Name = Json.Str(value) ?? string.Empty; break;
                case "image": Image = Json.Str(value); break;
                case "imagePullPolicy": ImagePullPolicy = Json.Str(value); break;
                case "securityContext": SecurityContext = value as JsonObject; break;
                case "ports": Ports = value as JsonArray; break;
                case "livenessProbe": LivenessProbe = value as JsonObject; break;
                case "readinessProbe": ReadinessProbe = value as JsonObject; break;
                case "startupProbe": StartupProbe = value as JsonObject; break;
                case "lifecycle": Lifecycle = value as JsonObject; break;
                case "resources": Resources = value as JsonObject; break;
                case "env": Env = value as JsonArray; break;
                case "envFrom": EnvFrom = value as JsonArray; break;
            }
        }

        if (SecurityContext is null)
        {
            return;
        }

        foreach (var (key, value) in SecurityContext)
        {
            switch (key)
            {
                case "privileged": Privileged = Json.Bool(value); break;
                case "allowPrivilegeEscalation": AllowPrivilegeEscalation = Json.Bool(value); break;
                case "runAsNonRoot": RunAsNonRoot = Json.Bool(value); break;
                case "runAsUser": RunAsUser = Json.Long(value); break;
                case "runAsGroup": RunAsGroup = Json.Long(value); break;
                case "readOnlyRootFilesystem": ReadOnlyRootFilesystem = Json.Bool(value); break;
                case "capabilities": Capabilities = value as JsonObject; break;
                case "appArmorProfile": AppArmorProfile = value as JsonObject; break;
                case "seLinuxOptions": SELinuxOptions = value as JsonObject; break;
                case "seccompProfile": SeccompProfile = value as JsonObject; break;
                case "windowsOptions": WindowsOptions = value as JsonObject; break;
                case "procMount": ProcMount = value; break;
            }
        }

        if (Capabilities is null)
        {
            return;
        }

        foreach (var (key, value) in Capabilities)
        {
            switch (key)
            {
                case "add": CapabilitiesAdd = value; break;
                case "drop": CapabilitiesDrop = value; break;
            }
        }
    }

    private readonly string specPath;
    private string? path;
    private string? description;

    public JsonObject Body { get; }

    public ContainerKind Kind { get; }

    public int Index { get; }

    public string Name { get; } = string.Empty;

    /// <summary>e.g. "spec.template.spec.containers[0]" (built only when a message needs it).</summary>
    public string Path => path ??= CommonPaths.TryGetValue(specPath, out var paths) && Index < CachedIndexes
        ? paths[(int)Kind][Index]
        : BuildPath(specPath, Kind, Index);

    /// <summary>How messages name the container: container "app", init container "migrate", ephemeral container "debug".</summary>
    internal string Description => description ??= string.Concat(Kind switch
    {
        ContainerKind.InitContainer => "init container \"",
        ContainerKind.EphemeralContainer => "ephemeral container \"",
        _ => "container \"",
    }, Name, "\"");

    // The paths of the first containers under each workload kind's pod spec, built once instead of per pod.
    private const int CachedIndexes = 8;

    private static readonly Dictionary<string, string[][]> CommonPaths = new[] { "spec", "spec.template.spec", "spec.jobTemplate.spec.template.spec", "template.spec" }
        .ToDictionary(
            spec => spec,
            spec => Enum.GetValues<ContainerKind>().Select(kind => Enumerable.Range(0, CachedIndexes).Select(i => BuildPath(spec, kind, i)).ToArray()).ToArray(),
            StringComparer.Ordinal);

    private static string BuildPath(string specPath, ContainerKind kind, int index) => string.Create(CultureInfo.InvariantCulture, $"{specPath}.{kind switch
    {
        ContainerKind.InitContainer => "initContainers",
        ContainerKind.EphemeralContainer => "ephemeralContainers",
        _ => "containers",
    }}[{index}]");

    public string? Image { get; }

    public string? ImagePullPolicy { get; }

    public JsonArray? Ports { get; }

    public JsonObject? LivenessProbe { get; }

    public JsonObject? ReadinessProbe { get; }

    public JsonObject? StartupProbe { get; }

    public JsonObject? Lifecycle { get; }

    public JsonObject? Resources { get; }

    public JsonArray? Env { get; }

    public JsonArray? EnvFrom { get; }

    public JsonObject? SecurityContext { get; }

    // securityContext fields; null = unset (or of a type the API would have rejected).
    public bool? Privileged { get; }

    public bool? AllowPrivilegeEscalation { get; }

    public bool? RunAsNonRoot { get; }

    public long? RunAsUser { get; }

    public long? RunAsGroup { get; }

    public bool? ReadOnlyRootFilesystem { get; }

    public JsonObject? Capabilities { get; }

    /// <summary>securityContext.capabilities.add as written (any JSON type), null when unset.</summary>
    public JsonNode? CapabilitiesAdd { get; }

    /// <summary>securityContext.capabilities.drop as written (any JSON type), null when unset.</summary>
    public JsonNode? CapabilitiesDrop { get; }

    public JsonObject? AppArmorProfile { get; }

    public JsonObject? SELinuxOptions { get; }

    public JsonObject? SeccompProfile { get; }

    public JsonObject? WindowsOptions { get; }

    /// <summary>securityContext.procMount as written (any JSON type), null when unset.</summary>
    public JsonNode? ProcMount { get; }
}

/// <summary>
/// Read-only view of a pod template (metadata + spec) taken from any workload kind, with the fields the checks
/// need read once. Mirrors the Go types' nil semantics: an absent or null field is "unset".
/// </summary>
public sealed class PodView
{
    private static readonly JsonObject Empty = new();

    public PodView(JsonObject? metadata, JsonObject? spec, string specPath)
    {
        Metadata = metadata ?? Empty;
        Spec = spec ?? Empty;
        SpecPath = specPath;
        Annotations = Metadata["annotations"] as JsonObject;
        JsonArray? init = null, regular = null, ephemeral = null;
        foreach (var (key, value) in Spec)
        {
            switch (key)
            {
                case "securityContext": SecurityContext = value as JsonObject; break;
                case "initContainers": init = value as JsonArray; break;
                case "containers": regular = value as JsonArray; break;
                case "ephemeralContainers": ephemeral = value as JsonArray; break;
                case "volumes": VolumeList = value as JsonArray; break;
                case "hostNetwork": HostNetwork = Json.IsTrue(value); break;
                case "hostPID": HostPID = Json.IsTrue(value); break;
                case "hostIPC": HostIPC = Json.IsTrue(value); break;
                case "hostUsers": InUserNamespace = Json.Bool(value) == false; break;
                case "os": IsWindows = Json.Str((value as JsonObject)?["name"]) == "windows"; break;
                case "automountServiceAccountToken": AutomountServiceAccountToken = Json.Bool(value); break;
                case "restartPolicy": RestartPolicy = Json.Str(value); break;
            }
        }

        var containers = new ContainerView[(init?.Count ?? 0) + (regular?.Count ?? 0) + (ephemeral?.Count ?? 0)];
        int count = AddContainers(containers, 0, init, ContainerKind.InitContainer);
        count = AddContainers(containers, count, regular, ContainerKind.Container);
        count = AddContainers(containers, count, ephemeral, ContainerKind.EphemeralContainer);
        ContainerArray = count == containers.Length ? containers : containers[..count]; // entries that are not objects are skipped

        if (SecurityContext is null)
        {
            return;
        }

        foreach (var (key, value) in SecurityContext)
        {
            switch (key)
            {
                case "runAsNonRoot": RunAsNonRoot = Json.Bool(value); break;
                case "runAsUser": RunAsUser = Json.Long(value); break;
                case "runAsGroup": RunAsGroup = Json.Long(value); break;
                case "appArmorProfile": AppArmorProfile = value as JsonObject; break;
                case "seLinuxOptions": SELinuxOptions = value as JsonObject; break;
                case "seccompProfile": SeccompProfile = value as JsonObject; break;
                case "windowsOptions": WindowsOptions = value as JsonObject; break;
                case "sysctls": Sysctls = value as JsonArray; break;
            }
        }
    }

    public JsonObject Metadata { get; }

    public JsonObject Spec { get; }

    /// <summary>Path of the pod spec inside the object, e.g. "spec" or "spec.jobTemplate.spec.template.spec".</summary>
    public string SpecPath { get; }

    /// <summary>Pod-level securityContext, null when unset.</summary>
    public JsonObject? SecurityContext { get; }

    public JsonObject? Annotations { get; }

    /// <summary>Init containers, containers, ephemeral containers, in that order (visitContainers order).</summary>
    public IReadOnlyList<ContainerView> Containers => ContainerArray;

    /// <summary>The same containers as an array, so the checks' loops allocate no enumerator.</summary>
    internal ContainerView[] ContainerArray { get; }

    /// <summary>spec.os.name == "windows".</summary>
    public bool IsWindows { get; }

    /// <summary>spec.hostUsers explicitly false: the pod runs in a user namespace (KEP-127).</summary>
    public bool InUserNamespace { get; }

    public bool HostNetwork { get; }

    public bool HostPID { get; }

    public bool HostIPC { get; }

    /// <summary>spec.volumes, null when unset.</summary>
    public JsonArray? VolumeList { get; }

    // Pod securityContext fields; null = unset.
    public bool? RunAsNonRoot { get; }

    public long? RunAsUser { get; }

    public JsonObject? AppArmorProfile { get; }

    public JsonObject? SELinuxOptions { get; }

    public JsonObject? SeccompProfile { get; }

    public JsonObject? WindowsOptions { get; }

    public JsonArray? Sysctls { get; }

    public long? RunAsGroup { get; }

    /// <summary>spec.automountServiceAccountToken; null when unset (or not a boolean).</summary>
    public bool? AutomountServiceAccountToken { get; }

    public string? RestartPolicy { get; }

    public string? Annotation(string key) => Annotations is null ? null : Json.Str(Annotations[key]);

    private int AddContainers(ContainerView[] target, int count, JsonArray? array, ContainerKind kind)
    {
        if (array is null)
        {
            return count;
        }

        for (int i = 0; i < array.Count; i++)
        {
            if (array[i] is JsonObject container)
            {
                target[count++] = new ContainerView(container, kind, i, SpecPath);
            }
        }

        return count;
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
}
