using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;

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

    /// <summary>
    /// The kinds whose objects the check evaluates (the denominator of its score); <see cref="RequiredKinds"/> unless
    /// the check reads other kinds only as context (Namespaces evaluates Namespace objects and reads quotas, limit
    /// ranges, policies and workloads about them). A check that evaluated nothing when the inventory holds none of
    /// these had nothing to check (<see cref="AuditCategoryScore.NothingToCheck"/>).
    /// </summary>
    IReadOnlyCollection<AuditKind> EvaluatedKinds => RequiredKinds;

    Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken);
}

/// <summary>What one check produced.</summary>
public sealed class AuditCheckResult
{
    public IReadOnlyList<AuditFinding> Findings { get; init; } = Array.Empty<AuditFinding>();

    /// <summary>Resources (or questions) the check evaluated: the denominator of the category score.</summary>
    public int Evaluated { get; init; }

    /// <summary>Why the check did not run; null when it ran.</summary>
    public string? SkippedReason { get; init; }

    /// <summary>
    /// Data the check needed and could not read ("'/etc/kubernetes/pki/ca.crt': why"): the result does not cover it.
    /// Empty when everything was read. A skip with read failures is a skip for lack of data, one without is a
    /// category that does not apply.
    /// </summary>
    public IReadOnlyList<string> ReadFailures { get; init; } = Array.Empty<string>();

    /// <summary>
    /// Why the check found nothing at all to look at (no object of the kinds it reads; for Certificates no kubeconfig
    /// certificate, TLS Secret or PKI file), else null. The audit fills it in for a check that evaluated nothing when
    /// the inventory holds none of its <see cref="IAuditCheck.EvaluatedKinds"/>. A category named in -Category with
    /// nothing to check fails the -FailOn gate.
    /// </summary>
    public string? NothingToCheck { get; init; }

    /// <summary>Objects Kubernetes created by itself that the check did not evaluate (they are not findings and do not count in the score).</summary>
    public IReadOnlyList<string> ExcludedDefaults { get; init; } = Array.Empty<string>();

    /// <summary>The category does not apply to this audit (no -NodePath, no server offline).</summary>
    public static AuditCheckResult Skipped(string reason) => new() { SkippedReason = reason };

    /// <summary>The category could not run because its data could not be read.</summary>
    public static AuditCheckResult Unreadable(string reason) => new() { SkippedReason = reason, ReadFailures = new[] { reason } };
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
    /// <summary>The namespaces Kubernetes runs its own components in; excluded by default, as kubescape and Polaris do.</summary>
    public static IReadOnlyList<string> SystemNamespaces { get; } = new[] { "kube-system", "kube-public", "kube-node-lease" };

    public static IReadOnlyList<string> DefaultExcludedNamespaces => SystemNamespaces;

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

    /// <summary>
    /// Which version's default RBAC policy the audit uses ("v1.32"); null: the server's version when the module holds
    /// it, else (and offline) the newest it holds.
    /// </summary>
    public string? KubernetesVersion { get; init; }

    /// <summary>
    /// The Kubernetes version apiVersions are checked against ("v1.35", the upgrade target); null: -KubernetesVersion,
    /// else the server's version, else the newest the module knows.
    /// </summary>
    public string? TargetVersion { get; init; }

    /// <summary>Analyse the RBAC objects read alone: no default objects are added offline, none is recognised as default.</summary>
    public bool ExcludeDefaultPolicy { get; init; }

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

    /// <summary>Offline: what reading the manifests found besides objects (errors, duplicate keys, empty files).</summary>
    public IReadOnlyList<Manifests.ManifestParseError> InputIssues { get; init; } = Array.Empty<Manifests.ManifestParseError>();

    /// <summary>What could not be read of the kubeconfig whose certificates are checked (a missing file, a certificate file it names).</summary>
    public IReadOnlyList<string> KubeconfigReadFailures { get; init; } = Array.Empty<string>();

    public DateTimeOffset Now => Options.Now ?? DateTimeOffset.UtcNow;

    /// <summary>The kinds that run pods: a namespace holding none of them is not in use.</summary>
    public static IReadOnlyList<AuditKind> WorkloadKinds { get; } =
        new[] { AuditKind.Pod, AuditKind.Deployment, AuditKind.ReplicaSet, AuditKind.StatefulSet, AuditKind.DaemonSet, AuditKind.Job, AuditKind.CronJob };

    private RbacPolicy? rbac;
    private HashSet<string>? namespacesInUse;

    /// <summary>True when the inventory holds a pod or a workload controller in <paramref name="ns"/>.</summary>
    public bool HasWorkloads(string ns) =>
        (namespacesInUse ??= WorkloadKinds.SelectMany(k => Inventory.Of(k)).Select(o => o.Namespace ?? "default").ToHashSet(StringComparer.Ordinal)).Contains(ns);

    /// <summary>
    /// The default RBAC policy the audit compares with: -KubernetesVersion's, else the server's version when the module
    /// holds it, else the newest; null with <see cref="AuditOptions.ExcludeDefaultPolicy"/>.
    /// </summary>
    public DefaultRbacPolicy? DefaultPolicy => Options.ExcludeDefaultPolicy
        ? null
        : Options.KubernetesVersion is { } version ? DefaultRbacPolicy.For(version) : DefaultRbacPolicy.ForServer(Inventory.ServerVersion);

    /// <summary>
    /// The inventory's Roles, ClusterRoles and bindings as the authorization engine's policy, built once and shared by
    /// the checks. Completed with <see cref="DefaultPolicy"/>: a live cluster holds its defaults already, so they are only
    /// recognised; a manifest dump gets the default objects it lacks, as every cluster of that version has them.
    /// </summary>
    public RbacPolicy Rbac => rbac ??= BuildRbac();

    private RbacPolicy BuildRbac()
    {
        var kinds = new[] { AuditKind.Role, AuditKind.ClusterRole, AuditKind.RoleBinding, AuditKind.ClusterRoleBinding };
        var policy = RbacSource.LoadFromObjects(kinds.SelectMany(k => Inventory.Of(k)), Log);
        return DefaultPolicy is { } defaults ? policy.WithDefaults(defaults, addMissing: Cluster is null) : policy;
    }

    /// <summary>
    /// Builds a finding about an inventory object, tagged with this cluster and the object's source. A finding about a
    /// Namespace belongs to that namespace (so heat maps and per-namespace filters see it).
    /// </summary>
    /// <summary>
    /// The workloads of the given kinds outside excluded namespaces, scanned as Test-K8sPodSecurity scans them: a
    /// controller once, not through its pods and ReplicaSets; each result with the object it is for.
    /// </summary>
    public IEnumerable<(ManifestObject Workload, WorkloadScanResult Result)> ScanWorkloads(
        IEnumerable<AuditKind> kinds, ScanOptions scanOptions, CancellationToken cancellationToken)
    {
        var scanner = new WorkloadScanner(scanOptions);
        var batch = kinds.SelectMany(kind => Inventory.Of(kind)).Where(o => !Options.IsExcluded(o.Namespace)).ToList();
        var byKey = batch.GroupBy(o => (o.Kind, o.Namespace, o.Name)).ToDictionary(g => g.Key, g => g.First());
        foreach (var result in scanner.ScanBatch(batch))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return (byKey[(result.Kind, result.Namespace, result.Name)], result);
        }
    }

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
