using System.Security.Cryptography;
using System.Text.RegularExpressions;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Manifests;
using YamlDotNet.RepresentationModel;

namespace K8sSecurity.Engine.Hardening;

/// <summary>What New-K8sEncryptionConfiguration writes when it creates a file.</summary>
public sealed class EncryptionConfigurationRequest
{
    public required string Path { get; init; }

    public EncryptionProviderKind Provider { get; init; } = EncryptionProviderKind.Secretbox;

    public IReadOnlyList<string> Resources { get; init; } = new[] { "secrets" };

    public string KeyName { get; init; } = "key1";

    public string? KmsName { get; init; }

    public string? KmsEndpoint { get; init; }

    public TimeSpan KmsTimeout { get; init; } = TimeSpan.FromSeconds(3);

    public bool Force { get; init; }
}

/// <summary>The key rotation steps on an existing file.</summary>
public enum EncryptionKeyRotation
{
    /// <summary>A new key in front (it encrypts new writes); the old keys stay to decrypt what they wrote.</summary>
    AddKey,

    /// <summary>A new key second: every API server learns to decrypt with it before any writes with it (HA clusters).</summary>
    StageKey,

    /// <summary>Moves a staged key to the front.</summary>
    PromoteKey,

    /// <summary>Keeps only the active key, once everything was re-encrypted with it.</summary>
    RemoveOldKeys,
}

/// <summary>
/// Encryption at rest for kube-apiserver (--encryption-provider-config): writes EncryptionConfiguration files with
/// keys from the operating system's CSPRNG (0600, atomic), rotates their keys, and checks existing files against the
/// API server's own rules and upstream's recommendations. Key material is never printed, logged or returned.
/// </summary>
public static partial class EncryptionConfigurationService
{
    private const int KeyBytes = 32;

    public static EncryptionConfigurationFile New(EncryptionConfigurationRequest request, EngineLog log)
    {
        string path = Path.GetFullPath(request.Path);
        ValidateKeyName(request.KeyName, "KeyName");
        SecureFile.EnsureWritable(path, request.Force);

        var provider = request.Provider == EncryptionProviderKind.Kms
            ? new EncryptionProviderEntry(EncryptionProviderKind.Kms) { Kms = KmsSettings(request) }
            : request.Provider == EncryptionProviderKind.Identity
                ? throw K8sOperationException.InvalidArgument("Provider", "identity", "identity does not encrypt; choose aescbc, aesgcm, secretbox or kms")
                : new EncryptionProviderEntry(request.Provider) { Keys = { NewKey(request.KeyName) } };
        var config = new EncryptionConfigurationModel
        {
            Resources =
            {
                new EncryptionResourceEntry
                {
                    Resources = request.Resources.ToList(),
                    Providers = { provider, new EncryptionProviderEntry(EncryptionProviderKind.Identity) },
                },
            },
        };
        if (EncryptionConfigurationRules.Validate(config) is { Count: > 0 } errors)
        {
            throw K8sOperationException.InvalidArgument(
                request.Provider == EncryptionProviderKind.Kms && errors.Any(e => e.Contains(".kms.", StringComparison.Ordinal)) ? "KmsName" : "Resource",
                string.Join(", ", request.Resources),
                "kube-apiserver would refuse this configuration: " + string.Join("; ", errors));
        }

        Write(path, config, request.Force, log);
        return Describe(path, config, "Created");
    }

