using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Certificates past or near their end: client certificates and CAs in the kubeconfig, `kubernetes.io/tls`
/// Secrets (the public tls.crt only) and, when given, a PKI folder such as /etc/kubernetes/pki.
/// Expired = Critical; expiring within <see cref="AuditOptions.CertificateWarningDays"/> = High.
/// </summary>
public sealed class CertificateExpiryCheck : IAuditCheck
{
    private static readonly string[] CertificateExtensions = { ".crt", ".pem", ".cer" };

    public AuditCategory Category => AuditCategory.Certificates;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = new[] { AuditKind.Secret };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        int evaluated = 0;

        foreach (var entry in context.KubeconfigCertificates)
        {
            foreach (var certificate in ParsePem(entry.Pem))
            {
                evaluated++;
                Evaluate(context, findings, certificate, "KubeconfigUser", entry.Owner, null, entry.KubeconfigPath, $"kubeconfig entry '{entry.Owner}'");
            }
        }

        foreach (var secret in context.Inventory.Of(AuditKind.Secret))
        {
            if (secret.Body.Str("type") != "kubernetes.io/tls" || secret.Body.Str("data", "tls.crt") is not { } data)
            {
                continue;
            }

            string pem;
            try
            {
                pem = Encoding.ASCII.GetString(Convert.FromBase64String(data));
            }
            catch (FormatException)
            {
                continue;
            }

            // The leaf is what clients see; the chain's CAs are usually renewed elsewhere.
            if (ParsePem(pem).FirstOrDefault() is { } leaf)
            {
                evaluated++;
                Evaluate(context, findings, leaf, "Secret", secret.Name ?? string.Empty, secret.Namespace, secret.Line > 0 ? secret.Location : null,
                    $"TLS secret '{secret.Namespace}/{secret.Name}'");
            }
        }

        if (context.Options.PkiPath is { } pki)
        {
            foreach (string file in Directory.EnumerateFiles(pki, "*", SearchOption.AllDirectories)
                         .Where(f => CertificateExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                         .Order(StringComparer.Ordinal))
            {
                string text;
                try
                {
                    text = File.ReadAllText(file);
                }
                catch (IOException)
                {
                    continue;
                }
                catch (UnauthorizedAccessException)
                {
                    continue;
                }

                string relative = Path.GetRelativePath(pki, file).Replace('\\', '/');
                foreach (var certificate in ParsePem(text).Take(1))
                {
                    evaluated++;
                    Evaluate(context, findings, certificate, "File", relative, null, file, $"PKI file '{relative}'");
                }
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }

    /// <summary>Certificates in PEM text; private-key blocks are never parsed.</summary>
    public static IReadOnlyList<X509Certificate2> ParsePem(string pem)
    {
        if (!pem.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal))
        {
            return Array.Empty<X509Certificate2>();
        }

        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException)
        {
            return Array.Empty<X509Certificate2>();
        }

        return collection.ToList();
    }

    private static void Evaluate(AuditContext context, List<AuditFinding> findings, X509Certificate2 certificate, string kind, string name, string? ns, string? source, string what)
    {
        var notAfter = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        double daysLeft = (notAfter - context.Now).TotalDays;
        if (daysLeft > context.Options.CertificateWarningDays)
        {
            return;
        }

        var evidence = new Dictionary<string, string>
        {
            ["subject"] = certificate.Subject,
            ["issuer"] = certificate.Issuer,
            ["notAfter"] = notAfter.ToString("o", CultureInfo.InvariantCulture),
            ["daysLeft"] = Math.Floor(daysLeft).ToString(CultureInfo.InvariantCulture),
            ["thumbprint"] = certificate.Thumbprint,
        };
        if (source is not null)
        {
            evidence["source"] = source;
        }

        findings.Add(daysLeft <= 0
            ? context.Finding(AuditCategory.Certificates, "CERT-EXPIRED", FindingSeverity.Critical, "Certificate expired", kind, name, ns,
                $"The certificate of {what} ({certificate.Subject}) expired on {notAfter:yyyy-MM-dd}.",
                "Renew the certificate now (New-K8sUserCertificate / kubeadm certs renew / cert-manager) and roll it out.", evidence, SourceOf(source))
            : context.Finding(AuditCategory.Certificates, "CERT-EXPIRING", FindingSeverity.High, "Certificate expires soon", kind, name, ns,
                $"The certificate of {what} ({certificate.Subject}) expires on {notAfter:yyyy-MM-dd}, in {Math.Ceiling(daysLeft)} day(s).",
                "Renew the certificate before it expires.", evidence, SourceOf(source)));
    }

    // Only manifest locations (file:line) are finding sources; kubeconfig and PKI paths stay in the evidence.
    private static string? SourceOf(string? source) => source is not null && source.Contains(':', StringComparison.Ordinal) && char.IsDigit(source[^1]) ? source : null;
}
