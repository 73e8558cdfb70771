# Installing like a module: ./build.ps1 -Task Package, a local PSResource repository on a folder, Install-PSResource
# into a clean user module path, import by name in a fresh pwsh, a pipeline, and an example suite without path edits.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $repo = Get-RepoRoot
    $version = Get-ModuleVersion
    $package = Join-Path $repo 'out' "K8sSecurity.$version.nupkg"
    # The configuration the test run built, so packing needs no second compile (a plain -Task Package builds Release).
    $build = Invoke-Pwsh @('-File', (Join-Path $repo 'build.ps1'), '-Task', 'Package', '-Configuration', (Get-TestConfiguration)) -TimeoutSeconds 900

    # A home of its own: the CurrentUser module path ($HOME/.local/share/powershell/Modules) and PSResourceGet's
    # repository list start empty, and PSModulePath is left for pwsh to build.
    $userHome = New-TestDirectory
    $feed = New-TestDirectory
    $environment = @{ HOME = $userHome; PSModulePath = $null; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null }
}

Describe 'The K8sSecurity package' {
    It 'is written by ./build.ps1 -Task Package' {
        $build.ExitCode | Should -Be 0 -Because "$($build.Output)`n$($build.Errors)"
        $package | Should -Exist
    }

    It 'has the PowerShell Gallery layout: the module at the root and a nuspec made from the manifest' {
        Add-Type -AssemblyName System.IO.Compression.FileSystem
        $zip = [IO.Compression.ZipFile]::OpenRead($package)
        try {
            $entries = $zip.Entries.FullName
            $entries | Should -Contain 'K8sSecurity.psd1'
            $entries | Should -Contain 'K8sSecurity.dll'
            $entries | Should -Contain 'en-US/K8sSecurity.dll-Help.xml'
            $entries | Should -Contain 'Dependencies/K8sSecurity.Engine.dll'
            $entries | Should -Contain 'K8sSecurity.nuspec'
            $reader = [IO.StreamReader]::new($zip.GetEntry('K8sSecurity.nuspec').Open())
            [xml] $nuspec = $reader.ReadToEnd()
            $reader.Dispose()
        } finally { $zip.Dispose() }
        $manifest = Import-PowerShellDataFile (Join-Path $repo 'K8sSecurity.psd1')
        $metadata = $nuspec.package.metadata
        $metadata.id | Should -Be 'K8sSecurity'
        $metadata.version | Should -Be $version
        $metadata.projectUrl | Should -Be $manifest.PrivateData.PSData.ProjectUri
        $tags = $metadata.tags -split ' '
        $tags | Should -Contain 'PSModule'
        $tags | Should -Contain 'PSEdition_Core'
        $tags | Should -Contain 'Kubernetes'
        $metadata.releaseNotes | Should -Be $manifest.PrivateData.PSData.ReleaseNotes
    }

    It 'installs with Install-PSResource from a local repository into a clean module path' {
        Copy-Item $package $feed
        $run = Invoke-Pwsh @('-Command', @"
`$ErrorActionPreference = 'Stop'
if (Get-Module -ListAvailable K8sSecurity) { throw 'K8sSecurity is already on the module path' }
Register-PSResourceRepository -Name K8sSecurityLocal -Uri '$feed' -Trusted
Install-PSResource K8sSecurity -Repository K8sSecurityLocal -Scope CurrentUser -Quiet
(Get-Module -ListAvailable K8sSecurity).ModuleBase
"@) -Environment $environment
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $run.Output.Trim() | Should -Be (Join-Path $userHome '.local' 'share' 'powershell' 'Modules' 'K8sSecurity' $version)
    }

    It 'imports by name in a fresh pwsh and runs a pipeline' {
        $manifests = Join-Path $repo 'examples' 'manifests'
        $run = Invoke-Pwsh @('-Command', @"
`$ErrorActionPreference = 'Stop'
Import-Module K8sSecurity
(Get-Module K8sSecurity).ModuleBase
Test-K8sPodSecurity -Path '$manifests' -Level Baseline -Profile PodSecurityStandards | Where-Object { -not `$_.Compliant } | Sort-Object Name | ForEach-Object Name
"@) -Environment $environment
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $lines = $run.Output.Trim() -split '\r?\n'
        $lines[0] | Should -BeLike "$userHome*"
        # Baseline denies the privileged build runner and the host-network debugging pod (the node agent's
        # host namespaces are ignored with a reason).
        $lines[1..($lines.Count - 1)] | Should -Be @('build-runner', 'netshoot')
    }

    It 'runs an example suite whose #Requires names K8sSecurity, without path edits' {
        $pesterVersion = (Get-PesterVersions).Runner
        $run = Invoke-PesterSuite -PesterVersion $pesterVersion -Path (Join-Path $repo 'examples' 'compliance' 'PodSecurity.Tests.ps1') -Environment $environment
        $run.Failed.Path | Should -BeNullOrEmpty
        $run.Passed.Count | Should -Be 8 -Because $run.Output
    }
}
