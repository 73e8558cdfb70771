using System.Globalization;
using System.Net;
using System.Text;

namespace K8sSecurity.Engine.Reporting;

/// <summary>
/// The self-contained HTML report of scan, RBAC and audit results. Summary cards are static HTML; the findings table
/// is drawn by the page's script from data embedded as JSON, where every text appears once (a string table) and each
/// finding is four numbers. A scan of 2,000 workloads (≈ 50,000 results with the passed ones) used to be 20 MB of
/// table rows; embedded this way it is well under 1 MB per 1,000 workloads, with the same columns, texts, filters and
/// counts. The page fetches nothing (Content-Security-Policy default-src 'none').
/// </summary>
public static class HtmlReportWriter
{
    /// <summary>Rows drawn at a time; "Show more" draws the next ones, so a large report opens instantly.</summary>
    public const int PageSize = 500;

    private static readonly FindingSeverity[] SeveritiesDescending = Enum.GetValues<FindingSeverity>().OrderDescending().ToArray();

    public static string Write(IReadOnlyList<ReportFinding> findings, ReportContext context)
    {
        var failed = findings.Where(f => f.Status == FindingStatus.Failed).ToList();
        int resources = ReportWriter.ResourceCount(findings);
        var html = new StringBuilder(16 * 1024);
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
            .Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n")
            .Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>").Append(H(context.Title)).Append("</title>\n<style>\n")
            .Append(Style).Append("</style>\n</head>\n<body>\n<header><h1>").Append(H(context.Title)).Append("</h1><p class=\"meta\">")
            .Append(H(context.ToolName)).Append(' ').Append(H(context.ToolVersion)).Append(" · generated ")
            .Append(H(context.GeneratedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture))).Append("</p></header>\n<section class=\"cards\">\n");
        Card(html, "Resources", resources, "neutral");
        Card(html, "Non-compliant", failed.Select(ReportWriter.Resource).Distinct().Count(), failed.Count == 0 ? "ok" : "bad");
        foreach (var severity in SeveritiesDescending)
        {
            Card(html, severity.ToString(), failed.Count(f => f.Severity == severity), "sev-" + severity.ToString().ToLowerInvariant());
        }

