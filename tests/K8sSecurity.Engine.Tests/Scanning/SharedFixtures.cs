using System.Reflection;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>Locates ../shared (next to the repository root) with a clear message when it is missing.</summary>
internal static class SharedFixtures
{
    public static string RepoRoot { get; } = Path.GetFullPath(
        typeof(SharedFixtures).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!);

    public static string PssFixtures
    {
        get
        {
            // ../shared next to the repository root; a git worktree one level deeper finds it further up.
            string path = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "pss-fixtures"));
            for (var dir = new DirectoryInfo(RepoRoot).Parent; !Directory.Exists(path) && dir?.Parent is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.Parent.FullName, "shared", "pss-fixtures");
                if (Directory.Exists(candidate))
                {
                    path = candidate;
                }
            }

            if (!Directory.Exists(path))
            {
                throw new DirectoryNotFoundException($"The Pod Security Standards fixtures are missing: expected '{path}' (../shared/pss-fixtures next to the repository root).");
            }

            return path;
        }
    }

    /// <summary>(level, version, expectAllowed, file) for every fixture of v1.0 … v1.36 (v1.37 is unreleased).</summary>
    public static IEnumerable<(string Level, string Version, bool Allowed, string File)> All()
    {
        foreach (string level in new[] { "baseline", "restricted" })
        {
            for (int minor = 0; minor <= 36; minor++)
            {
                string version = $"v1.{minor}";
                foreach (string verdict in new[] { "pass", "fail" })
                {
                    string dir = Path.Combine(PssFixtures, level, version, verdict);
                    if (!Directory.Exists(dir))
                    {
                        continue;
                    }

                    foreach (string file in Directory.EnumerateFiles(dir, "*.yaml").Order(StringComparer.Ordinal))
                    {
                        yield return (level, version, verdict == "pass", file);
                    }
                }
            }
        }
    }
}
