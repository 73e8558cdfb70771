using System.Diagnostics;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests;

/// <summary>
/// The module must coexist with another module that loaded a different YamlDotNet first: PowerShell's
/// documented dependency-conflict scenario. It runs in a fresh PowerShell process (tools/K8sSecurity.Shell over the
/// same engine package) because this test host has YamlDotNet loaded already (the API test server uses it).
/// </summary>
public sealed class AssemblyLoadContextTests
{
    [Fact]
    public void ModuleParsesYamlAfterAnotherYamlDotNetVersionWasLoaded()
    {
        string otherYaml = Path.Combine(AppContext.BaseDirectory, "OtherYamlDotNet", "YamlDotNet.dll");
        string shell = TestPaths.ShellDll;
        Assert.True(File.Exists(otherYaml), $"missing {otherYaml}");
        Assert.True(File.Exists(shell), $"missing {shell}");
        string directory = TestPaths.NewTempDirectory();
        string kubeconfig = KubeconfigFiles.WriteSample(directory);
        string script = Path.Combine(directory, "coexist.ps1");
        File.WriteAllText(script, """
            param($OtherYaml, $Manifest, $Kubeconfig)
            $ErrorActionPreference = 'Stop'
            # Another module's YamlDotNet (16.x) arrives first, in the default load context...
            $other = [System.Reflection.Assembly]::LoadFrom($OtherYaml)
            $parsed = [YamlDotNet.Serialization.Deserializer]::new().Deserialize[object]('a: 1')
            Import-Module $Manifest
            # ...and K8sSecurity, which needs 18.1.0, still parses YAML (the kubeconfig) with its own copy.
            $contexts = @(Get-K8sContext -Kubeconfig $Kubeconfig)
            $loaded = ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' } |
                ForEach-Object { $_.GetName().Version.Major }) -join ','
            "other=$($other.GetName().Version.Major) parsed=$($parsed['a']) contexts=$($contexts.Count) loaded=$loaded"
            """);

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in new[] { shell, "-File", script, otherYaml, TestPaths.StagedManifest, kubeconfig })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)));

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {stdout}\n{stderr}");
        var line = stdout.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("other=", StringComparison.Ordinal));
        Assert.StartsWith("other=16 parsed=1 contexts=2 loaded=", line);
        Assert.Equal(new[] { "16", "18" }, line.Split("loaded=")[1].Split(',').Order());
    }
}
