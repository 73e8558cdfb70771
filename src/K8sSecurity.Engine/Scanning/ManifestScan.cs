using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// Scans manifest files and text. Files are read one at a time (each file is one batch for controller
/// de-duplication), so memory stays flat however many files a folder holds.
/// </summary>
public static class ManifestScan
{
    /// <summary>Scans every workload in the files; parse errors go to <paramref name="onError"/> and scanning goes on.</summary>
    public static IEnumerable<WorkloadScanResult> ScanFiles(
        WorkloadScanner scanner, IEnumerable<string> files, Action<K8sOperationException> onError, Action<string>? onVerbose = null)
    {
        foreach (string file in files)
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                onError(new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read '{file}': {ex.Message}", file, ex));
                continue;
            }

            onVerbose?.Invoke($"Reading {file}.");
            foreach (var result in ScanText(scanner, text, file, onError, onVerbose))
            {
                yield return result;
            }
        }
    }

    /// <summary>Scans YAML or JSON text (one or many documents, Lists flattened), e.g. kubectl output.</summary>
    public static IEnumerable<WorkloadScanResult> ScanText(
        WorkloadScanner scanner, string text, string source, Action<K8sOperationException> onError, Action<string>? onVerbose = null)
    {
        var objects = ManifestReader.ReadText(text, source, e => onError(ParseError(e)));

        // Only text with owner references needs the whole batch (to report owned objects through their
        // controller); everything else streams object by object, so nothing outlives its own scan.
        return text.Contains("ownerReferences", StringComparison.Ordinal)
            ? ScanBatch(scanner, objects.ToList(), onVerbose)
            : ScanStream(scanner, objects, onVerbose);
    }

    private static IEnumerable<WorkloadScanResult> ScanStream(WorkloadScanner scanner, IEnumerable<ManifestObject> objects, Action<string>? onVerbose)
    {
        foreach (var item in objects)
        {
            if (scanner.Scan(item) is { } result)
            {
                yield return result;
            }
            else
            {
                onVerbose?.Invoke($"Skipping {item.Kind ?? "an object without kind"}/{item.Name} ({item.Location}): not a workload kind.");
            }
        }
    }

    /// <summary>The error a manifest parse failure becomes: names the file (or "pipeline") and the line.</summary>
    public static K8sOperationException ParseError(ManifestParseError error) =>
        new(K8sErrorKind.Invalid, $"Cannot parse '{error.Source}' at line {error.Line}: {error.Message}", $"{error.Source}:{error.Line}");

    private static IEnumerable<WorkloadScanResult> ScanBatch(WorkloadScanner scanner, IReadOnlyList<ManifestObject> batch, Action<string>? onVerbose)
    {
        foreach (var item in batch.Where(o => !WorkloadScanner.IsWorkload(o.Kind)))
        {
            onVerbose?.Invoke($"Skipping {item.Kind ?? "an object without kind"}/{item.Name} ({item.Location}): not a workload kind.");
        }

        return scanner.ScanBatch(batch, onVerbose);
    }
}
