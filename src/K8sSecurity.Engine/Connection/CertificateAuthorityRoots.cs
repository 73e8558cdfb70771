using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s.KubeConfigModels;
using K8sSecurity.Engine.IO;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// The CA certificates a kubeconfig cluster pins, read as client-go reads them (x509.CertPool.AppendCertsFromPEM):
/// every CERTIFICATE block of certificate-authority-data (else of the certificate-authority file), other blocks
/// and certificates that do not parse skipped; data that yields no certificate at all is an error, never a silent
/// fall-back to the system roots.
/// </summary>
internal static class CertificateAuthorityRoots
{
    private const string Prefix = "unable to load root certificates: ";

    /// <summary>The pinned roots, or null when the cluster pins none (the system roots are used, as in kubectl).</summary>
    public static X509Certificate2Collection? Read(ClusterEndpoint endpoint)
    {
        string pem;
        if (!string.IsNullOrEmpty(endpoint.CertificateAuthorityData))
        {
            try
            {
                pem = Encoding.UTF8.GetString(Convert.FromBase64String(endpoint.CertificateAuthorityData));
            }
            catch (FormatException)
            {
                throw new InvalidOperationException("certificate-authority-data is not valid base64");
            }
        }
        else if (!string.IsNullOrEmpty(endpoint.CertificateAuthority))
        {
            pem = BoundedFile.ReadAllText(endpoint.CertificateAuthority);
        }
        else
        {
            return null;
        }

        var (roots, sawBlock, failure) = Parse(pem);
        if (roots.Count > 0)
        {
            return roots;
        }

        // client-go's createErrorParsingCAData.
        string reason = !sawBlock ? "unable to parse bytes as PEM block"
            : failure is not null ? "failed to parse certificate: " + failure
            : "no valid certificate authority data seen";
        throw new InvalidOperationException(Prefix + reason);
    }

    /// <summary>Every CERTIFICATE block without headers that parses, in order.</summary>
    internal static (X509Certificate2Collection Roots, bool SawBlock, string? Failure) Parse(string pem)
    {
        var roots = new X509Certificate2Collection();
        bool sawBlock = false;
        string? failure = null;
        ReadOnlySpan<char> rest = pem;
        while (PemEncoding.TryFind(rest, out var fields))
        {
            sawBlock = true;
            if (rest[fields.Label].SequenceEqual("CERTIFICATE"))
            {
                byte[] der = new byte[fields.DecodedDataLength];
                if (Convert.TryFromBase64Chars(rest[fields.Base64Data], der, out int written))
                {
                    try
                    {
#pragma warning disable SYSLIB0057 // net8.0 has no X509CertificateLoader
                        roots.Add(new X509Certificate2(der.AsSpan(0, written)));
#pragma warning restore SYSLIB0057
                    }
                    catch (CryptographicException ex)
                    {
                        // Go skips a block that does not parse as a certificate.
                        failure ??= ex.Message;
                    }
                }
            }

            rest = rest[fields.Location.End..];
        }

        return (roots, sawBlock, failure);
    }
}
