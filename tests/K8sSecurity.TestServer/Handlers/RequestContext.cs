using System.Text.Json.Nodes;
using K8sSecurity.TestServer.Decoding;
using Microsoft.AspNetCore.Http;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>A parsed API request (apiserver RequestInfo + body + caller).</summary>
public sealed class RequestContext
{
    public required string Method { get; init; }
    public required string Path { get; init; }
    public required IQueryCollection Query { get; init; }
    public required UserInfo User { get; init; }
    public required ServerContext Server { get; init; }
    public string? Body { get; init; }

    /// <summary>The raw body, needed for protobuf.</summary>
    public byte[]? BodyBytes { get; init; }
    public string ContentType { get; init; } = "";
    public string UserAgent { get; init; } = "";

    public bool IsResourceRequest { get; init; }
    public string Verb { get; init; } = "";
    public ResourceType? Type { get; init; }
    public string Namespace { get; init; } = "";
    public string Name { get; init; } = "";
    public string Subresource { get; init; } = "";

    public ResourceType RequiredType => Type ?? throw new InvalidOperationException("not a resource request");

    /// <summary>dryRun=All in the query, or (for DELETE) in the DeleteOptions body as clients like KubernetesClient send it.</summary>
    public bool DryRun => DryRunValues.Contains("All");

    /// <summary>Every dryRun value sent (query, and for DELETE the DeleteOptions body); only "All" is valid.</summary>
    public IReadOnlyList<string> DryRunValues =>
        Query["dryRun"].OfType<string>()
            .Concat(Method == "DELETE" ? DeleteOptions?.Strings("dryRun") ?? [] : [])
            .ToList();

    /// <summary>The DeleteOptions body of a DELETE (null when there is none).</summary>
    public JsonObject? DeleteOptions => Method == "DELETE" && Body is { Length: > 0 } ? JsonUtil.ParseOrNull(Body) as JsonObject : null;

    /// <summary>fieldValidation=Strict|Warn|Ignore (default Warn).</summary>
    public FieldValidation FieldValidation => RequestDecoder.ParseMode(QueryValue("fieldValidation"));

    /// <summary>Paths of fields that appeared twice in the JSON body (filled by <see cref="ParseBody"/>).</summary>
    public List<string> DuplicateFields { get; } = [];

    /// <summary>fieldManager, else the user-agent prefix like kube-apiserver, else "unknown" (golden files).</summary>
    public string FieldManager
    {
        get
        {
            var fm = Query["fieldManager"].ToString();
            if (fm.Length > 0)
            {
                return fm;
            }

            var ua = UserAgent.Split('/')[0].Trim();
            return ua.Length > 0 ? ua : "unknown";
        }
    }

    public string QueryValue(string key) => Query[key].ToString();

    /// <summary>Body as JSON (YAML accepted for apply-patch+yaml and application/yaml).</summary>
    public JsonNode ParseBody()
    {
        if (string.IsNullOrWhiteSpace(Body))
        {
            throw StatusResponses.BadRequest("the body of the request was empty");
        }

        if (ContentType.Contains("protobuf", StringComparison.OrdinalIgnoreCase))
        {
            return ProtobufBody.Decode(BodyBytes ?? [], ContentType, Type);
        }

        DuplicateFields.Clear();
        var node = RequestDecoder.ParseJson(Body, DuplicateFields);
        if (node is null && ContentType.Contains("yaml", StringComparison.OrdinalIgnoreCase))
        {
            node = Yaml.Parse(Body);
        }

        return node ?? throw StatusResponses.BadRequest("couldn't get version/kind; json parse error: invalid character in request body");
    }

    /// <summary>Warnings of the decoding step (unknown or duplicate fields under fieldValidation=Warn).</summary>
    public List<string> DecodeWarnings { get; } = [];

    /// <summary>The body decoded like a typed object of <paramref name="kind"/> (default: the URL's kind): see <see cref="RequestDecoder"/>.</summary>
    public JsonObject DecodeObjectBody(string? kind = null, string? version = null)
    {
        var obj = ParseObjectBody();
        DecodeWarnings.AddRange(RequestDecoder.Decode(kind ?? RequiredType.Kind, version ?? RequiredType.Version, obj, FieldValidation, DuplicateFields));
        return obj;
    }

    public JsonObject ParseObjectBody() =>
        ParseBody() as JsonObject ?? throw StatusResponses.BadRequest("the body of the request must be a JSON object");
}

/// <summary>What a handler returns: status code, JSON body, Warning headers.</summary>
public record HandlerResult(int StatusCode, JsonNode Body)
{
    public List<string> Warnings { get; init; } = [];
}
