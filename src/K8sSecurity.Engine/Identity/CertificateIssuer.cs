using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Identity;

/// <summary>What a leaf certificate should say; the issuer turns it into extensions.</summary>
public sealed record LeafCertificateSpec
{
    public required string CommonName { get; init; }

    public IReadOnlyList<string> Organizations { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> DnsNames { get; init; } = Array.Empty<string>();

    public IReadOnlyList<IPAddress> IPAddresses { get; init; } = Array.Empty<IPAddress>();

    public CertificateProfile Profile { get; init; } = CertificateProfile.Client;

    public int ValidityDays { get; init; } = 365;
}

/// <summary>
/// Local signing with a CA key: what `openssl x509 -req -CA ca.crt -CAkey ca.key` does in the seed, with the
/// extensions Kubernetes components expect (kubeadm's pkiutil: keyUsage, extKeyUsage, SKI/AKI, SANs).
/// </summary>
public static class CertificateIssuer
{
    /// <summary>Clock skew allowance, as kubeadm backdates its certificates.</summary>
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);

    public static X509Certificate2 CreateAuthority(string commonName, IReadOnlyList<string> organizations, AsymmetricAlgorithm key, int validityDays)
    {
        var request = KeyMaterial.NewRequest(DistinguishedNames.Build(commonName, organizations), key);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature | (key is RSA ? X509KeyUsageFlags.KeyEncipherment : 0),
            critical: true));
        var ski = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(ski);
        var now = DateTimeOffset.UtcNow;
        using var withKey = request.CreateSelfSigned(now - Backdate, now.AddDays(validityDays));
        return new X509Certificate2(withKey.RawData);
    }

    /// <summary>Signs a PKCS#10 request for a client certificate: subject from the CSR, usages of the client profile.</summary>
    public static X509Certificate2 SignRequest(string csrPem, CertificateAuthorityKeyPair authority, int validityDays, EngineLog? log = null)
    {
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(csrPem, KeyMaterial.HashFor(authority.Key), CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException ex)
        {
            throw new K8sOperationException(K8sErrorKind.InvalidArgument, $"The certificate request cannot be read or its signature is wrong: {ex.Message}", null, ex);
        }

        // Requested extensions are not trusted: the signer decides what the certificate may do.
        request.CertificateExtensions.Clear();
        bool rsaKey = request.PublicKey.Oid.Value == "1.2.840.113549.1.1.1";
        AddLeafExtensions(request, authority.Certificate, rsaKey, CertificateProfile.Client, Array.Empty<string>(), Array.Empty<IPAddress>());
        return Sign(request, authority, validityDays, log);
    }

    public static X509Certificate2 Issue(LeafCertificateSpec spec, AsymmetricAlgorithm key, CertificateAuthorityKeyPair authority, EngineLog? log = null)
    {
        var request = KeyMaterial.NewRequest(DistinguishedNames.Build(spec.CommonName, spec.Organizations), key);
        request = new CertificateRequest(request.SubjectName, request.PublicKey, KeyMaterial.HashFor(authority.Key));
        AddLeafExtensions(request, authority.Certificate, key is RSA, spec.Profile, spec.DnsNames, spec.IPAddresses);
        return Sign(request, authority, spec.ValidityDays, log);
    }

    /// <summary>X509 usages for a profile; also used to explain what a certificate is for.</summary>
    public static IReadOnlyList<string> ExtendedUsageOids(CertificateProfile profile) => profile switch
    {
        CertificateProfile.Client => new[] { CertificateUsages.ClientAuthOid },
        CertificateProfile.Server => new[] { CertificateUsages.ServerAuthOid },
        _ => new[] { CertificateUsages.ServerAuthOid, CertificateUsages.ClientAuthOid },
    };

    private static void AddLeafExtensions(
        CertificateRequest request, X509Certificate2 issuer, bool rsaKey, CertificateProfile profile, IReadOnlyList<string> dnsNames, IReadOnlyList<IPAddress> ipAddresses)
    {
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | (rsaKey ? X509KeyUsageFlags.KeyEncipherment : 0), critical: true));
        var usages = new OidCollection();
        foreach (string oid in ExtendedUsageOids(profile))
        {
            usages.Add(new Oid(oid));
        }

        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        if (dnsNames.Count > 0 || ipAddresses.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (string dns in dnsNames)
            {
                san.AddDnsName(dns);
            }

            foreach (var ip in ipAddresses)
            {
                san.AddIpAddress(ip);
            }

            request.CertificateExtensions.Add(san.Build(critical: false));
        }
    }

    private static X509Certificate2 Sign(CertificateRequest request, CertificateAuthorityKeyPair authority, int validityDays, EngineLog? log)
    {
        var now = DateTimeOffset.UtcNow;
        var notAfter = now.AddDays(validityDays);
        var caNotAfter = new DateTimeOffset(authority.Certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        if (notAfter > caNotAfter)
        {
            // Like the Kubernetes signer: a certificate never outlives its CA.
            log?.Warning($"The CA '{authority.Certificate.Subject}' expires {caNotAfter:yyyy-MM-dd}; the certificate is valid until then instead of {validityDays} days.");
            notAfter = caNotAfter;
        }

        var notBefore = now - Backdate;
        var caNotBefore = new DateTimeOffset(authority.Certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        if (notBefore < caNotBefore)
        {
            notBefore = caNotBefore;
        }

        byte[] serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F; // positive INTEGER
        serial[0] |= 0x01; // and never with a leading zero byte to strip
        return request.Create(authority.Certificate.SubjectName, KeyMaterial.SignatureGenerator(authority.Key), notBefore, notAfter, serial);
    }
}
