using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Certificates past or near their end, through the identity engine (certificate model, file inventory and health
/// checks of Get-/Test-K8sCertificate): client certificates and CAs in the kubeconfig, `kubernetes.io/tls` Secrets
/// (the public tls.crt from the shared inventory; no extra API calls) and, when given, a PKI folder such as
/// /etc/kubernetes/pki. Expired = Critical; expiring within <see cref="AuditOptions.CertificateWarningDays"/> = High.
/// Certificate data that cannot be read (a tls.crt that is missing, empty, not base64 or holds no certificate openssl
/// could load; kubeconfig data without one; an unreadable PKI file) is a read failure of the category, never passed
/// over; no source at all to check is <see cref="AuditCheckResult.NothingToCheck"/>.
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
            var certificates = CertificateFiles.ParseLoadable(Encoding.ASCII.GetBytes(entry.Pem));
            if (certificates.Count == 0)
            {
                // kubectl refuses such a kubeconfig too (client-go loads the CA and client certificate from PEM).
                unread.Add($"kubeconfig '{entry.KubeconfigPath}' ({entry.Owner}): the certificate data holds no certificate openssl x509 could load");
                continue;
            }

            foreach (var certificate in certificates)
            {
                evaluated++;
                var model = K8sCertificate.From(certificate, entry.Owner, CertificateSourceKind.Kubeconfig, $"kubeconfig {entry.KubeconfigPath} ({entry.Owner})", entry.KubeconfigPath);
                Evaluate(context, findings, model, options, "KubeconfigUser", entry.Owner, null, null, $"kubeconfig entry '{entry.Owner}'");
            }
        }

        int tlsSecrets = 0;
        foreach (var secret in context.Inventory.Of(AuditKind.Secret))
        {
            if (secret.Body.Str("type") != "kubernetes.io/tls")
            {
                continue;
            }

            tlsSecrets++;
            string id = $"{secret.Namespace ?? "default"}/{secret.Name}";
            if (TlsCertificate(secret.Body, out var leaf) is { } problem)
            {
                // Never the data itself: only the Secret, the key and why.
                unread.Add($"secret {id} key tls.crt{(secret.Line > 0 ? $" ({secret.Location})" : string.Empty)}: {problem}");
                continue;
            }

            // The leaf is what clients see; the chain's CAs are usually renewed elsewhere.
            evaluated++;
            var model = K8sCertificate.From(leaf!, id, CertificateSourceKind.Secret, $"secret {id} (tls.crt)");
            Evaluate(context, findings, model, options, "Secret", secret.Name ?? string.Empty, secret.Namespace, secret.Line > 0 ? secret.Location : null, $"TLS secret '{id}'");
        }

        int pkiFiles = 0;
        if (context.Options.PkiPath is { } pki)
        {
            foreach (var (file, name) in CertificateInventory.Expand(pki))
            {
                pkiFiles++;
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

        string? nothing = evaluated == 0 && unread.Count == 0
            ? string.Join("; ", new[]
            {
                context.KubeconfigCertificates.Count == 0 ? "no client certificate or CA in a kubeconfig" : null,
                tlsSecrets == 0 ? "no kubernetes.io/tls Secret" : null,
                context.Options.PkiPath is { } folder
                    ? pkiFiles == 0 ? $"no certificate file under -PkiPath '{folder}'" : null
                    : "no -PkiPath",
            }.OfType<string>())
            : null;
        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated, ReadFailures = unread, NothingToCheck = nothing });
    }

    /// <summary>
    /// Why a kubernetes.io/tls Secret's tls.crt cannot be checked, or null with its leaf certificate (parsed once). The API server
    /// only requires the key to exist for this type (ValidateSecret), so an empty or garbage value is stored as given.
    /// </summary>
    internal static string? TlsCertificate(JsonNode body, out X509Certificate2? leaf)
    {
        leaf = null;
        if (body["data"] is not JsonObject data || !data.TryGetPropertyValue("tls.crt", out var node))
        {
            return "the key is missing (the API server requires tls.crt in a Secret of type kubernetes.io/tls)";
        }

        if (node is not JsonValue value || !value.TryGetValue<string>(out string? text))
        {
            return "the value is not a string";
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            return "the value is not base64";
        }

        if (bytes.Length == 0)
        {
            return "the value is empty: there is no certificate to check";
        }

        var certificates = CertificateFiles.ParseLoadable(bytes);
        if (certificates.Count == 0)
        {
            return "it holds no certificate openssl x509 could load (no PEM CERTIFICATE block or DER certificate that parses)";
        }

        leaf = certificates[0];
        return null;
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
