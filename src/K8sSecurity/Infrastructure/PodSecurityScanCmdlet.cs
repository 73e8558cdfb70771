using System.Management.Automation;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// Parameters and input handling shared by Test-K8sPodSecurity and Assert-K8sPodSecurity: manifest files,
/// pipeline text (accumulated line by line and parsed at the end), pipeline objects, or the live cluster (only when
/// neither -Path nor pipeline input was given: an empty pipeline scans nothing). What cannot be read is a
/// non-terminating error; duplicate keys and inputs without objects are warnings; all of it is counted for the gate.
/// </summary>
public abstract class PodSecurityScanCmdlet : K8sClusterCmdlet
{
    protected const string PathSet = "Path";
    protected const string InputObjectSet = "InputObject";
    protected const string ClusterSet = "Cluster";

    private readonly StringBuilder pipelineText = new();
    private WorkloadScanner? scanner;
    private bool receivedInput;

    /// <summary>Manifest files or folders (recursive); wildcards allowed.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName", "PSPath")]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>YAML/JSON text (e.g. kubectl output, line by line) or Kubernetes objects.</summary>
    [Parameter(Mandatory = true, ParameterSetName = InputObjectSet, ValueFromPipeline = true)]
    [AllowEmptyString]
    [AllowNull]
    public object? InputObject { get; set; }

    /// <summary>Namespaces to scan in the cluster; the context's namespace when neither this nor -AllNamespaces is given.</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string[]? Namespace { get; set; }

    [Parameter(ParameterSetName = ClusterSet)]
    [Alias("A")]
    public SwitchParameter AllNamespaces { get; set; }

    // Level and Profile are strings, not the engine's enums: a value-type field of an engine type would load the
    // engine while PowerShell inspects the cmdlet class, before the private load context is wired up.

