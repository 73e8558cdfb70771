using System.Runtime.InteropServices;
using System.Security;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Validation;
using YamlDotNet.RepresentationModel;

namespace K8sSecurity.Engine.Identity;

/// <summary>
/// Writes per-user kubeconfigs the way `kubectl config set-cluster/set-credentials/set-context --embed-certs`
/// would, but in one validated step: 0600, atomic, never replacing a file or an entry without force.
/// </summary>
public static class KubeconfigWriter
{
    /// <summary>
    /// Checks everything and returns the planned file content; writes nothing. A merge into a symbolic link edits the
    /// file the link points to, as kubectl does; a new or replaced kubeconfig replaces a link at the path instead.
    /// </summary>
    public static KubeconfigPlan Plan(string path, KubeconfigSpec spec, bool merge, bool force)
    {
        string full = merge ? SecureFile.ResolveExistingLink(path) : Path.GetFullPath(path);
        ValidateServer(spec.Cluster.Server);
        KubernetesNames.ValidateKubeconfigName("ClusterName", spec.Cluster.Name);
        KubernetesNames.ValidateKubeconfigName("UserName", spec.UserName);
        KubernetesNames.ValidateKubeconfigName("ContextName", spec.ContextName);
        if (!string.IsNullOrEmpty(spec.Namespace))
        {
            KubernetesNames.ValidateNamespace("Namespace", spec.Namespace);
        }

        int kinds = (spec.ClientCertificatePath is not null ? 1 : 0) + (spec.Token is not null ? 1 : 0) + (spec.OidcIssuerUrl is not null ? 1 : 0);
        if (kinds != 1)
        {
            throw new K8sOperationException(
                K8sErrorKind.InvalidArgument,
                "Give exactly one kind of user credential: -ClientCertificatePath with -ClientKeyPath, -Token, or -OidcIssuerUrl with -OidcClientId.");
        }

        var clusterBody = BuildCluster(spec.Cluster, spec.ReferenceFiles);
        var (userBody, certificateUser) = BuildUser(spec);
        string userName = spec.UserName ?? certificateUser ?? "user";
        string contextName = spec.ContextName ?? $"{userName}@{spec.Cluster.Name}";
        var contextBody = new YamlMappingNode(KubeconfigYaml.Scalar("cluster"), KubeconfigYaml.Scalar(spec.Cluster.Name));
        if (!string.IsNullOrEmpty(spec.Namespace))
        {
            contextBody.Add(KubeconfigYaml.Scalar("namespace"), KubeconfigYaml.Scalar(spec.Namespace));
        }

        contextBody.Add(KubeconfigYaml.Scalar("user"), KubeconfigYaml.Scalar(userName));

        bool exists = File.Exists(full) && new FileInfo(full).Length > 0;
        KubeconfigYaml document;
        KubeconfigDocument? before = null;
        if (merge && exists)
        {
            // kubectl's reading decides: a file kubectl refuses is not edited (an error naming the file and why).
            before = KubeconfigDecoder.Load(full);
            try
            {
                document = KubeconfigYaml.Load(full);
            }
            catch (Exception ex) when (ex is not OperationCanceledException && ex is not K8sOperationException { Kind: K8sErrorKind.FileSystem })
            {
                // e.g. a key written twice (two kubeconfigs concatenated): kubectl reads the last, the editor cannot keep both.
                throw MergeRefused(full, "the editor cannot represent it (duplicate keys or YAML it does not parse)");
            }
        }
        else
        {
            if (exists && !force)
            {
                throw new K8sOperationException(
                    K8sErrorKind.FileSystem, $"The file '{full}' already exists; use -Merge to add to it or -Force to replace it.", full);
            }

            if (new FileInfo(full).LinkTarget is { } linkTarget && !force)
            {
                throw new K8sOperationException(
                    K8sErrorKind.FileSystem, $"'{full}' is a symbolic link to '{linkTarget}', which is not an existing file; remove the link or use -Force to replace it with a new file.", full);
            }

            document = KubeconfigYaml.CreateEmpty();
        }

        // Entries are checked before anything is changed, so a refused merge leaves the file as it was.
        document.Upsert("clusters", "cluster", spec.Cluster.Name, clusterBody, force, full);
        document.Upsert("users", "user", userName, userBody, force, full);
        document.Upsert("contexts", "context", contextName, contextBody, force, full);
        if (string.IsNullOrEmpty(document.CurrentContext) || !merge)
        {
            document.SetCurrentContext(contextName);
        }

        string content = document.Serialize();
        if (before is not null)
        {
            var wanted = KubeconfigYaml.CreateEmpty();
            wanted.Upsert("clusters", "cluster", spec.Cluster.Name, clusterBody, true, full);
            wanted.Upsert("users", "user", userName, userBody, true, full);
            wanted.Upsert("contexts", "context", contextName, contextBody, true, full);
            CheckMerge(full, before, content, wanted.Serialize(), (spec.Cluster.Name, userName, contextName));
        }

        return new KubeconfigPlan(full, content, contextName, userName);
    }

