using System.Text.RegularExpressions;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// kube-apiserver's own rules for an EncryptionConfiguration (k8s.io/apiserver validation_encryption.go and the
/// masking check of encryptionconfig.LoadEncryptionConfig): a file that breaks one keeps the API server from
/// starting. Also which provider writes a given resource, resolved the way the API server resolves it.
/// Messages name fields and key names, never key material.
/// </summary>
internal static partial class EncryptionConfigurationRules
{
    /// <summary>Key sizes aes.NewCipher accepts (aescbc, aesgcm) and the one secretbox accepts.</summary>
    public static readonly int[] AesKeySizes = { 16, 24, 32 };
    public static readonly int[] SecretboxKeySizes = { 32 };

    private static readonly GroupResource AnyGroupAnyResource = new("*", "*");

    public static List<string> Validate(EncryptionConfigurationModel config)
    {
        var errors = new List<string>();
        if (config.Resources.Count == 0)
        {
            errors.Add("resources: Required value: at least one resources is required");
            return errors;
        }

        var kmsNames = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < config.Resources.Count; i++)
        {
            var entry = config.Resources[i];
            string resourcesPath = $"resources[{i}].resources";
            string providersPath = $"resources[{i}].providers";
            if (entry.Resources.Count == 0)
            {
                errors.Add($"{resourcesPath}: Required value: at least one {resourcesPath} is required");
            }

            ValidateOverlap(entry.Resources, resourcesPath, errors);
            ValidateResourceNames(entry.Resources, resourcesPath, errors);
            if (entry.Providers.Count == 0)
            {
                errors.Add($"{providersPath}: Required value: at least one {providersPath} is required");
            }

            for (int j = 0; j < entry.Providers.Count; j++)
            {
                var provider = entry.Providers[j];
                string path = $"{providersPath}[{j}]";
                if (provider.DeclaredProviders == 0)
                {
                    errors.Add($"{path}: Invalid value: provider does not contain any of the expected providers: KMS, AESGCM, AESCBC, Secretbox, Identity");
                    continue;
                }

                if (provider.DeclaredProviders > 1)
                {
                    errors.Add($"{path}: Invalid value: more than one provider specified in a single element, should split into different list elements");
                }

                switch (provider.Kind)
                {
                    case EncryptionProviderKind.Kms when provider.Kms is { } kms:
                        ValidateKms(kms, $"{path}.kms", kmsNames, errors);
                        kmsNames.Add(kms.Name);
                        break;
                    case EncryptionProviderKind.AesGcm or EncryptionProviderKind.AesCbc or EncryptionProviderKind.Secretbox:
                        ValidateKeys(provider, $"{path}.{provider.FieldName}.keys", errors);
                        break;
                }
            }
        }

        // LoadEncryptionConfig: a resource after a '*.group' or '*.*' rule that covers it would never be used.
        var seen = new HashSet<GroupResource>();
        foreach (var entry in config.Resources)
        {
            foreach (string resource in entry.Resources)
            {
                var gr = GroupResource.Parse(resource);
                var anyInGroup = new GroupResource(gr.Group, "*");
                if (seen.Contains(anyInGroup))
                {
                    errors.Add($"resource \"{gr.ToYaml()}\" is masked by earlier rule \"{anyInGroup.ToYaml()}\"");
                }
                else if (seen.Contains(AnyGroupAnyResource))
                {
                    errors.Add($"resource \"{gr.ToYaml()}\" is masked by earlier rule \"*.*\"");
                }

                seen.Add(gr);
            }
        }

