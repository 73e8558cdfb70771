using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// One Kubernetes object read from a manifest, a kubectl dump or the cluster, kept as JSON so every command can
/// read the fields it needs whatever the API version. <see cref="Source"/> says where it came from.
/// </summary>
public sealed class ManifestObject
{
    public ManifestObject(JsonObject body, string source, int line)
    {
        Body = body;
        Source = source;
        Line = line;
    }

    public JsonObject Body { get; }

    /// <summary>File path, "cluster" or "pipeline".</summary>
    public string Source { get; }

    /// <summary>1-based line of the document's first line in <see cref="Source"/>, 0 when not from a file.</summary>
    public int Line { get; }

    // Fields of the wrong type read as unset here (list items are not type-checked by kubectl); the checks that
    // need them report the type error.
    public string? ApiVersion => Text(Body["apiVersion"]);

    public string? Kind => Text(Body["kind"]);

    public string? Name => Text((Body["metadata"] as JsonObject)?["name"]);

    public string? Namespace => Text((Body["metadata"] as JsonObject)?["namespace"]);

    /// <summary>
    /// Keys written twice in the document this object was read from ("line 12: privileged"): kubectl used the last
    /// value, and so was this object read; a gate treats them as a failure.
    /// </summary>
    public IReadOnlyList<string> DuplicateKeys { get; internal set; } = Array.Empty<string>();

    /// <summary>"file:line" for files, else the source name.</summary>
    public string Location => Line > 0 ? $"{Source}:{Line}" : Source;

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    public override string ToString() => $"{Kind}/{(Namespace is null ? string.Empty : Namespace + "/")}{Name} ({Location})";
}
