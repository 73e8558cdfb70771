using YamlDotNet.Serialization;

namespace K8sSecurity.Engine.Tests.Hardening;

/// <summary>
/// The apiserver.config.k8s.io/v1 EncryptionConfiguration types (k8s.io/apiserver/pkg/apis/apiserver/v1), field
/// for field with their JSON names, decoded strictly like kube-apiserver's codec does (an unknown field throws).
/// A test-side oracle, independent of the engine's decoder: generated files must load here.
/// </summary>
internal static class UpstreamEncryptionSchema
{
    public static EncryptionConfiguration Load(string path)
    {
        var deserializer = new DeserializerBuilder().Build(); // no IgnoreUnmatchedProperties: strict
        var config = deserializer.Deserialize<EncryptionConfiguration>(File.ReadAllText(path));
        if (config.ApiVersion != "apiserver.config.k8s.io/v1" || config.Kind != "EncryptionConfiguration")
        {
            throw new InvalidDataException($"unexpected type {config.ApiVersion}/{config.Kind}");
        }

        return config;
    }

    public sealed class EncryptionConfiguration
    {
        [YamlMember(Alias = "apiVersion")]
        public string? ApiVersion { get; set; }

        [YamlMember(Alias = "kind")]
        public string? Kind { get; set; }

        [YamlMember(Alias = "resources")]
        public List<ResourceConfiguration> Resources { get; set; } = new();
    }

    public sealed class ResourceConfiguration
    {
        [YamlMember(Alias = "resources")]
        public List<string> Resources { get; set; } = new();

        [YamlMember(Alias = "providers")]
        public List<ProviderConfiguration> Providers { get; set; } = new();
    }

    public sealed class ProviderConfiguration
    {
        [YamlMember(Alias = "aesgcm")]
        public KeysConfiguration? AesGcm { get; set; }

        [YamlMember(Alias = "aescbc")]
        public KeysConfiguration? AesCbc { get; set; }

        [YamlMember(Alias = "secretbox")]
        public KeysConfiguration? Secretbox { get; set; }

        [YamlMember(Alias = "identity")]
        public IdentityConfiguration? Identity { get; set; }

        [YamlMember(Alias = "kms")]
        public KmsConfiguration? Kms { get; set; }

        public int Count => new object?[] { AesGcm, AesCbc, Secretbox, Identity, Kms }.Count(p => p is not null);
    }

    public sealed class KeysConfiguration
    {
        [YamlMember(Alias = "keys")]
        public List<Key> Keys { get; set; } = new();
    }

    public sealed class Key
    {
        [YamlMember(Alias = "name")]
        public string Name { get; set; } = string.Empty;

        [YamlMember(Alias = "secret")]
        public string Secret { get; set; } = string.Empty;
    }

    public sealed class IdentityConfiguration
    {
    }

    public sealed class KmsConfiguration
    {
        [YamlMember(Alias = "apiVersion")]
        public string? ApiVersion { get; set; }

        [YamlMember(Alias = "name")]
        public string Name { get; set; } = string.Empty;

        [YamlMember(Alias = "cachesize")]
        public int? CacheSize { get; set; }

        [YamlMember(Alias = "endpoint")]
        public string Endpoint { get; set; } = string.Empty;

        [YamlMember(Alias = "timeout")]
        public string? Timeout { get; set; }
    }
}
