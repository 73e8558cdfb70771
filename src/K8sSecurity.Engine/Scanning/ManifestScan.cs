using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// Scans manifest files and text. Files are read one at a time (each file is one batch for controller
/// de-duplication), so memory stays flat however many files a folder holds. What cannot be read becomes an error
/// (with file and line); duplicate keys and texts without objects become warnings; the caller decides what a gate
/// makes of them.
/// </summary>
public static class ManifestScan
{
    /// <summary>Scans every workload in the files; parse errors go to <paramref name="onError"/> and scanning goes on.</summary>
    public static IEnumerable<WorkloadScanResult> ScanFiles(
        WorkloadScanner scanner, IEnumerable<string> files, Action<K8sOperationException> onError, Action<string>? onVerbose = null)
        => ScanFiles(scanner, files, new ManifestScanContext { OnError = onError, OnVerbose = onVerbose });

    /// <summary>Scans every workload in the files; problems go to the context's callbacks and scanning goes on.</summary>
    public static IEnumerable<WorkloadScanResult> ScanFiles(WorkloadScanner scanner, IEnumerable<string> files, ManifestScanContext context)
    {
        foreach (string file in files)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
            context.OnVerbose?.Invoke($"Reading {file}.");
            if (!ManifestReader.TryReadFileText(file, context.Report, context.MaxFileBytes, context.CancellationToken, out string? text, out int invalidUtf8Line))
            {
                continue;
            }

            foreach (var result in Scan(scanner, text!, file, context, invalidUtf8Line))
            {
                yield return result;
            }
        }
    }

    /// <summary>Scans YAML or JSON text (one or many documents, Lists flattened), e.g. kubectl output.</summary>
    public static IEnumerable<WorkloadScanResult> ScanText(
        WorkloadScanner scanner, string text, string source, Action<K8sOperationException> onError, Action<string>? onVerbose = null)
        => Scan(scanner, text, source, new ManifestScanContext { OnError = onError, OnVerbose = onVerbose }, 0);

    /// <summary>Scans YAML or JSON text with the context's callbacks.</summary>
    public static IEnumerable<WorkloadScanResult> ScanText(WorkloadScanner scanner, string text, string source, ManifestScanContext context)
        => Scan(scanner, text, source, context, 0);

    /// <summary>The error a manifest problem becomes: names the file (or "pipeline") and the line.</summary>
    public static K8sOperationException ParseError(ManifestParseError error) =>
        error.Line > 0
            ? new(K8sErrorKind.Invalid, $"Cannot read '{error.Source}' at line {error.Line}: {error.Message}", $"{error.Source}:{error.Line}")
            : new(K8sErrorKind.Invalid, $"Cannot read '{error.Source}': {error.Message}", error.Source);

    private static IEnumerable<WorkloadScanResult> Scan(WorkloadScanner scanner, string text, string source, ManifestScanContext context, int invalidUtf8Line)
    {
        var objects = ManifestReader.ReadText(text, source, context.Report, allowFastPath: true, invalidUtf8Line, context.CancellationToken)
            .Select(item =>
            {
                context.ObjectsRead++;
                return item;
            });

        // Only text with owner references needs the whole batch (to report owned objects through their
        // controller); everything else streams object by object, so nothing outlives its own scan.
        return text.Contains("ownerReferences", StringComparison.Ordinal)
            ? ScanBatch(scanner, objects.ToList(), context.OnError, context.OnVerbose)
            : ScanStream(scanner, objects, context.OnError, context.OnVerbose);
    }

    private static IEnumerable<WorkloadScanResult> ScanStream(
        WorkloadScanner scanner, IEnumerable<ManifestObject> objects, Action<K8sOperationException> onError, Action<string>? onVerbose)
    {
        foreach (var item in objects)
        {
            if (TryScan(scanner, item, onError, out var result))
            {
                if (result is not null)
                {
                    yield return result;
                }
                else
                {
                    onVerbose?.Invoke($"Skipping {item.Kind ?? "an object without kind"}/{item.Name} ({item.Location}): not a workload kind.");
                }
            }
        }
    }

    private static IEnumerable<WorkloadScanResult> ScanBatch(
        WorkloadScanner scanner, IReadOnlyList<ManifestObject> batch, Action<K8sOperationException> onError, Action<string>? onVerbose)
    {
        foreach (var item in batch.Where(o => !WorkloadScanner.IsWorkload(o.Kind)))
        {
            onVerbose?.Invoke($"Skipping {item.Kind ?? "an object without kind"}/{item.Name} ({item.Location}): not a workload kind.");
        }

        foreach (var (item, owner) in scanner.ControllersInBatch(batch))
        {
            if (owner is not null)
            {
                onVerbose?.Invoke($"{item.Kind}/{item.Name} ({item.Location}) is reported through its controller {owner.Value.Kind}/{owner.Value.Name}.");
                continue;
            }

            if (TryScan(scanner, item, onError, out var result) && result is not null)
            {
                yield return result;
            }
        }
    }

    // A workload the API server would refuse (a field of the wrong type) is an error, never a verdict.
    private static bool TryScan(WorkloadScanner scanner, ManifestObject item, Action<K8sOperationException> onError, out WorkloadScanResult? result)
    {
        try
        {
            result = scanner.Scan(item);
            return true;
        }
        catch (K8sOperationException ex)
        {
            onError(ex);
            result = null;
            return false;
        }
    }
}

/// <summary>Where a manifest scan reports what it finds besides verdicts, and what it counts.</summary>
public sealed class ManifestScanContext
{
    /// <summary>Inputs that could not be read or were refused (file and line in the message), and workloads the API server would refuse.</summary>
    public required Action<K8sOperationException> OnError { get; init; }

    /// <summary>Duplicate keys (read with the last value, as kubectl does) and inputs without any object.</summary>
    public Action<ManifestParseError>? OnWarning { get; init; }

    public Action<string>? OnVerbose { get; init; }

    /// <summary>Files larger than this are errors.</summary>
    public long MaxFileBytes { get; init; } = ManifestLimits.DefaultMaxFileBytes;

    public CancellationToken CancellationToken { get; init; }

    /// <summary>Kubernetes objects read so far, workloads or not.</summary>
    public int ObjectsRead { get; internal set; }

    /// <summary>Errors go to <see cref="OnError"/>, warnings (duplicate keys, no objects) to <see cref="OnWarning"/>.</summary>
    public void Report(ManifestParseError issue)
    {
        if (issue.IsError)
        {
            OnError(ManifestScan.ParseError(issue));
        }
        else
        {
            OnWarning?.Invoke(issue);
        }
    }
}