    public static EncryptionConfigurationFile Rotate(string filePath, EncryptionKeyRotation rotation, string? keyName, EngineLog log)
    {
        string path = Path.GetFullPath(filePath);
        var config = LoadValid(path);
        var writers = config.Resources.Select(r => r.Providers[0]).Where(p => p.HasKeys).ToList();
        if (writers.Count == 0)
        {
            throw new K8sOperationException(
                K8sErrorKind.InvalidArgument,
                $"'{path}' has no aescbc, aesgcm or secretbox provider in first place: nothing to rotate (kms keys rotate in the KMS; identity does not encrypt).",
                path);
        }

        string action;
        switch (rotation)
        {
            case EncryptionKeyRotation.AddKey or EncryptionKeyRotation.StageKey:
                string name = keyName ?? NextKeyName(writers);
                ValidateKeyName(name, "KeyName");
                foreach (var writer in writers)
                {
                    if (writer.Keys.Any(k => k.Name == name))
                    {
                        throw K8sOperationException.InvalidArgument("KeyName", name, $"'{path}' already has a key with this name; key names must be unique");
                    }

                    writer.Keys.Insert(rotation == EncryptionKeyRotation.AddKey ? 0 : Math.Min(1, writer.Keys.Count), NewKey(name));
                }

                action = rotation == EncryptionKeyRotation.AddKey ? "KeyAdded" : "KeyStaged";
                log.Verbose(rotation == EncryptionKeyRotation.AddKey
                    ? $"New key '{name}' encrypts new writes; older keys stay for decryption until every object was rewritten."
                    : $"New key '{name}' staged second: restart every API server, then run -PromoteKey.");
                break;
            case EncryptionKeyRotation.PromoteKey:
                action = "Unchanged";
                foreach (var writer in writers)
                {
                    int index = keyName is null ? Math.Min(1, writer.Keys.Count - 1) : writer.Keys.FindIndex(k => k.Name == keyName);
                    if (index < 0)
                    {
                        throw K8sOperationException.InvalidArgument("KeyName", keyName, $"'{path}' has no key with this name");
                    }

                    if (index > 0)
                    {
                        var key = writer.Keys[index];
                        writer.Keys.RemoveAt(index);
                        writer.Keys.Insert(0, key);
                        action = "KeyPromoted";
                    }
                }

                break;
            default:
                action = writers.Any(w => w.Keys.Count > 1) ? "OldKeysRemoved" : "Unchanged";
                foreach (var writer in writers)
                {
                    writer.Keys.RemoveRange(1, writer.Keys.Count - 1);
                }

                break;
        }

        if (action != "Unchanged")
        {
            Write(path, config, force: true, log);
        }

        return Describe(path, config, action);
    }

    /// <summary>The file as the API server would load it; unreadable, invalid or masked configurations are refused.</summary>
    internal static EncryptionConfigurationModel LoadValid(string path)
    {
        var (config, errors) = Load(path);
        if (config is null || errors.Count > 0)
        {
            throw new K8sOperationException(
                K8sErrorKind.InvalidArgument,
                $"'{path}' is not a configuration kube-apiserver would load; fix it first (Test-K8sEncryptionConfiguration shows why): {string.Join("; ", errors)}",
                path);
        }

        return config;
    }

