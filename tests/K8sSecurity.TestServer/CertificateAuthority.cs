using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K8sSecurity.TestServer;

/// <summary>Per-server test CA (ECDSA P-256: fast to generate). Signs the serving cert, client certs and CSR signer output.</summary>
public sealed class CertificateAuthority : IDisposable
{
    private const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    public CertificateAuthority()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest("CN=k8ssecurity-test-ca", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Certificate = req.CreateSelfSigned(now.AddDays(-1), now.AddYears(10));
        CertificatePem = Certificate.ExportCertificatePem() + "\n";
        PrivateKeyPem = key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    public X509Certificate2 Certificate { get; }

    public string CertificatePem { get; }

    public string PrivateKeyPem { get; }

    public X509Certificate2 IssueServerCertificate() =>
        IssueServingCertificate(
            "CN=kube-apiserver",
            ["localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"],
            [System.Net.IPAddress.Loopback],
            [ServerAuthOid]);

    /// <summary>
    /// A serving certificate signed by this CA with exactly these names and extended key usages (null: no EKU
    /// extension; no names: no SAN extension). Tests use it to present wrong names or usages.
    /// </summary>
    public X509Certificate2 IssueServingCertificate(string subject, IEnumerable<string> dnsNames, IEnumerable<System.Net.IPAddress> ipAddresses, IEnumerable<string>? extendedKeyUsageOids)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        int names = 0;
        foreach (var ip in ipAddresses)
        {
            san.AddIpAddress(ip);
            names++;
        }

        foreach (var dns in dnsNames)
        {
            san.AddDnsName(dns);
            names++;
        }

        if (names > 0)
        {
            req.CertificateExtensions.Add(san.Build());
        }

        if (extendedKeyUsageOids is not null)
        {
            var usages = new OidCollection();
            foreach (var oid in extendedKeyUsageOids)
            {
                usages.Add(new Oid(oid));
            }

            req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(usages, false));
        }

        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var cert = Sign(req, TimeSpan.FromDays(365));
        return cert.CopyWithPrivateKey(key);
    }

    /// <summary>CN=user, O=each group: exactly how kube-apiserver maps an x509 client certificate to a user.</summary>
    public (string CertificatePem, string PrivateKeyPem) IssueClientCertificate(string user, IEnumerable<string> groups, TimeSpan? lifetime = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest(BuildSubject(user, groups), key, HashAlgorithmName.SHA256);
        AddClientExtensions(req, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);
        using var cert = Sign(req, lifetime ?? TimeSpan.FromDays(365));
        return (cert.ExportCertificatePem() + "\n", key.ExportPkcs8PrivateKeyPem() + "\n");
    }

    /// <summary>Signs a PKCS#10 CSR (PEM) as a client certificate keeping its subject, like the kube-apiserver-client signer.</summary>
    public string SignCsr(string csrPem, TimeSpan lifetime, X509KeyUsageFlags usages)
    {
        var req = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation);
        req.CertificateExtensions.Clear();
        AddClientExtensions(req, usages);
        using var cert = Sign(req, lifetime);
        return cert.ExportCertificatePem() + "\n";
    }

    /// <summary>Subject of a CSR, for validation (throws CryptographicException when the PEM is not a CSR).</summary>
    public static X500DistinguishedName ReadCsrSubject(string csrPem) =>
        CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation).SubjectName;

    private static string BuildSubject(string user, IEnumerable<string> groups)
    {
        var b = new X500DistinguishedNameBuilder();
        foreach (var g in groups)
        {
            b.AddOrganizationName(g);
        }

        b.AddCommonName(user);
        return b.Build().Name;
    }

    private void AddClientExtensions(CertificateRequest req, X509KeyUsageFlags usages)
    {
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(usages, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new(ClientAuthOid)], false));
        req.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, true, false));
    }

    private X509Certificate2 Sign(CertificateRequest req, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + lifetime;
        if (notAfter > Certificate.NotAfter)
        {
            notAfter = Certificate.NotAfter;
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        // The signature generator overload signs any subject key type (an RSA CSR with this ECDSA CA, like kube's signer).
        using var caKey = Certificate.GetECDsaPrivateKey()!;
        return req.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), now.AddMinutes(-5), notAfter, serial);
    }

    /// <summary>Validates a presented client certificate against this CA (signature chain, validity, client-auth EKU if present).</summary>
    public bool Validates(X509Certificate2 cert)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(Certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new System.Security.Cryptography.Oid(ClientAuthOid));
        return chain.Build(cert) && chain.ChainElements[^1].Certificate.RawDataMemory.Span.SequenceEqual(Certificate.RawDataMemory.Span);
    }

    /// <summary>CN and O values from a subject, in order.</summary>
    public static (string? CommonName, List<string> Organizations) ReadSubject(X500DistinguishedName name)
    {
        string? cn = null;
        var orgs = new List<string>();
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames())
        {
            var oid = rdn.GetSingleElementType().Value;
            var value = rdn.GetSingleElementValue();
            if (oid == "2.5.4.3")
            {
                cn = value;
            }
            else if (oid == "2.5.4.10" && value is not null)
            {
                orgs.Add(value);
            }
        }

        return (cn, orgs);
    }

    public void Dispose() => Certificate.Dispose();

    internal static string Sha256Hex(byte[] der) => Convert.ToHexStringLower(SHA256.HashData(der));
}
