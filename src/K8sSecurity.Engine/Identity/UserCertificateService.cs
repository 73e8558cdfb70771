using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Identity;

/// <summary>How New-K8sUserCertificate gets from a key to a certificate.</summary>
public enum UserCertificateMode
{
    /// <summary>Only write the key and the CSR.</summary>
    RequestOnly,

    /// <summary>Sign locally with the cluster CA's certificate and key.</summary>
    LocalCA,

    /// <summary>Create a CertificateSigningRequest in the cluster.</summary>
    Submit,
}

/// <summary>Everything New-K8sUserCertificate was asked to do, already bound and path-resolved.</summary>
public sealed record UserCertificateRequest
{
    public required string UserName { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = Array.Empty<string>();

    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.Rsa4096;

    public int ValidityDays { get; init; } = 365;

    public required string OutputDirectory { get; init; }

    public bool Force { get; init; }

    public UserCertificateMode Mode { get; init; }

    public string? CACertificatePath { get; init; }

    public string? CAKeyPath { get; init; }

    public string? RequestName { get; init; }

    public string SignerName { get; init; } = CertificateRequestService.KubeApiServerClientSigner;

    public bool Approve { get; init; }

    public bool Wait { get; init; }

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    public string? KubeconfigPath { get; init; }

    public string? KubeconfigNamespace { get; init; }
}

/// <summary>The seed's flow (key → CSR → approve → certificate → kubeconfig) in one validated operation.</summary>
public static class UserCertificateService
{
    /// <summary>File base name for a user: path separators and colons (system:node:x) become underscores.</summary>
    public static string FileBaseName(string userName)
    {
        var invalid = Path.GetInvalidFileNameChars().Concat(new[] { ':', '/', '\\' }).ToHashSet();
        return new string(userName.Select(c => invalid.Contains(c) ? '_' : c).ToArray());
    }

    public static string DefaultRequestName(string userName) => FileBaseName(userName) + "-authentication";

    public static void Validate(UserCertificateRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.UserName) || request.UserName.Any(char.IsControl) || request.UserName != request.UserName.Trim())
        {
            throw K8sOperationException.InvalidArgument("UserName", request.UserName, "a user name must be non-empty text without control characters or surrounding spaces");
        }

        if (FileBaseName(request.UserName) is "." or "..")
        {
            throw K8sOperationException.InvalidArgument("UserName", request.UserName, "the name cannot be used as a file name");
        }

        foreach (string group in request.Groups)
        {
            if (string.IsNullOrWhiteSpace(group) || group.Any(char.IsControl))
            {
                throw K8sOperationException.InvalidArgument("Group", group, "group names must be non-empty text without control characters");
            }
        }

        if (request.ValidityDays < 1 || request.ValidityDays > 3650)
        {
            throw K8sOperationException.InvalidArgument("ValidityDays", request.ValidityDays, "use 1 to 3650 days");
        }

        if (request.Mode == UserCertificateMode.Submit)
        {
            KubernetesNames.ValidatePathSegmentName("RequestName", request.RequestName ?? DefaultRequestName(request.UserName));

            if (request.Approve && request.Groups.Contains(CertificateRequestService.SystemMasters, StringComparer.Ordinal) && !request.Force)
            {
                throw K8sOperationException.InvalidArgument(
                    "Group", CertificateRequestService.SystemMasters,
                    "approving a certificate for system:masters grants cluster-admin that RBAC cannot revoke; use -Force if you really mean it");
            }

            if (request.Timeout <= TimeSpan.Zero)
            {
                throw K8sOperationException.InvalidArgument("Timeout", request.Timeout, "the timeout must be positive");
            }
        }

        if (request.Mode == UserCertificateMode.LocalCA && (request.CACertificatePath is null || request.CAKeyPath is null))
        {
            throw K8sOperationException.InvalidArgument("CAKeyPath", request.CAKeyPath, "local signing needs both -CACertificatePath and -CAKeyPath");
        }

        if (request.KubeconfigNamespace is not null)
        {
            KubernetesNames.ValidateNamespace("Namespace", request.KubeconfigNamespace);
        }

        // Signing locally is approving: the same rule as -Submit -Approve and Approve-K8sCertificateRequest.
        if (request.Mode == UserCertificateMode.LocalCA && request.Groups.Contains(CertificateRequestService.SystemMasters, StringComparer.Ordinal) && !request.Force)
        {
            throw K8sOperationException.InvalidArgument(
                "Group", CertificateRequestService.SystemMasters,
                "a certificate for system:masters grants cluster-admin that RBAC cannot revoke; use -Force if you really mean it");
        }

