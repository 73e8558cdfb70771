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

    public string? ApiVersion => Body["apiVersion"]?.GetValue<string>();

    public string? Kind => Body["kind"]?.GetValue<string>();

    public string? Name => (Body["metadata"] as JsonObject)?["name"]?.GetValue<string>();

    public string? Namespace => (Body["metadata"] as JsonObject)?["namespace"]?.GetValue<string>();

    /// <summary>"file:line" for files, else the source name.</summary>
    public string Location => Line > 0 ? $"{Source}:{Line}" : Source;

    public override string ToString() => $"{Kind}/{(Namespace is null ? string.Empty : Namespace + "/")}{Name} ({Location})";
}
