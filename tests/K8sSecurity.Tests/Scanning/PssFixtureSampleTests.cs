using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>
/// A sample of the pod-security-admission fixtures (../shared/pss-fixtures) through the hosted PowerShell engine:
/// every pass/ fixture of the version is Compliant, every fail/ fixture is not (the engine tests sweep all 4,389).
/// </summary>
public sealed class PssFixtureSampleTests : IDisposable
{
    private readonly PsSession session = new();

    public static TheoryData<string, string> Samples() => new()
    {
        { "baseline", "v1.0" },
        { "baseline", "v1.19" },
        { "baseline", "v1.34" },
        { "baseline", "v1.35" },
        { "restricted", "v1.0" },
        { "restricted", "v1.22" },
        { "restricted", "v1.25" },
        { "restricted", "v1.36" },
    };

    [Theory]
    [MemberData(nameof(Samples))]
    public void FolderVerdictsMatchThroughTheCmdlet(string level, string version)
    {
        string root = FindFixtures();
        foreach (var (verdict, expected) in new[] { ("pass", true), ("fail", false) })
        {
            string folder = Path.Combine(root, level, version, verdict);
            int files = Directory.GetFiles(folder, "*.yaml").Length;
            var result = session.Invoke(
                "Test-K8sPodSecurity -Path $args[0] -Level $args[1] -Version $args[2] -Profile PodSecurityStandards",
                folder, level, version).AssertNoErrors();

            Assert.Equal(files, result.Output.Count);
            var wrong = result.Output.Where(o => (bool)o.Properties["Compliant"].Value != expected).Select(o => o.Properties["Source"].Value).ToList();
            Assert.True(wrong.Count == 0, $"{level} {version} {verdict}: wrong verdict for " + string.Join(", ", wrong));
        }
    }

    private static string FindFixtures()
    {
        for (var dir = new DirectoryInfo(TestPaths.RepoRoot); dir?.Parent is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.Parent.FullName, "shared", "pss-fixtures");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return TestPaths.Shared("pss-fixtures"); // throws with the expected location
    }

    public void Dispose() => session.Dispose();
}
