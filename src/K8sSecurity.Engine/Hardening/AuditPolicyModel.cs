using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Hardening;

/// <summary>Audit levels, least detail first (so a comparison says "logs more than").</summary>
public enum AuditLevel
{
    None = 0,
    Metadata = 1,
    Request = 2,
    RequestResponse = 3,
}

internal sealed class AuditGroupResources
{
    public string Group { get; init; } = string.Empty;

    public List<string> Resources { get; init; } = new();

    public List<string> ResourceNames { get; init; } = new();
}

internal sealed class AuditPolicyRule
{
    /// <summary>The level as written; validation rejects anything but the four levels.</summary>
    public string Level { get; init; } = string.Empty;

    public List<string> Users { get; init; } = new();

    public List<string> UserGroups { get; init; } = new();

    public List<string> Verbs { get; init; } = new();

    public List<AuditGroupResources> Resources { get; init; } = new();

    public List<string> Namespaces { get; init; } = new();

    public List<string> NonResourceURLs { get; init; } = new();

    public List<string> OmitStages { get; init; } = new();

    public bool? OmitManagedFields { get; init; }

    public AuditLevel ParsedLevel => Enum.TryParse<AuditLevel>(Level, ignoreCase: false, out var level) && Enum.IsDefined(level) ? level : AuditLevel.None;
}

/// <summary>
/// An audit.k8s.io Policy as kube-apiserver reads it (--audit-policy-file). The API server decodes it leniently:
/// unknown fields are ignored, which is why a misspelt field silently widens a rule; the decoder records them.
/// </summary>
internal sealed class AuditPolicyModel
{
    public const string ApiVersionV1 = "audit.k8s.io/v1";

    public static readonly string[] Stages = { "RequestReceived", "ResponseStarted", "ResponseComplete", "Panic" };

    public string ApiVersion { get; init; } = ApiVersionV1;

    public string Kind { get; init; } = "Policy";

    public List<string> OmitStages { get; init; } = new();

    public bool OmitManagedFields { get; init; }

    public List<AuditPolicyRule> Rules { get; init; } = new();

    public static AuditPolicyModel Decode(JsonObject body, StrictConfigDecoder decoder)
    {
        string? apiVersion = decoder.String(body, "apiVersion", string.Empty);
        string? kind = decoder.String(body, "kind", string.Empty);
        if (string.IsNullOrEmpty(kind))
        {
            decoder.Errors.Add("Object 'Kind' is missing");
        }
        else if (kind != "Policy" || apiVersion is not ("audit.k8s.io/v1" or "audit.k8s.io/v1beta1" or "audit.k8s.io/v1alpha1"))
        {
            decoder.Errors.Add($"no kind \"{kind}\" is registered for version \"{apiVersion}\" (expected apiVersion {ApiVersionV1}, kind Policy)");
        }

        decoder.RejectUnknown(body, string.Empty, "apiVersion", "kind", "metadata", "rules", "omitStages", "omitManagedFields");
        var policy = new AuditPolicyModel
        {
            ApiVersion = apiVersion ?? string.Empty,
            Kind = kind ?? string.Empty,
            OmitStages = decoder.StringList(body, "omitStages", string.Empty),
            OmitManagedFields = decoder.Boolean(body, "omitManagedFields", string.Empty) ?? false,
        };
        decoder.Object(body, "metadata", string.Empty);
        foreach (var (rule, path) in decoder.Objects(body, "rules", string.Empty))
        {
            decoder.RejectUnknown(rule, path, "level", "users", "userGroups", "verbs", "resources", "namespaces", "nonResourceURLs", "omitStages", "omitManagedFields");
            var resources = new List<AuditGroupResources>();
            foreach (var (groupResources, grPath) in decoder.Objects(rule, "resources", path))
            {
                decoder.RejectUnknown(groupResources, grPath, "group", "resources", "resourceNames");
                resources.Add(new AuditGroupResources
                {
                    Group = decoder.String(groupResources, "group", grPath) ?? string.Empty,
                    Resources = decoder.StringList(groupResources, "resources", grPath),
                    ResourceNames = decoder.StringList(groupResources, "resourceNames", grPath),
                });
            }

            policy.Rules.Add(new AuditPolicyRule
            {
                Level = decoder.String(rule, "level", path) ?? string.Empty,
                Users = decoder.StringList(rule, "users", path),
                UserGroups = decoder.StringList(rule, "userGroups", path),
                Verbs = decoder.StringList(rule, "verbs", path),
                Resources = resources,
                Namespaces = decoder.StringList(rule, "namespaces", path),
                NonResourceURLs = decoder.StringList(rule, "nonResourceURLs", path),
                OmitStages = decoder.StringList(rule, "omitStages", path),
                OmitManagedFields = decoder.Boolean(rule, "omitManagedFields", path),
            });
        }

        return policy;
    }
}

/// <summary>The attributes of one request that an audit rule can match (authorizer.Attributes).</summary>
internal sealed record AuditRequest(string User, IReadOnlyList<string> Groups, string Verb, string Namespace, string Group, string Resource, string Subresource, string Name)
{
    public string Describe() =>
        $"{Verb} {(Subresource.Length > 0 ? $"{Resource}/{Subresource}" : Resource)}{(Group.Length > 0 ? "." + Group : string.Empty)}"
        + $"{(Name.Length > 0 ? $" '{Name}'" : string.Empty)}{(Namespace.Length > 0 ? $" in namespace {Namespace}" : " across namespaces")}"
        + $" by user {User}{(Groups.Count > 0 ? $" (groups {string.Join(", ", Groups)})" : string.Empty)}";
}