    /// <summary>Baseline or Restricted.</summary>
    [Parameter]
    [ValidateSet("Baseline", "Restricted")]
    public string Level { get; set; } = "Restricted";

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(PssVersionCompleter))]
    public string Version { get; set; } = "latest";

    /// <summary>PodSecurityStandards or All.</summary>
    [Parameter]
    [ValidateSet("PodSecurityStandards", "All")]
    public string Profile { get; set; } = "All";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowedRegistry { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CheckIdCompleter))]
    public string[]? ExcludeCheck { get; set; }

    /// <summary>Largest manifest file read, in bytes (default 256 MB); a larger file is an error, not read.</summary>
    [Parameter]
    [ValidateRange(1L, long.MaxValue)]
    public long MaxFileSize { get; set; } = ManifestLimits.DefaultMaxFileBytes;

    protected WorkloadScanner Scanner => scanner!;

    /// <summary>Inputs that could not be read or were refused, and workloads the API server would refuse (their messages).</summary>
    protected List<string> ReadFailures { get; } = new();

    /// <summary>Duplicate keys found ("file:line: message").</summary>
    protected List<string> DuplicateKeys { get; } = new();

    /// <summary>Kubernetes objects read (workloads or not), pipeline objects and scan results included.</summary>
    protected int ObjectsRead { get; set; }

    /// <summary>Receives each workload verdict as soon as it is known.</summary>
    protected abstract void OnResult(WorkloadScanResult result);

    /// <summary>Receives scan results and check rows that arrive from the pipeline; Test passes them on.</summary>
    protected virtual void OnPipedResult(object result) => WriteObject(result);

    protected override void BeginProcessing()
    {
        if (Namespace is not null && AllNamespaces)
        {
            ThrowTerminating(K8sOperationException.InvalidArgument("AllNamespaces", "true", "use either -Namespace or -AllNamespaces."));
        }

        try
        {
            scanner = new WorkloadScanner(new ScanOptions
            {
                Level = Enum.Parse<PodSecurityLevel>(Level, ignoreCase: true),
                Version = PssVersion.Parse(Version),
                Profile = Enum.Parse<ScanProfile>(Profile, ignoreCase: true),
                AllowedRegistries = AllowedRegistry ?? Array.Empty<string>(),
                ExcludeChecks = ExcludeCheck ?? Array.Empty<string>(),
            });
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }

        WriteVerbose($"Evaluating Pod Security Standards {Level} {Scanner.Options.Version} (profile {Profile}).");
    }

    protected override void ProcessRecord()
    {
        receivedInput |= MyInvocation.ExpectingInput;
        switch (ParameterSetName)
        {
            case PathSet:
                ScanPaths();
                break;
            case InputObjectSet:
                AcceptInput(InputObject);
                break;
        }
    }

    protected override void EndProcessing()
    {
        if (ParameterSetName == InputObjectSet && pipelineText.Length > 0)
        {
            // Native commands (kubectl) send text line by line: parse it once it is complete.
            var context = ScanContext();
            Emit(ManifestScan.ScanText(Scanner, pipelineText.ToString(), "pipeline", context), context);
        }
        else if (MyInvocation.ExpectingInput)
        {
            if (!receivedInput)
            {
                // Never a silent fall-through to the live cluster: that only happens without -Path and without a pipeline.
                WriteWarning("No input arrived from the pipeline: nothing was scanned. (The cluster is scanned only when neither -Path nor pipeline input is given.)");
            }
        }
        else if (ParameterSetName == ClusterSet)
        {
            ScanCluster();
        }
    }

    /// <summary>The callbacks a manifest scan reports to: errors and warnings are written and counted.</summary>
    private ManifestScanContext ScanContext() => new()
    {
        OnError = ReadFailed,
        OnWarning = ReadWarning,
        OnVerbose = WriteVerbose,
        MaxFileBytes = MaxFileSize,
        CancellationToken = CancellationToken,
    };

    private void ReadFailed(K8sOperationException error)
    {
        ReadFailures.Add(error.Message);
        WriteInputError(error);
    }

    private void ReadWarning(ManifestParseError issue)
    {
        if (issue.Kind == ManifestIssueKind.DuplicateKey)
        {
            DuplicateKeys.Add(issue.ToString());
        }

        WriteWarning(issue.Kind == ManifestIssueKind.NoObjects ? $"'{issue.Source}' contains no Kubernetes object." : issue.ToString());
    }

    private void ScanPaths()
    {
        var files = new List<string>();
        foreach (string path in Path)
        {
            try
            {
                var resolved = WildcardPattern.ContainsWildcardCharacters(path)
                    ? GetResolvedProviderPathFromPSPath(path, out _)
                    : new System.Collections.ObjectModel.Collection<string> { GetUnresolvedProviderPathFromPSPath(path) };
                if (resolved.Count == 0)
                {
                    ReadFailed(new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find path '{path}': no file matches.", path));
                }

                files.AddRange(ManifestReader.ExpandPaths(resolved, issue => ReadFailed(PathError(issue)), CancellationToken));
            }
            catch (ItemNotFoundException)
            {
                ReadFailed(new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find path '{path}'.", path));
            }
            catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
            {
                throw new PipelineStoppedException();
            }
        }

        var context = ScanContext();
        Emit(ManifestScan.ScanFiles(Scanner, files, context), context);
    }

    private static K8sOperationException PathError(ManifestParseError issue) =>
        new(K8sErrorKind.FileSystem, issue.Message.Contains(issue.Source, StringComparison.Ordinal) ? issue.Message : $"'{issue.Source}': {issue.Message}", issue.Source);

    private void AcceptInput(object? input)
    {
        object? value = input is PSObject ps && ps.BaseObject is not PSCustomObject ? ps.BaseObject : input;
        switch (value)
        {
            case null:
                return;
            case string text:
                pipelineText.Append(text).Append('\n');
                return;
            case WorkloadScanResult or WorkloadCheckResult:
                ObjectsRead++;
                OnPipedResult(value);
                return;
            case ManifestObject manifest:
                ScanOne(manifest);
                return;
            case JsonObject json:
                ScanOne(new ManifestObject(json, "pipeline", 0));
                return;
            case FileSystemInfo file:
                // Get-ChildItem output binds here by value; scan the file like -Path would.
                var context = ScanContext();
                Emit(ManifestScan.ScanFiles(Scanner, ManifestReader.ExpandPaths(new[] { file.FullName }, issue => ReadFailed(PathError(issue)), CancellationToken), context), context);
                return;
        }

        if (PSObjectJson.ToJson(input) is JsonObject body && body["kind"] is not null)
        {
            ScanOne(new ManifestObject(body, "pipeline", 0));
            return;
        }

        ReadFailed(new K8sOperationException(
            K8sErrorKind.InvalidArgument,
            $"Cannot scan the pipeline object '{value}': expected YAML/JSON text, a Kubernetes object with kind, metadata and spec, or Test-K8sPodSecurity results.",
            value));
    }

    private void ScanOne(ManifestObject manifest)
    {
        ObjectsRead++;
        WorkloadScanResult? result;
        try
        {
            result = Scanner.Scan(manifest);
        }
        catch (K8sOperationException ex)
        {
            ReadFailed(ex);
            return;
        }

        if (result is not null)
        {
            OnResult(result);
        }
        else
        {
            WriteVerbose($"Skipping {manifest.Kind}/{manifest.Name}: not a workload kind.");
        }
    }

    private void ScanCluster()
    {
        IReadOnlyList<string>? namespaces = AllNamespaces ? null : Namespace ?? new[] { ResolveNamespace(null) };
        ClusterWorkloadReader reader = null!;
        try
        {
            reader = new ClusterWorkloadReader(Cluster, namespaces, Log);
            while (Run(ct => reader.ReadNextPageAsync(ct)) is { } page)
            {
                foreach (var item in page)
                {
                    ScanOne(item);
                }
            }
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }

        WriteVerbose($"Read the cluster with {reader.Requests} list request(s).");
    }

    private void Emit(IEnumerable<WorkloadScanResult> results, ManifestScanContext context)
    {
        try
        {
            foreach (var result in results)
            {
                FlushLog();
                OnResult(result);
            }
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        finally
        {
            ObjectsRead += context.ObjectsRead;
        }
    }
}
