namespace K8sSecurity.Engine.Identity;

/// <summary>Where a CertificateSigningRequest stands, derived from its conditions and status.certificate.</summary>
public enum CertificateRequestCondition
{
    Pending,
    Approved,
    Denied,
    Failed,
    Issued,
}

/// <summary>
/// A certificates.k8s.io/v1 CertificateSigningRequest with what the PKCS#10 request inside asks for, so an admin
/// can decide in a pipeline (Where-Object Groups -notcontains 'system:masters').
/// </summary>
public sealed class K8sCertificateRequest
{
    public required string Name { get; init; }

    public CertificateRequestCondition Condition { get; init; }

    /// <summary>The user the certificate would authenticate as (CN of the request).</summary>
    public string? UserName { get; init; }

    /// <summary>The groups the certificate would carry (O values of the request).</summary>
    public IReadOnlyList<string> Groups { get; init; } = Array.Empty<string>();

    public required string SignerName { get; init; }

    /// <summary>Who created the request (spec.username, set by the API server).</summary>
    public string? Requestor { get; init; }

    public IReadOnlyList<string> RequestorGroups { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> Usages { get; init; } = Array.Empty<string>();

    public TimeSpan? RequestedDuration { get; init; }

    public string? Subject { get; init; }

    public string? KeyAlgorithm { get; init; }

    /// <summary>False when the request's self-signature does not verify (tampered or broken request).</summary>
    public bool SignatureValid { get; init; }

    /// <summary>True when the request asks for group system:masters (cluster-admin without RBAC).</summary>
    public bool RequestsSystemMasters => Groups.Contains("system:masters", StringComparer.Ordinal);

    /// <summary>Reason of the deciding condition (Approved/Denied/Failed).</summary>
    public string? Reason { get; init; }

    public string? Message { get; init; }

    public DateTimeOffset? CreationTimestamp { get; init; }

    public DateTimeOffset? CertificateNotAfter { get; init; }

    public string? CertificateThumbprint { get; init; }

    public string? Uid { get; init; }

    public override string ToString() => Name;
}
