using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;
using Xunit.Abstractions;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>
/// kubectl is the oracle: over a generated corpus (every spelling of the security fields, anchors, aliases, merge
/// keys, styles, markers, CRLF, lists, JSON, and inputs kubectl refuses) the module must decode every file to the
/// same objects as kubectl, refuse what kubectl refuses, and give the same Pod Security verdicts on its own decoding
/// as on kubectl's, for every level and version.
/// </summary>
public sealed class KubectlDifferentialTests : IDisposable
{
    private const int CorpusFiles = 3000;
    private readonly ITestOutputHelper output;
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-kubectl-corpus").FullName;

    public KubectlDifferentialTests(ITestOutputHelper output) => this.output = output;

    [KubectlFact]
    public void GeneratedCorpusDecodesExactlyAsKubectlDoes()
    {
        // K8SSECURITY_CORPUS_SEED explores other corpora locally; the suite always runs the same one.
        int seed = int.TryParse(Environment.GetEnvironmentVariable("K8SSECURITY_CORPUS_SEED"), out int chosen) ? chosen : 20240611;
        var files = new ManifestCorpus(seed).Write(directory, CorpusFiles);
        var oracle = Kubectl.Decode(files);

        var mismatches = new List<string>();
        int objects = 0, refused = 0, documents = 0;
        var pairs = new List<(ManifestObject Module, ManifestObject Kubectl)>();
        foreach (var decoding in oracle)
        {
            string text = File.ReadAllText(decoding.File);
            documents += text.Split("\n---", StringSplitOptions.None).Length;
            refused += decoding.Errors.Count > 0 ? 1 : 0;
            objects += decoding.Objects.Count;
            foreach (bool fastPath in new[] { true, false })
            {
                var (module, issues) = Read(decoding.File, fastPath);
                mismatches.AddRange(Compare(decoding, module, issues, fastPath ? "fast path" : "full path"));
                if (fastPath && module.Count == decoding.Objects.Count)
                {
                    pairs.AddRange(module.Zip(decoding.Objects, (m, k) => (m, new ManifestObject(Kubectl.Normalize(k, m.Body), "kubectl", m.Line))));
                }
            }
        }

        output.WriteLine($"Corpus: {files.Count} files, about {documents} documents; kubectl decoded {objects} objects and refused something in {refused} files.");
        if (mismatches.Count > 0)
        {
            string report = Path.Combine(Path.GetTempPath(), "k8ssecurity-kubectl-disagreements.txt");
            File.WriteAllText(report, string.Join("\n\n=====\n", mismatches));
            output.WriteLine($"Every disagreement: {report}");
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} disagreement(s) with kubectl:\n" + string.Join("\n\n", mismatches.Take(15)));
        Assert.True(objects > CorpusFiles, $"the corpus should yield objects ({objects})");
        Assert.True(refused > CorpusFiles / 100, $"the corpus should hold inputs kubectl refuses ({refused})");

        int verdicts = CompareVerdicts(pairs, mismatches);
        output.WriteLine($"Pod Security verdicts compared: {verdicts} (objects × levels × versions).");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} verdict disagreement(s):\n" + string.Join("\n", mismatches.Take(15)));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    internal static (List<ManifestObject> Objects, List<ManifestParseError> Issues) Read(string file, bool fastPath)
    {
        var issues = new List<ManifestParseError>();
        var objects = fastPath
            ? ManifestReader.ReadFile(file, issues.Add).ToList()
            : ManifestReader.ReadText(File.ReadAllText(file), file, issues.Add, allowFastPath: false).ToList();
        return (objects, issues);
    }

    internal static IEnumerable<string> Compare(KubectlDecoding kubectl, List<ManifestObject> module, List<ManifestParseError> issues, string path)
    {
        bool moduleRefused = issues.Any(i => i.IsError);
        bool kubectlRefused = kubectl.Errors.Count > 0;
        string where = $"{kubectl.File} ({path})";
        if (moduleRefused != kubectlRefused)
        {
            yield return $"{where}: kubectl {(kubectlRefused ? "refused" : "accepted")} it, the module {(moduleRefused ? "refused" : "accepted")} it.\n"
                + $"kubectl: {string.Join(" | ", kubectl.Errors)}\nmodule: {string.Join(" | ", issues.Where(i => i.IsError))}\n--- file ---\n{File.ReadAllText(kubectl.File)}";
        }

        if (module.Count != kubectl.Objects.Count)
        {
            yield return $"{where}: kubectl decoded {kubectl.Objects.Count} object(s), the module {module.Count}.\n"
                + $"kubectl errors: {string.Join(" | ", kubectl.Errors)}\nmodule issues: {string.Join(" | ", issues)}\n--- file ---\n{File.ReadAllText(kubectl.File)}";
            yield break;
        }

        for (int i = 0; i < module.Count; i++)
        {
            var expected = Kubectl.Normalize(kubectl.Objects[i], module[i].Body);
            if (!Kubectl.JsonEquals(expected, module[i].Body))
            {
                yield return $"{where}: object {i} differs.\nkubectl: {expected.ToJsonString()}\nmodule:  {module[i].Body.ToJsonString()}\n--- file ---\n{File.ReadAllText(kubectl.File)}";
            }
        }
    }

    // Every level and version: the verdict on the module's decoding equals the verdict on kubectl's.
    private static int CompareVerdicts(List<(ManifestObject Module, ManifestObject Kubectl)> pairs, List<string> mismatches)
    {
        int compared = 0;
        foreach (var level in new[] { PodSecurityLevel.Baseline, PodSecurityLevel.Restricted })
        {
            foreach (var version in Enumerable.Range(0, PssVersion.LatestMinor + 1).Select(m => new PssVersion(m)))
            {
                var scanner = new WorkloadScanner(new ScanOptions { Level = level, Version = version, Profile = ScanProfile.PodSecurityStandards });
                foreach (var (module, kubectl) in pairs)
                {
                    string a = Verdict(scanner, module), b = Verdict(scanner, kubectl);
                    compared++;
                    if (a != b)
                    {
                        mismatches.Add($"{module.Location} {level} {version}: module {a}, kubectl {b}");
                    }
                }
            }
        }

        return compared;
    }

    private static string Verdict(WorkloadScanner scanner, ManifestObject item)
    {
        try
        {
            var result = scanner.Scan(item);
            return result is null ? "not a workload" : result.Compliant ? "compliant" : "violates " + string.Join(",", result.Violations.Select(v => v.CheckId));
        }
        catch (K8sOperationException ex)
        {
            // The reason without the source, which differs ("file" vs "kubectl"): both must refuse for the same field.
            return "refused: " + System.Text.RegularExpressions.Regex.Replace(ex.Message, @"^Cannot read '[^']*'( at line \d+)?: ", string.Empty);
        }
    }
}
