using System.Diagnostics;
using Xunit;

namespace K8sSecurity.Tests.Infrastructure;

/// <summary>
/// kubectl's own decoding of a manifest file, with no server: `kubectl annotate --local -f FILE -o json k=v`. The
/// expected value wherever a test asks "does the module read this as Kubernetes does?".
/// </summary>
internal static class KubectlOracle
{
    /// <summary>kubectl's JSON for the file; null when kubectl is not on PATH, which fails the test under CI=true.</summary>
    public static string? Decode(string file)
    {
        string? kubectl = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, OperatingSystem.IsWindows() ? "kubectl.exe" : "kubectl"))
            .FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            Assert.False(string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase), "kubectl is required under CI");
            return null;
        }

        var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in new[] { "annotate", "--local", "-o", "json", "-f", file, "k8ssecurity.test/oracle=1" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string json = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"kubectl refused {file}: {error.Result}");
        return json;
    }
}
