using System.Management.Automation;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// Parameters and input handling shared by Test-K8sPodSecurity and Assert-K8sPodSecurity: manifest files,
/// pipeline text (accumulated line by line and parsed at the end), pipeline objects, or the live cluster.
/// </summary>
public abstract class PodSecurityScanCmdlet : K8sClusterCmdlet
{
    protected const string PathSet = "Path";
    protected const string InputObjectSet = "InputObject";
    protected const string ClusterSet = "Cluster";

    private readonly StringBuilder pipelineText = new();
    private WorkloadScanner? scanner;

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

    protected WorkloadScanner Scanner => scanner!;

    /// <summary>Receives each workload verdict as soon as it is known.</summary>
    protected abstract void OnResult(WorkloadScanResult result);

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
            Emit(ManifestScan.ScanText(Scanner, pipelineText.ToString(), "pipeline", WriteEngineError, WriteVerbose));
        }
        else if (ParameterSetName == ClusterSet)
        {
            ScanCluster();
        }
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
                    WriteEngineError(new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find path '{path}': no file matches.", path));
                }

                files.AddRange(ManifestReader.ExpandPaths(resolved));
            }
            catch (K8sOperationException ex)
            {
                WriteEngineError(ex);
            }
            catch (ItemNotFoundException)
            {
                WriteEngineError(new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find path '{path}'.", path));
            }
        }

        Emit(ManifestScan.ScanFiles(Scanner, files, WriteEngineError, WriteVerbose));
    }

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
            case ManifestObject manifest:
                ScanOne(manifest);
                return;
            case JsonObject json:
                ScanOne(new ManifestObject(json, "pipeline", 0));
                return;
            case FileSystemInfo file:
                // Get-ChildItem output binds here by value; scan the file like -Path would.
                Emit(ManifestScan.ScanFiles(Scanner, ManifestReader.ExpandPaths(new[] { file.FullName }), WriteEngineError, WriteVerbose));
                return;
        }

        if (PSObjectJson.ToJson(input) is JsonObject body && body["kind"] is not null)
        {
            ScanOne(new ManifestObject(body, "pipeline", 0));
            return;
        }

        WriteEngineError(new K8sOperationException(
            K8sErrorKind.InvalidArgument,
            $"Cannot scan the pipeline object '{value}': expected YAML/JSON text or a Kubernetes object with kind, metadata and spec.",
            value));
    }

    private void ScanOne(ManifestObject manifest)
    {
        if (Scanner.Scan(manifest) is { } result)
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

    private void Emit(IEnumerable<WorkloadScanResult> results)
    {
        foreach (var result in results)
        {
            FlushLog();
            OnResult(result);
        }
    }
}
