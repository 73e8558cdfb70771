using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;

namespace K8sSecurity.Engine.Identity;

/// <summary>
/// Key generation, PKCS#8 export and private key loading. Nothing here ever puts key bytes or PEM text into an
/// exception message or a log line: errors name the file and the problem only.
/// </summary>
public static class KeyMaterial
{
    public static AsymmetricAlgorithm Generate(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Rsa2048 => RSA.Create(2048),
        KeyAlgorithm.Rsa3072 => RSA.Create(3072),
        KeyAlgorithm.Rsa4096 => RSA.Create(4096),
        KeyAlgorithm.EcdsaP256 => ECDsa.Create(ECCurve.NamedCurves.nistP256),
        KeyAlgorithm.EcdsaP384 => ECDsa.Create(ECCurve.NamedCurves.nistP384),
        _ => throw K8sOperationException.InvalidArgument("KeyAlgorithm", algorithm, "unknown key algorithm"),
    };

    /// <summary>PKCS#8 "BEGIN PRIVATE KEY" PEM, what openssl genpkey writes.</summary>
    public static string ExportPkcs8Pem(AsymmetricAlgorithm key) => key.ExportPkcs8PrivateKeyPem() + "\n";

    /// <summary>Loads a PEM private key (PKCS#8, PKCS#1 RSA or SEC1 EC). Encrypted keys are refused.</summary>
    public static AsymmetricAlgorithm LoadPrivateKey(string path, string parameterName)
    {
        string full = Path.GetFullPath(path);
        string text;
        try
        {
            text = BoundedFile.ReadAllText(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read the key file '{full}' (-{parameterName}): {ex.Message}", full, ex);
        }

        return ParsePrivateKey(text, full, parameterName);
    }

    internal static AsymmetricAlgorithm ParsePrivateKey(string text, string source, string parameterName)
    {
        if (!PemEncoding.TryFind(text, out var fields))
        {
            throw K8sOperationException.InvalidArgument(parameterName, source, "the file holds no PEM private key");
        }

        string label = text[fields.Label];
        byte[] der;
        try
        {
            der = Convert.FromBase64String(text[fields.Base64Data]);
        }
        catch (FormatException)
        {
            throw K8sOperationException.InvalidArgument(parameterName, source, "the PEM block is not valid base64");
        }

        try
        {
            switch (label)
            {
                case "PRIVATE KEY":
                    return ImportPkcs8(der);
                case "RSA PRIVATE KEY":
                    var rsa = RSA.Create();
                    rsa.ImportRSAPrivateKey(der, out _);
                    return rsa;
                case "EC PRIVATE KEY":
                    var ec = ECDsa.Create();
                    ec.ImportECPrivateKey(der, out _);
                    return ec;
                case "ENCRYPTED PRIVATE KEY":
                    throw K8sOperationException.InvalidArgument(parameterName, source, "encrypted private keys are not supported; decrypt it first (openssl pkey -in key -out plain.key)");
                default:
                    throw K8sOperationException.InvalidArgument(parameterName, source, $"expected a private key PEM block, found '{label}'");
            }
        }
        catch (CryptographicException)
        {
            throw K8sOperationException.InvalidArgument(parameterName, source, $"the '{label}' block is not a readable RSA or ECDSA private key");
        }
        finally
        {
            CryptographicOperations.ZeroMemory(der);
        }
    }

    private static AsymmetricAlgorithm ImportPkcs8(byte[] der)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportPkcs8PrivateKey(der, out _);
            return rsa;
        }
        catch (CryptographicException)
        {
            rsa.Dispose();
        }

        var ec = ECDsa.Create();
        ec.ImportPkcs8PrivateKey(der, out _);
        return ec;
    }

    /// <summary>A certificate request signed (and, for certificates, to be signed) with the hash that fits the key.</summary>
    public static CertificateRequest NewRequest(X500DistinguishedName subject, AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1),
        ECDsa ec => new CertificateRequest(subject, ec, HashFor(ec)),
        _ => throw new K8sOperationException(K8sErrorKind.InvalidArgument, "Only RSA and ECDSA keys are supported."),
    };

    public static X509SignatureGenerator SignatureGenerator(AsymmetricAlgorithm signingKey) => signingKey switch
    {
        RSA rsa => X509SignatureGenerator.CreateForRSA(rsa, RSASignaturePadding.Pkcs1),
        ECDsa ec => X509SignatureGenerator.CreateForECDsa(ec),
        _ => throw new K8sOperationException(K8sErrorKind.InvalidArgument, "Only RSA and ECDSA signing keys are supported."),
    };

    public static HashAlgorithmName HashFor(AsymmetricAlgorithm signingKey) =>
        signingKey is ECDsa { KeySize: > 256 } ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    public static byte[] SubjectPublicKeyInfo(AsymmetricAlgorithm key) => key.ExportSubjectPublicKeyInfo();

    /// <summary>True when the private key belongs to the certificate.</summary>
    public static bool Matches(X509Certificate2 certificate, AsymmetricAlgorithm key) =>
        certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());

    public static string Describe(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => $"RSA {rsa.KeySize}",
        ECDsa ec => $"ECDSA P-{ec.KeySize}",
        _ => key.GetType().Name,
    };

    public static KeyAlgorithm? AlgorithmOf(AsymmetricAlgorithm key) => key switch
    {
        RSA { KeySize: 2048 } => KeyAlgorithm.Rsa2048,
        RSA { KeySize: 3072 } => KeyAlgorithm.Rsa3072,
        RSA { KeySize: 4096 } => KeyAlgorithm.Rsa4096,
        ECDsa { KeySize: 256 } => KeyAlgorithm.EcdsaP256,
        ECDsa { KeySize: 384 } => KeyAlgorithm.EcdsaP384,
        _ => null,
    };
}
