using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>
/// The audit score, kept deliberately simple so an admin can recompute it by hand:
/// <list type="bullet">
/// <item>Every resource a category evaluated costs the weight of its worst finding: Critical 1, High 0.75,
/// Medium 0.5, Low 0.25, Info 0 (a resource with no finding costs 0).</item>
/// <item>Category score = round(100 × (1 − total cost ÷ resources evaluated)); 100 when nothing was evaluated.</item>
/// <item>A category with any Critical finding scores at most 50: one critical hole is never averaged away.</item>
/// <item>Overall score = round(mean of the scores of the categories that ran); skipped categories do not count.</item>
/// </list>
/// </summary>
public static class AuditScoring
{
    public const int CriticalCap = 50;

    public static double WeightOf(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Critical => 1.0,
        FindingSeverity.High => 0.75,
        FindingSeverity.Medium => 0.5,
        FindingSeverity.Low => 0.25,
        _ => 0.0,
    };

    /// <summary>Scores one category from its findings and the number of resources it evaluated.</summary>
    public static int CategoryScore(IReadOnlyCollection<AuditFinding> findings, int evaluated)
    {
        var worstPerResource = findings
            .GroupBy(f => (f.Namespace, f.Resource))
            .Select(g => g.Max(f => WeightOf(f.Severity)))
            .ToList();
        int denominator = Math.Max(evaluated, worstPerResource.Count);
        if (denominator == 0)
        {
            return 100;
        }

        int score = (int)Math.Round(100.0 * (1.0 - (worstPerResource.Sum() / denominator)), MidpointRounding.AwayFromZero);
        if (findings.Any(f => f.Severity == FindingSeverity.Critical))
        {
            score = Math.Min(score, CriticalCap);
        }

        return Math.Clamp(score, 0, 100);
    }

    /// <summary>Mean of the category scores that ran; 100 when none ran.</summary>
    public static int OverallScore(IEnumerable<AuditCategoryScore> categories)
    {
        var scores = categories.Where(c => c.Score is not null).Select(c => c.Score!.Value).ToList();
        return scores.Count == 0 ? 100 : (int)Math.Round(scores.Average(), MidpointRounding.AwayFromZero);
    }

    public static string GradeOf(int score) => score switch
    {
        >= 90 => "A",
        >= 80 => "B",
        >= 70 => "C",
        >= 60 => "D",
        _ => "F",
    };

    internal static AuditCategoryScore Summarize(
        AuditCategory category, IReadOnlyCollection<AuditFinding> findings, int evaluated, string? skippedReason, IReadOnlyList<string>? readFailures = null, string? nothingToCheck = null)
    {
        readFailures ??= Array.Empty<string>();
        if (skippedReason is not null)
        {
            return new AuditCategoryScore { Category = category, SkippedReason = skippedReason, ReadFailures = readFailures };
        }

        return new AuditCategoryScore
        {
            Category = category,
            Score = CategoryScore(findings, evaluated),
            Checked = Math.Max(evaluated, findings.Select(f => (f.Namespace, f.Resource)).Distinct().Count()),
            Failed = findings.Select(f => (f.Namespace, f.Resource)).Distinct().Count(),
            Findings = findings.Count,
            Critical = findings.Count(f => f.Severity == FindingSeverity.Critical),
            High = findings.Count(f => f.Severity == FindingSeverity.High),
            Medium = findings.Count(f => f.Severity == FindingSeverity.Medium),
            Low = findings.Count(f => f.Severity == FindingSeverity.Low),
            Info = findings.Count(f => f.Severity == FindingSeverity.Info),
            ReadFailures = readFailures,
            NothingToCheck = nothingToCheck,
        };
    }
}
