using System.Security.Cryptography;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using YamlDotNet.RepresentationModel;
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

        var yaml = KubeconfigYaml.Load(full);
        var clusters = yaml.Entries("clusters", "cluster").GroupBy(c => c.Name).ToDictionary(g => g.Key, g => g.First().Body, StringComparer.Ordinal);
        var contexts = yaml.Entries("contexts", "context").ToList();
        string current = yaml.CurrentContext;
        var result = new List<KubeconfigUser>();
        foreach (var (name, body) in yaml.Entries("users", "user"))
        {
            var using_ = contexts.Where(c => KubeconfigYaml.GetString(c.Body, "user") == name).ToList();
            string? clusterName = using_.Select(c => KubeconfigYaml.GetString(c.Body, "cluster")).FirstOrDefault(c => c is not null);
            string? server = clusterName is not null && clusters.TryGetValue(clusterName, out var cluster) ? KubeconfigYaml.GetString(cluster, "server") : null;
            var kind = AuthKindOf(body);
            string? execCommand = KubeconfigYaml.Child(body, "exec") is YamlMappingNode exec ? KubeconfigYaml.GetString(exec, "command") : null;
            var user = new KubeconfigUser
            {
                Name = name,
                KubeconfigPath = full,
                Contexts = using_.Select(c => c.Name).ToArray(),
                Cluster = clusterName,
                Server = Connection.ServerAddress.Redact(server),
                Namespace = using_.Select(c => KubeconfigYaml.GetString(c.Body, "namespace")).FirstOrDefault(n => !string.IsNullOrEmpty(n)),
                IsCurrent = using_.Any(c => c.Name == current),
                AuthKind = kind,
                ExecCommand = execCommand,
            };
            result.Add(kind == K8sAuthKind.ClientCertificate ? WithCertificate(user, body, full) : user);
        }

        return result;
    }

    /// <summary>Every certificate a kubeconfig holds or points to: cluster CAs and client certificates.</summary>
    public static IEnumerable<K8sCertificate> Certificates(string path)
    {
        string full = Path.GetFullPath(path);
        var yaml = KubeconfigYaml.Load(full);
        foreach (var (name, body) in yaml.Entries("clusters", "cluster"))
        {
            foreach (var certificate in Read(body, "certificate-authority-data", "certificate-authority", full, $"cluster {name} CA"))
            {
                yield return certificate;
            }
        }

        foreach (var (name, body) in yaml.Entries("users", "user"))
        {
            foreach (var certificate in Read(body, "client-certificate-data", "client-certificate", full, $"user {name}"))
            {
                yield return certificate;
            }
        }
    }

    private static IEnumerable<K8sCertificate> Read(YamlMappingNode body, string dataKey, string fileKey, string kubeconfig, string label)
    {
        byte[]? bytes = null;
        string? file = null;
        if (KubeconfigYaml.GetString(body, dataKey) is { Length: > 0 } data)
        {
            bytes = TryBase64(data);
        }
        else if (KubeconfigYaml.GetString(body, fileKey) is { Length: > 0 } reference)
        {
            file = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(kubeconfig)!, reference));
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
            yield break;
        }

        IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> certificates;
        try
        {
            certificates = CertificateFiles.Parse(bytes);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            yield break;
        }

        foreach (var certificate in certificates)
        {
            yield return K8sCertificate.From(
                certificate,
                label.StartsWith("user ", StringComparison.Ordinal) ? label[5..] : label,
                CertificateSourceKind.Kubeconfig,
                $"{kubeconfig} ({label}{(file is null ? string.Empty : ", " + file)})",
                file);
        }
    }

    private static KubeconfigUser WithCertificate(KubeconfigUser user, YamlMappingNode body, string kubeconfig)
    {
        string? source;
        byte[]? bytes;
        if (KubeconfigYaml.GetString(body, "client-certificate-data") is { Length: > 0 } data)
        {
            source = "embedded";
            bytes = TryBase64(data);
            if (bytes is null)
            {
                return Copy(user, source, null, "client-certificate-data is not valid base64");
            }
        }
        else
        {
            string reference = KubeconfigYaml.GetString(body, "client-certificate") ?? string.Empty;
            source = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(kubeconfig)!, reference));
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

            return Copy(user, source, K8sCertificate.From(certificates[0], user.Name, CertificateSourceKind.Kubeconfig, kubeconfig), null);
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
        CertificateSource = source,
        SubjectUser = certificate?.CommonName,
        SubjectGroups = certificate?.Organizations ?? Array.Empty<string>(),
        Issuer = certificate?.Issuer,
        NotBefore = certificate?.NotBefore,
        NotAfter = certificate?.NotAfter,
        Thumbprint = certificate?.Thumbprint,
        Problem = problem,
    };

    private static byte[]? TryBase64(string data)
    {
        try
        {
            return Convert.FromBase64String(data);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    internal static K8sAuthKind AuthKindOf(YamlMappingNode user)
    {
        bool Has(string key) => KubeconfigYaml.Child(user, key) is YamlScalarNode { Value.Length: > 0 } or YamlMappingNode;
        if (Has("exec"))
        {
            return K8sAuthKind.Exec;
        }

        if (Has("auth-provider"))
        {
            return K8sAuthKind.AuthProvider;
        }

        if (Has("client-certificate-data") || Has("client-certificate"))
        {
            return K8sAuthKind.ClientCertificate;
        }

        if (Has("token"))
        {
            return K8sAuthKind.Token;
        }

        if (Has("tokenFile"))
        {
            return K8sAuthKind.TokenFile;
        }

        return Has("username") ? K8sAuthKind.Basic : K8sAuthKind.None;
    }
}
