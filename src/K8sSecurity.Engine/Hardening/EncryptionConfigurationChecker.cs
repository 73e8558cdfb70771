using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// Test-K8sEncryptionConfiguration: does the file load in kube-apiserver, does it encrypt the resources that must be
/// encrypted (identity first or a resource left out means plain text in etcd), with a provider and keys upstream
/// calls strong, without duplicate key names, in a file only its owner can read.
/// </summary>
public static class EncryptionConfigurationChecker
{
    public const string Component = "EncryptionConfiguration";

    private const string RotateRemediation =
        "Rotate: New-K8sEncryptionConfiguration -Path FILE -AddKey, restart kube-apiserver, rewrite every object (kubectl get secrets -A -o json | kubectl replace -f -), then -RemoveOldKeys.";

    public static IEnumerable<HardeningCheckResult> Check(string filePath, IReadOnlyList<string> requiredResources)
    {
        string path = Path.GetFullPath(filePath);
        var (config, errors) = EncryptionConfigurationService.Load(path);
        yield return Result("ENC-LOAD", "kube-apiserver can load the encryption configuration", errors.Count == 0 ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, path,
            errors.Count == 0 ? "loads" : string.Join("; ", errors.Take(5)) + (errors.Count > 5 ? $" (+{errors.Count - 5} more)" : string.Empty),
            "an apiserver.config.k8s.io/v1 EncryptionConfiguration that passes the API server's validation",
            errors.Count == 0 ? "The file decodes strictly and passes kube-apiserver's validation." : $"kube-apiserver would refuse to start with this file: {errors[0]}",
            "Fix the fields named in the message (or write a new file with New-K8sEncryptionConfiguration).");
        if (config is null)
        {
            yield break;
        }

        yield return FilePermissions(path);
        foreach (string resource in requiredResources)
        {
            var match = EncryptionConfigurationRules.ProvidersFor(config, resource);
            yield return Result("ENC-RESOURCE-MISSING", $"{resource} are listed for encryption", match is null ? HardeningStatus.Fail : HardeningStatus.Pass, FindingSeverity.High, path,
                match is { } m ? $"resources[{m.EntryIndex}]: {(m.Providers.Count > 0 ? m.Providers[0].Describe() : "no provider")}" : "not listed",
                $"an entry for {resource} (or '*.' / '*.*')",
                match is { } found
                    ? $"{resource} match resources[{found.EntryIndex}], written by {(found.Providers.Count > 0 ? found.Providers[0].Describe() : "no provider")}."
                    : $"No entry lists {resource}: kube-apiserver stores them in etcd as plain text.",
                $"Add {resource} to the resources of an entry whose first provider encrypts (New-K8sEncryptionConfiguration -Resource {resource}).");
        }

        for (int i = 0; i < config.Resources.Count; i++)
        {
            var entry = config.Resources[i];
            if (entry.Providers.Count == 0)
            {
                continue;
            }

            var writer = entry.Providers[0];
            string resources = string.Join(", ", entry.Resources);
            bool required = requiredResources.Any(r => EncryptionConfigurationRules.ProvidersFor(config, r)?.EntryIndex == i);
            yield return writer.Kind == EncryptionProviderKind.Identity
                ? Result("ENC-IDENTITY-FIRST", $"resources[{i}] ({resources}) is encrypted", required ? HardeningStatus.Fail : HardeningStatus.Warn, required ? FindingSeverity.High : FindingSeverity.Low, path,
                    "identity first", "an encrypting provider (kms v2, secretbox, aesgcm, aescbc) first, identity last",
                    $"The first provider of resources[{i}] is identity: new writes of {resources} are stored in plain text{(required ? string.Empty : " (acceptable only to opt a resource out on purpose)")}.",
                    "Put the encrypting provider first and identity last, restart kube-apiserver, then rewrite the objects (kubectl get secrets -A -o json | kubectl replace -f -).")
                : Result("ENC-IDENTITY-FIRST", $"resources[{i}] ({resources}) is encrypted", HardeningStatus.Pass, FindingSeverity.High, path,
                    writer.Describe(), "an encrypting provider first, identity last",
                    $"New writes of {resources} are encrypted by {writer.Describe()}.", "None.");
            if (writer.Kind != EncryptionProviderKind.Identity)
            {
                yield return ProviderStrength(i, resources, writer, path);
            }

            var duplicates = entry.Providers.Where(p => p.HasKeys)
                .GroupBy(p => p.Kind)
                .SelectMany(g => g.SelectMany(p => p.Keys).GroupBy(k => k.Name, StringComparer.Ordinal).Where(n => n.Count() > 1).Select(n => $"{g.Key.ToString().ToLowerInvariant()}/{n.Key}"))
                .ToList();
            yield return Result("ENC-KEY-DUPLICATE-NAME", $"resources[{i}] key names are unique", duplicates.Count > 0 ? HardeningStatus.Fail : HardeningStatus.Pass, FindingSeverity.High, path,
                duplicates.Count > 0 ? "duplicates: " + string.Join(", ", duplicates) : "unique", "every key name once per provider type",
                duplicates.Count > 0
                    ? $"Key names repeat ({string.Join(", ", duplicates)}): the name is the prefix stored with every value, so the API server cannot tell which of the keys wrote it."
                    : "Every key name is unique.",
                "Rename one of the keys before any data is written with it; if data exists under both, keep the key that wrote it first.");
            foreach (var provider in entry.Providers.Where(p => p.HasKeys))
            {
                foreach (var key in provider.Keys)
                {
                    yield return KeyStrength(i, provider, key, path);
                }
            }
        }
    }

