using System.Security;

namespace K8sSecurity.Engine.Identity;

/// <summary>Where the API server is and how to trust it.</summary>
public sealed record KubeconfigClusterSpec
{
    public required string Name { get; init; }

    public required string Server { get; init; }

    /// <summary>CA bundle bytes (PEM) to embed; or null with <see cref="CertificateAuthorityPath"/>.</summary>
    public byte[]? CertificateAuthorityData { get; init; }

    public string? CertificateAuthorityPath { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    public string? TlsServerName { get; init; }
}

/// <summary>Everything New-K8sKubeconfig writes for one user.</summary>
public sealed record KubeconfigSpec
{
    public required KubeconfigClusterSpec Cluster { get; init; }

    /// <summary>The user entry name; null means the certificate's CN (or "user").</summary>
    public string? UserName { get; init; }

    /// <summary>The context name; null means USER@CLUSTER.</summary>
    public string? ContextName { get; init; }

    public string? Namespace { get; init; }

    public string? ClientCertificatePath { get; init; }

    public string? ClientKeyPath { get; init; }

    /// <summary>
    /// The PEM text of the files at <see cref="ClientCertificatePath"/> and <see cref="ClientKeyPath"/> when they are
    /// written in the same step as the kubeconfig (so they are not on disk yet).
    /// </summary>
    public string? ClientCertificatePem { get; init; }

    /// <inheritdoc cref="ClientCertificatePem"/>
    public string? ClientKeyPem { get; init; }

    public SecureString? Token { get; init; }

    public string? OidcIssuerUrl { get; init; }

    public string? OidcClientId { get; init; }

    public IReadOnlyList<string> OidcExtraScopes { get; init; } = Array.Empty<string>();

    /// <summary>The client secret of a confidential OIDC client (kubelogin's --oidc-client-secret); null for a public client.</summary>
    public SecureString? OidcClientSecret { get; init; }

    /// <summary>Write absolute file paths instead of embedding certificate, key and CA data.</summary>
    public bool ReferenceFiles { get; init; }
}
