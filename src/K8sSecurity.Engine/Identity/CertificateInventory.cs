using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Identity;

/// <summary>Finds certificates in files, folders (e.g. /etc/kubernetes/pki), kubeconfigs and kubernetes.io/tls Secrets.</summary>
public static class CertificateInventory
{
    private static readonly string[] CertificateExtensions = { ".crt", ".pem", ".cer", ".der" };
    private static readonly string[] KubeconfigExtensions = { ".conf", ".kubeconfig" };

    /// <summary>The files a path stands for: itself, or the certificate and kubeconfig files under a folder.</summary>
    public static IReadOnlyList<(string File, string Name)> Expand(string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full))
        {
            return Directory.EnumerateFiles(full, "*", SearchOption.AllDirectories)
                .Where(IsCandidate)
                .Order(StringComparer.Ordinal)
                .Select(f => (f, NameOf(Path.GetRelativePath(full, f))))
                .ToArray();
        }

        if (File.Exists(full))
        {
            return new[] { (full, NameOf(Path.GetFileName(full))) };
        }

        throw K8sOperationException.InvalidArgument("Path", full, "no such file or folder");
    }

    /// <summary>Certificates of one file: a PEM bundle, a DER certificate or a kubeconfig.</summary>
    public static IReadOnlyList<K8sCertificate> ReadFile(string file, string name)
    {
        byte[] bytes = CertificateFiles.ReadBytes(file, "Path");
        string text = Encoding.UTF8.GetString(bytes);
        if (text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> certificates;
            try
            {
                certificates = CertificateFiles.Parse(bytes);
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException)
            {
                throw K8sOperationException.InvalidArgument("Path", file, "the PEM certificate cannot be parsed");
            }

            return certificates.Select((c, i) => K8sCertificate.From(
                c, i == 0 ? name : $"{name}#{i + 1}", CertificateSourceKind.File, i == 0 ? file : $"{file} (certificate {i + 1})", file)).ToArray();
        }

        if (LooksLikeKubeconfig(text))
        {
            return KubeconfigInspector.Certificates(file).ToArray();
        }

        if (text.Contains("PRIVATE KEY-----", StringComparison.Ordinal))
        {
            throw K8sOperationException.InvalidArgument("Path", file, "the file holds a private key, not a certificate");
        }

        try
        {
            return CertificateFiles.Parse(bytes).Select(c => K8sCertificate.From(c, name, CertificateSourceKind.File, file, file)).ToArray();
        }
        catch (CryptographicException)
        {
            throw K8sOperationException.InvalidArgument("Path", file, "not a PEM or DER certificate or a kubeconfig");
        }
    }

    /// <summary>
    /// Certificates in kubernetes.io/tls Secrets: tls.crt (leaf and chain) and ca.crt when present. tls.key is never read
    /// out. A tls.crt that is missing or empty, or a tls.crt/ca.crt holding no certificate openssl could load, is in
    /// <see cref="SecretCertificates.Unreadable"/> (never passed over: the API server stores such values as given).
    /// </summary>
    public static async Task<SecretCertificates> FromSecretsAsync(
        ClusterClient cluster, string? namespaceName, string? secretName, CancellationToken cancellationToken)
    {
        const string selector = "type=kubernetes.io/tls";
        KubernetesNames.ValidateNamespace("Namespace", namespaceName, optional: true);
        if (secretName is not null)
        {
            KubernetesNames.ValidateObjectName("Name", secretName);
        }

        IList<V1Secret> secrets;
        if (secretName is not null)
        {
            string ns = namespaceName ?? cluster.DefaultNamespace;
            var secret = await ApiErrorTranslator.CallAsync(
                () => cluster.Api.CoreV1.ReadNamespacedSecretAsync(secretName, ns, cancellationToken: cancellationToken),
                $"Reading secret '{ns}/{secretName}'",
                secretName).ConfigureAwait(false);
            if (secret.Type != "kubernetes.io/tls")
            {
                throw K8sOperationException.InvalidArgument("Name", secretName, $"secret '{ns}/{secretName}' is of type '{secret.Type}', not kubernetes.io/tls");
            }

            secrets = new[] { secret };
        }
        else if (namespaceName is null)
        {
            secrets = (await ApiErrorTranslator.CallAsync(
                () => cluster.Api.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: selector, cancellationToken: cancellationToken),
                "Listing TLS secrets in all namespaces").ConfigureAwait(false)).Items;
        }
        else
        {
            secrets = (await ApiErrorTranslator.CallAsync(
                () => cluster.Api.CoreV1.ListNamespacedSecretAsync(namespaceName, fieldSelector: selector, cancellationToken: cancellationToken),
                $"Listing TLS secrets in namespace '{namespaceName}'").ConfigureAwait(false)).Items;
        }

        var result = new List<K8sCertificate>();
        var unreadable = new List<K8sOperationException>();
        foreach (var secret in secrets.OrderBy(s => s.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(s => s.Metadata.Name, StringComparer.Ordinal))
        {
            string id = $"{secret.Metadata.NamespaceProperty}/{secret.Metadata.Name}";
            foreach (string dataKey in new[] { "tls.crt", "ca.crt" })
            {
                byte[]? bytes = secret.Data is not null && secret.Data.TryGetValue(dataKey, out var value) ? value : null;
                if (dataKey == "ca.crt" && bytes is null)
                {
                    continue; // optional
                }

                var certificates = bytes is { Length: > 0 } ? CertificateFiles.ParseLoadable(bytes) : Array.Empty<System.Security.Cryptography.X509Certificates.X509Certificate2>();
                if (certificates.Count == 0)
                {
                    string why = bytes is null
                        ? "the key is missing"
                        : bytes.Length == 0 ? "the value is empty" : "it holds no certificate openssl x509 could load";
                    unreadable.Add(new K8sOperationException(K8sErrorKind.Invalid, $"Cannot read the certificate in secret '{id}' key {dataKey}: {why}.", id));
                    continue;
                }

                for (int i = 0; i < certificates.Count; i++)
                {
                    string name = dataKey == "tls.crt" ? (i == 0 ? id : $"{id}#{i + 1}") : $"{id} ca.crt";
                    result.Add(K8sCertificate.From(certificates[i], name, CertificateSourceKind.Secret, $"secret {id} ({dataKey})"));
                }
            }
        }

        return new SecretCertificates(result, unreadable);
    }

    internal static bool LooksLikeKubeconfig(string text) =>
        text.Contains("clusters:", StringComparison.Ordinal) || (text.Contains("kind: Config", StringComparison.Ordinal) && text.Contains("apiVersion", StringComparison.Ordinal));

    private static bool IsCandidate(string file)
    {
        string extension = Path.GetExtension(file).ToLowerInvariant();
        string name = Path.GetFileName(file);
        return CertificateExtensions.Contains(extension) || KubeconfigExtensions.Contains(extension) || name is "config" or "kubeconfig";
    }

    private static string NameOf(string relative)
    {
        string withoutExtension = Path.ChangeExtension(relative, null) ?? relative;
        return withoutExtension.Replace('\\', '/');
    }
}

/// <summary>What the kubernetes.io/tls Secrets held: the certificates read, and one error per key that holds none.</summary>
public sealed record SecretCertificates(IReadOnlyList<K8sCertificate> Certificates, IReadOnlyList<K8sOperationException> Unreadable);
