using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// One Kubernetes object read from a manifest, a kubectl dump or the cluster, kept as JSON so every command can
/// read the fields it needs whatever the API version. <see cref="Source"/> says where it came from.
/// </summary>
public sealed class ManifestObject
{
    private readonly JsonObject? body;

    // A compact object keeps its body as UTF-8 JSON and parses it again when the last parsed copy was collected.
    private readonly byte[]? json;
    private readonly WeakReference<JsonObject>? parsed;
    private readonly (string? ApiVersion, string? Kind, string? Name, string? Namespace) identity;

    public ManifestObject(JsonObject body, string source, int line)
    {
        this.body = body;
        Source = source;
        Line = line;
    }

    private ManifestObject(byte[] json, JsonObject body, string source, int line, (string?, string?, string?, string?) identity)
    {
        this.json = json;
        parsed = new WeakReference<JsonObject>(body);
        Source = source;
        Line = line;
        this.identity = identity;
    }

    /// <summary>The object as JSON. Read-only by convention: a compact object's body is parsed again when needed.</summary>
    public JsonObject Body
    {
        get
        {
            if (body is not null)
            {
                return body;
            }

            if (!parsed!.TryGetTarget(out var target))
            {
                target = (JsonObject)JsonNode.Parse(json)!;
                parsed.SetTarget(target);
            }

            return target;
        }
    }

    /// <summary>True when the body is kept as JSON text (see <see cref="Compact"/>).</summary>
    public bool IsCompact => json is not null;

    /// <summary>File path, "cluster" or "pipeline".</summary>
    public string Source { get; }

    /// <summary>1-based line of the document's first line in <see cref="Source"/>, 0 when not from a file.</summary>
    public int Line { get; }

    // Fields of the wrong type read as unset here (list items are not type-checked by kubectl); the checks that
    // need them report the type error.
    public string? ApiVersion => json is null ? Text(Body["apiVersion"]) : identity.ApiVersion;

    public string? Kind => json is null ? Text(Body["kind"]) : identity.Kind;

    public string? Name => json is null ? Text((Body["metadata"] as JsonObject)?["name"]) : identity.Name;

    public string? Namespace => json is null ? Text((Body["metadata"] as JsonObject)?["namespace"]) : identity.Namespace;

    /// <summary>
    /// Keys written twice in the document this object was read from ("line 12: privileged"): kubectl used the last
    /// value, and so was this object read; a gate treats them as a failure.
    /// </summary>
    public IReadOnlyList<string> DuplicateKeys { get; internal set; } = Array.Empty<string>();

    /// <summary>"file:line" for files, else the source name.</summary>
    public string Location => Line > 0 ? $"{Source}:{Line}" : Source;

    /// <summary>
    /// The same object holding its body as UTF-8 JSON (about a tenth of the parsed tree's memory), parsed again on
    /// access once the garbage collector has reclaimed the last parsed copy. The offline audit keeps its inventory
    /// this way, so its memory does not grow with the parsed size of every object it read. An object whose body
    /// JSON cannot hold (a NaN or infinite number) is returned as it is.
    /// </summary>
    public ManifestObject Compact()
    {
        if (json is not null)
        {
            return this;
        }

        byte[] bytes;
        try
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                body!.WriteTo(writer);
            }

            bytes = buffer.ToArray();
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException or InvalidOperationException)
        {
            return this;
        }

        return new ManifestObject(bytes, body!, Source, Line, (ApiVersion, Kind, Name, Namespace)) { DuplicateKeys = DuplicateKeys };
    }

    private static string? Text(JsonNode? node) => node is JsonValue value && value.TryGetValue(out string? text) ? text : null;

    public override string ToString() => $"{Kind}/{(Namespace is null ? string.Empty : Namespace + "/")}{Name} ({Location})";
}
