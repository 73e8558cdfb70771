using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>
/// One audit category. Checks never call list APIs themselves: they declare the kinds they read and receive the
/// shared <see cref="AuditInventory"/>, so a whole audit lists each kind once whatever the categories.
/// </summary>
public interface IAuditCheck
{
    AuditCategory Category { get; }

    /// <summary>Kinds the check reads from the inventory.</summary>
    IReadOnlyCollection<AuditKind> RequiredKinds { get; }

    Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken);
}

/// <summary>What one check produced.</summary>
public sealed class AuditCheckResult
{
    public IReadOnlyList<AuditFinding> Findings { get; init; } = Array.Empty<AuditFinding>();

    /// <summary>Resources (or questions) the check evaluated: the denominator of the category score.</summary>
    public int Evaluated { get; init; }

    /// <summary>Why the check could not run; null when it ran.</summary>
    public string? SkippedReason { get; init; }

    public static AuditCheckResult Skipped(string reason) => new() { SkippedReason = reason };
}

/// <summary>Pod Security Standards level workloads are audited against.</summary>
public enum PodSecurityAuditLevel
{
    Baseline,
    Restricted,
}

/// <summary>What an audit covers and how strict it is.</summary>
public sealed class AuditOptions
{
    public static IReadOnlyList<string> DefaultExcludedNamespaces { get; } = new[] { "kube-system", "kube-public", "kube-node-lease" };

    /// <summary>Categories to run; all when empty.</summary>
    public IReadOnlyCollection<AuditCategory> Categories { get; init; } = Array.Empty<AuditCategory>();

    public PodSecurityAuditLevel PodSecurityLevel { get; init; } = PodSecurityAuditLevel.Baseline;

    /// <summary>Folder of PEM certificates (e.g. /etc/kubernetes/pki) to check for expiry.</summary>
    public string? PkiPath { get; init; }

    /// <summary>Certificates expiring within this many days are High findings (expired ones are Critical).</summary>
    public int CertificateWarningDays { get; init; } = 30;

    /// <summary>Root of a node's file system (or a copy of it) whose control-plane and kubelet configuration is checked.</summary>
    public string? NodePath { get; init; }

    /// <summary>Namespaces the namespace, workload and service-account checks skip (system namespaces by default).</summary>
    public IReadOnlyCollection<string> ExcludedNamespaces { get; init; } = DefaultExcludedNamespaces;

    /// <summary>The clock, so expiry checks are testable.</summary>
    public DateTimeOffset? Now { get; init; }

    /// <summary>The categories to run: all when none were chosen (NodeConfiguration only with a <see cref="NodePath"/>).</summary>
    public IReadOnlyCollection<AuditCategory> EffectiveCategories =>
        Categories.Count == 0
            ? Enum.GetValues<AuditCategory>().Where(c => c != AuditCategory.NodeConfiguration || NodePath is not null).ToArray()
            : Categories.Distinct().Order().ToArray();

    public bool IsExcluded(string? ns) => ns is not null && ExcludedNamespaces.Contains(ns, StringComparer.Ordinal);
}

/// <summary>A client certificate or CA from a kubeconfig (PEM), for the certificate check.</summary>
public sealed record KubeconfigCertificate(string Owner, string Pem, string KubeconfigPath);

/// <summary>Everything a check may use. The cluster client is null for offline audits.</summary>
public sealed class AuditContext
{
    public required AuditInventory Inventory { get; init; }

    public required AuditOptions Options { get; init; }

    /// <summary>Name findings are tagged with (kubeconfig context or "offline").</summary>
    public required string ClusterName { get; init; }

    public ClusterClient? Cluster { get; init; }

    public IReadOnlyList<KubeconfigCertificate> KubeconfigCertificates { get; init; } = Array.Empty<KubeconfigCertificate>();

    public EngineLog Log { get; init; } = EngineLog.None;

    public DateTimeOffset Now => Options.Now ?? DateTimeOffset.UtcNow;

    /// <summary>
    /// Builds a finding about an inventory object, tagged with this cluster and the object's source. A finding about a
    /// Namespace belongs to that namespace (so heat maps and per-namespace filters see it).
    /// </summary>
    public AuditFinding Finding(
        ManifestObject resource,
        AuditCategory category,
        string id,
        FindingSeverity severity,
        string title,
        string message,
        string remediation,
        IReadOnlyDictionary<string, string>? evidence = null) =>
        Finding(category, id, severity, title, resource.Kind ?? "Unknown", resource.Name ?? string.Empty,
            resource.Kind == "Namespace" ? resource.Name : resource.Namespace, message, remediation, evidence,
            resource.Line > 0 ? resource.Location : null);

    public AuditFinding Finding(
        AuditCategory category,
        string id,
        FindingSeverity severity,
        string title,
        string kind,
        string name,
        string? ns,
        string message,
        string remediation,
        IReadOnlyDictionary<string, string>? evidence = null,
        string? source = null) => new()
        {
            Id = id,
            Category = category,
            Severity = severity,
            Title = title,
            Resource = $"{kind}/{name}",
            ResourceKind = kind,
            ResourceName = name,
            Namespace = ns,
            Message = message,
            Remediation = remediation,
            Evidence = evidence ?? new Dictionary<string, string>(),
            Cluster = ClusterName,
            Source = source,
        };
}
