using System.Text.Json.Nodes;
using K8sSecurity.TestServer.Admission;
using Xunit;

namespace K8sSecurity.TestServer.Tests;

/// <summary>
/// The PodSecurity checks against the upstream Pod Security Standards fixtures (shared/pss-fixtures) at every policy
/// version this v1.32 server knows, and the admission plugin honouring the namespace's "-version" labels.
/// </summary>
public sealed class PodSecurityTests
{
    private static string FixturesDir => Path.Combine(Path.GetDirectoryName(Paths.GoldenDir)!, "pss-fixtures");

    public static TheoryData<string, int> LevelsAndVersions()
    {
        var data = new TheoryData<string, int>();
        foreach (var level in new[] { "baseline", "restricted" })
        {
            for (var minor = 0; minor <= PodSecurityPolicyChecks.LatestMinor; minor++)
            {
                data.Add(level, minor);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LevelsAndVersions))]
    public void Every_fixture_of_the_version_gets_its_verdict(string level, int minor)
    {
        var wrong = new List<string>();
        foreach (var verdict in new[] { "pass", "fail" })
        {
            var dir = Path.Combine(FixturesDir, level, $"v1.{minor}", verdict);
            foreach (var f in Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal))
            {
                var pod = (JsonObject)Yaml.Parse(File.ReadAllText(f))!;
                var violations = PodSecurityPolicyChecks.Evaluate(level, pod["metadata"] as JsonObject, (JsonObject)pod["spec"]!, minor);
                if ((verdict == "pass") != (violations.Count == 0))
                {
                    wrong.Add($"{verdict}/{Path.GetFileName(f)}: {string.Join(", ", violations)}");
                }
            }
        }

        Assert.True(wrong.Count == 0, $"{level} v1.{minor}:\n" + string.Join("\n", wrong));
    }
}
