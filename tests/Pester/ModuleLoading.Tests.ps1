# How the module loads in a real pwsh: by name from PSModulePath, and beside another module's YamlDotNet.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $manifest = Get-StagedManifest
    $modulePath = (Join-Path (Get-RepoRoot) 'out') + [IO.Path]::PathSeparator + $env:PSModulePath
}

Describe 'Loading K8sSecurity' {
    It 'imports by name from PSModulePath and exports every cmdlet of the manifest' {
        $run = Invoke-Pwsh @('-Command', @'
$ErrorActionPreference = 'Stop'
Import-Module K8sSecurity
$module = Get-Module K8sSecurity
"$($module.Version) $($module.ExportedCmdlets.Count) $((Get-Command -Module K8sSecurity).Count)"
'@) -Environment @{ PSModulePath = $modulePath }
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $expected = (Import-PowerShellDataFile $manifest)
        $run.Output.Trim() | Should -Be "$($expected.ModuleVersion) $($expected.CmdletsToExport.Count) $($expected.CmdletsToExport.Count)"
    }

    It 'parses YAML with its own YamlDotNet after another module loaded a different one' {
        # PowerShell's documented dependency-conflict case: another module's YamlDotNet 16 arrives first in the
        # default load context; K8sSecurity, which needs 18.1.0, loads its own into its private context.
        $otherYaml = Join-Path (Get-NuGetPackageRoot) 'yamldotnet' '16.3.0' 'lib' 'net8.0' 'YamlDotNet.dll'
        $otherYaml | Should -Exist
        $kubeconfig = Join-Path (New-TestDirectory) 'config'
        Set-Content -LiteralPath $kubeconfig -Value @'
apiVersion: v1
kind: Config
clusters:
- name: one
  cluster: {server: "https://127.0.0.1:6443"}
users:
- name: alice
  user: {token: abc}
contexts:
- name: first
  context: {cluster: one, user: alice}
- name: second
  context: {cluster: one, user: alice, namespace: team-a}
current-context: first
'@
        $script = Join-Path (New-TestDirectory) 'coexist.ps1'
        Set-Content -LiteralPath $script -Value @'
param($OtherYaml, $Manifest, $Kubeconfig)
$ErrorActionPreference = 'Stop'
$other = [System.Reflection.Assembly]::LoadFrom($OtherYaml)
$parsed = [YamlDotNet.Serialization.Deserializer]::new().Deserialize[object]('a: 1')
Import-Module $Manifest
$contexts = @(Get-K8sContext -Kubeconfig $Kubeconfig)
$loaded = ([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object { $_.GetName().Name -eq 'YamlDotNet' } |
    ForEach-Object { $_.GetName().Version.Major } | Sort-Object) -join ','
"other=$($other.GetName().Version.Major) parsed=$($parsed['a']) contexts=$($contexts.Count) loaded=$loaded"
'@
        $run = Invoke-Pwsh @('-File', $script, $otherYaml, $manifest, $kubeconfig)
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $run.Output.Trim() | Should -Be 'other=16 parsed=1 contexts=2 loaded=16,18'
    }
}
