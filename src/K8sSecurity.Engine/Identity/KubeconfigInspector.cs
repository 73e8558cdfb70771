using System.Security.Cryptography;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;

namespace K8sSecurity.Engine.Identity;

/// <summary>Reads kubeconfig files entry by entry for Get-K8sKubeconfig and Get-K8sCertificate.</summary>
public static class KubeconfigInspector
{
    public static IReadOnlyList<KubeconfigUser> Inspect(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{full}' does not exist.", full);
        }

        var document = KubeconfigDecoder.Load(full);
        var clusters = document.Clusters.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var result = new List<KubeconfigUser>();
        foreach (var entry in document.Users)
        {
            var using_ = document.Contexts.Where(c => c.User == entry.Name).ToList();
            string? clusterName = using_.Select(c => c.Cluster).FirstOrDefault(c => c.Length > 0);
            string? server = clusterName is not null && clusters.TryGetValue(clusterName, out var cluster) ? cluster.Server : null;
            var kind = entry.AuthKind;
            var user = new KubeconfigUser
            {
                Name = entry.Name,
                KubeconfigPath = full,
                Contexts = using_.Select(c => c.Name).ToArray(),
                Cluster = clusterName,
                Server = ServerAddress.Redact(server),
                Namespace = using_.Select(c => c.Namespace).FirstOrDefault(n => !string.IsNullOrEmpty(n)),
                IsCurrent = document.CurrentContext.Length > 0 && using_.Any(c => c.Name == document.CurrentContext),
                AuthKind = kind,
                ExecCommand = entry.Exec?.Command,
                ImpersonateUser = entry.Impersonate.Length > 0 ? entry.Impersonate : null,
                ImpersonateUid = entry.ImpersonateUid.Length > 0 ? entry.ImpersonateUid : null,
                ImpersonateGroups = entry.ImpersonateGroups ?? Array.Empty<string>(),
                ImpersonateUserExtra = KubeconfigSet.ImpersonateExtraList(entry.ImpersonateUserExtra),
            };
            result.Add(kind == K8sAuthKind.ClientCertificate ? WithCertificate(user, entry, document) : user);
        }

        return result;
    }

    /// <summary>Every certificate a kubeconfig holds or points to: cluster CAs and client certificates.</summary>
    public static IEnumerable<K8sCertificate> Certificates(string path)
    {
        string full = Path.GetFullPath(path);
        var document = KubeconfigDecoder.Load(full);
        return document.Clusters.SelectMany(c => Read(c.CertificateAuthorityData, c.CertificateAuthority, "certificate-authority", document, $"cluster {c.Name} CA"))
            .Concat(document.Users.SelectMany(u => Read(u.ClientCertificateData, u.ClientCertificate, "client-certificate", document, $"user {u.Name}")))
            .ToList();
    }

    private static IEnumerable<K8sCertificate> Read(byte[]? data, string reference, string fileKey, KubeconfigDocument document, string label)
    {
        byte[]? bytes = null;
        string? file = null;
        string kubeconfig = document.Path;
        if (data is { Length: > 0 })
        {
            bytes = data;
        }
        else if (document.Resolve(reference) is { } resolved)
        {
            file = resolved;
            try
            {
                bytes = File.Exists(file) ? BoundedFile.ReadAllBytes(file) : null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read '{file}' ({fileKey} of {label} in '{kubeconfig}'): {ex.Message}", file, ex);
            }
        }

        if (bytes is null)
        {
            return Array.Empty<K8sCertificate>();
        }

        IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> certificates;
        try
        {
            certificates = CertificateFiles.Parse(bytes);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return Array.Empty<K8sCertificate>();
        }

        return certificates.Select(certificate => K8sCertificate.From(
            certificate,
            label.StartsWith("user ", StringComparison.Ordinal) ? label[5..] : label,
            CertificateSourceKind.Kubeconfig,
            $"{kubeconfig} ({label}{(file is null ? string.Empty : ", " + file)})",
            file)).ToList();
    }

    private static KubeconfigUser WithCertificate(KubeconfigUser user, KubeconfigAuthInfo entry, KubeconfigDocument document)
    {
        string? source;
        byte[]? bytes;
        if (entry.ClientCertificateData is { Length: > 0 } data)
        {
            source = "embedded";
            bytes = data;
        }
        else
        {
            source = document.Resolve(entry.ClientCertificate) ?? string.Empty;
            if (!File.Exists(source))
            {
                return Copy(user, source, null, $"the client certificate file '{source}' does not exist");
            }

            try
            {
                bytes = BoundedFile.ReadAllBytes(source);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Copy(user, source, null, $"the client certificate file cannot be read: {ex.Message}");
            }
        }

        try
        {
            var certificates = CertificateFiles.Parse(bytes);
            if (certificates.Count == 0)
            {
                return Copy(user, source, null, "the client certificate holds no certificate");
            }

            return Copy(user, source, K8sCertificate.From(certificates[0], user.Name, CertificateSourceKind.Kubeconfig, document.Path), null);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return Copy(user, source, null, "the client certificate cannot be parsed");
        }
    }

    private static KubeconfigUser Copy(KubeconfigUser user, string? source, K8sCertificate? certificate, string? problem) => new()
    {
        Name = user.Name,
        KubeconfigPath = user.KubeconfigPath,
        Contexts = user.Contexts,
        Cluster = user.Cluster,
        Server = user.Server,
        Namespace = user.Namespace,
        IsCurrent = user.IsCurrent,
        AuthKind = user.AuthKind,
        ExecCommand = user.ExecCommand,
        ImpersonateUser = user.ImpersonateUser,
        ImpersonateUid = user.ImpersonateUid,
        ImpersonateGroups = user.ImpersonateGroups,
        ImpersonateUserExtra = user.ImpersonateUserExtra,
        CertificateSource = source,
        SubjectUser = certificate?.CommonName,
        SubjectGroups = certificate?.Organizations ?? Array.Empty<string>(),
        Issuer = certificate?.Issuer,
        NotBefore = certificate?.NotBefore,
        NotAfter = certificate?.NotAfter,
        Thumbprint = certificate?.Thumbprint,
        Problem = problem,
    };
}
