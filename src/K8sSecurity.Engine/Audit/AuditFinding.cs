using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>One problem the audit found on one resource.</summary>
public sealed class AuditFinding : IReportable
{
    /// <summary>Stable rule id, e.g. "NS-NO-QUOTA" or "RBAC-WILDCARD-ADMIN".</summary>
    public required string Id { get; init; }

    public required AuditCategory Category { get; init; }

    public required FindingSeverity Severity { get; init; }

    /// <summary>Short rule title, the same for every finding of the rule.</summary>
    public required string Title { get; init; }

    /// <summary>"Kind/name" of the resource the finding is about (e.g. "Namespace/team-a").</summary>
    public required string Resource { get; init; }

    public required string ResourceKind { get; init; }

    public required string ResourceName { get; init; }

    /// <summary>Namespace of the resource; null for cluster-scoped resources.</summary>
    public string? Namespace { get; init; }

    public required string Message { get; init; }

    public string? Remediation { get; init; }

    /// <summary>Why the check decided so: field paths and values, binding names. Never secrets.</summary>
    public IReadOnlyDictionary<string, string> Evidence { get; init; } = new Dictionary<string, string>();

    /// <summary>Kubeconfig context (or "offline:&lt;path&gt;") the finding came from; tags fleet results.</summary>
    public string? Cluster { get; init; }

    /// <summary>Who the finding is about when one resource concerns several (an RBAC binding's subject), else null.</summary>
    public string? Subject { get; init; }

    /// <summary>"file:line" when the resource was read from a manifest, else null.</summary>
    public string? Source { get; init; }

    /// <summary>Identity used to compare two audits: same cluster, rule and resource.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string Key => string.Join('|', Cluster ?? string.Empty, Id, Namespace ?? string.Empty, Resource, Subject ?? string.Empty);

    [System.Text.Json.Serialization.JsonIgnore]
    public string ReportKind => AuditReport.ReportKind;

    public IEnumerable<ReportFinding> ToReportFindings()
    {
        string? file = null;
        int? line = null;
        if (Source is { } source)
        {
            int colon = source.LastIndexOf(':');
            if (colon > 0 && int.TryParse(source.AsSpan(colon + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int parsed))
            {
                file = source[..colon];
                line = parsed;
            }
            else
            {
                file = source;
            }
        }

        yield return new ReportFinding
        {
            RuleId = Id,
            Title = Title,
            Severity = Severity,
            Category = Category.ToString(),
            ResourceKind = ResourceKind,
            Namespace = Namespace,
            ResourceName = ResourceName,
            Message = Message,
            Remediation = Remediation,
            SourceFile = file,
            Line = line,
            Cluster = Cluster,
            Evidence = Evidence,
        };
    }

    public override string ToString() => $"{Severity} {Id} {Resource}: {Message}";
}
