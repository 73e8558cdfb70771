namespace K8sSecurity.Engine.Hardening;

/// <summary>What New-K8sEncryptionConfiguration did to a file. Key names only: key material never leaves the file.</summary>
public sealed class EncryptionConfigurationFile
{
    public required string Path { get; init; }

    /// <summary>Created, KeyAdded, KeyStaged, KeyPromoted, OldKeysRemoved or Unchanged.</summary>
    public required string Action { get; init; }

    /// <summary>The provider that encrypts new writes of the first resources entry (aescbc, aesgcm, secretbox, kms).</summary>
    public required string Provider { get; init; }

    /// <summary>Every resource the file lists, in order.</summary>
    public IReadOnlyList<string> Resources { get; init; } = Array.Empty<string>();

    /// <summary>Name of the key that encrypts new writes (the first key of the first provider); the KMS name for kms.</summary>
    public string? ActiveKey { get; init; }

    /// <summary>Names of the keys the API server can decrypt with, in the order it tries them.</summary>
    public IReadOnlyList<string> Keys { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{Path} ({Action}, {Provider}, active key {ActiveKey})";
}