        return errors;
    }

    /// <summary>
    /// The providers kube-apiserver uses for a resource ("secrets", "deployments.apps"): exact entries first, then
    /// '*.group', then '*.*'; the first provider of the list encrypts new writes. Null when nothing matches (the API
    /// server then stores the resource in plain text).
    /// </summary>
    public static (int EntryIndex, IReadOnlyList<EncryptionProviderEntry> Providers)? ProvidersFor(EncryptionConfigurationModel config, string resource)
    {
        var target = GroupResource.Parse(resource);
        foreach (var candidate in new[] { target, new GroupResource(target.Group, "*"), AnyGroupAnyResource })
        {
            int first = -1;
            var providers = new List<EncryptionProviderEntry>();
            for (int i = 0; i < config.Resources.Count; i++)
            {
                if (config.Resources[i].Resources.Any(r => GroupResource.Parse(r) == candidate))
                {
                    first = first < 0 ? i : first;
                    providers.AddRange(config.Resources[i].Providers);
                }
            }

            if (first >= 0)
            {
                return (first, providers);
            }
        }

        return null;
    }

    /// <summary>Decodes like Go's base64.StdEncoding.DecodeString (padding required; only CR and LF are skipped).</summary>
    public static byte[]? DecodeKey(string secret)
    {
        string text = secret.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);
        if (text.Length % 4 != 0 || !StandardBase64().IsMatch(text))
        {
            return null;
        }

        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static void ValidateKeys(EncryptionProviderEntry provider, string path, List<string> errors)
    {
        if (provider.Keys.Count == 0)
        {
            errors.Add($"{path}: Required value: at least one keys is required");
            return;
        }

        int[] sizes = provider.Kind == EncryptionProviderKind.Secretbox ? SecretboxKeySizes : AesKeySizes;
        for (int i = 0; i < provider.Keys.Count; i++)
        {
            var key = provider.Keys[i];
            if (key.Name.Length == 0)
            {
                errors.Add($"{path}[{i}].name: Required value: name is a mandatory field for a key");
            }

            if (key.Secret.Length == 0)
            {
                errors.Add($"{path}[{i}].secret: Required value: secret is a mandatory field for a key");
                continue;
            }

            if (DecodeKey(key.Secret) is not { } bytes)
            {
                errors.Add($"{path}[{i}].secret: Invalid value: \"REDACTED\": secrets must be base64 encoded");
            }
            else if (Array.IndexOf(sizes, bytes.Length) < 0)
            {
                errors.Add($"{path}[{i}].secret: Invalid value: \"REDACTED\": secret is not of the expected length, got {bytes.Length}, expected one of [{string.Join(' ', sizes)}]");
            }
        }
    }

    private static void ValidateKms(KmsProviderSettings kms, string path, HashSet<string> names, List<string> errors)
    {
        string version = kms.EffectiveApiVersion;
        if (kms.Name.Length == 0)
        {
            errors.Add($"{path}.name: Required value: name is a mandatory field for a provider");
        }

        if (version != "v1" && kms.Name.Contains(':', StringComparison.Ordinal))
        {
            errors.Add($"{path}.name: Invalid value: \"{kms.Name}\": invalid KMS provider name {kms.Name}, must not contain ':'");
        }

        // Without automatic reload, only v2 names must be unique; with it, every KMS name must be.
        if (version != "v1" && names.Contains(kms.Name))
        {
            errors.Add($"{path}.name: Invalid value: \"{kms.Name}\": duplicate KMS provider name {kms.Name}, names must be unique");
        }

        if (kms.Timeout is { } timeout && GoDuration.TryParse(timeout, out var duration) && duration <= TimeSpan.Zero)
        {
            errors.Add($"{path}.timeout: Invalid value: \"{timeout}\": timeout should be a positive value");
        }

        if (kms.Endpoint.Length == 0)
        {
            errors.Add($"{path}.endpoint: Invalid value: \"\": endpoint is a mandatory field for a kms");
        }
        else if (UrlScheme(kms.Endpoint) is var scheme && scheme != "unix")
        {
            errors.Add($"{path}.endpoint: Invalid value: \"{kms.Endpoint}\": unsupported scheme \"{scheme}\" for KMS provider, only unix is supported");
        }

        if (version != "v1" && kms.CacheSize is { } size)
        {
            errors.Add($"{path}.cachesize: Invalid value: {size}: cachesize is not supported in v2");
        }

        if (version == "v1" && kms.CacheSize == 0)
        {
            errors.Add($"{path}.cachesize: Invalid value: 0: cachesize should be a positive value, or negative to disable");
        }

        if (version is not ("v1" or "v2"))
        {
            errors.Add($"{path}.apiVersion: Invalid value: \"{version}\": unsupported apiVersion apiVersion for KMS provider, only v1 and v2 are supported");
        }
    }

    private static void ValidateOverlap(List<string> resources, string path, List<string> errors)
    {
        if (resources.Count < 2)
        {
            return;
        }

        var parsed = resources.Select(GroupResource.Parse).ToList();
        bool duplicate = false, overlap = false;
        for (int i = 0; i < parsed.Count; i++)
        {
            for (int j = 0; j < parsed.Count; j++)
            {
                if (i == j)
                {
                    continue;
                }

                var (a, b) = (parsed[i], parsed[j]);
                if (a == b && !duplicate)
                {
                    duplicate = true;
                    continue;
                }

                if (overlap)
                {
                    continue;
                }

                if (a == AnyGroupAnyResource || (a.Group == b.Group && (a.Resource == "*" || b.Resource == "*")))
                {
                    overlap = true;
                }
            }
        }

        if (duplicate)
        {
            errors.Add($"{path}: Invalid value: the same resource cannot be specified multiple times");
        }

        if (overlap)
        {
            errors.Add($"{path}: Invalid value: using overlapping resources such as 'secrets' and '*.' in the same resource list is not allowed as they will be masked");
        }
    }

    private static void ValidateResourceNames(List<string> resources, string path, List<string> errors)
    {
        for (int i = 0; i < resources.Count; i++)
        {
            string resource = resources[i];
            string itemPath = $"{path}[{i}]";
            var gr = GroupResource.Parse(resource);
            string? problem = resource switch
            {
                _ when !resource.Equals(resource.ToLowerInvariant(), StringComparison.Ordinal) => "resource name should not contain capital letters",
                "*" => "use '*.' to encrypt all the resources from core API group or *.* to encrypt all resources",
                "apiserveripinfo" or "serviceipallocations" or "servicenodeportallocations" => "resources which do not have REST API/s cannot be encrypted",
                _ when gr.Group == "events.k8s.io" => "'*.events.k8s.io' objects are stored using the 'events' API group in etcd. Use 'events' instead in the config file",
                _ when gr.Group == "extensions" => "'extensions' group has been removed and cannot be used for encryption",
                _ when gr.Group == "*" && gr.Resource != "*" => "encrypting the same resource across groups is not supported",
                _ => null,
            };
            if (problem is not null)
            {
                errors.Add($"{itemPath}: Invalid value: \"{resource}\": {problem}");
            }
        }
    }

    private static string UrlScheme(string url)
    {
        int colon = url.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && UrlSchemePattern().IsMatch(url[..colon]) ? url[..colon].ToLowerInvariant() : string.Empty;
    }

    [GeneratedRegex("^[A-Za-z0-9+/]*={0,2}$")]
    private static partial Regex StandardBase64();

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9+.-]*$")]
    private static partial Regex UrlSchemePattern();

    /// <summary>schema.ParseGroupResource: everything before the first dot is the resource.</summary>
    internal readonly record struct GroupResource(string Group, string Resource)
    {
        public static GroupResource Parse(string text)
        {
            int dot = text.IndexOf('.', StringComparison.Ordinal);
            return dot >= 0 ? new GroupResource(text[(dot + 1)..], text[..dot]) : new GroupResource(string.Empty, text);
        }

        public string ToYaml() => Group.Length == 0 && Resource == "*" ? "*." : Group.Length == 0 ? Resource : $"{Resource}.{Group}";
    }
}
