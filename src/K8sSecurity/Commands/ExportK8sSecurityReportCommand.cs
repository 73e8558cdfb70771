using System.Management.Automation;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Writes scan results, RBAC risks or audit findings (anything reportable) from the pipeline to a SARIF, JUnit,
/// JSON, Markdown or HTML report, atomically, never replacing a file without -Force.
/// </summary>
[Cmdlet(VerbsData.Export, "K8sSecurityReport", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "Export-K8sSecurityReport.md")]
[OutputType(typeof(ReportFile))]
public sealed class ExportK8sSecurityReportCommand : K8sCmdlet
{
    private readonly List<IReportable> items = new();
    private string fullPath = string.Empty;
    private string format = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipeline = true)]
    [AllowNull]
    public object? InputObject { get; set; }

    /// <summary>Report file; the format follows its extension unless -Format is given.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter]
    [ValidateSet("Sarif", "JUnit", "Json", "Markdown", "Html")]
    public string? Format { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Title { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>Passes the input objects on (to chain several exports) instead of returning the report file.</summary>
    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        try
        {
            fullPath = GetUnresolvedProviderPathFromPSPath(Path);
            format = (Format is null ? ReportFormats.FromPath(fullPath) : Enum.Parse<ReportFormat>(Format, ignoreCase: true)).ToString();
            if (Directory.Exists(fullPath))
            {
                throw K8sOperationException.InvalidArgument("Path", Path, "is a folder; give a file name such as report.sarif.");
            }

            // Refuse before reading any input, so a refused run changes nothing.
            SecureFile.EnsureWritable(fullPath, Force);
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }
    }

    protected override void ProcessRecord()
    {
        object? value = InputObject is PSObject ps ? ps.BaseObject : InputObject;
        if (value is null)
        {
            return;
        }

        if (value is IReportable reportable)
        {
            items.Add(reportable);
        }
        else
        {
            WriteEngineError(new K8sOperationException(
                K8sErrorKind.InvalidArgument,
                $"Cannot report '{value}' ({value.GetType().Name}): pipe in results of Test-K8sPodSecurity or other K8sSecurity scans and audits.",
                value));
        }

        if (PassThru)
        {
            WriteObject(InputObject);
        }
    }

    protected override void EndProcessing()
    {
        var reportFormat = Enum.Parse<ReportFormat>(format);
        var findings = items.SelectMany(i => i.ToReportFindings()).ToList();
        var context = new ReportContext
        {
            Title = Title ?? "K8sSecurity report",
            BaseDirectory = SessionState.Path.CurrentFileSystemLocation.ProviderPath,
            ReportKinds = items.Select(i => i.ReportKind).Distinct(StringComparer.Ordinal).ToArray(),
            ToolVersion = MyInvocation.MyCommand.Module?.Version?.ToString(3) ?? typeof(ExportK8sSecurityReportCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0",
        };

        if (!ShouldProcess(fullPath, $"Write {reportFormat} report ({findings.Count} findings from {items.Count} objects)"))
        {
            return;
        }

        try
        {
            // Audit output gets the audit's own HTML report and JSON results (see AuditReportExport).
            string text = AuditReportExport.TryWrite(reportFormat, items, Title) ?? ReportWriter.Write(reportFormat, findings, context);
            SecureFile.WriteAllText(fullPath, text, Force, privateFile: false);
            WriteVerbose($"Wrote {reportFormat} report '{fullPath}' with {findings.Count} findings.");
            if (!PassThru)
            {
                WriteObject(new ReportFile
                {
                    Path = fullPath,
                    Format = reportFormat,
                    ResourceCount = ReportWriter.ResourceCount(findings),
                    FailedCount = findings.Count(f => f.Status == FindingStatus.Failed),
                    PassedCount = findings.Count(f => f.Status == FindingStatus.Passed),
                    SkippedCount = findings.Count(f => f.Status == FindingStatus.Skipped),
                    Length = new FileInfo(fullPath).Length,
                });
            }
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }
    }
}
