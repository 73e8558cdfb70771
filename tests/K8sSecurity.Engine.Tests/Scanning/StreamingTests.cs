using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>The file scan streams: results come out while later files have not even been listed yet.</summary>
public sealed class StreamingTests : IDisposable
{
    private readonly string directory = Path.Combine(Path.GetTempPath(), "k8ssec-stream-" + Guid.NewGuid().ToString("N"));

    public StreamingTests()
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "pod.yaml"), "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {containers: [{name: c, image: x:1}]}\n");
    }

    [Fact]
    public void ResultsStreamOutBeforeLaterFilesAreRead()
    {
        int requested = 0;
        IEnumerable<string> Endless()
        {
            while (true)
            {
                requested++;
                yield return Path.Combine(directory, "pod.yaml");
            }
        }

        var scanner = new WorkloadScanner(new ScanOptions());
        var first = ManifestScan.ScanFiles(scanner, Endless(), ex => throw ex).Take(3).ToList();

        Assert.Equal(3, first.Count);
        Assert.Equal(3, requested); // one file read per result: nothing is held beyond the current file
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
