using System.Text;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// Every result field (status, message, field paths, skip reason, score) for manifests full of edge cases: quotes,
/// backslashes, tabs and newlines in values Go's %q escapes, probes of the wrong type, duplicate secrets, init and
/// ephemeral containers, Windows and user-namespace pods, ignore annotations, allow-list forms. The expected text was
/// recorded from the scanner before its allocation work (Golden/edge-cases.expected.txt), so any change in what a
/// user sees shows up here as a diff.
/// </summary>
public sealed class GoldenResultsTests
{
    private static string GoldenDirectory => Path.Combine(SharedFixtures.RepoRoot, "tests", "K8sSecurity.Engine.Tests", "Scanning", "Golden");

    [Fact]
    public void EdgeCaseManifestsGiveTheRecordedResults()
    {
        var documents = ManifestReader.ReadFile(Path.Combine(GoldenDirectory, "edge-cases.yaml"), e => throw new InvalidOperationException(e.Message)).ToList();
        string expected = File.ReadAllText(Path.Combine(GoldenDirectory, "edge-cases.expected.txt")).ReplaceLineEndings("\n");

        string actual = Render(documents);

        Assert.Equal(expected, actual);
    }

    /// <summary>The results of every document under a spread of levels, versions, profiles and allow-lists, one line per check.</summary>
    internal static string Render(IReadOnlyList<ManifestObject> documents)
    {
        var text = new StringBuilder();
        string[][] allowLists = { Array.Empty<string>(), new[] { "registry.k8s.io" }, new[] { "*.k8s.io", "docker.io/library", "ghcr.io/", "quay.io/", "REGISTRY.example.com/app-1" } };
        foreach (var level in new[] { PodSecurityLevel.Baseline, PodSecurityLevel.Restricted })
        {
            foreach (int minor in new[] { 0, 8, 19, 24, 25, 30, 31, 34, 35, 36 })
            {
                foreach (var allowed in allowLists)
                {
                    var profile = allowed.Length == 0 ? ScanProfile.PodSecurityStandards : ScanProfile.All;
                    if (profile == ScanProfile.All && minor != 36)
                    {
                        continue;
                    }

                    var scanner = new WorkloadScanner(new ScanOptions { Level = level, Version = new PssVersion(minor), Profile = profile, AllowedRegistries = allowed });
                    foreach (var document in documents)
                    {
                        var result = scanner.Scan(document)!;
                        text.Append($"{level} v1.{minor} {profile} [{string.Join(",", allowed)}] {result.Kind}/{result.Name} compliant={result.Compliant} score={result.Score} ")
                            .Append($"highest={result.HighestSeverity} violations={result.ViolationCount} skipped={result.SkippedCount}\n");
                        foreach (var check in result.Results)
                        {
                            text.Append($"  {check.CheckId} {check.Status} {check.Message} | {string.Join(",", check.Fields)} | {check.SkipReason}\n");
                        }
                    }
                }
            }
        }

        return text.ToString();
    }
}
