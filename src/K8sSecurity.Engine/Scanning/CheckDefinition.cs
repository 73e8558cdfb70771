using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Scanning;

/// <summary>Metadata of one check: stable id, title, severity, category, remediation. Listed by Get-Help and reports.</summary>
public sealed class CheckDefinition
{
    /// <summary>Stable id, e.g. "PSS-RESTRICTED-RUNASNONROOT" or "BP-IMAGE-TAG".</summary>
    public required string Id { get; init; }

    /// <summary>The check's id in k8s.io/pod-security-admission (e.g. "runAsNonRoot"); null for best practices.</summary>
    public string? PssCheckId { get; init; }

    public required string Title { get; init; }

    public FindingSeverity Severity { get; init; }

    /// <summary>"PodSecurity" or "BestPractice".</summary>
    public required string Category { get; init; }

    /// <summary>Pod Security Standards level the check belongs to; null for best practices.</summary>
    public PodSecurityLevel? Level { get; init; }

    /// <summary>First policy version (minor) the check exists in.</summary>
    public int MinimumMinor { get; init; }

    public required string Description { get; init; }

    public required string Remediation { get; init; }

    /// <summary>Documentation link for reports.</summary>
    public string HelpUri { get; init; } = "https://kubernetes.io/docs/concepts/security/pod-security-standards/";

    public override string ToString() => Id;
}

/// <summary>Why a check denied a pod: the admission plugin's reason and detail, plus the offending fields.</summary>
public sealed class CheckViolation
{
    private readonly ArraySegment<string> parts; // the text not joined yet: the detail, or the reason when there is no detail
    private readonly ArraySegment<string> pathPairs; // field paths not joined yet, as (prefix, suffix) pairs
    private string? reason;
    private string? detail;
    private IReadOnlyList<string>? fields;

    public CheckViolation(string reason, string detail, IReadOnlyList<string> fields)
    {
        this.reason = reason;
        this.detail = detail;
        this.fields = fields;
    }

    /// <summary>A violation whose text is joined from <paramref name="parts"/> on first read: as its detail after
    /// <paramref name="reason"/>, or as the whole reason when <paramref name="reason"/> is null; its fields are
    /// <paramref name="pathPairs"/> read as (prefix, suffix) pairs, joined on first read too.</summary>
    internal CheckViolation(string? reason, ArraySegment<string> parts, ArraySegment<string> pathPairs)
    {
        this.parts = parts;
        this.pathPairs = pathPairs;
        this.reason = reason;
        detail = reason is null ? string.Empty : null;
    }

    /// <summary>The admission plugin's reason, e.g. "allowPrivilegeEscalation != false".</summary>
    public string Reason => reason ??= Joined();

    /// <summary>Which containers or fields, e.g. "container \"app\" must set securityContext.allowPrivilegeEscalation=false".</summary>
    public string Detail => detail ??= Joined();

    public IReadOnlyList<string> Fields => fields ??= JoinedPaths();

    /// <summary>"reason (detail)", the text kube-apiserver prints in its forbidden message.</summary>
    public string Message => string.IsNullOrEmpty(Detail) ? Reason : $"{Reason} ({Detail})";

    public override string ToString() => Message;

    private string[] JoinedPaths()
    {
        var paths = new string[pathPairs.Count / 2];
        for (int i = 0; i < paths.Length; i++)
        {
            string prefix = pathPairs[2 * i], suffix = pathPairs[(2 * i) + 1];
            paths[i] = suffix.Length == 0 ? prefix : string.Concat(prefix, suffix);
        }

        return paths;
    }

    private string Joined()
    {
        int length = 0;
        foreach (string part in parts)
        {
            length += part.Length;
        }

        return string.Create(length, parts, static (text, strings) =>
        {
            foreach (string part in strings)
            {
                part.AsSpan().CopyTo(text);
                text = text[part.Length..];
            }
        });
    }
}
