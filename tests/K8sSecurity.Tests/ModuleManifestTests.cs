using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests;

public sealed class ModuleManifestTests : IDisposable
{
    private readonly PsSession session = new();

    [Fact]
    public void ManifestPassesTestModuleManifest()
    {
        var result = session.Invoke("Test-ModuleManifest -Path $args[0]", TestPaths.StagedManifest).AssertNoErrors();
        var module = Assert.IsType<PSModuleInfo>(Assert.Single(result.Output).BaseObject);
        Assert.Equal(TestPaths.ModuleVersion, module.Version.ToString(3));
        Assert.Contains("Core", module.CompatiblePSEditions);
    }

    [Fact]
    public void EveryCmdletClassIsExportedAndEveryExportHasAClass()
    {
        var classes = session.Invoke(
            """
            (Get-Module K8sSecurity).ImplementingAssembly.GetTypes() |
                Where-Object { $_.IsPublic -and $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false) } |
                ForEach-Object { $a = $_.GetCustomAttributes([System.Management.Automation.CmdletAttribute], $false)[0]; "$($a.VerbName)-$($a.NounName)" }
            """).AssertNoErrors().Output.Select(o => o.ToString()).Order().ToList();
        var manifest = session.Invoke("(& ([scriptblock]::Create([IO.File]::ReadAllText($args[0])))).CmdletsToExport", TestPaths.StagedManifest)
            .AssertNoErrors().Output.Select(o => o.ToString()).Order().ToList();

        Assert.NotEmpty(classes);
        Assert.Equal(classes, manifest);
    }

    [Fact]
    public void AssemblyVersionComesFromTheManifest()
    {
        var version = session.Invoke("(Get-Module K8sSecurity).ImplementingAssembly.GetName().Version.ToString(3)").AssertNoErrors();
        Assert.Equal(TestPaths.ModuleVersion, Assert.Single(version.Output).ToString());
    }

    [Fact]
    public void EngineLoadsInThePrivateLoadContextAndNothingLeaksIntoTheDefaultOne()
    {
        var result = session.Invoke(
            """
            Get-K8sContext -Kubeconfig $args[0] | Out-Null
            $engine = [AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'K8sSecurity.Engine' }
            [System.Runtime.Loader.AssemblyLoadContext]::GetLoadContext($engine).Name
            """,
            KubeconfigFiles.WriteSample(TestPaths.NewTempDirectory())).AssertNoErrors();
        Assert.Equal("K8sSecurityDependencies", Assert.Single(result.Output).ToString());
    }

    public void Dispose() => session.Dispose();
}
