namespace K8sSecurity.Engine.Identity;

/// <summary>Where a user certificate stands after New-K8sUserCertificate or Receive-K8sCertificate.</summary>
public enum UserCertificateStatus
{
    /// <summary>Key and CSR written; nothing submitted or signed.</summary>
    Created,

    /// <summary>Submitted to the cluster and waiting for approval.</summary>
    Pending,

    /// <summary>Approved; the signer has not issued the certificate yet.</summary>
    Approved,

    /// <summary>The certificate exists (signed locally or issued by the cluster) and was written.</summary>
    Issued,
}

/// <summary>
/// A user's key, CSR and certificate files. Holds paths and public facts only: never the key itself.
/// Pipes into Receive-K8sCertificate (RequestName, KeyPath) and New-K8sKubeconfig (CertificatePath, KeyPath, UserName).
/// </summary>
public sealed class UserCertificate
{
    public required string UserName { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = Array.Empty<string>();

    public string? KeyAlgorithm { get; init; }

    public string? KeyPath { get; init; }

    public string? CsrPath { get; init; }

    public string? CertificatePath { get; init; }

    public string? KubeconfigPath { get; init; }

    /// <summary>The CertificateSigningRequest in the cluster, when submitted.</summary>
    public string? RequestName { get; init; }

    public string? SignerName { get; init; }

    public UserCertificateStatus Status { get; init; }

    public string? Issuer { get; init; }

    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>SHA-256 fingerprint of the certificate.</summary>
    public string? Thumbprint { get; init; }

    public override string ToString() => $"{UserName} ({Status})";
}
