using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Hardening;

/// <summary>The providers of an apiserver.config.k8s.io/v1 EncryptionConfiguration.</summary>
public enum EncryptionProviderKind
{
    Identity,
    AesCbc,
    AesGcm,
    Secretbox,
    Kms,
}

/// <summary>One key of an aescbc, aesgcm or secretbox provider. The secret stays inside the engine.</summary>
internal sealed class EncryptionKeyEntry
{
    public EncryptionKeyEntry(string name, string secret)
    {
        Name = name;
        Secret = secret;
    }

    public string Name { get; }

    /// <summary>Base64 key material: written to the 0600 file, never printed, logged or returned.</summary>
    public string Secret { get; }

    public override string ToString() => Name;
}

internal sealed class KmsProviderSettings
{
    /// <summary>"v1" or "v2"; null means not set, and the apiserver defaults it to v1.</summary>
    public string? ApiVersion { get; init; }

    public string Name { get; init; } = string.Empty;

    public string Endpoint { get; init; } = string.Empty;

    /// <summary>The timeout as written (Go duration); null means the default 3s.</summary>
    public string? Timeout { get; init; }

    public long? CacheSize { get; init; }

    public string EffectiveApiVersion => string.IsNullOrEmpty(ApiVersion) ? "v1" : ApiVersion;
}

/// <summary>One element of a resources entry's providers list. Exactly one provider per element is valid.</summary>
internal sealed class EncryptionProviderEntry
{
    public EncryptionProviderEntry(EncryptionProviderKind kind) => Kind = kind;

    public EncryptionProviderKind Kind { get; }

    /// <summary>How many provider fields the element set (upstream: more than one is an error, none is an error).</summary>
    public int DeclaredProviders { get; init; } = 1;

    public List<EncryptionKeyEntry> Keys { get; init; } = new();

    public KmsProviderSettings? Kms { get; init; }

    public bool HasKeys => Kind is EncryptionProviderKind.AesCbc or EncryptionProviderKind.AesGcm or EncryptionProviderKind.Secretbox;

    /// <summary>The name in the file: aescbc, aesgcm, secretbox, kms, identity.</summary>
    public string FieldName => EncryptionConfigurationModel.FieldNameOf(Kind);

    public string Describe() => Kind switch
    {
        EncryptionProviderKind.Kms => $"kms {Kms?.EffectiveApiVersion} '{Kms?.Name}'",
        EncryptionProviderKind.Identity => "identity",
        _ => $"{FieldName} (key '{Keys.FirstOrDefault()?.Name}')",
    };
}

internal sealed class EncryptionResourceEntry
{
    public List<string> Resources { get; init; } = new();

    public List<EncryptionProviderEntry> Providers { get; init; } = new();
}

/// <summary>
/// An EncryptionConfiguration as kube-apiserver reads it (--encryption-provider-config). Decoded strictly from the
/// JSON that ManifestReader produced; written back as YAML for key rotation.
/// </summary>
internal sealed class EncryptionConfigurationModel
{
    public const string ApiVersionV1 = "apiserver.config.k8s.io/v1";
    public const string KindName = "EncryptionConfiguration";

    public string ApiVersion { get; init; } = ApiVersionV1;

    public string Kind { get; init; } = KindName;

    public List<EncryptionResourceEntry> Resources { get; init; } = new();

    public static string FieldNameOf(EncryptionProviderKind kind) => kind switch
    {
        EncryptionProviderKind.AesCbc => "aescbc",
        EncryptionProviderKind.AesGcm => "aesgcm",
        EncryptionProviderKind.Secretbox => "secretbox",
        EncryptionProviderKind.Kms => "kms",
        _ => "identity",
    };

