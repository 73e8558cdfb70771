using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Hardening;
using Xunit;

namespace K8sSecurity.Engine.Tests.Hardening;

public sealed class EncryptionConfigurationTests : IDisposable
{
    // A 32-byte key from upstream's validation tests and a second random one.
    private const string Key32 = "A/j5CnrWGB83ylcPkuUhm/6TSyrQtsNJtDPwPHNOj4Q=";
    private const string Header = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n";

    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-enc").FullName;

    /// <summary>
    /// Verdicts kube-apiserver gives: the cases of k8s.io/apiserver's encryptionconfig testdata (valid-configs,
    /// invalid-configs) and validation_encryption_test.go, re-typed as small documents.
    /// </summary>
    public static TheoryData<string, string, string?> UpstreamCases() => new()
    {
        { "aes-cbc-first", Header + "resources:\n- resources: [secrets, namespaces]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n  - identity: {}\n", null },
        { "kmsv2-first", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: testproviderv2\n      endpoint: unix:///tmp/testprovider.sock\n      timeout: 15s\n  - secretbox:\n      keys:\n      - name: key1\n        secret: YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXoxMjM0NTY=\n", null },
        { "kms-default-timeout", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      name: foo\n      endpoint: unix:///tmp/testprovider.sock\n      cachesize: 10\n", null },
        { "identity-first", Header + "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - aesgcm:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n", null },
        { "legacy-kind", "kind: EncryptionConfig\napiVersion: v1\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n", null },
        { "wildcards", Header + "resources:\n- resources: [events]\n  providers:\n  - identity: {}\n- resources: ['*.apps']\n  providers:\n  - aescbc:\n      keys:\n      - name: key2\n        secret: " + Key32 + "\n- resources: ['*.*']\n  providers:\n  - aescbc:\n      keys:\n      - name: key3\n        secret: " + Key32 + "\n", null },
        { "duplicate kms v1 names", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms: {name: foo, endpoint: 'unix:///tmp/a.sock', cachesize: 1}\n  - kms: {name: foo, endpoint: 'unix:///tmp/b.sock', cachesize: 1}\n", null },
        { "invalid-typo", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: testproviderv2\n      endpoint: unix:///tmp/testprovider.sock\n      timeout: 10s\n      pandas: are the best\n", "unknown field \"resources[0].providers[0].kms.pandas\"" },
        { "invalid-gvk", "kinds: EncryptionConfiguration\napiVersion: apiserver.config.k8s.io/v1\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n", "Object 'Kind' is missing" },
        { "invalid-config-type", "kind: EncryptionConfigurations\napiVersion: apiserver.config.k8s.io/v1\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n", "no kind \"EncryptionConfigurations\"" },
        { "aes invalid-key", Header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys:\n      - name: key1\n        secret: YSBzZWNyZXQgYSBzZWNyZXQ=\n", "secret is not of the expected length, got 17, expected one of [16 24 32]" },
        { "aes no-key", Header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys: []\n", "at least one keys is required" },
        { "secretbox 16 bytes", Header + "resources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n", "got 16, expected one of [32]" },
        { "not base64", Header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: not-base64!\n", "secrets must be base64 encoded" },
        { "kms negative-timeout", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: foo\n      endpoint: unix:///tmp/testprovider.sock\n      timeout: -15s\n", "timeout should be a positive value" },
        { "kms zero-timeout", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: foo\n      endpoint: unix:///tmp/testprovider.sock\n      timeout: 0s\n", "timeout should be a positive value" },
        { "kms no-endpoint", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: foo\n", "endpoint is a mandatory field for a kms" },
        { "kms tcp endpoint", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: foo\n      endpoint: https://kms.example.com\n", "unsupported scheme \"https\"" },
        { "kms invalid-apiversion", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v3\n      name: foo\n      endpoint: unix:///tmp/testprovider.sock\n", "only v1 and v2 are supported" },
        { "kms v2 cachesize", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: foo\n      endpoint: unix:///tmp/testprovider.sock\n      cachesize: 10\n", "cachesize is not supported in v2" },
        { "kms v2 name with colon", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms:\n      apiVersion: v2\n      name: 'foo:bar'\n      endpoint: unix:///tmp/testprovider.sock\n", "must not contain ':'" },
        { "duplicate kms v2 names", Header + "resources:\n- resources: [secrets]\n  providers:\n  - kms: {apiVersion: v2, name: foo, endpoint: 'unix:///tmp/a.sock'}\n  - kms: {apiVersion: v2, name: foo, endpoint: 'unix:///tmp/b.sock'}\n", "duplicate KMS provider name foo" },
        { "two providers in one element", Header + "resources:\n- resources: [secrets]\n  providers:\n  - aesgcm:\n      keys: [{name: foo, secret: '" + Key32 + "'}]\n    aescbc:\n      keys: [{name: foo, secret: '" + Key32 + "'}]\n", "more than one provider specified in a single element" },
        { "no providers", Header + "resources:\n- resources: [secrets]\n", "at least one resources[0].providers is required" },
        { "no resources", Header + "resources:\n- providers:\n  - identity: {}\n", "at least one resources[0].resources is required" },
        { "events.k8s.io group", Header + "resources:\n- resources: [events.events.k8s.io]\n  providers:\n  - identity: {}\n", "stored using the 'events' API group" },
        { "extensions group", Header + "resources:\n- resources: ['*.extensions']\n  providers:\n  - identity: {}\n", "'extensions' group has been removed" },
        { "star resource", Header + "resources:\n- resources: ['*']\n  providers:\n  - identity: {}\n", "use '*.' to encrypt all the resources from core API group" },
        { "capital letters", Header + "resources:\n- resources: [apiServerIPInfo]\n  providers:\n  - identity: {}\n", "should not contain capital letters" },
        { "non REST resource", Header + "resources:\n- resources: [serviceipallocations]\n  providers:\n  - identity: {}\n", "do not have REST API/s" },
        { "across groups", Header + "resources:\n- resources: ['secrets.*']\n  providers:\n  - identity: {}\n", "across groups is not supported" },
        { "overlap in one list", Header + "resources:\n- resources: [secrets, '*.']\n  providers:\n  - identity: {}\n", "overlapping resources" },
        { "duplicate in one list", Header + "resources:\n- resources: [secrets, secrets]\n  providers:\n  - identity: {}\n", "the same resource cannot be specified multiple times" },
        { "masked by earlier rule", Header + "resources:\n- resources: ['*.']\n  providers:\n  - identity: {}\n- resources: [secrets]\n  providers:\n  - identity: {}\n", "resource \"secrets\" is masked by earlier rule \"*.\"" },
        { "secret as a number", Header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: 12345\n", "secret: expected a string, got a number" },
        { "metadata is not a field", Header + "metadata:\n  name: x\nresources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n", "unknown field \"metadata\"" },
    };

    [Theory]
    [MemberData(nameof(UpstreamCases))]
    public void LoadsLikeKubeApiserver(string name, string yaml, string? expectedError)
    {
        string path = Write(name.Replace(' ', '-') + ".yaml", yaml);
        var (_, errors) = EncryptionConfigurationService.Load(path);
        if (expectedError is null)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains(errors, e => e.Contains(expectedError, StringComparison.Ordinal));
        }

        var load = EncryptionConfigurationChecker.Check(path, new[] { "secrets" }).First();
        Assert.Equal("ENC-LOAD", load.Id);
        Assert.Equal(expectedError is null ? HardeningStatus.Pass : HardeningStatus.Fail, load.Status);
    }

    [Theory]
    [InlineData(EncryptionProviderKind.Secretbox, "secretbox")]
    [InlineData(EncryptionProviderKind.AesGcm, "aesgcm")]
    [InlineData(EncryptionProviderKind.AesCbc, "aescbc")]
    public void GeneratedFileLoadsInTheUpstreamSchemaWithA32ByteRandomKeyAndIdentityLast(EncryptionProviderKind provider, string field)
    {
        string path = Path.Combine(directory, $"{field}.yaml");
        var result = EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path, Provider = provider, Resources = new[] { "secrets", "configmaps", "*.apps" } }, EngineLog.None);
        Assert.Equal("Created", result.Action);
        Assert.Equal(field, result.Provider);
        Assert.Equal("key1", result.ActiveKey);

        var config = UpstreamEncryptionSchema.Load(path);
        var entry = Assert.Single(config.Resources);
        Assert.Equal(new[] { "secrets", "configmaps", "*.apps" }, entry.Resources);
        Assert.Equal(2, entry.Providers.Count);
        Assert.All(entry.Providers, p => Assert.Equal(1, p.Count));
        var keys = provider switch
        {
            EncryptionProviderKind.Secretbox => entry.Providers[0].Secretbox,
            EncryptionProviderKind.AesGcm => entry.Providers[0].AesGcm,
            _ => entry.Providers[0].AesCbc,
        };
        var key = Assert.Single(keys!.Keys);
        Assert.Equal("key1", key.Name);
        Assert.Equal(32, Convert.FromBase64String(key.Secret).Length);
        Assert.NotNull(entry.Providers[1].Identity);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        Assert.DoesNotContain(key.Secret, result.ToString(), StringComparison.Ordinal);
        Assert.All(EncryptionConfigurationChecker.Check(path, new[] { "secrets", "configmaps", "deployments.apps" }), r =>
        {
            Assert.DoesNotContain(key.Secret, r.Message + r.Effective + r.Expected + r.Remediation, StringComparison.Ordinal);
            if (r.Id != "ENC-PROVIDER-STRENGTH" || provider == EncryptionProviderKind.Secretbox)
            {
                Assert.True(r.Status == HardeningStatus.Pass, $"{r.Id}: {r.Message}");
            }
        });
    }

    [Fact]
    public void KeysComeFromARandomGeneratorNotAFixedValue()
    {
        var secrets = Enumerable.Range(0, 3).Select(i =>
        {
            string path = Path.Combine(directory, $"random{i}.yaml");
            EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path }, EngineLog.None);
            return UpstreamEncryptionSchema.Load(path).Resources[0].Providers[0].Secretbox!.Keys[0].Secret;
        }).ToList();
        Assert.Equal(3, secrets.Distinct().Count());
    }

    [Fact]
    public void KmsV2FileLoadsInTheUpstreamSchema()
    {
        string path = Path.Combine(directory, "kms.yaml");
        EncryptionConfigurationService.New(new EncryptionConfigurationRequest
        {
            Path = path,
            Provider = EncryptionProviderKind.Kms,
            KmsName = "vault",
            KmsEndpoint = "unix:///var/run/kms/vault.sock",
            KmsTimeout = TimeSpan.FromSeconds(5),
        }, EngineLog.None);
        var kms = UpstreamEncryptionSchema.Load(path).Resources[0].Providers[0].Kms!;
        Assert.Equal("v2", kms.ApiVersion);
        Assert.Equal("vault", kms.Name);
        Assert.Equal("unix:///var/run/kms/vault.sock", kms.Endpoint);
        Assert.Equal("5s", kms.Timeout);
        Assert.Null(kms.CacheSize); // not allowed for v2
        Assert.Empty(EncryptionConfigurationService.Load(path).Errors);
    }

    [Fact]
    public void RotationAddsANewKeyInFrontKeepsTheOldOneThenDropsIt()
    {
        string path = Path.Combine(directory, "rotate.yaml");
        EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path, Provider = EncryptionProviderKind.AesGcm }, EngineLog.None);
        string key1 = KeysOf(path).Single().Secret;

        var added = EncryptionConfigurationService.Rotate(path, EncryptionKeyRotation.AddKey, null, EngineLog.None);
        Assert.Equal(("KeyAdded", "key2"), (added.Action, added.ActiveKey));
        var keys = KeysOf(path);
        Assert.Equal(new[] { "key2", "key1" }, keys.Select(k => k.Name));
        Assert.Equal(key1, keys[1].Secret);
        Assert.NotEqual(key1, keys[0].Secret);
        string key2 = keys[0].Secret;

        var removed = EncryptionConfigurationService.Rotate(path, EncryptionKeyRotation.RemoveOldKeys, null, EngineLog.None);
        Assert.Equal("OldKeysRemoved", removed.Action);
        var remaining = Assert.Single(KeysOf(path));
        Assert.Equal(("key2", key2), (remaining.Name, remaining.Secret));
        Assert.Equal("Unchanged", EncryptionConfigurationService.Rotate(path, EncryptionKeyRotation.RemoveOldKeys, null, EngineLog.None).Action);
    }

    [Fact]
    public void StagedKeyGoesSecondUntilPromoted()
    {
        string path = Path.Combine(directory, "staged.yaml");
        EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path }, EngineLog.None);
        var staged = EncryptionConfigurationService.Rotate(path, EncryptionKeyRotation.StageKey, "next", EngineLog.None);
        Assert.Equal(("KeyStaged", "key1"), (staged.Action, staged.ActiveKey));
        Assert.Equal(new[] { "key1", "next" }, KeysOf(path).Select(k => k.Name));

        var promoted = EncryptionConfigurationService.Rotate(path, EncryptionKeyRotation.PromoteKey, "next", EngineLog.None);
        Assert.Equal(("KeyPromoted", "next"), (promoted.Action, promoted.ActiveKey));
        Assert.Equal(new[] { "next", "key1" }, KeysOf(path).Select(k => k.Name));

        var duplicate = Assert.Throws<K8sOperationException>(() => EncryptionConfigurationService.Rotate(path, EncryptionKeyRotation.AddKey, "key1", EngineLog.None));
        Assert.Equal(K8sErrorKind.InvalidArgument, duplicate.Kind);
    }

    [Fact]
    public void BadInputIsRefusedBeforeAnythingIsWritten()
    {
        string path = Path.Combine(directory, "bad.yaml");
        var capital = Assert.Throws<K8sOperationException>(() => EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path, Resources = new[] { "Secrets" } }, EngineLog.None));
        Assert.Contains("Secrets", capital.Message, StringComparison.Ordinal);
        Assert.Contains("capital letters", capital.Message, StringComparison.Ordinal);
        Assert.Throws<K8sOperationException>(() => EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path, KeyName = "a:b" }, EngineLog.None));
        Assert.Throws<K8sOperationException>(() => EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path, Provider = EncryptionProviderKind.Kms, KmsName = "v", KmsEndpoint = "https://kms" }, EngineLog.None));
        Assert.False(File.Exists(path));

        EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path }, EngineLog.None);
        string before = File.ReadAllText(path);
        var exists = Assert.Throws<K8sOperationException>(() => EncryptionConfigurationService.New(new EncryptionConfigurationRequest { Path = path }, EngineLog.None));
        Assert.Equal(K8sErrorKind.FileSystem, exists.Kind);
        Assert.Equal(before, File.ReadAllText(path));
    }

    [Fact]
    public void RotationRefusesAFileTheApiServerWouldNotLoad()
    {
        string path = Write("typo.yaml", Header + "resources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: key1\n        secret: " + Key32 + "\n        extra: 1\n");
        string before = File.ReadAllText(path);
        var ex = Assert.Throws<K8sOperationException>(() => EncryptionConfigurationService.Rotate(path, EncryptionKeyRotation.AddKey, null, EngineLog.None));
        Assert.Contains("unknown field", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key32, ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, File.ReadAllText(path));
    }

    [Fact]
    public void IdentityFirstAndMissingResourcesFail()
    {
        string identityFirst = Write("identity-first.yaml", Header + "resources:\n- resources: [secrets]\n  providers:\n  - identity: {}\n  - secretbox:\n      keys:\n      - name: key1\n        secret: " + Key32 + "\n");
        var results = EncryptionConfigurationChecker.Check(identityFirst, new[] { "secrets", "configmaps" }).ToList();
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "ENC-IDENTITY-FIRST").Status);
        Assert.Equal(HardeningStatus.Pass, results.Single(r => r.Id == "ENC-RESOURCE-MISSING" && r.Title.StartsWith("secrets", StringComparison.Ordinal)).Status);
        var configmaps = results.Single(r => r.Id == "ENC-RESOURCE-MISSING" && r.Title.StartsWith("configmaps", StringComparison.Ordinal));
        Assert.Equal((HardeningStatus.Fail, "not listed"), (configmaps.Status, configmaps.Effective));

        // An opt-out entry for events before '*.*' is how upstream documents exceptions: a warning, not a failure.
        string optOut = Write("opt-out.yaml", Header + "resources:\n- resources: [events]\n  providers:\n  - identity: {}\n- resources: ['*.*']\n  providers:\n  - secretbox:\n      keys:\n      - name: key1\n        secret: " + Key32 + "\n");
        var optOutResults = EncryptionConfigurationChecker.Check(optOut, new[] { "secrets" }).ToList();
        Assert.Equal(new[] { HardeningStatus.Warn, HardeningStatus.Pass }, optOutResults.Where(r => r.Id == "ENC-IDENTITY-FIRST").Select(r => r.Status));
        Assert.Contains("resources[1]", optOutResults.Single(r => r.Id == "ENC-RESOURCE-MISSING").Effective, StringComparison.Ordinal);
    }

    [Fact]
    public void WeakShortAndDuplicateKeysAreFlagged()
    {
        // "c2VjcmV0IGlzIHNlY3VyZQ==" is the text "secret is secure" (the documentation's example key).
        string random16 = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        string path = Write("weak.yaml", Header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n      - name: key1\n        secret: c2VjcmV0IGlzIHNlY3VyZQ==\n      - name: key2\n        secret: " + random16 + "\n      - name: key2\n        secret: " + Key32 + "\n  - identity: {}\n");
        var results = EncryptionConfigurationChecker.Check(path, new[] { "secrets" }).ToList();
        var strength = results.Where(r => r.Id == "ENC-KEY-STRENGTH").Select(r => r.Status).ToList();
        Assert.Equal(new[] { HardeningStatus.Fail, HardeningStatus.Warn, HardeningStatus.Pass }, strength);
        Assert.Equal(HardeningStatus.Fail, results.Single(r => r.Id == "ENC-KEY-DUPLICATE-NAME").Status);
        Assert.Equal(HardeningStatus.Warn, results.Single(r => r.Id == "ENC-PROVIDER-STRENGTH").Status);
        foreach (var result in results)
        {
            Assert.DoesNotContain(random16, result.Message + result.Effective, StringComparison.Ordinal);
            Assert.DoesNotContain("c2VjcmV0IGlzIHNlY3VyZQ==", result.Message + result.Effective, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void FileReadableByOthersFails()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string path = Write("open.yaml", Header + "resources:\n- resources: [secrets]\n  providers:\n  - secretbox:\n      keys:\n      - name: key1\n        secret: " + Key32 + "\n");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var permissions = EncryptionConfigurationChecker.Check(path, new[] { "secrets" }).Single(r => r.Id == "ENC-FILE-PERMISSIONS");
        Assert.Equal((HardeningStatus.Fail, "644"), (permissions.Status, permissions.Effective));
        File.SetUnixFileMode(path, UnixFileMode.UserRead);
        Assert.Equal(HardeningStatus.Pass, EncryptionConfigurationChecker.Check(path, new[] { "secrets" }).Single(r => r.Id == "ENC-FILE-PERMISSIONS").Status);
    }

    [Fact]
    public void UnreadableFileFailsClosed()
    {
        string path = Write("broken.yaml", "apiVersion: [unclosed\n");
        var results = EncryptionConfigurationChecker.Check(path, new[] { "secrets" }).ToList();
        var load = Assert.Single(results);
        Assert.Equal(HardeningStatus.Fail, load.Status);
        Assert.Equal(HardeningStatus.Fail, Assert.Single(EncryptionConfigurationChecker.Check(Write("empty.yaml", string.Empty), new[] { "secrets" })).Status);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private static List<UpstreamEncryptionSchema.Key> KeysOf(string path)
    {
        var provider = UpstreamEncryptionSchema.Load(path).Resources[0].Providers[0];
        return (provider.Secretbox ?? provider.AesGcm ?? provider.AesCbc)!.Keys;
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