    /// <summary>Reads and decodes a file; errors are decoding and validation problems (never key material).</summary>
    internal static (EncryptionConfigurationModel? Config, List<string> Errors) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find the encryption configuration '{path}'.", path);
        }

        var errors = new List<string>();
        var documents = ManifestReader.ReadFile(path, e => errors.Add($"line {e.Line}: {e.Message}")).ToList();
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        if (documents.Count != 1)
        {
            errors.Add(documents.Count == 0 ? "the file is empty" : $"the file holds {documents.Count} documents; kube-apiserver reads one EncryptionConfiguration");
            return (null, errors);
        }

        var decoder = new StrictConfigDecoder();
        var config = EncryptionConfigurationModel.Decode(documents[0].Body, decoder);
        errors.AddRange(decoder.Errors);
        errors.AddRange(EncryptionConfigurationRules.Validate(config));
        return (config, errors);
    }

    internal static string ToYaml(EncryptionConfigurationModel config)
    {
        var resources = new YamlSequenceNode();
        foreach (var entry in config.Resources)
        {
            var providers = new YamlSequenceNode();
            foreach (var provider in entry.Providers)
            {
                YamlNode settings = provider.Kind switch
                {
                    EncryptionProviderKind.Identity => new YamlMappingNode { Style = YamlDotNet.Core.Events.MappingStyle.Flow },
                    EncryptionProviderKind.Kms => KmsNode(provider.Kms!),
                    _ => new YamlMappingNode(
                        YamlText.Scalar("keys"),
                        new YamlSequenceNode(provider.Keys.Select(k => (YamlNode)new YamlMappingNode(
                            YamlText.Scalar("name"), YamlText.Scalar(k.Name),
                            YamlText.Scalar("secret"), YamlText.Scalar(k.Secret))))),
                };
                providers.Add(new YamlMappingNode(YamlText.Scalar(provider.FieldName), settings));
            }

            resources.Add(new YamlMappingNode(
                YamlText.Scalar("resources"), YamlText.Sequence(entry.Resources),
                YamlText.Scalar("providers"), providers));
        }

        var root = new YamlMappingNode(
            YamlText.Scalar("apiVersion"), YamlText.Scalar(config.ApiVersion),
            YamlText.Scalar("kind"), YamlText.Scalar(config.Kind),
            YamlText.Scalar("resources"), resources);
        return YamlText.Serialize(root);
    }

    private static YamlMappingNode KmsNode(KmsProviderSettings kms)
    {
        var node = new YamlMappingNode();
        if (kms.ApiVersion is not null)
        {
            node.Add(YamlText.Scalar("apiVersion"), YamlText.Scalar(kms.ApiVersion));
        }

        node.Add(YamlText.Scalar("name"), YamlText.Scalar(kms.Name));
        node.Add(YamlText.Scalar("endpoint"), YamlText.Scalar(kms.Endpoint));
        if (kms.CacheSize is { } cacheSize)
        {
            node.Add(YamlText.Scalar("cachesize"), YamlText.Number(cacheSize));
        }

        if (kms.Timeout is not null)
        {
            node.Add(YamlText.Scalar("timeout"), YamlText.Scalar(kms.Timeout));
        }

        return node;
    }

    private static void Write(string path, EncryptionConfigurationModel config, bool force, EngineLog log)
    {
        SecureFile.WriteAllText(path, ToYaml(config), force);
        log.Verbose($"Wrote '{path}' (mode 0600). Point kube-apiserver's --encryption-provider-config at it on every control-plane node.");
    }

    private static EncryptionConfigurationFile Describe(string path, EncryptionConfigurationModel config, string action)
    {
        var first = config.Resources[0].Providers[0];
        return new EncryptionConfigurationFile
        {
            Path = path,
            Action = action,
            Provider = first.FieldName,
            Resources = config.Resources.SelectMany(r => r.Resources).ToArray(),
            ActiveKey = first.Kind == EncryptionProviderKind.Kms ? first.Kms?.Name : first.Keys.FirstOrDefault()?.Name,
            Keys = config.Resources.SelectMany(r => r.Providers).SelectMany(p => p.Keys).Select(k => k.Name).Distinct(StringComparer.Ordinal).ToArray(),
        };
    }

    private static KmsProviderSettings KmsSettings(EncryptionConfigurationRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.KmsName))
        {
            throw K8sOperationException.InvalidArgument("KmsName", request.KmsName, "the kms provider needs the KMS plugin's name");
        }

        if (string.IsNullOrWhiteSpace(request.KmsEndpoint) || !request.KmsEndpoint.StartsWith("unix://", StringComparison.Ordinal))
        {
            throw K8sOperationException.InvalidArgument("KmsEndpoint", request.KmsEndpoint, "the KMS plugin's socket, e.g. unix:///var/run/kmsplugin/socket.sock (only unix is supported)");
        }

        if (request.KmsTimeout <= TimeSpan.Zero)
        {
            throw K8sOperationException.InvalidArgument("KmsTimeout", request.KmsTimeout, "must be positive");
        }

        return new KmsProviderSettings
        {
            ApiVersion = "v2",
            Name = request.KmsName,
            Endpoint = request.KmsEndpoint,
            Timeout = GoDuration.Format(request.KmsTimeout),
        };
    }

    private static EncryptionKeyEntry NewKey(string name) => new(name, Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes)));

    /// <summary>key1, key2, …: one more than the highest keyN in use.</summary>
    private static string NextKeyName(IEnumerable<EncryptionProviderEntry> writers)
    {
        int highest = 0;
        foreach (var key in writers.SelectMany(w => w.Keys))
        {
            var match = NumberedKey().Match(key.Name);
            if (match.Success && int.TryParse(match.Groups[1].ValueSpan, out int number))
            {
                highest = Math.Max(highest, number);
            }
        }

        return $"key{highest + 1}";
    }

    // The name prefixes every stored value ("k8s:enc:secretbox:v1:NAME:"), so keep it simple and colon-free.
    private static void ValidateKeyName(string name, string parameter)
    {
        if (!KeyNamePattern().IsMatch(name))
        {
            throw K8sOperationException.InvalidArgument(parameter, name, "use letters, digits, '.', '_' or '-' (it prefixes every stored value, so no ':' or spaces), at most 63 characters");
        }
    }

    [GeneratedRegex("^key([0-9]+)$")]
    private static partial Regex NumberedKey();

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
    private static partial Regex KeyNamePattern();
}
