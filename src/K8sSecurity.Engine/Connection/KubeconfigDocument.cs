using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// One kubeconfig file as kubectl reads it (client-go's clientcmd v1 <c>Config</c>): every field decoded with
/// kubectl's rules by <see cref="KubeconfigDecoder"/>. Entries keep the file's order; names are unique per section.
/// Paths are as written (relative ones are relative to the file: see <see cref="Resolve"/>).
/// </summary>
internal sealed class KubeconfigDocument
{
    public required string Path { get; init; }

    /// <summary>The decoded JSON tree (what sigs.k8s.io/yaml hands to the JSON decoder); null for an empty file.</summary>
    public JsonNode? Json { get; init; }

    public string CurrentContext { get; init; } = string.Empty;

    public IReadOnlyList<KubeconfigClusterEntry> Clusters { get; init; } = Array.Empty<KubeconfigClusterEntry>();

    public IReadOnlyList<KubeconfigAuthInfo> Users { get; init; } = Array.Empty<KubeconfigAuthInfo>();

    public IReadOnlyList<KubeconfigContextEntry> Contexts { get; init; } = Array.Empty<KubeconfigContextEntry>();

    /// <summary>A file reference made absolute against the kubeconfig's folder, like client-go's ResolveLocalPaths.</summary>
    public string? Resolve(string? reference)
    {
        if (string.IsNullOrEmpty(reference))
        {
            return null;
        }

        return System.IO.Path.IsPathRooted(reference)
            ? reference
            : System.IO.Path.GetFullPath(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(Path) ?? ".", reference));
    }
}

/// <summary>A <c>clusters[]</c> entry (client-go v1 NamedCluster).</summary>
internal sealed class KubeconfigClusterEntry
{
    public string Name { get; init; } = string.Empty;

    public string Server { get; init; } = string.Empty;

    public string TlsServerName { get; init; } = string.Empty;

    public bool InsecureSkipTlsVerify { get; init; }

    public string CertificateAuthority { get; init; } = string.Empty;

    /// <summary>certificate-authority-data, base64-decoded (null when absent or null).</summary>
    public byte[]? CertificateAuthorityData { get; init; }

    public string ProxyUrl { get; init; } = string.Empty;

    public bool DisableCompression { get; init; }
}

/// <summary>A <c>users[]</c> entry (client-go v1 NamedAuthInfo).</summary>
internal sealed class KubeconfigAuthInfo
{
    public string Name { get; init; } = string.Empty;

    public string ClientCertificate { get; init; } = string.Empty;

    public byte[]? ClientCertificateData { get; init; }

    public string ClientKey { get; init; } = string.Empty;

    public byte[]? ClientKeyData { get; init; }

    public string Token { get; init; } = string.Empty;

    public string TokenFile { get; init; } = string.Empty;

    public string Impersonate { get; init; } = string.Empty;

    public string ImpersonateUid { get; init; } = string.Empty;

    public IReadOnlyList<string>? ImpersonateGroups { get; init; }

    public IReadOnlyDictionary<string, IReadOnlyList<string>>? ImpersonateUserExtra { get; init; }

    public string Username { get; init; } = string.Empty;

    public string Password { get; init; } = string.Empty;

    public KubeconfigAuthProvider? AuthProvider { get; init; }

    public KubeconfigExec? Exec { get; init; }

    /// <summary>How the user authenticates, by client-go's precedence of the fields that are set.</summary>
    public K8sAuthKind AuthKind
    {
        get
        {
            if (Exec is not null)
            {
                return K8sAuthKind.Exec;
            }

            if (AuthProvider is not null)
            {
                return K8sAuthKind.AuthProvider;
            }

            if (ClientCertificateData is { Length: > 0 } || ClientCertificate.Length > 0)
            {
                return K8sAuthKind.ClientCertificate;
            }

            if (Token.Length > 0)
            {
                return K8sAuthKind.Token;
            }

            if (TokenFile.Length > 0)
            {
                return K8sAuthKind.TokenFile;
            }

            return Username.Length > 0 ? K8sAuthKind.Basic : K8sAuthKind.None;
        }
    }
}

internal sealed class KubeconfigAuthProvider
{
    public string Name { get; init; } = string.Empty;

    public IReadOnlyDictionary<string, string>? Config { get; init; }
}

internal sealed class KubeconfigExec
{
    public string Command { get; init; } = string.Empty;

    public IReadOnlyList<string>? Args { get; init; }

    public IReadOnlyList<(string Name, string Value)>? Env { get; init; }

    public string ApiVersion { get; init; } = string.Empty;

    public string InstallHint { get; init; } = string.Empty;

    public bool ProvideClusterInfo { get; init; }

    public string InteractiveMode { get; init; } = string.Empty;
}

/// <summary>A <c>contexts[]</c> entry (client-go v1 NamedContext).</summary>
internal sealed class KubeconfigContextEntry
{
    public string Name { get; init; } = string.Empty;

    public string Cluster { get; init; } = string.Empty;

    public string User { get; init; } = string.Empty;

    public string Namespace { get; init; } = string.Empty;
}
