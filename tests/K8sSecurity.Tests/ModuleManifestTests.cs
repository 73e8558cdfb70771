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

    [Fact]
    public void ImportsFromTheVersionlessModuleFolderLikeTheReadmeSays()
    {
        using var fresh = new PsSession(importModule: false);
        string moduleBase = Path.Combine(TestPaths.RepoRoot, "out", "K8sSecurity");
        var result = fresh.Invoke("Import-Module $args[0] -PassThru", moduleBase).AssertNoErrors();
        var module = Assert.IsType<PSModuleInfo>(Assert.Single(result.Output).BaseObject);
        Assert.Equal("K8sSecurity", module.Name);
        Assert.Contains("Get-K8sContext", module.ExportedCmdlets.Keys);
    }

    public void Dispose() => session.Dispose();
}
