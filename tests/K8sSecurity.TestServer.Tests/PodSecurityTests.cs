using System.Text.Json.Nodes;
using K8sSecurity.TestServer.Admission;
using Xunit;

namespace K8sSecurity.TestServer.Tests;

/// <summary>The PodSecurity checks against the upstream Pod Security Standards fixtures (shared/pss-fixtures, v1.32 = this server).</summary>
public sealed class PodSecurityTests
{
    private static string FixturesDir => Path.Combine(Path.GetDirectoryName(Paths.GoldenDir)!, "pss-fixtures");

    public static TheoryData<string, string, string> Fixtures()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var level in new[] { "baseline", "restricted" })
        {
            foreach (var verdict in new[] { "pass", "fail" })
            {
                var dir = Path.Combine(FixturesDir, level, "v1.32", verdict);
                foreach (var f in Directory.GetFiles(dir, "*.yaml").Order(StringComparer.Ordinal))
                {
                    data.Add(level, verdict, Path.GetFileName(f));
                }
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Verdict_matches_the_fixture(string level, string verdict, string file)
    {
        var pod = (JsonObject)Yaml.Parse(File.ReadAllText(Path.Combine(FixturesDir, level, "v1.32", verdict, file)))!;
        var violations = PodSecurityPolicyChecks.Evaluate(level, pod["metadata"] as JsonObject, (JsonObject)pod["spec"]!);
        if (verdict == "pass")
        {
            Assert.True(violations.Count == 0, $"{level}/{file} should pass but: {string.Join(", ", violations)}");
        }
        else
        {
            Assert.True(violations.Count > 0, $"{level}/{file} should be denied");
        }
    }
}