        Card(html, "Passed", findings.Count(f => f.Status == FindingStatus.Passed), "ok");
        Card(html, "Skipped", findings.Count(f => f.Status == FindingStatus.Skipped), "neutral");
        html.Append("</section>\n<section class=\"filters\">\n<input id=\"q\" type=\"search\" placeholder=\"Filter by resource, check or message\" aria-label=\"Filter\">\n")
            .Append("<select id=\"status\" aria-label=\"Status\"><option value=\"\">All statuses</option><option>Failed</option><option>Skipped</option><option>Passed</option></select>\n")
            .Append("<select id=\"severity\" aria-label=\"Minimum severity\"><option value=\"0\">Any severity</option><option value=\"1\">Low+</option><option value=\"2\">Medium+</option><option value=\"3\">High+</option><option value=\"4\">Critical</option></select>\n")
            .Append("<span id=\"count\"></span>\n</section>\n<noscript><p class=\"meta\">The findings table is drawn by the page's script; allow scripts for this file, or export the same results with -Format Markdown or Json.</p></noscript>\n")
            .Append("<table id=\"findings\">\n<thead><tr><th>Status</th><th>Severity</th><th>Resource</th><th>Check</th><th>Message</th><th>Location</th></tr></thead>\n<tbody></tbody>\n</table>\n")
            .Append("<p><button id=\"more\" type=\"button\" hidden></button></p>\n<script type=\"application/json\" id=\"report-data\">");
        html.Append(Data(findings, context));
        html.Append("</script>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    /// <summary>
    /// The findings as tables of <see cref="EmbeddedReportData"/>, in display order: checks (id, title, severity,
    /// remediation + 1 or 0), resources (resource, location) and findings (status 0 Failed / 1 Skipped / 2 Passed,
    /// check, resource, message (an index of the message list)).
    /// </summary>
    internal static string Data(IReadOnlyList<ReportFinding> findings, ReportContext context)
    {
        var data = new EmbeddedReportData();
        var checks = new Dictionary<(int Id, int Title, FindingSeverity Severity, int Remediation), int>();
        var resources = new Dictionary<(int Resource, int Location), int>();
        foreach (var f in ReportWriter.DisplayOrder(findings))
        {
            var checkKey = (data.Text(f.RuleId), data.Text(f.Title), f.Severity, data.OptionalText(f.Remediation));
            if (!checks.TryGetValue(checkKey, out int check))
            {
                check = checks.Count;
                checks.Add(checkKey, check);
                data.Add("checks", checkKey.Item1, checkKey.Item2, (int)checkKey.Severity, checkKey.Item4);
            }

            var resourceKey = (data.Text(ReportWriter.Resource(f)), data.Text(ReportWriter.LocationOf(f, context)));
            if (!resources.TryGetValue(resourceKey, out int resource))
            {
                resource = resources.Count;
                resources.Add(resourceKey, resource);
                data.Add("resources", resourceKey.Item1, resourceKey.Item2);
            }

            string message = f.Status == FindingStatus.Skipped ? f.SkipReason ?? "skipped" : f.Message;
            data.Add("findings", f.Status switch { FindingStatus.Failed => 0, FindingStatus.Skipped => 1, _ => 2 }, check, resource, data.Message(message));
        }

        return data.ToJson();
    }

    private static void Card(StringBuilder html, string label, int value, string css) =>
        html.Append("<div class=\"card ").Append(css).Append("\"><span class=\"value\">").Append(value.ToString(CultureInfo.InvariantCulture))
            .Append("</span><span class=\"label\">").Append(H(label)).Append("</span></div>\n");

    private static string H(string text) => WebUtility.HtmlEncode(text);

    private const string Style = """
        body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1.5rem;color:#1f2937;background:#f9fafb}
        header h1{margin:0 0 .25rem;font-size:1.5rem}.meta{margin:0;color:#6b7280}
        .cards{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.25rem 0}
        .card{background:#fff;border:1px solid #e5e7eb;border-radius:.5rem;padding:.75rem 1rem;min-width:7rem;display:flex;flex-direction:column}
        .card .value{font-size:1.6rem;font-weight:700}.card .label{color:#6b7280;font-size:.85rem}
        .card.bad .value,.card.sev-critical .value{color:#b91c1c}.card.sev-high .value{color:#c2410c}.card.sev-medium .value{color:#a16207}.card.ok .value{color:#15803d}
        .filters{display:flex;gap:.5rem;align-items:center;margin-bottom:.75rem}.filters input{flex:1;max-width:28rem;padding:.4rem .6rem}
        .filters select,.filters input{border:1px solid #d1d5db;border-radius:.375rem;padding:.4rem}
        table{border-collapse:collapse;width:100%;background:#fff;font-size:.9rem}
        th,td{border-bottom:1px solid #e5e7eb;padding:.45rem .6rem;text-align:left;vertical-align:top}
        th{background:#f3f4f6;position:sticky;top:0}
        tr.passed td{color:#6b7280}tr.skipped td{font-style:italic}
        .badge{border-radius:999px;padding:.1rem .5rem;font-size:.75rem;font-weight:600;color:#fff;background:#6b7280}
        .badge.sev-critical{background:#b91c1c}.badge.sev-high{background:#ea580c}.badge.sev-medium{background:#ca8a04}.badge.sev-low{background:#2563eb}
        code{font-size:.85rem}details{margin-top:.3rem;color:#374151}
        #more{border:1px solid #d1d5db;border-radius:.375rem;background:#fff;padding:.45rem .9rem;cursor:pointer}
        """;

    // Rows are built with textContent only: no text from the data is ever parsed as markup.
    private const string ScriptTemplate = """
        (function () {
          'use strict';
        __DECODE__
          var data = JSON.parse(document.getElementById('report-data').textContent);
          var S = data.strings, M = decodeMessages(data), C = decodeRows(data, 'checks'), R = decodeRows(data, 'resources'), F = decodeRows(data, 'findings'), total = F.length / 4;
          var STATUS = ['Failed', 'Skipped', 'Passed'], SEVERITY = ['Info', 'Low', 'Medium', 'High', 'Critical'];
          var q = document.getElementById('q'), status = document.getElementById('status'), severity = document.getElementById('severity');
          var count = document.getElementById('count'), body = document.querySelector('#findings tbody'), more = document.getElementById('more');
          var PAGE = __PAGE__, lower = null, lowerMessages = null, matches = [], drawn = 0;
          function el(tag, cls, text) {
            var e = document.createElement(tag);
            if (cls) { e.className = cls; }
            if (text !== undefined) { e.textContent = text; }
            return e;
          }
          function has(index, needle) { return lower[index].indexOf(needle) >= 0; }
          function textMatches(b, needle) {
            if (!needle) { return true; }
            if (!lower) { lower = S.map(function (s) { return s.toLowerCase(); }); lowerMessages = M.map(function (s) { return s.toLowerCase(); }); }
            var c = F[b + 1] * 4, r = F[b + 2] * 2;
            return STATUS[F[b]].toLowerCase().indexOf(needle) >= 0 || SEVERITY[C[c + 2]].toLowerCase().indexOf(needle) >= 0
              || has(C[c], needle) || has(C[c + 1], needle) || lowerMessages[F[b + 3]].indexOf(needle) >= 0 || has(R[r], needle) || has(R[r + 1], needle)
              || (F[b] === 0 && C[c + 3] > 0 && has(C[c + 3] - 1, needle));
          }
          function row(b) {
            var st = F[b], c = F[b + 1] * 4, r = F[b + 2] * 2, sev = SEVERITY[C[c + 2]], td;
            var tr = el('tr', STATUS[st].toLowerCase());
            tr.setAttribute('data-status', STATUS[st]);
            tr.setAttribute('data-severity', String(C[c + 2]));
            tr.appendChild(el('td', null, STATUS[st]));
            td = el('td'); td.appendChild(el('span', 'badge sev-' + sev.toLowerCase(), sev)); tr.appendChild(td);
            td = el('td'); td.appendChild(el('code', null, S[R[r]])); tr.appendChild(td);
            td = el('td'); td.appendChild(el('strong', null, S[C[c]])); td.appendChild(el('br')); td.appendChild(document.createTextNode(S[C[c + 1]])); tr.appendChild(td);
            td = el('td', null, M[F[b + 3]]);
            if (st === 0 && C[c + 3] > 0) {
              var details = el('details'); details.appendChild(el('summary', null, 'Remediation')); details.appendChild(document.createTextNode(S[C[c + 3] - 1]));
              td.appendChild(details);
            }
            tr.appendChild(td);
            tr.appendChild(el('td', null, S[R[r + 1]]));
            return tr;
          }
          function drawMore() {
            var fragment = document.createDocumentFragment(), end = Math.min(matches.length, drawn + PAGE);
            for (; drawn < end; drawn++) { fragment.appendChild(row(matches[drawn])); }
            body.appendChild(fragment);
            var left = matches.length - drawn;
            more.hidden = left <= 0;
            more.textContent = 'Show ' + Math.min(PAGE, left) + ' more (' + left + ' not shown)';
          }
          function apply() {
            var needle = q.value.trim().toLowerCase(), st = status.value, min = parseInt(severity.value, 10);
            matches = [];
            for (var b = 0; b < F.length; b += 4) {
              if ((!st || STATUS[F[b]] === st) && C[F[b + 1] * 4 + 2] >= min && textMatches(b, needle)) { matches.push(b); }
            }
            body.textContent = '';
            drawn = 0;
            drawMore();
            count.textContent = matches.length + ' of ' + total + ' findings';
          }
          [q, status, severity].forEach(function (control) { control.addEventListener('input', apply); control.addEventListener('change', apply); });
          more.addEventListener('click', drawMore);
          var anyFailed = false;
          for (var b = 0; b < F.length; b += 4) { if (F[b] === 0) { anyFailed = true; break; } }
          status.value = anyFailed ? 'Failed' : '';
          apply();
        })();
        """;

    private static readonly string Script = ScriptTemplate
        .Replace("__PAGE__", PageSize.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
        .Replace("__DECODE__\n", EmbeddedReportData.DecodeScript, StringComparison.Ordinal);
}
