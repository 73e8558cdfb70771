using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;

namespace K8sSecurity.Engine.Identity;

/// <summary>Reads certificates from PEM bundles or DER, and a CA's certificate + key pair.</summary>
public static class CertificateFiles
{
    /// <summary>Every certificate in PEM text (a bundle may hold several) or a single DER certificate.</summary>
    public static IReadOnlyList<X509Certificate2> Parse(ReadOnlySpan<byte> content)
    {
        var result = new List<X509Certificate2>();
        string text = Encoding.ASCII.GetString(content);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            var remaining = text.AsSpan();
            while (PemEncoding.TryFind(remaining, out var fields))
            {
                if (remaining[fields.Label].SequenceEqual("CERTIFICATE"))
                {
                    result.Add(new X509Certificate2(Convert.FromBase64String(remaining[fields.Base64Data].ToString())));
                }

                remaining = remaining[fields.Location.End..];
            }

            return result;
        }

        result.Add(new X509Certificate2(content.ToArray()));
        return result;
    }

    /// <summary>
    /// The certificates `openssl x509 -in` (OpenSSL 3) and client-go's CA loading would read from data stored in a
    /// cluster, in order: each PEM CERTIFICATE block that decodes and parses (blocks that do not are skipped, as they
    /// skip them), or the bytes as one DER certificate when there is no PEM block. Empty when nothing loads.
    /// </summary>
    public static IReadOnlyList<X509Certificate2> ParseLoadable(ReadOnlySpan<byte> content)
    {
        var result = new List<X509Certificate2>();
        string text = Encoding.ASCII.GetString(content);
        if (text.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            var remaining = text.AsSpan();
            while (PemEncoding.TryFind(remaining, out var fields))
            {
                if (remaining[fields.Label].SequenceEqual("CERTIFICATE"))
                {
                    try
                    {
                        result.Add(new X509Certificate2(Convert.FromBase64String(remaining[fields.Base64Data].ToString())));
                    }
                    catch (Exception ex) when (ex is CryptographicException or FormatException)
                    {
                        // Skipped, as openssl skips a block it cannot load and reads the next one.
                    }
                }

                remaining = remaining[fields.Location.End..];
            }

            return result;
        }

        try
        {
            result.Add(new X509Certificate2(content.ToArray()));
        }
        catch (CryptographicException)
        {
        }

        return result;
    }

    /// <summary>The first certificate of a file; a clear error when there is none.</summary>
    public static X509Certificate2 ReadSingle(string path, string parameterName)
    {
        string full = Path.GetFullPath(path);
        byte[] bytes = ReadBytes(full, parameterName);
        try
        {
            var certificates = Parse(bytes);
            if (certificates.Count == 0)
            {
                throw K8sOperationException.InvalidArgument(parameterName, full, "the file holds no certificate");
            }

            return certificates[0];
        }
        catch (CryptographicException)
        {
            throw K8sOperationException.InvalidArgument(parameterName, full, "the file is not a PEM or DER certificate");
        }
        catch (FormatException)
        {
            throw K8sOperationException.InvalidArgument(parameterName, full, "the PEM certificate is not valid base64");
        }
    }

    public static byte[] ReadBytes(string full, string parameterName)
    {
        if (!File.Exists(full))
        {
            throw K8sOperationException.InvalidArgument(parameterName, full, "the file does not exist");
        }

        try
        {
            return BoundedFile.ReadAllBytes(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read '{full}' (-{parameterName}): {ex.Message}", full, ex);
        }
    }

    public static string ToPem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";
}

/// <summary>A CA certificate with its private key, loaded and checked to belong together.</summary>
public sealed class CertificateAuthorityKeyPair : IDisposable
{
    private CertificateAuthorityKeyPair(X509Certificate2 certificate, AsymmetricAlgorithm key, string certificatePath)
    {
        Certificate = certificate;
        Key = key;
        CertificatePath = certificatePath;
    }

    public X509Certificate2 Certificate { get; }

    internal AsymmetricAlgorithm Key { get; }

    public string CertificatePath { get; }

    /// <summary>Loads the pair, first repairing a pair write of these files that was killed between its renames.</summary>
    public static CertificateAuthorityKeyPair Load(string certificatePath, string keyPath, EngineLog? log = null)
    {
        SecureFile.RecoverInterrupted(new[] { certificatePath, keyPath }, log);
        var certificate = CertificateFiles.ReadSingle(certificatePath, "CACertificatePath");
        var basic = certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault();
        if (basic is { CertificateAuthority: false })
        {
            throw K8sOperationException.InvalidArgument("CACertificatePath", Path.GetFullPath(certificatePath), "the certificate is not a CA (basicConstraints CA:FALSE)");
        }

        var key = KeyMaterial.LoadPrivateKey(keyPath, "CAKeyPath");
        if (!KeyMaterial.Matches(certificate, key))
        {
            key.Dispose();
            throw K8sOperationException.InvalidArgument("CAKeyPath", Path.GetFullPath(keyPath), $"the key does not belong to the CA certificate '{certificate.Subject}'");
        }

        return new CertificateAuthorityKeyPair(certificate, key, Path.GetFullPath(certificatePath));
    }

    public void Dispose()
    {
        Key.Dispose();
        Certificate.Dispose();
    }
}
