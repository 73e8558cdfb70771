using System.Runtime.InteropServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using k8s;
using K8sSecurity.Engine.IO;

namespace K8sSecurity.Engine.Connection;

/// <summary>Client certificates for TLS from PEM text (kubeconfig data or files, or an exec plugin's answer).</summary>
internal static class ClientCertificates
{
    /// <summary>The kubeconfig user's certificate and key, or null when it has none.</summary>
    public static X509Certificate2? FromConfiguration(KubernetesClientConfiguration configuration)
    {
        string? certificate = !string.IsNullOrWhiteSpace(configuration.ClientCertificateFilePath)
            ? BoundedFile.ReadAllText(configuration.ClientCertificateFilePath)
            : Decode(configuration.ClientCertificateData);
        string? key = !string.IsNullOrWhiteSpace(configuration.ClientKeyFilePath)
            ? BoundedFile.ReadAllText(configuration.ClientKeyFilePath)
            : Decode(configuration.ClientCertificateKeyData);
        return certificate is null || key is null ? null : FromPem(certificate, key);
    }

    public static X509Certificate2 FromPem(string certificatePem, string keyPem)
    {
        var certificate = X509Certificate2.CreateFromPem(certificatePem, keyPem);
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
        {
            return certificate;
        }

        // SChannel cannot use an ephemeral key: round-trip through PKCS#12 (as KubernetesClient does).
        using (certificate)
        {
#pragma warning disable SYSLIB0057 // net8.0 has no X509CertificateLoader
            return new X509Certificate2(certificate.Export(X509ContentType.Pfx));
#pragma warning restore SYSLIB0057
        }
    }

    private static string? Decode(string? base64) =>
        string.IsNullOrWhiteSpace(base64) ? null : Encoding.UTF8.GetString(Convert.FromBase64String(base64));
}
