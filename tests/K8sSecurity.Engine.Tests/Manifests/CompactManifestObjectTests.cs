using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>
/// The offline audit keeps what it read as compact objects (JSON text, parsed again on access). A compact object
/// must read exactly like the parsed one: same tree, same identity, same verdicts, also after the parsed copy is gone.
/// </summary>
public sealed class CompactManifestObjectTests
{
    [Fact]
    public void CompactObjectsReadAndScanLikeTheParsedOnes()
    {
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-compact", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        var files = new ManifestCorpus(seed: 20261203).Write(dir, 300);
        var originals = files.SelectMany(f => ManifestReader.ReadFile(f, _ => { })).ToList();
        Assert.True(originals.Count > 500, $"the corpus gave only {originals.Count} objects");

        var compact = Compacted(originals);
        Assert.All(compact, c => Assert.True(c.IsCompact));
        ForgetParsedBodies();

        var scanner = new WorkloadScanner(new ScanOptions { Level = PodSecurityLevel.Restricted, Profile = ScanProfile.All });
        for (int i = 0; i < originals.Count; i++)
        {
            var original = originals[i];
            var copy = compact[i];
            Assert.True(JsonNode.DeepEquals(original.Body, copy.Body), $"{original}: {copy.Body.ToJsonString()} differs from {original.Body.ToJsonString()}");
            Assert.Equal((original.ApiVersion, original.Kind, original.Name, original.Namespace), (copy.ApiVersion, copy.Kind, copy.Name, copy.Namespace));
            Assert.Equal((original.Source, original.Line, original.Location), (copy.Source, copy.Line, copy.Location));
            Assert.Equal(original.DuplicateKeys, copy.DuplicateKeys);
            Assert.Equal(Verdict(scanner, original), Verdict(scanner, copy));
        }
    }

    [Fact]
    public void ABodyJsonCannotHoldStaysParsed()
    {
        var body = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = new JsonObject { ["name"] = "p" }, ["spec"] = new JsonObject { ["x"] = double.NaN } };
        var item = new ManifestObject(body, "f.yaml", 1);
        var compact = item.Compact();
        Assert.Same(item, compact);
        Assert.Same(body, compact.Body);
    }

    // Separate method so no local keeps the parsed bodies alive.
    private static List<ManifestObject> Compacted(List<ManifestObject> originals)
    {
        var result = new List<ManifestObject>(originals.Count);
        foreach (var item in originals)
        {
            // Through a clone: the originals keep their own trees, the compact copies only weak references to theirs.
            var clone = new ManifestObject((JsonObject)item.Body.DeepClone(), item.Source, item.Line) { DuplicateKeys = item.DuplicateKeys };
            result.Add(clone.Compact());
        }

        return result;
    }

    private static void ForgetParsedBodies()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static string Verdict(WorkloadScanner scanner, ManifestObject item)
    {
        try
        {
            return scanner.Scan(item) is { } result
                ? $"{result.Compliant} {string.Join("; ", result.Violations.Select(v => $"{v.CheckId}: {v.Message} [{string.Join(",", v.Fields)}]"))}"
                : "not a workload";
        }
        catch (K8sOperationException ex)
        {
            return "refused: " + ex.Message;
        }
    }
}
