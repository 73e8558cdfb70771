using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>How a finding changed between two audits.</summary>
public enum AuditChange
{
    /// <summary>In the difference (newer) audit only.</summary>
    New,

    /// <summary>In the reference (older) audit only: fixed since.</summary>
    Resolved,

    /// <summary>In both.</summary>
    Unchanged,
}

/// <summary>One finding of a comparison, with what happened to it.</summary>
public sealed class AuditComparison
{
    public required AuditChange Status { get; init; }

    public required string Id { get; init; }

    public required FindingSeverity Severity { get; init; }

    public required AuditCategory Category { get; init; }

    public string? Cluster { get; init; }

    public string? Namespace { get; init; }

    public required string Resource { get; init; }

    public required string Message { get; init; }

    /// <summary>The finding itself (from the newer audit when it is in both).</summary>
    public required AuditFinding Finding { get; init; }

    public override string ToString() => $"{Status} {Severity} {Id} {Resource}";
}

/// <summary>Compares two sets of findings by identity (cluster, rule, namespace, resource), not by message text.</summary>
public static class AuditComparer
{
    public static IReadOnlyList<AuditComparison> Compare(IEnumerable<AuditFinding> reference, IEnumerable<AuditFinding> difference)
    {
        var before = Distinct(reference);
        var after = Distinct(difference);
        var result = new List<AuditComparison>();
        foreach (var (key, finding) in after)
        {
            result.Add(Create(before.ContainsKey(key) ? AuditChange.Unchanged : AuditChange.New, finding));
        }

        foreach (var (key, finding) in before)
        {
            if (!after.ContainsKey(key))
            {
                result.Add(Create(AuditChange.Resolved, finding));
            }
        }

        return result
            .OrderBy(c => c.Status)
            .ThenByDescending(c => c.Severity)
            .ThenBy(c => c.Cluster, StringComparer.Ordinal)
            .ThenBy(c => c.Namespace, StringComparer.Ordinal)
            .ThenBy(c => c.Resource, StringComparer.Ordinal)
            .ThenBy(c => c.Id, StringComparer.Ordinal)
            .ToList();
    }

    private static Dictionary<string, AuditFinding> Distinct(IEnumerable<AuditFinding> findings)
    {
        var map = new Dictionary<string, AuditFinding>(StringComparer.Ordinal);
        foreach (var finding in findings)
        {
            map.TryAdd(finding.Key, finding);
        }

        return map;
    }

    private static AuditComparison Create(AuditChange status, AuditFinding finding) => new()
    {
        Status = status,
        Id = finding.Id,
        Severity = finding.Severity,
        Category = finding.Category,
        Cluster = finding.Cluster,
        Namespace = finding.Namespace,
        Resource = finding.Resource,
        Message = finding.Message,
        Finding = finding,
    };
}
