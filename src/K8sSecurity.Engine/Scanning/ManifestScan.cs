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
            var batch = ManifestReader.ReadFile(file, e => onError(ParseError(e))).ToList();
            onVerbose?.Invoke($"{file}: {batch.Count} object(s).");
            foreach (var result in ScanBatch(scanner, batch, onVerbose))
            {
                yield return result;
            }
        }
    }

    /// <summary>Scans YAML or JSON text (one or many documents, Lists flattened), e.g. kubectl output.</summary>
    public static IEnumerable<WorkloadScanResult> ScanText(
        WorkloadScanner scanner, string text, string source, Action<K8sOperationException> onError, Action<string>? onVerbose = null)
    {
        var batch = ManifestReader.ReadText(text, source, e => onError(ParseError(e))).ToList();
        return ScanBatch(scanner, batch, onVerbose);
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
