using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Certificates past or near their end, through the identity engine (certificate model, file inventory and health
/// checks of Get-/Test-K8sCertificate): client certificates and CAs in the kubeconfig, `kubernetes.io/tls` Secrets
/// (the public tls.crt from the shared inventory; no extra API calls) and, when given, a PKI folder such as
/// /etc/kubernetes/pki. Expired = Critical; expiring within <see cref="AuditOptions.CertificateWarningDays"/> = High.
/// </summary>
public sealed class CertificateExpiryCheck : IAuditCheck
{
    public AuditCategory Category => AuditCategory.Certificates;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = new[] { AuditKind.Secret };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        var unread = new List<string>(context.KubeconfigReadFailures);
        int evaluated = 0;
        var options = new CertificateCheckOptions { WarningDays = context.Options.CertificateWarningDays, Now = context.Now };

        foreach (var entry in context.KubeconfigCertificates)
        {
            foreach (var certificate in Parse(Encoding.ASCII.GetBytes(entry.Pem)))
            {
                evaluated++;
                var model = K8sCertificate.From(certificate, entry.Owner, CertificateSourceKind.Kubeconfig, $"kubeconfig {entry.KubeconfigPath} ({entry.Owner})", entry.KubeconfigPath);
                Evaluate(context, findings, model, options, "KubeconfigUser", entry.Owner, null, null, $"kubeconfig entry '{entry.Owner}'");
            }
        }

        foreach (var secret in context.Inventory.Of(AuditKind.Secret))
        {
            if (secret.Body.Str("type") != "kubernetes.io/tls" || secret.Body.Str("data", "tls.crt") is not { } data)
            {
                continue;
            }

            byte[] bytes;
            try
            {
                bytes = Convert.FromBase64String(data);
            }
            catch (FormatException)
            {
                continue;
            }

            // The leaf is what clients see; the chain's CAs are usually renewed elsewhere.
            if (Parse(bytes).FirstOrDefault() is { } leaf)
            {
                evaluated++;
                string id = $"{secret.Namespace}/{secret.Name}";
                var model = K8sCertificate.From(leaf, id, CertificateSourceKind.Secret, $"secret {id} (tls.crt)");
                Evaluate(context, findings, model, options, "Secret", secret.Name ?? string.Empty, secret.Namespace, secret.Line > 0 ? secret.Location : null, $"TLS secret '{id}'");
            }
        }

        if (context.Options.PkiPath is { } pki)
        {
            foreach (var (file, name) in CertificateInventory.Expand(pki))
            {
                IReadOnlyList<K8sCertificate> certificates;
                try
                {
                    certificates = CertificateInventory.ReadFile(file, name);
                }
                catch (K8sOperationException ex)
                {
                    context.Log.Warning($"Skipped '{file}': {ex.Message}");
                    unread.Add($"'{file}': {ex.Message}");
                    continue;
                }

                foreach (var certificate in certificates.Take(1))
                {
                    evaluated++;
                    Evaluate(context, findings, certificate, options, "File", name, null, null, $"PKI file '{name}'");
                }
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated, ReadFailures = unread });
    }

    private static IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> Parse(byte[] bytes)
    {
        try
        {
            return CertificateFiles.Parse(bytes);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            return Array.Empty<System.Security.Cryptography.X509Certificates.X509Certificate2>();
        }
    }

    private static void Evaluate(
        AuditContext context, List<AuditFinding> findings, K8sCertificate certificate, CertificateCheckOptions options,
        string kind, string name, string? ns, string? source, string what)
    {
        var health = CertificateChecker.Check(certificate, options);
        bool expired = health.Verdicts.Contains(CertificateVerdict.Expired);
        if (!expired && !health.Verdicts.Contains(CertificateVerdict.ExpiringSoon))
        {
            return;
        }

        var evidence = new Dictionary<string, string>
        {
            ["subject"] = certificate.Subject,
            ["issuer"] = certificate.Issuer,
            ["notAfter"] = certificate.NotAfter.ToString("o", CultureInfo.InvariantCulture),
            ["daysLeft"] = Math.Floor((certificate.NotAfter - context.Now).TotalDays).ToString(CultureInfo.InvariantCulture),
            ["thumbprint"] = certificate.Thumbprint,
            ["source"] = certificate.Source,
        };
        string problem = string.Join("; ", health.Problems.Where(p => p.Contains("expire", StringComparison.Ordinal)));
        findings.Add(expired
            ? context.Finding(AuditCategory.Certificates, "CERT-EXPIRED", FindingSeverity.Critical, "Certificate expired", kind, name, ns,
                $"The certificate of {what} ({certificate.Subject}) {problem}.",
                "Renew the certificate now (New-K8sUserCertificate / kubeadm certs renew / cert-manager) and roll it out.", evidence, source)
            : context.Finding(AuditCategory.Certificates, "CERT-EXPIRING", FindingSeverity.High, "Certificate expires soon", kind, name, ns,
                $"The certificate of {what} ({certificate.Subject}) {problem}.",
                "Renew the certificate before it expires.", evidence, source));
    }
}