    private static HardeningCheckResult ProviderStrength(int index, string resources, EncryptionProviderEntry writer, string path)
    {
        var (status, severity, message) = writer.Kind switch
        {
            EncryptionProviderKind.AesCbc => (HardeningStatus.Warn, FindingSeverity.Medium,
                "aescbc is the provider upstream rates weak (CBC is open to padding oracle attacks); the key sits on the control-plane host."),
            EncryptionProviderKind.AesGcm => (HardeningStatus.Warn, FindingSeverity.Low,
                "aesgcm keys must be rotated every 200,000 writes; upstream recommends it only with automated key rotation."),
            EncryptionProviderKind.Kms when writer.Kms?.EffectiveApiVersion == "v1" => (HardeningStatus.Warn, FindingSeverity.Medium,
                "KMS v1 is deprecated since Kubernetes 1.28 and off by default since 1.29 (the KMSv1 feature gate); use KMS v2."),
            EncryptionProviderKind.Secretbox => (HardeningStatus.Pass, FindingSeverity.Medium,
                "secretbox (XSalsa20 and Poly1305) is strong; its key sits on the control-plane host (kms v2 keeps it in a KMS)."),
            _ => (HardeningStatus.Pass, FindingSeverity.Medium, "KMS v2 envelope encryption: the key encryption key stays in the KMS."),
        };
        return Result("ENC-PROVIDER-STRENGTH", $"resources[{index}] ({resources}) uses a strong provider", status, severity, path,
            writer.Describe(), "kms v2 or secretbox (aesgcm with automated rotation)", message,
            "Switch the first provider to kms v2 (or secretbox): add it in front, restart kube-apiserver, rewrite the objects, then remove the old provider.");
    }

    private static HardeningCheckResult KeyStrength(int index, EncryptionProviderEntry provider, EncryptionKeyEntry key, string path)
    {
        string title = $"resources[{index}] {provider.FieldName} key '{key.Name}' is strong";
        const string expected = "32 random bytes (head -c 32 /dev/urandom | base64)";
        var bytes = EncryptionConfigurationRules.DecodeKey(key.Secret);
        if (bytes is null)
        {
            return Result("ENC-KEY-STRENGTH", title, HardeningStatus.Fail, FindingSeverity.High, path, "not base64", expected,
                $"Key '{key.Name}' is not standard base64: kube-apiserver cannot use it.", RotateRemediation);
        }

        int[] sizes = provider.Kind == EncryptionProviderKind.Secretbox ? EncryptionConfigurationRules.SecretboxKeySizes : EncryptionConfigurationRules.AesKeySizes;
        if (Array.IndexOf(sizes, bytes.Length) < 0)
        {
            return Result("ENC-KEY-STRENGTH", title, HardeningStatus.Fail, FindingSeverity.High, path, $"{bytes.Length} bytes", expected,
                $"Key '{key.Name}' is {bytes.Length} bytes; {provider.FieldName} accepts {string.Join(", ", sizes)}.", RotateRemediation);
        }

        if (LooksLikeText(bytes) || bytes.Distinct().Count() < bytes.Length / 2)
        {
            return Result("ENC-KEY-STRENGTH", title, HardeningStatus.Fail, FindingSeverity.High, path, $"{bytes.Length} bytes, not random", expected,
                $"Key '{key.Name}' is {(LooksLikeText(bytes) ? "printable text" : "a repeating pattern")}, not random bytes: it can be guessed.", RotateRemediation);
        }

        return bytes.Length < 32
            ? Result("ENC-KEY-STRENGTH", title, HardeningStatus.Warn, FindingSeverity.Low, path, $"{bytes.Length} bytes", expected,
                $"Key '{key.Name}' is {bytes.Length} bytes (AES-{bytes.Length * 8}); upstream generates 32-byte keys.", RotateRemediation)
            : Result("ENC-KEY-STRENGTH", title, HardeningStatus.Pass, FindingSeverity.High, path, "32 bytes", expected,
                $"Key '{key.Name}' is 32 bytes of random-looking data.", "None.");
    }

    private static HardeningCheckResult FilePermissions(string path)
    {
        const string title = "The encryption configuration is readable by its owner only";
        const string expected = "600 or stricter";
        if (OperatingSystem.IsWindows())
        {
            return Result("ENC-FILE-PERMISSIONS", title, HardeningStatus.Pass, FindingSeverity.High, path, "(Windows ACL)", expected,
                "File modes do not apply on Windows; check the ACL by hand.", "None.");
        }

        var mode = File.GetUnixFileMode(path);
        string octal = UnixModes.ToOctal(mode);
        bool open = (mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0;
        return Result("ENC-FILE-PERMISSIONS", title, open ? HardeningStatus.Fail : HardeningStatus.Pass, FindingSeverity.High, path, octal, expected,
            open ? $"Mode {octal} lets other users read the keys that decrypt etcd." : $"Mode {octal}.",
            $"chmod 600 {path}");
    }

    private static bool LooksLikeText(byte[] bytes) => bytes.All(b => b is >= 0x20 and <= 0x7e);

    private static HardeningCheckResult Result(string id, string title, HardeningStatus status, FindingSeverity severity, string path, string? effective, string expected, string message, string remediation) =>
        HardeningCheckResult.Create(id, title, Component, status, severity, path, effective, expected, message, remediation);
}
