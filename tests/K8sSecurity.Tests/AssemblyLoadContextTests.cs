using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests;

/// <summary>
/// The module must coexist with another module that loaded a different YamlDotNet first: PowerShell's
/// documented dependency-conflict scenario.
/// </summary>
public sealed class AssemblyLoadContextTests
{
    [Fact]
    public void ModuleParsesYamlAfterAnotherYamlDotNetVersionWasLoaded()
    {
        string otherYaml = Path.Combine(AppContext.BaseDirectory, "OtherYamlDotNet", "YamlDotNet.dll");
        Assert.True(File.Exists(otherYaml), $"missing {otherYaml}");
        using var session = new PsSession(importModule: false);

        var result = session.Invoke(
            """
            $other = [System.Reflection.Assembly]::LoadFrom($args[0])
            # The other version works on its own...
            $parsed = [YamlDotNet.Serialization.Deserializer]::new().Deserialize[object]('a: 1')
            Import-Module $args[1] -ErrorAction Stop
            # ...and the module, which needs 18.1.0, still parses YAML (the kubeconfig) with its own copy.
            $contexts = Get-K8sContext -Kubeconfig $args[2]
            $ours = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' } |
                ForEach-Object { $_.GetName().Version.Major }
            [pscustomobject]@{
                OtherVersion = $other.GetName().Version.Major
                OtherParsed  = $parsed['a']
                Contexts     = @($contexts).Count
                Loaded       = ([int[]]$ours | ForEach-Object { $_ }) -join ','
            }
            """,
            otherYaml,
            TestPaths.StagedManifest,
            KubeconfigFiles.WriteSample(TestPaths.NewTempDirectory())).AssertNoErrors();

        var row = Assert.Single(result.Output);
        Assert.Equal(16, (int)row.Properties["OtherVersion"].Value);
        Assert.Equal("1", row.Properties["OtherParsed"].Value?.ToString());
        Assert.Equal(2, (int)row.Properties["Contexts"].Value);
        Assert.Equal(new[] { "16", "18" }, row.Properties["Loaded"].Value.ToString()!.Split(',').Order());
    }
}
