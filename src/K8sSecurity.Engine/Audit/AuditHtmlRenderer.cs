using System.Globalization;
using System.Net;
using System.Text;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit;

/// <summary>
/// Renders audit results as one self-contained HTML page: score gauge, findings by severity and by category
/// (inline SVG), a namespace × category heat map, and a sortable, filterable findings table (inline JS). A
/// Content-Security-Policy forbids every network fetch, so the file is safe to mail or attach to a ticket.
/// </summary>
public static class AuditHtmlRenderer
{
    private const int HeatMapRows = 60;

    private static readonly FindingSeverity[] Severities = { FindingSeverity.Critical, FindingSeverity.High, FindingSeverity.Medium, FindingSeverity.Low, FindingSeverity.Info };

    public static string Render(AuditReport report, string? title = null)
    {
        var html = new StringBuilder(64 * 1024);
        var findings = report.Findings;
        var summaries = report.Summaries;
        int score = summaries.Count == 0 ? AuditScoring.OverallScore(Array.Empty<AuditCategoryScore>()) : (int)Math.Round(summaries.Average(s => s.Score), MidpointRounding.AwayFromZero);
        title ??= summaries.Count == 1 ? $"Kubernetes security audit — {summaries[0].Cluster}" : $"Kubernetes security audit — {summaries.Count} clusters";

        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(E(title)).Append("</title>\n<style>").Append(Css).Append("</style>\n</head>\n<body>\n");
        html.Append("<header><h1>").Append(E(title)).Append("</h1><p class=\"meta\">Generated ")
            .Append(E(report.GeneratedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)))
            .Append(" by K8sSecurity · ").Append(findings.Count.ToString(CultureInfo.InvariantCulture)).Append(" findings</p></header>\n");

        // Overview: gauge, severity chart, category chart.
        html.Append("<section class=\"cards\">\n");
        html.Append("<div class=\"card\" id=\"score\"><h2>Overall score</h2>").Append(Gauge(score)).Append("<p class=\"formula\">Per category: 100 × (1 − Σ worst-finding weight per resource ÷ resources evaluated); weights Critical 1, High 0.75, Medium 0.5, Low 0.25; a Critical caps the category at 50. Overall: mean of the categories that ran.</p></div>\n");
        html.Append("<div class=\"card\" id=\"by-severity\"><h2>Findings by severity</h2>").Append(SeverityChart(findings)).Append("</div>\n");
        html.Append("<div class=\"card\" id=\"by-category\"><h2>Category scores</h2>").Append(CategoryChart(summaries, findings)).Append("</div>\n");
        html.Append("</section>\n");

        if (summaries.Count > 0)
        {
            html.Append("<section><h2>Clusters</h2><table class=\"grid\" id=\"clusters\"><thead><tr><th>Cluster</th><th>Server version</th><th>Score</th><th class=\"num\">Critical</th><th class=\"num\">High</th><th class=\"num\">Medium</th><th class=\"num\">Low</th><th>Skipped</th></tr></thead><tbody>\n");
            foreach (var summary in summaries)
            {
                html.Append("<tr><td>").Append(E(summary.Cluster)).Append("</td><td>").Append(E(summary.ServerVersion ?? "—")).Append("</td><td><span class=\"grade g")
                    .Append(summary.Grade).Append("\">").Append(summary.Score.ToString(CultureInfo.InvariantCulture)).Append(" ").Append(summary.Grade).Append("</span></td>");
                foreach (var severity in Severities.Take(4))
                {
                    html.Append("<td class=\"num\">").Append(summary.CountOf(severity).ToString(CultureInfo.InvariantCulture)).Append("</td>");
                }

                html.Append("<td>").Append(E(string.Join(", ", summary.Categories.Where(c => c.Score is null).Select(c => $"{c.Category} ({c.SkippedReason})")))).Append("</td></tr>\n");
            }

            html.Append("</tbody></table></section>\n");
        }

