using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;
using Microsoft.CodeAnalysis.Sarif;
using Newtonsoft.Json;
using SarifResult = Microsoft.CodeAnalysis.Sarif.Result;

namespace K8sSecurity.Engine.Reporting;

/// <summary>
/// Turns report findings (from workload scans, RBAC risk, audits — anything <see cref="IReportable"/>) into SARIF,
/// JUnit, JSON, Markdown or HTML text. Pure functions of their input: the caller writes the file.
/// </summary>
public static class ReportWriter
{
    private static readonly FindingSeverity[] SeveritiesDescending = Enum.GetValues<FindingSeverity>().OrderDescending().ToArray();

    public static string Write(ReportFormat format, IReadOnlyList<ReportFinding> findings, ReportContext context) => format switch
    {
        ReportFormat.Sarif => WriteSarif(findings, context),
        ReportFormat.JUnit => WriteJUnit(findings, context),
        ReportFormat.Json => WriteJson(findings, context),
        ReportFormat.Markdown => WriteMarkdown(findings, context),
        ReportFormat.Html => WriteHtml(findings, context),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, null),
    };

    /// <summary>"Kind/namespace/name" (cluster-scoped: "Kind/name").</summary>
    public static string Resource(ReportFinding f) =>
        $"{f.ResourceKind ?? "Resource"}/{(string.IsNullOrEmpty(f.Namespace) ? string.Empty : f.Namespace + "/")}{f.ResourceName}";

    public static int ResourceCount(IEnumerable<ReportFinding> findings) =>
        findings.Select(f => (Resource(f), f.SourceFile, f.Line, f.Cluster)).Distinct().Count();

    // ---- SARIF ----------------------------------------------------------------------------------------------

    public static string WriteSarif(IReadOnlyList<ReportFinding> findings, ReportContext context)
    {
        var ruleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var rules = new List<ReportingDescriptor>();
        foreach (var f in findings.Where(f => f.Status != FindingStatus.Passed))
        {
            if (ruleIndex.ContainsKey(f.RuleId))
            {
                continue;
            }

            ruleIndex[f.RuleId] = rules.Count;
            var rule = new ReportingDescriptor
            {
                Id = f.RuleId,
                Name = PascalCase(f.Title),
                ShortDescription = new MultiformatMessageString { Text = f.Title },
                FullDescription = new MultiformatMessageString { Text = $"{f.Title} ({f.Category})." },
                Help = new MultiformatMessageString
                {
                    Text = f.Remediation ?? f.Title,
                    Markdown = $"**{f.Title}**\n\n{f.Remediation}",
                },
                DefaultConfiguration = new ReportingConfiguration { Level = Level(f.Severity) },
            };
            if (f.RuleId.StartsWith("PSS-", StringComparison.Ordinal))
            {
                rule.HelpUri = new Uri("https://kubernetes.io/docs/concepts/security/pod-security-standards/");
            }

            rule.SetProperty("tags", new[] { "security", "kubernetes", f.Category });
            rule.SetProperty("security-severity", SecuritySeverity(f.Severity));
            rule.SetProperty("precision", "very-high");
            rule.SetProperty("problem.severity", f.Severity >= FindingSeverity.High ? "error" : f.Severity == FindingSeverity.Medium ? "warning" : "recommendation");
            rules.Add(rule);
        }

        var results = new List<SarifResult>();
        foreach (var f in findings.Where(f => f.Status != FindingStatus.Passed))
        {
            var result = new SarifResult
            {
                RuleId = f.RuleId,
                RuleIndex = ruleIndex[f.RuleId],
                Level = Level(f.Severity),
                Kind = ResultKind.Fail,
                Message = new Message { Text = $"{Resource(f)}: {f.Message}" },
                Locations = new[] { Location(f, context) },
                PartialFingerprints = new Dictionary<string, string> { ["k8ssecurityFinding/v1"] = Fingerprint(f) },
            };
            if (f.Status == FindingStatus.Skipped)
            {
                result.Suppressions = new[]
                {
                    new Suppression { Kind = SuppressionKind.External, Status = SuppressionStatus.Accepted, Justification = f.SkipReason ?? "skipped" },
                };
            }

            results.Add(result);
        }

        var driver = new ToolComponent
        {
            Name = context.ToolName,
            Version = context.ToolVersion,
            SemanticVersion = context.ToolVersion,
            InformationUri = new Uri("https://github.com/k8ssecurity/K8sSecurity"),
            Rules = rules,
        };
        var run = new Run
        {
            Tool = new Tool { Driver = driver },
            Results = results,
            ColumnKind = ColumnKind.UnicodeCodePoints,
        };
        if (context.BaseDirectory is not null)
        {
            run.OriginalUriBaseIds = new Dictionary<string, ArtifactLocation>
            {
                ["%SRCROOT%"] = new() { Uri = new Uri(EnsureTrailingSlash(Path.GetFullPath(context.BaseDirectory)), UriKind.Absolute) },
            };
        }

        var log = new SarifLog
        {
            Version = SarifVersion.Current,
            SchemaUri = new Uri("https://json.schemastore.org/sarif-2.1.0.json"),
            Runs = new[] { run },
        };
        return JsonConvert.SerializeObject(log, Newtonsoft.Json.Formatting.Indented);
    }

    private static Location Location(ReportFinding f, ReportContext context)
    {
        var location = new Location
        {
            LogicalLocations = new[]
            {
                new LogicalLocation
                {
                    Name = f.ResourceName,
                    FullyQualifiedName = Resource(f),
                    Kind = "resource",
                },
            },
        };
        if (f.SourceFile is not null)
        {
            var (uri, relative) = FileUri(f.SourceFile, context.BaseDirectory);
            location.PhysicalLocation = new PhysicalLocation
            {
                ArtifactLocation = new ArtifactLocation { Uri = uri, UriBaseId = relative ? "%SRCROOT%" : null },
                Region = new Region { StartLine = Math.Max(1, f.Line ?? 1) },
            };
        }

        return location;
    }

    private static (Uri Uri, bool Relative) FileUri(string file, string? baseDirectory)
    {
        string full = Path.GetFullPath(file);
        if (baseDirectory is not null)
        {
            string relative = Path.GetRelativePath(Path.GetFullPath(baseDirectory), full);
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                return (new Uri(string.Join('/', relative.Split(Path.DirectorySeparatorChar).Select(Uri.EscapeDataString)), UriKind.Relative), true);
            }
        }

        return (new Uri(full, UriKind.Absolute), false);
    }

    private static string EnsureTrailingSlash(string path) => path.EndsWith(Path.DirectorySeparatorChar) ? path : path + Path.DirectorySeparatorChar;

    private static FailureLevel Level(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Critical or FindingSeverity.High => FailureLevel.Error,
        FindingSeverity.Medium => FailureLevel.Warning,
        _ => FailureLevel.Note,
    };

    // GitHub code scanning maps 9.0+ to critical, 7.0+ high, 4.0+ medium, else low.
    private static string SecuritySeverity(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Critical => "9.5",
        FindingSeverity.High => "8.0",
        FindingSeverity.Medium => "5.5",
        FindingSeverity.Low => "3.0",
        _ => "0.0",
    };

    private static string Fingerprint(ReportFinding f)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{f.RuleId}|{f.Cluster}|{Resource(f)}"));
        return Convert.ToHexString(hash, 0, 16).ToLowerInvariant();
    }

    private static string PascalCase(string title)
    {
        var builder = new StringBuilder();
        foreach (string word in title.Split(new[] { ' ', '-', '/', '(', ')', ':', '.', ',' }, StringSplitOptions.RemoveEmptyEntries))
        {
            string clean = new(word.Where(char.IsLetterOrDigit).ToArray());
            if (clean.Length > 0)
            {
                builder.Append(char.ToUpperInvariant(clean[0])).Append(clean.AsSpan(1));
            }
        }

        return builder.ToString();
    }

    // ---- JUnit ----------------------------------------------------------------------------------------------

    public static string WriteJUnit(IReadOnlyList<ReportFinding> findings, ReportContext context)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false };
        using var buffer = new StringWriterUtf8();
        using (var xml = XmlWriter.Create(buffer, settings))
        {
            var suites = findings.GroupBy(f => (Resource: Resource(f), f.SourceFile, f.Line, f.Cluster)).ToList();
            xml.WriteStartElement("testsuites");
            xml.WriteAttributeString("name", context.Title);
            WriteCounts(xml, findings);
            xml.WriteAttributeString("time", "0");
            xml.WriteAttributeString("timestamp", context.GeneratedAt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
            int id = 0;
            foreach (var suite in suites)
            {
                xml.WriteStartElement("testsuite");
                xml.WriteAttributeString("id", (id++).ToString(CultureInfo.InvariantCulture));
                xml.WriteAttributeString("name", suite.Key.Cluster is null ? suite.Key.Resource : $"{suite.Key.Cluster}: {suite.Key.Resource}");
                WriteCounts(xml, suite.ToList());
                xml.WriteAttributeString("time", "0");
                xml.WriteAttributeString("timestamp", context.GeneratedAt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture));
                if (suite.Key.SourceFile is not null)
                {
                    xml.WriteAttributeString("file", suite.Key.SourceFile);
                }

                foreach (var f in suite)
                {
                    xml.WriteStartElement("testcase");
                    xml.WriteAttributeString("name", $"{f.RuleId}: {f.Title}");
                    xml.WriteAttributeString("classname", suite.Key.Resource.Replace('/', '.'));
                    xml.WriteAttributeString("time", "0");
                    if (f.SourceFile is not null)
                    {
                        xml.WriteAttributeString("file", f.SourceFile);
                        xml.WriteAttributeString("line", (f.Line ?? 1).ToString(CultureInfo.InvariantCulture));
                    }

                    if (f.Status == FindingStatus.Failed)
                    {
                        xml.WriteStartElement("failure");
                        xml.WriteAttributeString("message", f.Message);
                        xml.WriteAttributeString("type", f.Severity.ToString());
                        xml.WriteString($"[{f.Severity}] {f.Message}\nResource: {suite.Key.Resource}" + (f.SourceFile is null ? string.Empty : $"\nLocation: {f.SourceFile}:{f.Line}") + $"\nRemediation: {f.Remediation}");
                        xml.WriteEndElement();
                    }
                    else if (f.Status == FindingStatus.Skipped)
                    {
                        xml.WriteStartElement("skipped");
                        xml.WriteAttributeString("message", f.SkipReason ?? "skipped");
                        xml.WriteEndElement();
                    }

                    xml.WriteEndElement();
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        return buffer.ToString();
    }

    private static void WriteCounts(XmlWriter xml, IReadOnlyCollection<ReportFinding> findings)
    {
        xml.WriteAttributeString("tests", findings.Count.ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("failures", findings.Count(f => f.Status == FindingStatus.Failed).ToString(CultureInfo.InvariantCulture));
        xml.WriteAttributeString("errors", "0");
        xml.WriteAttributeString("skipped", findings.Count(f => f.Status == FindingStatus.Skipped).ToString(CultureInfo.InvariantCulture));
    }

    private sealed class StringWriterUtf8 : StringWriter
    {
        public StringWriterUtf8()
            : base(CultureInfo.InvariantCulture)
        {
        }

        public override Encoding Encoding => new UTF8Encoding(false);
    }

    // ---- JSON -----------------------------------------------------------------------------------------------

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string WriteJson(IReadOnlyList<ReportFinding> findings, ReportContext context)
    {
        var document = new
        {
            tool = new { name = context.ToolName, version = context.ToolVersion },
            title = context.Title,
            generatedAt = context.GeneratedAt,
            reportKinds = context.ReportKinds,
            summary = Summary(findings),
            findings,
        };
        return System.Text.Json.JsonSerializer.Serialize(document, JsonOptions);
    }

    private static object Summary(IReadOnlyList<ReportFinding> findings) => new
    {
        resources = ResourceCount(findings),
        nonCompliantResources = findings.Where(f => f.Status == FindingStatus.Failed).Select(Resource).Distinct().Count(),
        findings = findings.Count,
        failed = findings.Count(f => f.Status == FindingStatus.Failed),
        passed = findings.Count(f => f.Status == FindingStatus.Passed),
        skipped = findings.Count(f => f.Status == FindingStatus.Skipped),
        failedBySeverity = SeveritiesDescending
            .ToDictionary(s => s.ToString(), s => findings.Count(f => f.Status == FindingStatus.Failed && f.Severity == s)),
    };

    // ---- Markdown -------------------------------------------------------------------------------------------

    public static string WriteMarkdown(IReadOnlyList<ReportFinding> findings, ReportContext context)
    {
        var failed = Ordered(findings.Where(f => f.Status == FindingStatus.Failed)).ToList();
        var skipped = findings.Where(f => f.Status == FindingStatus.Skipped).ToList();
        int resources = ResourceCount(findings);
        int failing = failed.Select(Resource).Distinct().Count();
        var md = new StringBuilder();
        md.Append("# ").Append(Md(context.Title)).Append("\n\n");
        md.Append(failed.Count == 0 ? "✅ **No failed checks**" : FormattableString.Invariant($"❌ **{failed.Count} failed check(s)** in {failing} of {resources} resource(s)"))
          .Append(FormattableString.Invariant($" — {findings.Count(f => f.Status == FindingStatus.Passed)} passed, {skipped.Count} skipped. "))
          .Append(Md(context.ToolName)).Append(' ').Append(Md(context.ToolVersion)).Append(", ")
          .Append(context.GeneratedAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)).Append(".\n\n");
        md.Append("| Severity | Failed |\n| --- | ---: |\n");
        foreach (var severity in SeveritiesDescending)
        {
            md.Append("| ").Append(severity).Append(" | ").Append(failed.Count(f => f.Severity == severity).ToString(CultureInfo.InvariantCulture)).Append(" |\n");
        }

        if (failed.Count > 0)
        {
            md.Append("\n## Failed checks\n\n| Severity | Resource | Check | Message | Location |\n| --- | --- | --- | --- | --- |\n");
            foreach (var f in failed)
            {
                md.Append("| ").Append(f.Severity).Append(" | `").Append(Md(Resource(f))).Append("` | ").Append(Md(f.RuleId)).Append(" — ").Append(Md(f.Title))
                  .Append(" | ").Append(Md(f.Message)).Append(" | ").Append(Md(LocationText(f, context))).Append(" |\n");
            }
        }

        if (skipped.Count > 0)
        {
            md.Append("\n## Skipped checks\n\n| Resource | Check | Reason |\n| --- | --- | --- |\n");
            foreach (var f in skipped)
            {
                md.Append("| `").Append(Md(Resource(f))).Append("` | ").Append(Md(f.RuleId)).Append(" | ").Append(Md(f.SkipReason ?? string.Empty)).Append(" |\n");
            }
        }

        var remediations = failed.GroupBy(f => f.RuleId).Select(g => g.First()).Where(f => f.Remediation is not null).ToList();
        if (remediations.Count > 0)
        {
            md.Append("\n## How to fix\n\n");
            foreach (var f in remediations)
            {
                md.Append("- **").Append(Md(f.RuleId)).Append("** (").Append(Md(f.Title)).Append("): ").Append(Md(f.Remediation!)).Append('\n');
            }
        }

        return md.ToString();
    }

    private static IEnumerable<ReportFinding> Ordered(IEnumerable<ReportFinding> findings) =>
        findings.OrderByDescending(f => f.Severity).ThenBy(Resource, StringComparer.Ordinal).ThenBy(f => f.RuleId, StringComparer.Ordinal);

    private static string LocationText(ReportFinding f, ReportContext context)
    {
        if (f.SourceFile is null)
        {
            return f.Cluster ?? "cluster";
        }

        string path = f.SourceFile;
        if (context.BaseDirectory is not null)
        {
            string relative = Path.GetRelativePath(Path.GetFullPath(context.BaseDirectory), Path.GetFullPath(path));
            if (!relative.StartsWith("..", StringComparison.Ordinal) && !Path.IsPathRooted(relative))
            {
                path = relative.Replace(Path.DirectorySeparatorChar, '/');
            }
        }

        return f.Line is null ? path : FormattableString.Invariant($"{path}:{f.Line}");
    }

    // Escapes what would break a table cell or start markup.
    private static string Md(string text) =>
        text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("|", "\\|", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal)
            .Replace("`", "'", StringComparison.Ordinal).Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", "<br>", StringComparison.Ordinal);

    // ---- HTML -----------------------------------------------------------------------------------------------

    public static string WriteHtml(IReadOnlyList<ReportFinding> findings, ReportContext context) => HtmlReportWriter.Write(findings, context);

    /// <summary>Failed and skipped results first, then passed ones; each part by severity, resource and check.</summary>
    internal static IEnumerable<ReportFinding> DisplayOrder(IReadOnlyList<ReportFinding> findings) =>
        Ordered(findings.Where(f => f.Status != FindingStatus.Passed)).Concat(Ordered(findings.Where(f => f.Status == FindingStatus.Passed)));

    internal static string LocationOf(ReportFinding f, ReportContext context) => LocationText(f, context);
}