    /// <summary>
    /// The YAML tree the merge edits is YamlDotNet's; what counts is kubectl's reading. So the merged text is read
    /// back the way kubectl reads it and compared with kubectl's reading of the file before: every other entry and
    /// top-level field unchanged, the three written entries exactly as planned, the current context kept or set.
    /// Anything else (anchors or merge keys the editor could not keep, a name kubectl reads differently) refuses the
    /// merge and leaves the file as it was.
    /// </summary>
    private static void CheckMerge(string full, KubeconfigDocument before, string content, string wantedText, (string Cluster, string User, string Context) names)
    {
        KubeconfigDocument after;
        KubeconfigDocument wanted;
        try
        {
            after = KubeconfigDecoder.Decode(content, full);
            wanted = KubeconfigDecoder.Decode(wantedText, full);
        }
        catch (K8sOperationException)
        {
            throw MergeRefused(full, "kubectl would not read the merged file");
        }

        var oldRoot = before.Json as System.Text.Json.Nodes.JsonObject ?? new System.Text.Json.Nodes.JsonObject();
        var newRoot = (System.Text.Json.Nodes.JsonObject)after.Json!;
        var wantedRoot = (System.Text.Json.Nodes.JsonObject)wanted.Json!;
        foreach (var (section, name) in new[] { ("clusters", names.Cluster), ("users", names.User), ("contexts", names.Context) })
        {
            var oldEntries = Named(oldRoot[section]);
            var newEntries = Named(newRoot[section]);
            var wantedEntry = Named(wantedRoot[section])[name];
            foreach (var (entryName, entry) in oldEntries)
            {
                if (entryName != name && !(newEntries.TryGetValue(entryName, out var kept) && System.Text.Json.Nodes.JsonNode.DeepEquals(entry, kept)))
                {
                    throw MergeRefused(full, $"{section} entry '{entryName}' would not be kept as kubectl reads it");
                }
            }

            if (newEntries.Count != oldEntries.Count + (oldEntries.ContainsKey(name) ? 0 : 1)
                || !newEntries.TryGetValue(name, out var written) || !System.Text.Json.Nodes.JsonNode.DeepEquals(written, wantedEntry))
            {
                throw MergeRefused(full, $"the {section} entry '{name}' would not read back as written");
            }
        }

        foreach (var (key, value) in oldRoot)
        {
            if (key is not ("clusters" or "users" or "contexts" or "current-context" or "apiVersion" or "kind")
                && !(newRoot.TryGetPropertyValue(key, out var kept) && System.Text.Json.Nodes.JsonNode.DeepEquals(value, kept)))
            {
                throw MergeRefused(full, $"the top-level field '{key}' would not be kept as kubectl reads it");
            }
        }

        if (after.CurrentContext != (before.CurrentContext.Length > 0 ? before.CurrentContext : names.Context))
        {
            throw MergeRefused(full, "the current context would not read back as planned");
        }
    }

