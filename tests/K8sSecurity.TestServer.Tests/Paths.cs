namespace K8sSecurity.TestServer.Tests;

internal static class Paths
{
    /// <summary>The repository root (has K8sSecurity.sln), found by walking up from the test binaries.</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "K8sSecurity.sln")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("K8sSecurity.sln not found above " + AppContext.BaseDirectory);
        }
    }

    /// <summary>../shared/k8s-api-golden relative to the repository root (worktrees: also /work/shared).</summary>
    public static string GoldenDir
    {
        get
        {
            var candidates = new[]
            {
                Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "k8s-api-golden")),
                Path.GetFullPath(Path.Combine(RepoRoot, "..", "..", "shared", "k8s-api-golden")),
            };
            return candidates.FirstOrDefault(Directory.Exists)
                ?? throw new InvalidOperationException("Golden files missing: expected ../shared/k8s-api-golden relative to the repository root (" + string.Join(", ", candidates) + ")");
        }
    }
}
