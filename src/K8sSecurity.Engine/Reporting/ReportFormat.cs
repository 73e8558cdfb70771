using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Reporting;

/// <summary>Report file formats of Export-K8sSecurityReport.</summary>
public enum ReportFormat
{
    /// <summary>SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.</summary>
    Sarif,

    /// <summary>JUnit XML that CI systems (GitLab, Azure DevOps, Jenkins) show as test results.</summary>
    JUnit,

    /// <summary>Machine-readable JSON: summary plus every finding.</summary>
    Json,

    /// <summary>Markdown for a CI job summary or a pull-request comment.</summary>
    Markdown,

    /// <summary>A self-contained HTML page (inline CSS and script, no network).</summary>
    Html,
}

/// <summary>What the report says about itself.</summary>
public sealed class ReportContext
{
    public string ToolName { get; init; } = "K8sSecurity";

    public string ToolVersion { get; init; } = typeof(ReportContext).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public string Title { get; init; } = "K8sSecurity report";

    /// <summary>Directory manifest paths are made relative to (SARIF uriBaseId %SRCROOT%, Markdown, HTML).</summary>
    public string? BaseDirectory { get; init; }

    public DateTimeOffset GeneratedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Report kinds of the input objects, e.g. PodSecurityScan.</summary>
    public IReadOnlyList<string> ReportKinds { get; init; } = Array.Empty<string>();
}

/// <summary>The written report, as Export-K8sSecurityReport returns it.</summary>
public sealed class ReportFile
{
    public required string Path { get; init; }

    public ReportFormat Format { get; init; }

    public int ResourceCount { get; init; }

    public int FailedCount { get; init; }

    public int PassedCount { get; init; }

    public int SkippedCount { get; init; }

    public long Length { get; init; }

    public override string ToString() => Path;
}

public static class ReportFormats
{
    /// <summary>The format a file extension implies (.sarif, .xml, .json, .md, .html), for -Path without -Format.</summary>
    public static ReportFormat FromPath(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".sarif" => ReportFormat.Sarif,
        ".xml" => ReportFormat.JUnit,
        ".json" => ReportFormat.Json,
        ".md" or ".markdown" => ReportFormat.Markdown,
        ".html" or ".htm" => ReportFormat.Html,
        _ => throw K8sOperationException.InvalidArgument("Path", path, "cannot tell the format from the extension; use -Format Sarif|JUnit|Json|Markdown|Html."),
    };
}
