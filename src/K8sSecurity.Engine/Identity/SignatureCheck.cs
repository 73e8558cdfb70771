using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace K8sSecurity.Engine.Identity;

/// <summary>
/// Verifies a certificate's signature with a given issuer's public key (what `openssl verify` does for one link),
/// without building a chain against any system store.
/// </summary>
internal static class SignatureCheck
{
    public static bool IsSignedBy(X509Certificate2 certificate, X509Certificate2 issuer)
    {
        try
        {
            var reader = new AsnReader(certificate.RawData, AsnEncodingRules.DER).ReadSequence();
            ReadOnlyMemory<byte> tbs = reader.ReadEncodedValue();
            var algorithm = reader.ReadSequence();
            string oid = algorithm.ReadObjectIdentifier();
            byte[] signature = reader.ReadBitString(out _);
            return oid switch
            {
                "1.2.840.113549.1.1.5" => VerifyRsa(issuer, tbs.Span, signature, HashAlgorithmName.SHA1),
                "1.2.840.113549.1.1.11" => VerifyRsa(issuer, tbs.Span, signature, HashAlgorithmName.SHA256),
                "1.2.840.113549.1.1.12" => VerifyRsa(issuer, tbs.Span, signature, HashAlgorithmName.SHA384),
                "1.2.840.113549.1.1.13" => VerifyRsa(issuer, tbs.Span, signature, HashAlgorithmName.SHA512),
                "1.2.840.10045.4.3.2" => VerifyEcdsa(issuer, tbs.Span, signature, HashAlgorithmName.SHA256),
                "1.2.840.10045.4.3.3" => VerifyEcdsa(issuer, tbs.Span, signature, HashAlgorithmName.SHA384),
                "1.2.840.10045.4.3.4" => VerifyEcdsa(issuer, tbs.Span, signature, HashAlgorithmName.SHA512),
                _ => false,
            };
        }
        catch (Exception ex) when (ex is AsnContentException or CryptographicException)
        {
            return false;
        }
    }

    private static bool VerifyRsa(X509Certificate2 issuer, ReadOnlySpan<byte> data, byte[] signature, HashAlgorithmName hash)
    {
        using var rsa = issuer.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(data, signature, hash, RSASignaturePadding.Pkcs1);
    }

    private static bool VerifyEcdsa(X509Certificate2 issuer, ReadOnlySpan<byte> data, byte[] signature, HashAlgorithmName hash)
    {
        using var ec = issuer.GetECDsaPublicKey();
        return ec is not null && ec.VerifyData(data, signature, hash, DSASignatureFormat.Rfc3279DerSequence);
    }
}
