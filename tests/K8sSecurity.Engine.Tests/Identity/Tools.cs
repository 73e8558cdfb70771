using System.Diagnostics;
using Xunit;

namespace K8sSecurity.Engine.Tests.Identity;

internal static class Tools
{
    public static (int Exit, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }

    public static string OpenSsl(params string[] args)
    {
        var (exit, stdout, stderr) = Run("openssl", args);
        Assert.True(exit == 0, $"openssl {string.Join(' ', args)}: {stderr}");
        return stdout + stderr;
    }

    public static string TempDirectory() => Directory.CreateTempSubdirectory("k8ssec-identity-").FullName;
}
