using System.Security.Cryptography;
using System.Text;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Identity;

/// <summary>The certificates.k8s.io/v1 CSR workflow: create, list, approve/deny via /approval, wait, delete.</summary>
public static class CertificateRequestService
{
    public const string KubeApiServerClientSigner = "kubernetes.io/kube-apiserver-client";
    public const string SystemMasters = "system:masters";

    private const string ApprovedType = "Approved";
    private const string DeniedType = "Denied";
    private const string FailedType = "Failed";

    public static async Task<IReadOnlyList<K8sCertificateRequest>> ListAsync(ClusterClient cluster, CancellationToken cancellationToken)
    {
        var list = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CertificatesV1.ListCertificateSigningRequestAsync(cancellationToken: cancellationToken),
            "Listing certificate signing requests").ConfigureAwait(false);
        return list.Items.Select(Describe).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
    }

    public static async Task<K8sCertificateRequest> GetAsync(ClusterClient cluster, string name, CancellationToken cancellationToken) =>
        Describe(await ReadAsync(cluster, name, cancellationToken).ConfigureAwait(false));

    /// <summary>Null when no request of that name exists.</summary>
    public static async Task<K8sCertificateRequest?> FindAsync(ClusterClient cluster, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await GetAsync(cluster, name, cancellationToken).ConfigureAwait(false);
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.NotFound)
        {
            return null;
        }
    }

    /// <summary>Client-auth usages as the kube-apiserver-client signer expects them (RSA keys also encipher).</summary>
    public static IReadOnlyList<string> ClientUsages(bool rsaKey) =>
        rsaKey ? new[] { "digital signature", "key encipherment", "client auth" } : new[] { "digital signature", "client auth" };

    public static async Task<K8sCertificateRequest> CreateAsync(
        ClusterClient cluster, string name, string csrPem, string signerName, IReadOnlyList<string> usages, int? expirationSeconds, CancellationToken cancellationToken)
    {
        var body = new V1CertificateSigningRequest
        {
            ApiVersion = "certificates.k8s.io/v1",
            Kind = "CertificateSigningRequest",
            Metadata = new V1ObjectMeta { Name = name },
            Spec = new V1CertificateSigningRequestSpec
            {
                Request = Encoding.ASCII.GetBytes(csrPem),
                SignerName = signerName,
                Usages = usages.ToList(),
                ExpirationSeconds = expirationSeconds,
            },
        };
        var created = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CertificatesV1.CreateCertificateSigningRequestAsync(body, cancellationToken: cancellationToken),
            $"Creating certificate signing request '{name}'",
            name).ConfigureAwait(false);
        return Describe(created);
    }

    /// <summary>
    /// Adds an Approved or Denied condition through the /approval subresource. Re-deciding the same way changes
    /// nothing; reversing a decision is refused (the API server forbids both conditions).
    /// </summary>
    public static async Task<(K8sCertificateRequest Request, bool Changed)> DecideAsync(
        ClusterClient cluster, string name, bool approve, string? reason, string? message, bool force, EngineLog log, CancellationToken cancellationToken)
    {
        var csr = await ReadAsync(cluster, name, cancellationToken).ConfigureAwait(false);
        var current = Describe(csr);
        string wanted = approve ? ApprovedType : DeniedType;
        string opposite = approve ? DeniedType : ApprovedType;
        var conditions = csr.Status?.Conditions ?? new List<V1CertificateSigningRequestCondition>();
        if (conditions.Any(c => c.Type == wanted && c.Status == "True"))
        {
            log.Verbose($"Certificate signing request '{name}' is already {wanted.ToLowerInvariant()}; nothing to change.");
            return (current, false);
        }

        if (conditions.Any(c => c.Type == opposite && c.Status == "True"))
        {
            throw new K8sOperationException(
                K8sErrorKind.Conflict,
                $"Certificate signing request '{name}' is already {opposite.ToLowerInvariant()}; a decision cannot be reversed. Remove it and create a new request.",
                name);
        }

        if (approve && current.RequestsSystemMasters && !force)
        {
            throw new K8sOperationException(
                K8sErrorKind.InvalidArgument,
                $"Certificate signing request '{name}' asks for group '{SystemMasters}', which bypasses RBAC entirely (cluster-admin that cannot be revoked until the certificate expires). Use -Force to approve it anyway.",
                name);
        }

        if (approve && !current.SignatureValid)
        {
            throw new K8sOperationException(
                K8sErrorKind.InvalidArgument,
                $"Certificate signing request '{name}' holds a PKCS#10 request whose signature does not verify; refusing to approve it.",
                name);
        }

        var now = DateTime.UtcNow;
        csr.Status ??= new V1CertificateSigningRequestStatus();
        csr.Status.Conditions = conditions.Append(new V1CertificateSigningRequestCondition
        {
            Type = wanted,
            Status = "True",
            Reason = string.IsNullOrEmpty(reason) ? (approve ? "K8sSecurityApprove" : "K8sSecurityDeny") : reason,
            Message = string.IsNullOrEmpty(message) ? (approve ? "Approved with Approve-K8sCertificateRequest" : "Denied with Deny-K8sCertificateRequest") : message,
            LastUpdateTime = now,
        }).ToList();
        var updated = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CertificatesV1.ReplaceCertificateSigningRequestApprovalAsync(csr, name, cancellationToken: cancellationToken),
            $"{(approve ? "Approving" : "Denying")} certificate signing request '{name}'",
            name).ConfigureAwait(false);
        log.Verbose($"Certificate signing request '{name}' {(approve ? "approved" : "denied")} (user '{current.UserName}', groups '{string.Join(", ", current.Groups)}').");
        return (Describe(updated), true);
    }

    public static Task DeleteAsync(ClusterClient cluster, string name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidatePathSegmentName("Name", name);
        return ApiErrorTranslator.CallAsync(
            () => cluster.Api.CertificatesV1.DeleteCertificateSigningRequestAsync(name, cancellationToken: cancellationToken),
            $"Deleting certificate signing request '{name}'",
            name);
    }

    /// <summary>
    /// The issued certificate (PEM bytes) of a request. With a timeout, polls until the signer has issued it;
    /// without one, fails at once when it is not issued. Denied or failed requests fail with their reason.
    /// </summary>
    public static async Task<(K8sCertificateRequest Request, byte[] CertificatePem)> GetCertificateAsync(
        ClusterClient cluster, string name, TimeSpan? waitTimeout, EngineLog log, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource();
        if (waitTimeout is { } limit)
        {
            timeout.CancelAfter(limit);
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var delay = TimeSpan.FromMilliseconds(200);
        var started = DateTimeOffset.UtcNow;
        K8sCertificateRequest? last = null;
        try
        {
            while (true)
            {
                var csr = await ReadAsync(cluster, name, linked.Token).ConfigureAwait(false);
                last = Describe(csr);
                switch (last.Condition)
                {
                    case CertificateRequestCondition.Issued:
                        return (last, csr.Status!.Certificate);
                    case CertificateRequestCondition.Denied:
                        throw new K8sOperationException(
                            K8sErrorKind.Forbidden, $"Certificate signing request '{name}' was denied ({last.Reason}: {last.Message}).", name);
                    case CertificateRequestCondition.Failed:
                        throw new K8sOperationException(
                            K8sErrorKind.Invalid, $"The signer failed certificate signing request '{name}' ({last.Reason}: {last.Message}).", name);
                }

                if (waitTimeout is null)
                {
                    throw new K8sOperationException(
                        K8sErrorKind.InvalidArgument,
                        $"Certificate signing request '{name}' has no certificate yet (it is {last.Condition}); approve it, or use -Wait to wait for the signer.",
                        name);
                }

                log.Progress($"Waiting for the signer to issue '{name}' ({last.Condition}, {(DateTimeOffset.UtcNow - started).TotalSeconds:0}s)", -1);
                await Task.Delay(delay, linked.Token).ConfigureAwait(false);
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 2000));
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            string hint = last?.Condition == CertificateRequestCondition.Pending
                ? " It is still Pending: approve it with Approve-K8sCertificateRequest."
                : string.Empty;
            throw new K8sOperationException(
                K8sErrorKind.Timeout,
                $"Timed out after {waitTimeout!.Value.TotalSeconds:0.#}s waiting for certificate signing request '{name}' to be issued ({last?.Condition.ToString() ?? "not read yet"}).{hint}",
                name);
        }
    }

    internal static async Task<V1CertificateSigningRequest> ReadAsync(ClusterClient cluster, string name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidatePathSegmentName("Name", name);
        return await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CertificatesV1.ReadCertificateSigningRequestAsync(name, cancellationToken: cancellationToken),
            $"Reading certificate signing request '{name}'",
            name).ConfigureAwait(false);
    }

    internal static K8sCertificateRequest Describe(V1CertificateSigningRequest csr)
    {
        var spec = csr.Spec;
        SigningRequestContent? content = null;
        if (spec?.Request is { Length: > 0 } request)
        {
            try
            {
                content = SigningRequests.Parse(Encoding.ASCII.GetString(request));
            }
            catch (K8sOperationException)
            {
                // Shown as an unreadable request (no user, SignatureValid false).
            }
        }

        var conditions = csr.Status?.Conditions ?? new List<V1CertificateSigningRequestCondition>();
        var deciding = conditions.LastOrDefault(c => c.Status == "True" && c.Type is FailedType or DeniedType)
            ?? conditions.LastOrDefault(c => c.Status == "True" && c.Type == ApprovedType);
        bool issued = csr.Status?.Certificate is { Length: > 0 };
        var state = deciding?.Type switch
        {
            FailedType => CertificateRequestCondition.Failed,
            DeniedType => CertificateRequestCondition.Denied,
            ApprovedType when issued => CertificateRequestCondition.Issued,
            ApprovedType => CertificateRequestCondition.Approved,
            _ => CertificateRequestCondition.Pending,
        };

        DateTimeOffset? notAfter = null;
        string? thumbprint = null;
        if (issued)
        {
            try
            {
                var certificate = CertificateFiles.Parse(csr.Status!.Certificate).FirstOrDefault();
                if (certificate is not null)
                {
                    notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
                    thumbprint = Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
                }
            }
            catch (Exception ex) when (ex is CryptographicException or FormatException)
            {
                // An unreadable certificate leaves NotAfter empty; Receive-K8sCertificate reports it.
            }
        }

        return new K8sCertificateRequest
        {
            Name = csr.Metadata?.Name ?? string.Empty,
            Condition = state,
            UserName = content?.UserName,
            Groups = content?.Groups ?? Array.Empty<string>(),
            SignerName = spec?.SignerName ?? string.Empty,
            Requestor = spec?.Username,
            RequestorGroups = spec?.Groups?.ToArray() ?? Array.Empty<string>(),
            Usages = spec?.Usages?.ToArray() ?? Array.Empty<string>(),
            RequestedDuration = spec?.ExpirationSeconds is { } seconds ? TimeSpan.FromSeconds(seconds) : null,
            Subject = content?.Subject,
            KeyAlgorithm = content?.KeyAlgorithm,
            SignatureValid = content?.SignatureValid ?? false,
            Reason = deciding?.Reason,
            Message = deciding?.Message,
            CreationTimestamp = csr.Metadata?.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : null,
            CertificateNotAfter = notAfter,
            CertificateThumbprint = thumbprint,
            Uid = csr.Metadata?.Uid,
        };
    }
}