    /// <summary>Decodes like the apiserver's strict codec; decoding problems go to <paramref name="decoder"/>.</summary>
    public static EncryptionConfigurationModel Decode(JsonObject body, StrictConfigDecoder decoder)
    {
        string? apiVersion = decoder.String(body, "apiVersion", string.Empty);
        string? kind = decoder.String(body, "kind", string.Empty);
        bool current = apiVersion == ApiVersionV1 && kind == KindName;

        // kube-apiserver also registers the v1 EncryptionConfig kind in the legacy core group ("due to a docs bug").
        bool legacy = apiVersion == "v1" && kind == "EncryptionConfig";
        if (string.IsNullOrEmpty(kind))
        {
            decoder.Errors.Add("Object 'Kind' is missing");
        }
        else if (!current && !legacy)
        {
            decoder.Errors.Add($"no kind \"{kind}\" is registered for version \"{apiVersion}\" (expected apiVersion {ApiVersionV1}, kind {KindName})");
        }

        decoder.RejectUnknown(body, string.Empty, "apiVersion", "kind", "resources");
        var model = new EncryptionConfigurationModel { ApiVersion = apiVersion ?? string.Empty, Kind = kind ?? string.Empty };
        foreach (var (entry, entryPath) in decoder.Objects(body, "resources", string.Empty))
        {
            decoder.RejectUnknown(entry, entryPath, "resources", "providers");
            var resources = new EncryptionResourceEntry { Resources = decoder.StringList(entry, "resources", entryPath) };
            foreach (var (provider, providerPath) in decoder.Objects(entry, "providers", entryPath))
            {
                resources.Providers.Add(DecodeProvider(provider, providerPath, decoder));
            }

            model.Resources.Add(resources);
        }

        return model;
    }

    private static EncryptionProviderEntry DecodeProvider(JsonObject provider, string path, StrictConfigDecoder decoder)
    {
        decoder.RejectUnknown(provider, path, "aescbc", "aesgcm", "secretbox", "kms", "identity");
        var declared = new List<EncryptionProviderKind>();
        List<EncryptionKeyEntry>? keys = null;
        KmsProviderSettings? kms = null;
        foreach (var kind in new[] { EncryptionProviderKind.Kms, EncryptionProviderKind.AesGcm, EncryptionProviderKind.AesCbc, EncryptionProviderKind.Secretbox, EncryptionProviderKind.Identity })
        {
            string field = FieldNameOf(kind);
            if (decoder.Object(provider, field, path) is not { } settings)
            {
                continue; // null is the same as absent, as for a Go pointer field
            }

            declared.Add(kind);
            string settingsPath = StrictConfigDecoder.Join(path, field);
            switch (kind)
            {
                case EncryptionProviderKind.Identity:
                    decoder.RejectUnknown(settings, settingsPath);
                    break;
                case EncryptionProviderKind.Kms:
                    decoder.RejectUnknown(settings, settingsPath, "apiVersion", "name", "cachesize", "endpoint", "timeout");
                    kms = new KmsProviderSettings
                    {
                        ApiVersion = decoder.String(settings, "apiVersion", settingsPath),
                        Name = decoder.String(settings, "name", settingsPath) ?? string.Empty,
                        Endpoint = decoder.String(settings, "endpoint", settingsPath) ?? string.Empty,
                        Timeout = decoder.String(settings, "timeout", settingsPath),
                        CacheSize = decoder.Integer(settings, "cachesize", settingsPath),
                    };
                    if (kms.Timeout is { } timeout && !GoDuration.TryParse(timeout, out _))
                    {
                        decoder.Errors.Add($"{settingsPath}.timeout: time: invalid duration \"{timeout}\"");
                    }

                    break;
                default:
                    decoder.RejectUnknown(settings, settingsPath, "keys");
                    keys ??= new List<EncryptionKeyEntry>();
                    foreach (var (key, keyPath) in decoder.Objects(settings, "keys", settingsPath))
                    {
                        decoder.RejectUnknown(key, keyPath, "name", "secret");
                        keys.Add(new EncryptionKeyEntry(decoder.String(key, "name", keyPath) ?? string.Empty, decoder.String(key, "secret", keyPath) ?? string.Empty));
                    }

                    break;
            }
        }

        return new EncryptionProviderEntry(declared.Count > 0 ? declared[0] : EncryptionProviderKind.Identity)
        {
            DeclaredProviders = declared.Count,
            Keys = keys ?? new List<EncryptionKeyEntry>(),
            Kms = kms,
        };
    }
}
