using System.Text.Json;
using System.Text.Json.Serialization;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Audit;

/// <summary>
/// The JSON results of one or more audits ("k8ssecurity.audit/v1"): what runbooks keep between runs and what
/// Compare-K8sSecurityAudit reads back. Layout:
/// <code>
/// { "schema": "k8ssecurity.audit/v1", "reportKind": "ClusterAudit", "generatedAt": "…",
///   "summaries": [ { "cluster", "server", "serverVersion", "score", "grade", counts…, "categories": [ … ] } ],
///   "findings":  [ { "id", "category", "severity", "title", "resource", "resourceKind", "resourceName",
///                    "namespace", "message", "remediation", "evidence": { … }, "cluster", "source" } ] }
/// </code>
/// Enums are written as names; evidence never holds secrets.
/// </summary>
public sealed class AuditReport
{
    public const string ReportKind = "ClusterAudit";

    public const string SchemaName = "k8ssecurity.audit/v1";

    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DictionaryKeyPolicy = null,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    public string Schema { get; init; } = SchemaName;

    [JsonPropertyName("reportKind")]
    public string Kind { get; init; } = ReportKind;

    public DateTimeOffset GeneratedAt { get; init; } = DateTimeOffset.UtcNow;

    public IReadOnlyList<AuditSummary> Summaries { get; init; } = Array.Empty<AuditSummary>();

    public IReadOnlyList<AuditFinding> Findings { get; init; } = Array.Empty<AuditFinding>();

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    /// <summary>Reads results written by <see cref="ToJson"/>; a clear error names the file when it is not one.</summary>
    public static AuditReport Parse(string json, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("findings", out var findings) || findings.ValueKind != JsonValueKind.Array)
            {
                throw new K8sOperationException(K8sErrorKind.InvalidArgument,
                    $"'{source}' is not audit results: expected a JSON object with a 'findings' array (schema {SchemaName}).", source);
            }

            return JsonSerializer.Deserialize<AuditReport>(json, Options)
                ?? throw new K8sOperationException(K8sErrorKind.InvalidArgument, $"'{source}' holds no audit results.", source);
        }
        catch (JsonException ex)
        {
            throw new K8sOperationException(K8sErrorKind.InvalidArgument, $"'{source}' is not valid audit results JSON: {ex.Message}", source, ex);
        }
    }

    public static AuditReport Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read audit results '{path}': {ex.Message}", path, ex);
        }

        return Parse(text, path);
    }
}
