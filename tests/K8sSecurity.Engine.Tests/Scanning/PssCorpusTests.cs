using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// The hand-written corpus (Scanning/Corpus/*.yaml): every document's expected verdict per level and policy
/// version, from its test.k8ssecurity.io/expect annotation (see Corpus/README.md).
/// </summary>
public sealed class PssCorpusTests
{
    private const string ExpectAnnotation = "test.k8ssecurity.io/expect";

    public static TheoryData<string> CorpusFiles()
    {
        var data = new TheoryData<string>();
        foreach (string file in Directory.EnumerateFiles(CorpusDirectory, "*.yaml").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    private static string CorpusDirectory => Path.Combine(SharedFixtures.RepoRoot, "tests", "K8sSecurity.Engine.Tests", "Scanning", "Corpus");

    [Theory]
    [MemberData(nameof(CorpusFiles))]
    public void EveryDocumentGetsItsExpectedVerdictAtEveryLevelAndVersion(string fileName)
    {
        var errors = new List<ManifestParseError>();
        var documents = ManifestReader.ReadFile(Path.Combine(CorpusDirectory, fileName), errors.Add).ToList();
        Assert.Empty(errors);
        Assert.NotEmpty(documents);
        var failures = new List<string>();
        int evaluations = 0;
        foreach (var document in documents)
        {
            string expect = document.Body["metadata"]!["annotations"]![ExpectAnnotation]!.GetValue<string>();
            foreach (var entry in Parse(expect))
            {
                for (int minor = entry.From; minor <= entry.To; minor++)
                {
                    var scanner = new WorkloadScanner(new ScanOptions
                    {
                        Level = entry.Level,
                        Version = new PssVersion(minor),
                        Profile = ScanProfile.PodSecurityStandards,
                    });
                    var result = scanner.Scan(document)!;
                    evaluations++;
                    string where = $"{document.Name} {entry.Level} v1.{minor}";
                    if (result.Compliant != entry.Allow)
                    {
                        failures.Add($"{where}: expected {(entry.Allow ? "allow" : "deny")}, got "
                            + (result.Compliant ? "allow" : string.Join("; ", result.Violations.Select(v => $"{v.PssCheckId}: {v.Message}"))));
                        continue;
                    }

                    foreach (string check in entry.Checks.Where(c => !result.Violations.Any(v => v.PssCheckId == c)))
                    {
                        failures.Add($"{where}: expected {check} among the violations, got " + string.Join(", ", result.Violations.Select(v => v.PssCheckId)));
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, string.Join('\n', failures));
        Assert.True(evaluations >= documents.Count);
    }

    [Fact]
    public void CorpusCoversEveryPodSecurityCheckAsAViolation()
    {
        var denied = new HashSet<string>(StringComparer.Ordinal);
        foreach (string file in Directory.EnumerateFiles(CorpusDirectory, "*.yaml"))
        {
            foreach (var document in ManifestReader.ReadFile(file, _ => { }))
            {
                string expect = document.Body["metadata"]!["annotations"]![ExpectAnnotation]!.GetValue<string>();
                denied.UnionWith(Parse(expect).SelectMany(e => e.Checks));
            }
        }

        var uncovered = PodSecurityStandards.Definitions.Select(d => d.PssCheckId!).Except(denied).ToList();
        Assert.True(uncovered.Count == 0, "checks the corpus never expects to deny: " + string.Join(", ", uncovered));
    }

    private sealed record Expectation(PodSecurityLevel Level, int From, int To, bool Allow, IReadOnlyList<string> Checks);

    private static IEnumerable<Expectation> Parse(string text)
    {
        foreach (string raw in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] parts = raw.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var level = Enum.Parse<PodSecurityLevel>(parts[0], ignoreCase: true);
            (int from, int to) = parts[1] switch
            {
                "all" => (0, PssVersion.LatestMinor),
                var p when p.EndsWith('+') => (PssVersion.Parse(p[..^1]).Minor, PssVersion.LatestMinor),
                var p when p.Contains('-', StringComparison.Ordinal) => (PssVersion.Parse(p.Split('-')[0]).Minor, PssVersion.Parse(p.Split('-')[1]).Minor),
                var p => (PssVersion.Parse(p).Minor, PssVersion.Parse(p).Minor),
            };
            bool allow = parts[2] switch
            {
                "allow" => true,
                "deny" => false,
                _ => throw new FormatException($"expected allow or deny in '{raw}'"),
            };
            var checks = parts.Length > 3 ? parts[3].Split(',') : Array.Empty<string>();
            yield return new Expectation(level, from, to, allow, checks);
        }
    }
}
