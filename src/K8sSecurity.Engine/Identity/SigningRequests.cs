using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Identity;

/// <summary>What a PKCS#10 request asks for, as Kubernetes will read it.</summary>
public sealed record SigningRequestContent(string? UserName, IReadOnlyList<string> Groups, string Subject, string KeyAlgorithm, bool SignatureValid);

/// <summary>PKCS#10 creation and parsing (CertificateRequest.CreateSigningRequestPem / LoadSigningRequestPem).</summary>
public static class SigningRequests
{
    /// <summary>A CSR with CN = user and one O per group, signed by the key (proof of possession).</summary>
    public static string Create(string userName, IReadOnlyList<string> groups, AsymmetricAlgorithm key)
    {
        var request = KeyMaterial.NewRequest(DistinguishedNames.Build(userName, groups), key);
        return request.CreateSigningRequestPem() + "\n";
    }

    public static SigningRequestContent Parse(string pem)
    {
        bool valid = true;
        CertificateRequest request;
        try
        {
            request = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.Default);
        }
        catch (CryptographicException)
        {
            valid = false;
            try
            {
                request = CertificateRequest.LoadSigningRequestPem(pem, HashAlgorithmName.SHA256, CertificateRequestLoadOptions.SkipSignatureValidation);
            }
            catch (CryptographicException ex)
            {
                throw new K8sOperationException(K8sErrorKind.Protocol, $"The certificate signing request is not a readable PKCS#10 request: {ex.Message}", null, ex);
            }
        }

        string keyAlgorithm = request.PublicKey.Oid.Value switch
        {
            "1.2.840.113549.1.1.1" => $"RSA {SafeKeySize(request.PublicKey)}",
            "1.2.840.10045.2.1" => $"ECDSA P-{SafeKeySize(request.PublicKey)}",
            _ => request.PublicKey.Oid.FriendlyName ?? request.PublicKey.Oid.Value ?? "unknown",
        };
        return new SigningRequestContent(
            DistinguishedNames.CommonName(request.SubjectName),
            DistinguishedNames.Organizations(request.SubjectName),
            request.SubjectName.Name,
            keyAlgorithm,
            valid);
    }

    private static int SafeKeySize(PublicKey key)
    {
        using var rsa = key.GetRSAPublicKey();
        if (rsa is not null)
        {
            return rsa.KeySize;
        }

        using var ec = key.GetECDsaPublicKey();
        return ec?.KeySize ?? 0;
    }
}