        if (request.KubeconfigPath is not null && !ProducesCertificate(request))
        {
            throw K8sOperationException.InvalidArgument(
                "KubeconfigPath", request.KubeconfigPath, "a kubeconfig needs the certificate: add -CACertificatePath/-CAKeyPath, or -Submit with -Wait");
        }
    }

    public static bool ProducesCertificate(UserCertificateRequest request) =>
        request.Mode == UserCertificateMode.LocalCA || (request.Mode == UserCertificateMode.Submit && request.Wait);

    /// <summary>The files a run would write, for -WhatIf and for the up-front overwrite check.</summary>
    public static IReadOnlyList<string> PlannedFiles(UserCertificateRequest request)
    {
        string baseName = Path.Combine(Path.GetFullPath(request.OutputDirectory), FileBaseName(request.UserName));
        var files = new List<string> { baseName + ".key", baseName + ".csr" };
        if (ProducesCertificate(request))
        {
            files.Add(baseName + ".crt");
        }

        if (request.KubeconfigPath is not null)
        {
            files.Add(Path.GetFullPath(request.KubeconfigPath));
        }

        return files;
    }

    /// <param name="cluster">Needed for -Submit; null otherwise.</param>
    /// <param name="kubeconfigCluster">Server and CA for -KubeconfigPath; null otherwise.</param>
    public static async Task<UserCertificate> NewAsync(
        UserCertificateRequest request, ClusterClient? cluster, Func<KubeconfigClusterSpec>? kubeconfigCluster, EngineLog log, CancellationToken cancellationToken)
    {
        Validate(request);
        // Every target is checked before a key exists or a request is sent: a refused run changes nothing.
        var files = PlannedFiles(request);
        SecureFile.EnsureWritable(files, request.Force, log);

        string keyPath = files[0];
        string csrPath = files[1];
        string certificatePath = Path.ChangeExtension(keyPath, ".crt");

        // Everything that can fail on input is checked before a key exists anywhere.
        KubeconfigClusterSpec? clusterSpec = request.KubeconfigPath is not null ? kubeconfigCluster?.Invoke() : null;
        using var authority = request.Mode == UserCertificateMode.LocalCA
            ? CertificateAuthorityKeyPair.Load(request.CACertificatePath!, request.CAKeyPath!, log)
            : null;
        if (request.KubeconfigPath is not null && clusterSpec is null)
        {
            throw K8sOperationException.InvalidArgument("KubeconfigPath", request.KubeconfigPath, "the cluster's server address is unknown; pass -Server or a kubeconfig context");
        }

        if (clusterSpec is not null)
        {
            KubeconfigWriter.ValidateCluster(clusterSpec);
        }

        string requestName = request.RequestName ?? DefaultRequestName(request.UserName);
        if (request.Mode == UserCertificateMode.Submit)
        {
            var existing = await CertificateRequestService.FindAsync(cluster!, requestName, cancellationToken).ConfigureAwait(false);
            if (existing is not null)
            {
                if (!request.Force)
                {
                    throw new K8sOperationException(
                        K8sErrorKind.AlreadyExists,
                        $"A certificate signing request named '{requestName}' already exists ({existing.Condition}); use -RequestName, Remove-K8sCertificateRequest, or -Force to replace it.",
                        requestName);
                }

                log.Verbose($"Deleting the existing certificate signing request '{requestName}' (-Force).");
                await CertificateRequestService.DeleteAsync(cluster!, requestName, cancellationToken).ConfigureAwait(false);
            }
        }

        log.Verbose($"Generating a {request.KeyAlgorithm} key for '{request.UserName}'.");
        using var key = KeyMaterial.Generate(request.KeyAlgorithm);
        string csrPem = SigningRequests.Create(request.UserName, request.Groups, key);

        K8sCertificateRequest? submitted = null;
        if (request.Mode == UserCertificateMode.Submit)
        {
            // Submitted before any file is written: a refused request leaves nothing behind.
            submitted = await CertificateRequestService.CreateAsync(
                cluster!, requestName, csrPem, request.SignerName, CertificateRequestService.ClientUsages(key is RSA),
                (int)TimeSpan.FromDays(request.ValidityDays).TotalSeconds, cancellationToken).ConfigureAwait(false);
            log.Verbose($"Created certificate signing request '{requestName}' (signer {request.SignerName}).");
        }

        string keyPem = KeyMaterial.ExportPkcs8Pem(key);
        var keyAndRequest = new List<SecureFileContent> { SecureFileContent.Text(keyPath, keyPem), SecureFileContent.Text(csrPath, csrPem, privateFile: false) };
        X509Certificate2? certificate = null;
        var status = UserCertificateStatus.Created;
        if (authority is not null)
        {
            // Signed locally: key, request, certificate and kubeconfig are written together below.
            certificate = CertificateIssuer.SignRequest(csrPem, authority, request.ValidityDays, log);
            status = UserCertificateStatus.Issued;
            log.Verbose($"Signed the certificate locally with CA '{authority.Certificate.Subject}'.");
        }
        else
        {
            // The key is kept before waiting for the signer, so a timeout still leaves what Receive-K8sCertificate needs.
            SecureFile.WriteAll(keyAndRequest, request.Force, log);
            keyAndRequest.Clear();
            log.Verbose($"Wrote '{keyPath}' (mode 0600) and '{csrPath}'.");
        }

        if (submitted is not null)
        {
            status = UserCertificateStatus.Pending;
            if (request.Approve)
            {
                (submitted, _) = await CertificateRequestService.DecideAsync(
                    cluster!, requestName, approve: true, null, $"Approved by New-K8sUserCertificate for {request.UserName}", request.Force, log, cancellationToken).ConfigureAwait(false);
                status = UserCertificateStatus.Approved;
            }

            if (request.Wait)
            {
                var (issued, pem) = await CertificateRequestService.GetCertificateAsync(cluster!, requestName, request.Timeout, log, cancellationToken).ConfigureAwait(false);
                submitted = issued;
                certificate = CertificateFiles.Parse(pem).First();
                status = UserCertificateStatus.Issued;
            }
        }

        string? writtenCertificate = null;
        string? writtenKubeconfig = null;
        if (certificate is not null)
        {
            if (!KeyMaterial.Matches(certificate, key))
            {
                throw new K8sOperationException(K8sErrorKind.Protocol, $"The issued certificate for '{requestName}' does not match the generated key.", requestName);
            }

            string certificatePem = CertificateFiles.ToPem(certificate);
            var group = new List<SecureFileContent>(keyAndRequest) { SecureFileContent.Text(certificatePath, certificatePem, privateFile: false) };
            KubeconfigPlan? kubeconfig = null;
            if (request.KubeconfigPath is not null)
            {
                if (clusterSpec!.CertificateAuthorityData is null && clusterSpec.CertificateAuthorityPath is null && authority is not null)
                {
                    clusterSpec = clusterSpec with { CertificateAuthorityPath = authority.CertificatePath };
                }

                kubeconfig = KubeconfigWriter.Plan(request.KubeconfigPath, new KubeconfigSpec
                {
                    Cluster = clusterSpec,
                    UserName = request.UserName,
                    Namespace = request.KubeconfigNamespace,
                    ClientCertificatePath = certificatePath,
                    ClientKeyPath = keyPath,
                    ClientCertificatePem = certificatePem,
                    ClientKeyPem = keyPem,
                }, merge: false, force: request.Force);
                group.Add(SecureFileContent.Text(kubeconfig.Path, kubeconfig.Content));
            }

            SecureFile.WriteAll(group, request.Force, log);
            writtenCertificate = certificatePath;
            log.Verbose($"Wrote {string.Join(", ", group.Select(f => $"'{f.Path}'"))} (keys and kubeconfigs mode 0600); the certificate expires {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}.");
            if (kubeconfig is not null)
            {
                writtenKubeconfig = KubeconfigWriter.Describe(kubeconfig).KubeconfigPath;
            }
        }

        return new UserCertificate
        {
            UserName = request.UserName,
            Groups = request.Groups,
            KeyAlgorithm = request.KeyAlgorithm.ToString(),
            KeyPath = keyPath,
            CsrPath = csrPath,
            CertificatePath = writtenCertificate,
            KubeconfigPath = writtenKubeconfig,
            RequestName = submitted is null ? null : requestName,
            SignerName = submitted is null ? null : request.SignerName,
            Status = status,
            Issuer = certificate?.Issuer,
            NotAfter = certificate is null ? null : new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            Thumbprint = certificate is null ? null : Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)),
        };
    }

    /// <summary>Fetches (or waits for) an issued certificate and writes it, optionally with a kubeconfig.</summary>
    public static async Task<UserCertificate> ReceiveAsync(
        ClusterClient cluster,
        string requestName,
        string? certificatePath,
        string outputDirectory,
        string? keyPath,
        string? kubeconfigPath,
        Func<KubeconfigClusterSpec>? kubeconfigCluster,
        string? kubeconfigNamespace,
        TimeSpan? waitTimeout,
        bool force,
        EngineLog log,
        CancellationToken cancellationToken)
    {
        KubernetesNames.ValidatePathSegmentName("Name", requestName);
        if (kubeconfigNamespace is not null)
        {
            KubernetesNames.ValidateNamespace("Namespace", kubeconfigNamespace);
        }

        if (kubeconfigPath is not null && keyPath is null)
        {
            throw K8sOperationException.InvalidArgument("KeyPath", null, "writing a kubeconfig needs the private key file of the request (-KeyPath)");
        }

        if (keyPath is not null && !File.Exists(Path.GetFullPath(keyPath)))
        {
            throw K8sOperationException.InvalidArgument("KeyPath", Path.GetFullPath(keyPath), "the key file does not exist");
        }

        var request = await CertificateRequestService.GetAsync(cluster, requestName, cancellationToken).ConfigureAwait(false);
        string userName = request.UserName ?? requestName;
        string target = Path.GetFullPath(certificatePath ?? Path.Combine(outputDirectory, FileBaseName(userName) + ".crt"));
        SecureFile.EnsureWritable(kubeconfigPath is null ? new[] { target } : new[] { target, kubeconfigPath }, force, log);

        KubeconfigClusterSpec? clusterSpec = kubeconfigPath is not null ? kubeconfigCluster?.Invoke() : null;
        var (issued, pem) = await CertificateRequestService.GetCertificateAsync(cluster, requestName, waitTimeout, log, cancellationToken).ConfigureAwait(false);
        X509Certificate2 certificate;
        try
        {
            certificate = CertificateFiles.Parse(pem).First();
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException or InvalidOperationException)
        {
            throw new K8sOperationException(K8sErrorKind.Protocol, $"The certificate issued for '{requestName}' cannot be read.", requestName, ex);
        }

        if (keyPath is not null)
        {
            using var key = KeyMaterial.LoadPrivateKey(keyPath, "KeyPath");
            if (!KeyMaterial.Matches(certificate, key))
            {
                throw K8sOperationException.InvalidArgument("KeyPath", Path.GetFullPath(keyPath), $"the key does not belong to the certificate issued for '{requestName}'");
            }
        }

        // The certificate and the kubeconfig embedding it are replaced together or not at all.
        string certificatePem = CertificateFiles.ToPem(certificate);
        var group = new List<SecureFileContent> { SecureFileContent.Text(target, certificatePem, privateFile: false) };
        KubeconfigPlan? kubeconfig = null;
        if (kubeconfigPath is not null)
        {
            if (clusterSpec is null)
            {
                throw K8sOperationException.InvalidArgument("KubeconfigPath", kubeconfigPath, "the cluster's server address is unknown");
            }

            kubeconfig = KubeconfigWriter.Plan(kubeconfigPath, new KubeconfigSpec
            {
                Cluster = clusterSpec,
                UserName = userName,
                Namespace = kubeconfigNamespace,
                ClientCertificatePath = target,
                ClientKeyPath = keyPath,
                ClientCertificatePem = certificatePem,
            }, merge: false, force: force);
            group.Add(SecureFileContent.Text(kubeconfig.Path, kubeconfig.Content));
        }

        SecureFile.WriteAll(group, force, log);
        log.Verbose($"Wrote '{target}' (expires {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}).");
        string? writtenKubeconfig = kubeconfig is null ? null : KubeconfigWriter.Describe(kubeconfig).KubeconfigPath;

        return new UserCertificate
        {
            UserName = userName,
            Groups = issued.Groups,
            KeyAlgorithm = issued.KeyAlgorithm,
            KeyPath = keyPath is null ? null : Path.GetFullPath(keyPath),
            CertificatePath = target,
            KubeconfigPath = writtenKubeconfig,
            RequestName = requestName,
            SignerName = issued.SignerName,
            Status = UserCertificateStatus.Issued,
            Issuer = certificate.Issuer,
            NotAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero),
            Thumbprint = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)),
        };
    }
}