    private static Dictionary<string, System.Text.Json.Nodes.JsonNode?> Named(System.Text.Json.Nodes.JsonNode? section)
    {
        var result = new Dictionary<string, System.Text.Json.Nodes.JsonNode?>(StringComparer.Ordinal);
        foreach (var item in section as System.Text.Json.Nodes.JsonArray ?? new System.Text.Json.Nodes.JsonArray())
        {
            string name = item is System.Text.Json.Nodes.JsonObject o && KubeconfigDecoder.IsString(o["name"], out string? n) ? n! : string.Empty;
            result[name] = item;
        }

        return result;
    }

    private static K8sOperationException MergeRefused(string full, string why) => new(
        K8sErrorKind.Configuration,
        $"Cannot merge into the kubeconfig '{full}': {why} (the file uses YAML the editor cannot keep, such as anchors, aliases or merge keys). The file was not changed; merge into a plain kubeconfig, or edit the file with kubectl config.",
        full);

    public static KubeconfigUser Write(string path, KubeconfigSpec spec, bool merge, bool force, EngineLog? log = null)
    {
        var plan = Plan(path, spec, merge, force);
        if (plan.Path != Path.GetFullPath(path))
        {
            log?.Verbose($"'{Path.GetFullPath(path)}' is a symbolic link; merging into the file it points to, '{plan.Path}', as kubectl does.");
        }

        if (plan.Unchanged)
        {
            log?.Verbose($"The kubeconfig '{plan.Path}' already holds context '{plan.ContextName}' as requested; nothing to write.");
        }
        else
        {
            SecureFile.WriteAllText(plan.Path, plan.Content, force: true);
            log?.Verbose($"Wrote context '{plan.ContextName}' (user '{plan.UserName}', cluster '{spec.Cluster.Name}') to '{plan.Path}' (mode 0600).");
        }

        return Describe(plan);
    }

    /// <summary>The user entry a written plan produced, read back from the file.</summary>
    public static KubeconfigUser Describe(KubeconfigPlan plan) =>
        KubeconfigInspector.Inspect(plan.Path).First(u => u.Name == plan.UserName);

