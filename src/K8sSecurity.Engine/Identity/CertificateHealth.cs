using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Identity;

/// <summary>Health verdicts, least severe first, so Status (the worst one) compares with -ge.</summary>
public enum CertificateVerdict
{
    Healthy = 0,
    ExpiringSoon,
    MissingSan,
    WeakKey,
    WrongUsage,
    NotYetValid,
    IssuerMismatch,
    Expired,
    Missing,
}

/// <summary>One checked certificate (or one expected certificate that is missing), like a row of
/// `kubeadm certs check-expiration` with every problem spelled out.</summary>
public sealed class CertificateHealth : IReportable
{
    public required string Name { get; init; }

    /// <summary>The worst verdict.</summary>
    public CertificateVerdict Status { get; init; }

    public IReadOnlyList<CertificateVerdict> Verdicts { get; init; } = Array.Empty<CertificateVerdict>();

    /// <summary>One sentence per problem.</summary>
    public IReadOnlyList<string> Problems { get; init; } = Array.Empty<string>();

    public bool IsHealthy => Status == CertificateVerdict.Healthy;

    public string? CommonName { get; init; }

    public DateTimeOffset? NotAfter { get; init; }

    public int? DaysRemaining => NotAfter is { } notAfter ? (int)Math.Floor((notAfter - DateTimeOffset.UtcNow).TotalDays) : null;

    public string? Issuer { get; init; }

    public required string Source { get; init; }

    /// <summary>The certificate checked; null for a Missing one.</summary>
    public K8sCertificate? Certificate { get; init; }

    public string ReportKind => "CertificateHealth";

    public override string ToString() => $"{Name}: {Status}";

    public IEnumerable<ReportFinding> ToReportFindings()
    {
        if (IsHealthy)
        {
            yield return Finding("CERT-HEALTHY", FindingSeverity.Info, FindingStatus.Passed, "Certificate is healthy", $"{Name} is valid for {DaysRemaining} more days.");
            yield break;
        }

        for (int i = 0; i < Verdicts.Count; i++)
        {
            var verdict = Verdicts[i];
            string message = i < Problems.Count ? Problems[i] : verdict.ToString();
            yield return Finding($"CERT-{verdict.ToString().ToUpperInvariant()}", SeverityOf(verdict), FindingStatus.Failed, Title(verdict), message);
        }
    }

    private ReportFinding Finding(string ruleId, FindingSeverity severity, FindingStatus status, string title, string message) => new()
    {
        RuleId = ruleId,
        Title = title,
        Severity = severity,
        Category = "Certificates",
        Status = status,
        ResourceKind = "Certificate",
        ResourceName = Name,
        SourceFile = Certificate?.Path ?? (Certificate is null ? Source : null),
        Message = message,
        Remediation = status == FindingStatus.Passed ? null : "Renew or reissue the certificate (New-K8sCertificate / kubeadm certs renew) with the expected names, usages and issuer.",
        Evidence = new Dictionary<string, string>
        {
            ["source"] = Source,
            ["notAfter"] = NotAfter?.ToString("u") ?? string.Empty,
            ["issuer"] = Issuer ?? string.Empty,
        },
    };

    private static FindingSeverity SeverityOf(CertificateVerdict verdict) => verdict switch
    {
        CertificateVerdict.Expired or CertificateVerdict.Missing or CertificateVerdict.IssuerMismatch => FindingSeverity.Critical,
        CertificateVerdict.NotYetValid or CertificateVerdict.WrongUsage or CertificateVerdict.MissingSan => FindingSeverity.High,
        CertificateVerdict.WeakKey => FindingSeverity.Medium,
        CertificateVerdict.ExpiringSoon => FindingSeverity.Medium,
        _ => FindingSeverity.Info,
    };

    private static string Title(CertificateVerdict verdict) => verdict switch
    {
        CertificateVerdict.Expired => "Certificate has expired",
        CertificateVerdict.ExpiringSoon => "Certificate expires soon",
        CertificateVerdict.NotYetValid => "Certificate is not valid yet",
        CertificateVerdict.IssuerMismatch => "Certificate is not signed by the expected CA",
        CertificateVerdict.MissingSan => "Certificate lacks an expected subject alternative name",
        CertificateVerdict.WeakKey => "Certificate uses a weak key or signature",
        CertificateVerdict.WrongUsage => "Certificate usages do not fit its role",
        CertificateVerdict.Missing => "Expected certificate is missing",
        _ => verdict.ToString(),
    };
}
