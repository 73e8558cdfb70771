using System.Reflection;

namespace K8sSecurity.Tests.Infrastructure;

/// <summary>Where the repository, the staged module and the shared reference material are.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = Path.GetFullPath(
        typeof(TestPaths).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!);

    public static string ModuleVersion { get; } = System.Text.RegularExpressions.Regex.Match(
        File.ReadAllText(Path.Combine(RepoRoot, "K8sSecurity.psd1")), @"ModuleVersion\s*=\s*'([0-9.]+)'").Groups[1].Value;

    /// <summary>The manifest of the module staged by the build: out/K8sSecurity/&lt;version&gt;/K8sSecurity.psd1.</summary>
    public static string StagedManifest { get; } = Path.Combine(RepoRoot, "out", "K8sSecurity", ModuleVersion, "K8sSecurity.psd1");

    public static string Shared(params string[] parts)
    {
        // ../shared next to the repository root; a git worktree (/work/wt/<name>) finds it further up.
        string shared = Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));
        for (var dir = new DirectoryInfo(RepoRoot).Parent; !Directory.Exists(shared) && dir?.Parent is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.Parent.FullName, "shared");
            if (Directory.Exists(candidate))
            {
                shared = candidate;
            }
        }

        if (!Directory.Exists(shared))
        {
            throw new DirectoryNotFoundException(
                $"The shared reference material is missing: expected '{shared}' (../shared next to the repository root).");
        }

        return Path.Combine(new[] { shared }.Concat(parts).ToArray());
    }

    public static string NewTempDirectory()
    {
        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
