using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Hardening;

/// <summary>Outcome of one configuration check, kube-bench style. Pass first so `Status -ne 'Pass'` reads naturally.</summary>
public enum HardeningStatus
{
    Pass = 0,

    /// <summary>Works, but weaker than recommended (a short key, a provider upstream calls weak).</summary>
    Warn = 1,

    /// <summary>Not compliant, or the input could not be read (gates fail closed).</summary>
    Fail = 2,
}

/// <summary>
/// One check of a control-plane, node, encryption or audit configuration: which file, the value in effect, the value
/// expected and how to fix it. Test-K8sEncryptionConfiguration, Test-K8sAuditPolicy and Test-K8sNodeConfiguration
/// all return these. Never carries key material.
/// </summary>
public sealed class HardeningCheckResult : IReportable
{
    /// <summary>Stable id: a CIS Kubernetes Benchmark number where one exists (e.g. "1.2.1"), else "ENC-…"/"AUDIT-…".</summary>
    public required string Id { get; init; }

    public required string Title { get; init; }

    public HardeningStatus Status { get; init; }

    public FindingSeverity Severity { get; init; }

    /// <summary>What was checked: kube-apiserver, kubelet, etcd, EncryptionConfiguration, AuditPolicy, …</summary>
    public required string Component { get; init; }

    /// <summary>The file the value comes from; null when it comes from a default.</summary>
    public string? File { get; init; }

    /// <summary>The value in effect (after defaults), in words when it is not a single value; never a secret.</summary>
    public string? Effective { get; init; }

    public required string Expected { get; init; }

    /// <summary>Why the check passed or failed, in one sentence.</summary>
    public required string Message { get; init; }

    public required string Remediation { get; init; }

    public bool Passed => Status == HardeningStatus.Pass;

    public string ReportKind => "Hardening";

    public override string ToString() => $"{Id} {Status}: {Title}";

    /// <summary>The one constructor the node, encryption and audit-policy checkers share.</summary>
    internal static HardeningCheckResult Create(string id, string title, string component, HardeningStatus status, FindingSeverity severity, string? file, string? effective, string expected, string message, string remediation) => new()
    {
        Id = id,
        Title = title,
        Status = status,
        Severity = severity,
        Component = component,
        File = file,
        Effective = effective,
        Expected = expected,
        Message = message,
        Remediation = remediation,
    };

    public IEnumerable<ReportFinding> ToReportFindings()
    {
        yield return new ReportFinding
        {
            RuleId = Id,
            Title = Title,
            Severity = Status == HardeningStatus.Pass ? FindingSeverity.Info : Severity,
            Category = "Hardening",
            Status = Status == HardeningStatus.Pass ? FindingStatus.Passed : FindingStatus.Failed,
            ResourceKind = Component,
            ResourceName = File is null ? Component : System.IO.Path.GetFileName(File),
            SourceFile = File,
            Message = Message,
            Remediation = Status == HardeningStatus.Pass ? null : Remediation,
            Evidence = new Dictionary<string, string>
            {
                ["effective"] = Effective ?? "(not set)",
                ["expected"] = Expected,
                ["status"] = Status.ToString(),
            },
        };
    }
}