    /// <summary>The cluster entry (server and CA) of a kubeconfig context, to copy into a new kubeconfig.</summary>
    public static KubeconfigClusterSpec ClusterFromKubeconfig(string? kubeconfigPath, string? contextName)
    {
        var set = KubeconfigSet.Load(kubeconfigPath);
        var context = set.GetContext(contextName);
        string? clusterName = context.ContextDetails?.Cluster;
        var cluster = set.FindCluster(clusterName)
            ?? throw new K8sOperationException(K8sErrorKind.Configuration, $"Context '{context.Name}' names cluster '{clusterName}', which is not defined.", context.Name);
        var endpoint = cluster.ClusterEndpoint;
        if (endpoint?.Server is not { Length: > 0 } server)
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"Cluster '{cluster.Name}' has no server address.", cluster.Name);
        }

        byte[]? caData = null;
        if (!string.IsNullOrEmpty(endpoint.CertificateAuthorityData))
        {
            caData = Convert.FromBase64String(endpoint.CertificateAuthorityData);
        }
        else if (!string.IsNullOrEmpty(endpoint.CertificateAuthority))
        {
            string source = set.SourceOf(context.Name) ?? set.Paths[0];
            string caPath = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, endpoint.CertificateAuthority));
            caData = CertificateFiles.ReadBytes(caPath, "CACertificatePath");
        }

        return new KubeconfigClusterSpec
        {
            Name = cluster.Name,
            Server = server,
            CertificateAuthorityData = caData,
            InsecureSkipTlsVerify = endpoint.SkipTlsVerify,
            TlsServerName = string.IsNullOrEmpty(endpoint.TlsServerName) ? null : endpoint.TlsServerName,
        };
    }

    /// <summary>Checks the server address and CA up front, before anything is generated.</summary>
    public static void ValidateCluster(KubeconfigClusterSpec cluster)
    {
        ValidateServer(cluster.Server);
        BuildCluster(cluster, referenceFiles: false);
    }

    private static void ValidateServer(string server)
    {
        if (!Uri.TryCreate(server, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            throw K8sOperationException.InvalidArgument("Server", server, "expected an absolute https:// URL of the API server");
        }
    }

    private static YamlMappingNode BuildCluster(KubeconfigClusterSpec cluster, bool referenceFiles)
    {
        var body = new YamlMappingNode();
        if (cluster.CertificateAuthorityPath is not null)
        {
            string full = Path.GetFullPath(cluster.CertificateAuthorityPath);
            byte[] bytes = CertificateFiles.ReadBytes(full, "CACertificatePath");
            EnsureCertificates(bytes, "CACertificatePath", full);
            if (referenceFiles)
            {
                body.Add(KubeconfigYaml.Scalar("certificate-authority"), KubeconfigYaml.Scalar(full));
            }
            else
            {
                body.Add(KubeconfigYaml.Scalar("certificate-authority-data"), KubeconfigYaml.Scalar(Convert.ToBase64String(bytes)));
            }
        }
        else if (cluster.CertificateAuthorityData is { Length: > 0 } data)
        {
            EnsureCertificates(data, "CACertificatePath", "the source kubeconfig's CA data");
            body.Add(KubeconfigYaml.Scalar("certificate-authority-data"), KubeconfigYaml.Scalar(Convert.ToBase64String(data)));
        }

        if (cluster.InsecureSkipTlsVerify && cluster.CertificateAuthorityData is null && cluster.CertificateAuthorityPath is null)
        {
            body.Add(KubeconfigYaml.Scalar("insecure-skip-tls-verify"), KubeconfigYaml.Bool(true));
        }

        body.Add(KubeconfigYaml.Scalar("server"), KubeconfigYaml.Scalar(cluster.Server));
        if (cluster.TlsServerName is not null)
        {
            body.Add(KubeconfigYaml.Scalar("tls-server-name"), KubeconfigYaml.Scalar(cluster.TlsServerName));
        }

        return body;
    }

    private static (YamlMappingNode Body, string? CertificateUser) BuildUser(KubeconfigSpec spec)
    {
        var body = new YamlMappingNode();
        if (spec.ClientCertificatePath is not null)
        {
            if (spec.ClientKeyPath is null)
            {
                throw K8sOperationException.InvalidArgument("ClientKeyPath", null, "a client certificate needs its private key file");
            }

            string certPath = Path.GetFullPath(spec.ClientCertificatePath);
            string keyPath = Path.GetFullPath(spec.ClientKeyPath);
            using var certificate = spec.ClientCertificatePem is not null
                ? CertificateFiles.Parse(System.Text.Encoding.ASCII.GetBytes(spec.ClientCertificatePem)).First()
                : CertificateFiles.ReadSingle(certPath, "ClientCertificatePath");
            using (var key = spec.ClientKeyPem is not null ? KeyMaterial.ParsePrivateKey(spec.ClientKeyPem, keyPath, "ClientKeyPath") : KeyMaterial.LoadPrivateKey(keyPath, "ClientKeyPath"))
            {
                if (!KeyMaterial.Matches(certificate, key))
                {
                    throw K8sOperationException.InvalidArgument("ClientKeyPath", keyPath, $"the key does not belong to the certificate '{certificate.Subject}'");
                }
            }

            if (spec.ReferenceFiles)
            {
                body.Add(KubeconfigYaml.Scalar("client-certificate"), KubeconfigYaml.Scalar(certPath));
                body.Add(KubeconfigYaml.Scalar("client-key"), KubeconfigYaml.Scalar(keyPath));
            }
            else
            {
                var utf8 = new System.Text.UTF8Encoding(false);
                byte[] certBytes = spec.ClientCertificatePem is not null ? utf8.GetBytes(spec.ClientCertificatePem) : File.ReadAllBytes(certPath);
                byte[] keyBytes = spec.ClientKeyPem is not null ? utf8.GetBytes(spec.ClientKeyPem) : File.ReadAllBytes(keyPath);
                body.Add(KubeconfigYaml.Scalar("client-certificate-data"), KubeconfigYaml.Scalar(Convert.ToBase64String(certBytes)));
                body.Add(KubeconfigYaml.Scalar("client-key-data"), KubeconfigYaml.Scalar(Convert.ToBase64String(keyBytes)));
            }

            return (body, DistinguishedNames.CommonName(certificate.SubjectName));
        }

        if (spec.Token is not null)
        {
            string token = Reveal(spec.Token);
            if (string.IsNullOrWhiteSpace(token) || token.Any(char.IsWhiteSpace))
            {
                throw K8sOperationException.InvalidArgument("Token", "(secure string)", "the token is empty or contains whitespace");
            }

            body.Add(KubeconfigYaml.Scalar("token"), KubeconfigYaml.Scalar(token));
            return (body, null);
        }

        if (!Uri.TryCreate(spec.OidcIssuerUrl, UriKind.Absolute, out var issuer) || issuer.Scheme != Uri.UriSchemeHttps)
        {
            throw K8sOperationException.InvalidArgument("OidcIssuerUrl", spec.OidcIssuerUrl, "expected the https:// URL of the OIDC issuer");
        }

        if (string.IsNullOrWhiteSpace(spec.OidcClientId))
        {
            throw K8sOperationException.InvalidArgument("OidcClientId", spec.OidcClientId, "an OIDC login needs the client id registered with the issuer");
        }

        var args = new YamlSequenceNode(
            KubeconfigYaml.Scalar("oidc-login"),
            KubeconfigYaml.Scalar("get-token"),
            KubeconfigYaml.Scalar($"--oidc-issuer-url={spec.OidcIssuerUrl}"),
            KubeconfigYaml.Scalar($"--oidc-client-id={spec.OidcClientId}"));
        if (spec.OidcClientSecret is not null)
        {
            // Confidential clients: kubelogin needs the secret on every login, so it lives in the (0600) kubeconfig.
            string secret = Reveal(spec.OidcClientSecret);
            if (string.IsNullOrWhiteSpace(secret) || secret.Any(char.IsWhiteSpace))
            {
                throw K8sOperationException.InvalidArgument("OidcClientSecret", "(secure string)", "the client secret is empty or contains whitespace");
            }

            args.Add(KubeconfigYaml.Scalar($"--oidc-client-secret={secret}"));
        }

        foreach (string scope in spec.OidcExtraScopes)
        {
            args.Add(KubeconfigYaml.Scalar($"--oidc-extra-scope={scope}"));
        }

        // kubelogin's documented setup: `kubectl oidc-login get-token` as a client-go credential plugin.
        body.Add(KubeconfigYaml.Scalar("exec"), new YamlMappingNode(
            KubeconfigYaml.Scalar("apiVersion"), KubeconfigYaml.Scalar("client.authentication.k8s.io/v1beta1"),
            KubeconfigYaml.Scalar("command"), KubeconfigYaml.Scalar("kubectl"),
            KubeconfigYaml.Scalar("args"), args,
            KubeconfigYaml.Scalar("interactiveMode"), KubeconfigYaml.Scalar("IfAvailable"),
            KubeconfigYaml.Scalar("provideClusterInfo"), KubeconfigYaml.Bool(false)));
        return (body, null);
    }

    private static void EnsureCertificates(byte[] bytes, string parameterName, string source)
    {
        try
        {
            if (CertificateFiles.Parse(bytes).Count > 0)
            {
                return;
            }
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or FormatException)
        {
            // reported below
        }

        throw K8sOperationException.InvalidArgument(parameterName, source, "no readable CA certificate");
    }

    private static string Reveal(SecureString secure)
    {
        IntPtr pointer = Marshal.SecureStringToGlobalAllocUnicode(secure);
        try
        {
            return Marshal.PtrToStringUni(pointer) ?? string.Empty;
        }
        finally
        {
            Marshal.ZeroFreeGlobalAllocUnicode(pointer);
        }
    }
}

/// <summary>A kubeconfig write worked out but not done: the file (a merge's link target), its content, the names used.</summary>
public sealed record KubeconfigPlan(string Path, string Content, string ContextName, string UserName)
{
    /// <summary>The file already holds exactly this content.</summary>
    public bool Unchanged => File.Exists(Path) && File.ReadAllText(Path) == Content;
}