        html.Append(HeatMap(findings));
        html.Append(FindingsTable(findings));
        html.Append("<script>").Append(Script.Replace("__DECODE__\n", EmbeddedReportData.DecodeScript, StringComparison.Ordinal)).Append("</script>\n</body>\n</html>\n");
        return html.ToString();
    }

    private static string Gauge(int score)
    {
        // A 240° arc: the filled part is proportional to the score.
        const double radius = 80;
        const double start = 150;
        const double sweep = 240;
        string color = score >= 80 ? "#2e7d32" : score >= 60 ? "#f9a825" : "#c62828";
        var sb = new StringBuilder("<svg class=\"gauge\" viewBox=\"0 0 200 170\" role=\"img\" aria-label=\"Overall score ");
        sb.Append(score.ToString(CultureInfo.InvariantCulture)).Append(" of 100\">");
        sb.Append("<path d=\"").Append(Arc(100, 100, radius, start, start + sweep)).Append("\" class=\"track\"/>");
        if (score > 0)
        {
            sb.Append("<path d=\"").Append(Arc(100, 100, radius, start, start + (sweep * Math.Min(score, 100) / 100.0))).Append("\" class=\"value\" stroke=\"").Append(color).Append("\"/>");
        }

        sb.Append("<text x=\"100\" y=\"108\" class=\"score\">").Append(score.ToString(CultureInfo.InvariantCulture)).Append("</text>");
        sb.Append("<text x=\"100\" y=\"135\" class=\"grade-text\">grade ").Append(AuditScoring.GradeOf(score)).Append("</text></svg>");
        return sb.ToString();
    }

    private static string Arc(double cx, double cy, double r, double fromDegrees, double toDegrees)
    {
        static (double X, double Y) Point(double cx, double cy, double r, double degrees)
        {
            double radians = degrees * Math.PI / 180;
            return (cx + (r * Math.Cos(radians)), cy + (r * Math.Sin(radians)));
        }

        var (x1, y1) = Point(cx, cy, r, fromDegrees);
        var (x2, y2) = Point(cx, cy, r, toDegrees);
        int large = toDegrees - fromDegrees > 180 ? 1 : 0;
        return string.Create(CultureInfo.InvariantCulture, $"M {x1:0.##} {y1:0.##} A {r} {r} 0 {large} 1 {x2:0.##} {y2:0.##}");
    }

    private static string SeverityChart(IReadOnlyList<AuditFinding> findings)
    {
        var counts = Severities.Select(s => (Severity: s, Count: findings.Count(f => f.Severity == s))).ToList();
        int max = Math.Max(1, counts.Max(c => c.Count));
        var sb = new StringBuilder("<svg class=\"bars\" viewBox=\"0 0 320 190\" role=\"img\" aria-label=\"Findings by severity\">");
        for (int i = 0; i < counts.Count; i++)
        {
            var (severity, count) = counts[i];
            double height = 125.0 * count / max;
            double x = 12 + (i * 62);
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<rect x=\"{x}\" y=\"{150 - height:0.#}\" width=\"44\" height=\"{height:0.#}\" class=\"sev-{severity.ToString().ToLowerInvariant()}\"><title>{severity}: {count}</title></rect>"));
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"{x + 22}\" y=\"{145 - height:0.#}\" class=\"bar-value\">{count}</text>"));
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"{x + 22}\" y=\"170\" class=\"bar-label\">{severity}</text>"));
        }

        return sb.Append("</svg>").ToString();
    }

    private static string CategoryChart(IReadOnlyList<AuditSummary> summaries, IReadOnlyList<AuditFinding> findings)
    {
        var categories = Enum.GetValues<AuditCategory>();
        var sb = new StringBuilder(string.Create(CultureInfo.InvariantCulture, $"<svg class=\"hbars\" viewBox=\"0 0 360 {(categories.Length * 26) + 10}\" role=\"img\" aria-label=\"Scores by category\">"));
        for (int i = 0; i < categories.Length; i++)
        {
            var category = categories[i];
            var scores = summaries.SelectMany(s => s.Categories).Where(c => c.Category == category && c.Score is not null).Select(c => c.Score!.Value).ToList();
            int count = findings.Count(f => f.Category == category);
            double y = 6 + (i * 26);
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"0\" y=\"{y + 14}\" class=\"cat-label\">{category}</text>"));
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<rect x=\"120\" y=\"{y}\" width=\"200\" height=\"18\" class=\"track-bar\"/>"));
            if (scores.Count == 0)
            {
                sb.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"126\" y=\"{y + 13}\" class=\"skipped\">not run</text>"));
                continue;
            }

            int score = (int)Math.Round(scores.Average(), MidpointRounding.AwayFromZero);
            string cls = score >= 80 ? "good" : score >= 60 ? "fair" : "poor";
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<rect x=\"120\" y=\"{y}\" width=\"{score * 2}\" height=\"18\" class=\"{cls}\"><title>{category}: score {score}, {count} findings</title></rect>"));
            sb.Append(string.Create(CultureInfo.InvariantCulture, $"<text x=\"326\" y=\"{y + 14}\" class=\"cat-score\">{score}</text>"));
        }

        return sb.Append("</svg>").ToString();
    }

    private static string HeatMap(IReadOnlyList<AuditFinding> findings)
    {
        var categories = Enum.GetValues<AuditCategory>();
        var rows = findings
            .GroupBy(f => (f.Cluster ?? string.Empty, f.Namespace ?? "(cluster-scoped)"))
            .Select(g => (Key: g.Key, Cells: categories.Select(c => g.Where(f => f.Category == c).ToList()).ToList(), Weight: g.Sum(f => AuditScoring.WeightOf(f.Severity))))
            .OrderByDescending(r => r.Weight)
            .ThenBy(r => r.Key.Item2, StringComparer.Ordinal)
            .ToList();
        bool fleet = findings.Select(f => f.Cluster).Distinct().Count() > 1;
        var sb = new StringBuilder("<section><h2>Namespaces × categories</h2>");
        if (rows.Count == 0)
        {
            return sb.Append("<p>No findings.</p></section>\n").ToString();
        }

        sb.Append("<table class=\"heat\" id=\"heatmap\"><thead><tr>");
        if (fleet)
        {
            sb.Append("<th>Cluster</th>");
        }

        sb.Append("<th>Namespace</th>");
        foreach (var category in categories)
        {
            sb.Append("<th>").Append(category).Append("</th>");
        }

        sb.Append("</tr></thead><tbody>\n");
        foreach (var row in rows.Take(HeatMapRows))
        {
            sb.Append("<tr>");
            if (fleet)
            {
                sb.Append("<td>").Append(E(row.Key.Item1)).Append("</td>");
            }

            sb.Append("<th scope=\"row\">").Append(E(row.Key.Item2)).Append("</th>");
            for (int i = 0; i < categories.Length; i++)
            {
                var cell = row.Cells[i];
                if (cell.Count == 0)
                {
                    sb.Append("<td class=\"h0\"></td>");
                    continue;
                }

                var worst = cell.Max(f => f.Severity);
                sb.Append("<td class=\"h-").Append(worst.ToString().ToLowerInvariant()).Append("\" title=\"")
                    .Append(E($"{cell.Count} finding(s), worst {worst}: {string.Join(", ", cell.Select(f => f.Id).Distinct())}")).Append("\">")
                    .Append(cell.Count.ToString(CultureInfo.InvariantCulture)).Append("</td>");
            }

            sb.Append("</tr>\n");
        }

        sb.Append("</tbody></table>");
        if (rows.Count > HeatMapRows)
        {
            sb.Append("<p class=\"meta\">").Append((rows.Count - HeatMapRows).ToString(CultureInfo.InvariantCulture)).Append(" more namespaces with fewer findings are in the table below.</p>");
        }

        return sb.Append("</section>\n").ToString();
    }

    private static string FindingsTable(IReadOnlyList<AuditFinding> findings)
    {
        var sb = new StringBuilder("<section><h2>Findings</h2><div class=\"filters\">");
        sb.Append("<input type=\"search\" id=\"filter-text\" placeholder=\"Filter: text in any column\" aria-label=\"Filter findings\">");
        sb.Append(Select("filter-severity", "All severities", Severities.Select(s => s.ToString())));
        sb.Append(Select("filter-category", "All categories", Enum.GetNames<AuditCategory>()));
        sb.Append(Select("filter-cluster", "All clusters", findings.Select(f => f.Cluster ?? string.Empty).Distinct().Order(StringComparer.Ordinal)));
        sb.Append("<span id=\"shown-count\">").Append(findings.Count.ToString(CultureInfo.InvariantCulture)).Append("</span> shown</div>");
        sb.Append("<table class=\"grid sortable\" id=\"findings\"><thead><tr>");
        foreach (var (header, type) in new[] { ("Severity", "severity"), ("Category", "text"), ("Id", "text"), ("Cluster", "text"), ("Namespace", "text"), ("Resource", "text"), ("Message", "text"), ("Remediation", "text") })
        {
            sb.Append("<th data-type=\"").Append(type).Append("\" tabindex=\"0\">").Append(header).Append("<span class=\"arrow\"></span></th>");
        }

        // Rows are drawn by the script from embedded data: each text once, each finding a dozen characters.
        sb.Append("</tr></thead><tbody></tbody></table>");
        sb.Append("<noscript><p class=\"meta\">The findings table is drawn by the page's script; allow scripts for this file, or export the audit as JSON.</p></noscript>");
        sb.Append("<script type=\"application/json\" id=\"audit-data\">").Append(FindingsData(findings)).Append("</script></section>\n");
        return sb.ToString();
    }

    /// <summary>
    /// One row per finding: severity, category, id, cluster, namespace, resource, source, message (the text up to and
    /// including the first ": ", which names the resource, and the rest, which repeats across resources), evidence and
    /// remediation; optional texts are index + 1, 0 for none.
    /// </summary>
    private static string FindingsData(IReadOnlyList<AuditFinding> findings)
    {
        var data = new EmbeddedReportData();
        foreach (var f in findings)
        {
            int split = f.Message.IndexOf(": ", StringComparison.Ordinal);
            string head = split < 0 ? string.Empty : f.Message[..(split + 2)];
            string evidence = string.Join("; ", f.Evidence.Select(p => $"{p.Key}: {p.Value}"));
            data.Add("findings",
                (int)f.Severity, data.Text(f.Category.ToString()), data.Text(f.Id), data.Text(f.Cluster ?? string.Empty), data.Text(f.Namespace ?? string.Empty),
                data.Text(f.Resource), data.OptionalText(f.Source), data.Text(head), data.Text(f.Message[head.Length..]),
                data.OptionalText(evidence.Length == 0 ? null : evidence), data.Text(f.Remediation ?? string.Empty));
        }

        return data.ToJson();
    }

    private static string Select(string id, string all, IEnumerable<string> values)
    {
        var sb = new StringBuilder("<select id=\"").Append(id).Append("\" aria-label=\"").Append(E(all)).Append("\"><option value=\"\">").Append(E(all)).Append("</option>");
        foreach (string value in values)
        {
            sb.Append("<option>").Append(E(value)).Append("</option>");
        }

        return sb.Append("</select>").ToString();
    }

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private const string Css = """
        :root { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430; background: #f4f6f9; }
        body { margin: 0 auto; max-width: 1400px; padding: 16px 24px 48px; }
        h1 { font-size: 1.6rem; margin: 8px 0 2px; } h2 { font-size: 1.1rem; margin: 0 0 10px; }
        .meta { color: #5b6472; margin: 0 0 16px; font-size: .9rem; }
        section { background: #fff; border-radius: 8px; padding: 16px; margin: 16px 0; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
        section.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 16px; background: none; box-shadow: none; padding: 0; }
        .card { background: #fff; border-radius: 8px; padding: 16px; box-shadow: 0 1px 3px rgba(0,0,0,.08); }
        .gauge { width: 220px; display: block; margin: 0 auto; }
        .gauge .track { fill: none; stroke: #e3e7ee; stroke-width: 18; stroke-linecap: round; }
        .gauge .value { fill: none; stroke-width: 18; stroke-linecap: round; }
        .gauge .score { font-size: 44px; font-weight: 700; text-anchor: middle; fill: #1d2430; }
        .gauge .grade-text { font-size: 15px; text-anchor: middle; fill: #5b6472; }
        .formula { font-size: .75rem; color: #5b6472; }
        .bars, .hbars { width: 100%; max-height: 230px; }
        .bar-value { font-size: 12px; text-anchor: middle; fill: #1d2430; } .bar-label { font-size: 11px; text-anchor: middle; fill: #5b6472; }
        .cat-label { font-size: 12px; fill: #1d2430; } .cat-score { font-size: 12px; font-weight: 600; fill: #1d2430; }
        .skipped { font-size: 11px; fill: #8a93a3; font-style: italic; }
        .track-bar { fill: #eef1f5; } .good { fill: #2e7d32; } .fair { fill: #f9a825; } .poor { fill: #c62828; }
        .sev-critical { fill: #8e0000; background: #8e0000; } .sev-high { fill: #d84315; background: #d84315; }
        .sev-medium { fill: #f9a825; background: #f9a825; } .sev-low { fill: #1e88e5; background: #1e88e5; } .sev-info { fill: #90a4ae; background: #90a4ae; }
        span.sev { color: #fff; border-radius: 4px; padding: 1px 6px; font-size: .78rem; font-weight: 600; }
        span.sev-medium { color: #1d2430; }
        table { border-collapse: collapse; width: 100%; font-size: .85rem; }
        th, td { padding: 5px 8px; border-bottom: 1px solid #e6e9ef; text-align: left; vertical-align: top; }
        thead th { background: #f0f3f7; position: sticky; top: 0; }
        table.sortable thead th { cursor: pointer; user-select: none; white-space: nowrap; }
        th .arrow::after { content: ""; margin-left: 4px; color: #5b6472; }
        th[aria-sort="ascending"] .arrow::after { content: "▲"; } th[aria-sort="descending"] .arrow::after { content: "▼"; }
        td.num, th.num { text-align: right; }
        .grade { font-weight: 700; } .gA, .gB { color: #2e7d32; } .gC, .gD { color: #b26a00; } .gF { color: #c62828; }
        .heat td { text-align: center; min-width: 64px; font-weight: 600; } .heat th[scope=row] { font-weight: 500; }
        .h0 { background: #f7f9fb; } .h-info { background: #eceff1; } .h-low { background: #bbdefb; } .h-medium { background: #ffe082; }
        .h-high { background: #ffab91; } .h-critical { background: #e57373; color: #fff; }
        .filters { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin-bottom: 10px; }
        .filters input, .filters select { padding: 6px 8px; border: 1px solid #cfd6e0; border-radius: 6px; font-size: .85rem; }
        .filters input { min-width: 280px; }
        .evidence, .src { color: #5b6472; font-size: .75rem; margin-top: 2px; word-break: break-word; }
        code { font-size: .8rem; }
        """;

    private const string Script = """
        (function () {
          'use strict';
          var table = document.getElementById('findings');
          var body = table.tBodies[0];
        __DECODE__
          (function draw() {
            var data = JSON.parse(document.getElementById('audit-data').textContent), S = data.strings, F = decodeRows(data, 'findings');
            var SEVERITY = ['Info', 'Low', 'Medium', 'High', 'Critical'], fragment = document.createDocumentFragment();
            function cell(tr, text, tag, cls) {
              var td = document.createElement('td');
              if (tag) { var inner = document.createElement(tag); if (cls) { inner.className = cls; } inner.textContent = text; td.appendChild(inner); } else { td.textContent = text; }
              tr.appendChild(td);
              return td;
            }
            function note(td, cls, text) { var div = document.createElement('div'); div.className = cls; div.textContent = text; td.appendChild(div); }
            for (var b = 0; b < F.length; b += 11) {
              var severity = SEVERITY[F[b]], tr = document.createElement('tr');
              tr.setAttribute('data-severity', severity);
              tr.setAttribute('data-rank', String(F[b]));
              tr.setAttribute('data-category', S[F[b + 1]]);
              tr.setAttribute('data-cluster', S[F[b + 3]]);
              cell(tr, severity, 'span', 'sev sev-' + severity.toLowerCase());
              cell(tr, S[F[b + 1]]);
              cell(tr, S[F[b + 2]], 'code');
              cell(tr, S[F[b + 3]]);
              cell(tr, S[F[b + 4]]);
              var resource = cell(tr, S[F[b + 5]]);
              if (F[b + 6] > 0) { note(resource, 'src', S[F[b + 6] - 1]); }
              var message = cell(tr, S[F[b + 7]] + S[F[b + 8]]);
              if (F[b + 9] > 0) { note(message, 'evidence', S[F[b + 9] - 1]); }
              cell(tr, S[F[b + 10]]);
              fragment.appendChild(tr);
            }
            body.appendChild(fragment);
          }());
          var rows = Array.prototype.slice.call(body.rows);
          var text = document.getElementById('filter-text');
          var severity = document.getElementById('filter-severity');
          var category = document.getElementById('filter-category');
          var cluster = document.getElementById('filter-cluster');
          var shown = document.getElementById('shown-count');
          function applyFilter() {
            var needle = text.value.trim().toLowerCase();
            var count = 0;
            rows.forEach(function (row) {
              var visible = (!needle || row.textContent.toLowerCase().indexOf(needle) >= 0)
                && (!severity.value || row.getAttribute('data-severity') === severity.value)
                && (!category.value || row.getAttribute('data-category') === category.value)
                && (!cluster.value || row.getAttribute('data-cluster') === cluster.value);
              row.hidden = !visible;
              if (visible) { count++; }
            });
            shown.textContent = String(count);
          }
          [text, severity, category, cluster].forEach(function (control) {
            control.addEventListener('input', applyFilter);
            control.addEventListener('change', applyFilter);
          });
          var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
          function sortBy(index) {
            var header = headers[index];
            var ascending = header.getAttribute('aria-sort') !== 'ascending';
            headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
            header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
            var bySeverity = header.getAttribute('data-type') === 'severity';
            rows.sort(function (a, b) {
              var result = bySeverity
                ? Number(a.getAttribute('data-rank')) - Number(b.getAttribute('data-rank'))
                : a.cells[index].textContent.localeCompare(b.cells[index].textContent, undefined, { numeric: true, sensitivity: 'base' });
              return ascending ? result : -result;
            });
            rows.forEach(function (row) { body.appendChild(row); });
          }
          headers.forEach(function (header, index) {
            header.addEventListener('click', function () { sortBy(index); });
            header.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sortBy(index); } });
          });
          window.k8sAudit = { sortBy: sortBy, applyFilter: applyFilter, rows: function () { return rows; } };
        }());
        """;
}
