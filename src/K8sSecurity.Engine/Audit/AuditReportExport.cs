using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>
/// The hook Export-K8sSecurityReport calls: when every piped object is audit output (findings and summaries of
/// Invoke-K8sSecurityAudit), HTML is the audit report (gauge, charts, heat map) and JSON is the audit results
/// format that Compare-K8sSecurityAudit reads. Other formats and other inputs use the generic writers.
/// </summary>
public static class AuditReportExport
{
    /// <summary>The report text, or null when the generic writer should handle the input.</summary>
    public static string? TryWrite(ReportFormat format, IReadOnlyCollection<IReportable> items, string? title)
    {
        if (format is not (ReportFormat.Html or ReportFormat.Json) || items.Count == 0
            || !items.All(i => i is AuditFinding or AuditSummary))
        {
            return null;
        }

        var report = new AuditReport
        {
            Summaries = items.OfType<AuditSummary>().ToList(),
            Findings = items.OfType<AuditFinding>().ToList(),
        };
        return format == ReportFormat.Html ? AuditHtmlRenderer.Render(report, title) : report.ToJson();
    }
}
