using System.Diagnostics;
using Xunit;

namespace K8sSecurity.Tests.Identity;

/// <summary>Runs openssl and kubectl as processes: independent tools that must agree with what the module writes.</summary>
public static class IdentityTools
{
    public static (int Exit, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{tool} did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Runs openssl and fails the test with its stderr when it exits non-zero.</summary>
    public static string OpenSsl(params string[] args)
    {
        var (exit, stdout, stderr) = Run("openssl", args);
        Assert.True(exit == 0, $"openssl {string.Join(' ', args)} failed ({exit}): {stderr}{stdout}");
        return stdout + stderr;
    }

    /// <summary>kubectl must parse the kubeconfig: `config view` and `config get-contexts` both succeed.</summary>
    public static string AssertKubectlAccepts(string kubeconfig)
    {
        var view = Run("kubectl", "config", "view", "--kubeconfig", kubeconfig, "-o", "json");
        Assert.True(view.Exit == 0, $"kubectl config view rejected {kubeconfig}: {view.Err}");
        var contexts = Run("kubectl", "config", "get-contexts", "--kubeconfig", kubeconfig);
        Assert.True(contexts.Exit == 0, $"kubectl config get-contexts rejected {kubeconfig}: {contexts.Err}");
        return view.Out + "\n" + contexts.Out;
    }

    /// <summary>Fails when any line of a key (or token) file shows up in the text.</summary>
    public static void AssertNoSecretLines(string secretText, string streams)
    {
        // Short lines (a PEM tail like "Zg==") could match by chance; every other line must never appear.
        foreach (string line in secretText.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(l => l.Length >= 16))
        {
            Assert.False(streams.Contains(line, StringComparison.Ordinal), $"secret material leaked into a stream: '{line[..Math.Min(12, line.Length)]}…'");
        }
    }

    public static bool IsMode0600(string path) =>
        OperatingSystem.IsWindows() || File.GetUnixFileMode(path) == (UnixFileMode.UserRead | UnixFileMode.UserWrite);
}
