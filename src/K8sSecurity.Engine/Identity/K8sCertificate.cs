using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K8sSecurity.Engine.Identity;

/// <summary>Where a certificate was read from.</summary>
public enum CertificateSourceKind
{
    File,
    Kubeconfig,
    Secret,
    Generated,
}

/// <summary>
/// One certificate as Get-K8sCertificate shows it, and what New-K8sCertificate / New-K8sCertificateAuthority
/// produce. Only public material: <see cref="KeyPath"/> names the private key file, never its content.
/// </summary>
public sealed class K8sCertificate
{
    /// <summary>A short name: the file name without extension, the kubeconfig user or cluster, or namespace/secret.</summary>
    public required string Name { get; init; }

    public required string Subject { get; init; }

    public string? CommonName { get; init; }

    public IReadOnlyList<string> Organizations { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> DnsNames { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> IPAddresses { get; init; } = Array.Empty<string>();

    public required string Issuer { get; init; }

    public string? IssuerCommonName { get; init; }

    public DateTimeOffset NotBefore { get; init; }

    public DateTimeOffset NotAfter { get; init; }

    /// <summary>Whole days until NotAfter, negative once expired; computed when read.</summary>
    public int DaysRemaining => (int)Math.Floor((NotAfter - DateTimeOffset.UtcNow).TotalDays);

    public required string KeyAlgorithm { get; init; }

    public int KeySize { get; init; }

    public required string SignatureAlgorithm { get; init; }

    public bool IsCA { get; init; }

    public bool IsSelfSigned { get; init; }

    /// <summary>Key usage flags, e.g. DigitalSignature, KeyEncipherment, KeyCertSign.</summary>
    public IReadOnlyList<string> KeyUsages { get; init; } = Array.Empty<string>();

    /// <summary>Extended key usages by name: ServerAuth, ClientAuth, or the OID when unnamed.</summary>
    public IReadOnlyList<string> ExtendedKeyUsages { get; init; } = Array.Empty<string>();

    public required string SerialNumber { get; init; }

    /// <summary>SHA-256 fingerprint, hex.</summary>
    public required string Thumbprint { get; init; }

    public CertificateSourceKind SourceKind { get; init; }

    /// <summary>File path, "kubeconfig-path (user NAME)" or "secret NAMESPACE/NAME", for people.</summary>
    public required string Source { get; init; }

    /// <summary>The certificate file, when the certificate came from (or was written to) its own file.</summary>
    public string? Path { get; init; }

    /// <summary>The private key file written next to a generated certificate; null otherwise.</summary>
    public string? KeyPath { get; init; }

    /// <summary>The certificate itself (public part only), for chain checks and .NET APIs.</summary>
    public required X509Certificate2 Certificate { get; init; }

    public override string ToString() => $"{Name} ({Subject}, expires {NotAfter:yyyy-MM-dd})";

    public static K8sCertificate From(
        X509Certificate2 certificate, string name, CertificateSourceKind kind, string source, string? path = null, string? keyPath = null)
    {
        var basic = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        var keyUsage = certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault();
        var eku = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        var san = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().FirstOrDefault();
        var (algorithm, size) = DescribeKey(certificate);
        return new K8sCertificate
        {
            Name = name,
            Subject = certificate.Subject,
            CommonName = DistinguishedNames.CommonName(certificate.SubjectName),
            Organizations = DistinguishedNames.Organizations(certificate.SubjectName),
            DnsNames = san?.EnumerateDnsNames().ToArray() ?? Array.Empty<string>(),
            IPAddresses = san?.EnumerateIPAddresses().Select(ip => ip.ToString()).ToArray() ?? Array.Empty<string>(),
            Issuer = certificate.Issuer,
            IssuerCommonName = DistinguishedNames.CommonName(certificate.IssuerName),
            NotBefore = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero),
            NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            KeyAlgorithm = algorithm,
            KeySize = size,
            SignatureAlgorithm = certificate.SignatureAlgorithm.FriendlyName ?? certificate.SignatureAlgorithm.Value ?? "unknown",
            IsCA = basic?.CertificateAuthority ?? false,
            IsSelfSigned = certificate.SubjectName.RawData.AsSpan().SequenceEqual(certificate.IssuerName.RawData) && SignedBy(certificate, certificate),
            KeyUsages = keyUsage is null ? Array.Empty<string>() : SplitFlags(keyUsage.KeyUsages),
            ExtendedKeyUsages = eku is null ? Array.Empty<string>() : eku.EnhancedKeyUsages.Cast<Oid>().Select(UsageName).ToArray(),
            SerialNumber = certificate.SerialNumber,
            Thumbprint = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)),
            SourceKind = kind,
            Source = source,
            Path = path,
            KeyPath = keyPath,
            Certificate = certificate,
        };
    }

    public static string UsageName(Oid oid) => oid.Value switch
    {
        CertificateUsages.ServerAuthOid => "ServerAuth",
        CertificateUsages.ClientAuthOid => "ClientAuth",
        "1.3.6.1.5.5.7.3.3" => "CodeSigning",
        "1.3.6.1.5.5.7.3.4" => "EmailProtection",
        "1.3.6.1.5.5.7.3.8" => "TimeStamping",
        "1.3.6.1.5.5.7.3.9" => "OcspSigning",
        _ => oid.Value ?? oid.FriendlyName ?? "unknown",
    };

    /// <summary>True when <paramref name="issuer"/>'s key verifies the certificate's signature.</summary>
    public static bool SignedBy(X509Certificate2 certificate, X509Certificate2 issuer) => SignatureCheck.IsSignedBy(certificate, issuer);

    private static (string Algorithm, int Size) DescribeKey(X509Certificate2 certificate)
    {
        using (var rsa = certificate.GetRSAPublicKey())
        {
            if (rsa is not null)
            {
                return ("RSA", rsa.KeySize);
            }
        }

        using (var ec = certificate.GetECDsaPublicKey())
        {
            if (ec is not null)
            {
                return ("ECDSA", ec.KeySize);
            }
        }

        return (certificate.PublicKey.Oid.FriendlyName ?? certificate.PublicKey.Oid.Value ?? "unknown", 0);
    }

    private static string[] SplitFlags(X509KeyUsageFlags flags) =>
        Enum.GetValues<X509KeyUsageFlags>()
            .Where(f => f != X509KeyUsageFlags.None && flags.HasFlag(f))
            .Select(f => f.ToString())
            .ToArray();

    internal static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLower(CultureInfo.InvariantCulture);
}
