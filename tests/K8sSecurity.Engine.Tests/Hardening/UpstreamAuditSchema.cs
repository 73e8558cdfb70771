using YamlDotNet.Serialization;

namespace K8sSecurity.Engine.Tests.Hardening;

/// <summary>
/// The audit.k8s.io/v1 Policy types (k8s.io/apiserver/pkg/apis/audit/v1), field for field with their JSON names,
/// decoded strictly (an unknown field throws): a test-side oracle independent of the engine's decoder.
/// </summary>
internal static class UpstreamAuditSchema
{
    public static Policy Load(string path)
    {
        var policy = new DeserializerBuilder().Build().Deserialize<Policy>(File.ReadAllText(path));
        if (policy.ApiVersion != "audit.k8s.io/v1" || policy.Kind != "Policy")
        {
            throw new InvalidDataException($"unexpected type {policy.ApiVersion}/{policy.Kind}");
        }

        return policy;
    }

    public sealed class Policy
    {
        [YamlMember(Alias = "apiVersion")]
        public string? ApiVersion { get; set; }

        [YamlMember(Alias = "kind")]
        public string? Kind { get; set; }

        [YamlMember(Alias = "metadata")]
        public Dictionary<string, object>? Metadata { get; set; }

        [YamlMember(Alias = "rules")]
        public List<PolicyRule> Rules { get; set; } = new();

        [YamlMember(Alias = "omitStages")]
        public List<string> OmitStages { get; set; } = new();

        [YamlMember(Alias = "omitManagedFields")]
        public bool OmitManagedFields { get; set; }
    }

    public sealed class PolicyRule
    {
        [YamlMember(Alias = "level")]
        public string Level { get; set; } = string.Empty;

        [YamlMember(Alias = "users")]
        public List<string> Users { get; set; } = new();

        [YamlMember(Alias = "userGroups")]
        public List<string> UserGroups { get; set; } = new();

        [YamlMember(Alias = "verbs")]
        public List<string> Verbs { get; set; } = new();

        [YamlMember(Alias = "resources")]
        public List<GroupResources> Resources { get; set; } = new();

        [YamlMember(Alias = "namespaces")]
        public List<string> Namespaces { get; set; } = new();

        [YamlMember(Alias = "nonResourceURLs")]
        public List<string> NonResourceURLs { get; set; } = new();

        [YamlMember(Alias = "omitStages")]
        public List<string> OmitStages { get; set; } = new();

        [YamlMember(Alias = "omitManagedFields")]
        public bool? OmitManagedFields { get; set; }
    }

    public sealed class GroupResources
    {
        [YamlMember(Alias = "group")]
        public string Group { get; set; } = string.Empty;

        [YamlMember(Alias = "resources")]
        public List<string> Resources { get; set; } = new();

        [YamlMember(Alias = "resourceNames")]
        public List<string> ResourceNames { get; set; } = new();
    }
}
