#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, demonstrates, tests, packages and cleans K8sSecurity. Runs under the pwsh the repository pins
    (.config/dotnet-tools.json): dotnet tool restore && dotnet pwsh ./build.ps1 -Task <Task>.
.DESCRIPTION
    Build   : dotnet build K8sSecurity.sln; stages an importable module in out/K8sSecurity/<version>/ (manifest,
              K8sSecurity.dll, format files, en-US MAML help, Dependencies/ for the private load context).
    Demo    : builds the module and runs examples/quickstart.ps1 in a fresh pwsh (offline: scan, reports, a user
              certificate and kubeconfig from a throwaway CA).
    Test    : builds, runs every xunit suite (dotnet test) and the Pester layer (tests/Pester, under the Pester pinned in
              tests/Pester/PesterVersions.psd1, restored from NuGet), and ends with one line
              "tests: N passed, N failed, N skipped" (xunit and Pester together; a build break or a crashed test host
              counts as a failure). Exits 1 when anything failed.
    Package : writes out/K8sSecurity.<version>.nupkg in the PowerShell Gallery's layout (what Publish-PSResource
              uploads and Install-PSResource installs), from a Release build unless -Configuration is given.
    Docs    : rebuilds only the MAML help from docs (the build does this too).
    Clean   : removes out/, bin/ and obj/ folders.
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Demo
.EXAMPLE
    dotnet tool restore && dotnet pwsh ./build.ps1 -Task Test
.EXAMPLE
    ./build.ps1 -Task Test -Layer Pester -Filter Views
    Runs only tests/Pester/*Views*.Tests.ps1 (after a build).
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Demo', 'Test', 'Package', 'Docs', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug',

    # Test: which layers run (both by default).
    [ValidateSet('All', 'XUnit', 'Pester')]
    [string] $Layer = 'All',

    # Test: a dotnet test --filter expression for xunit, or test file name parts for Pester (-Layer Pester).
    [string[]] $Filter
)

$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot
# Logs (CI, runbooks) get plain text, from this pwsh and every one it starts.
if ([Console]::IsOutputRedirected) { $env:NO_COLOR = '1'; $PSStyle.OutputRendering = 'PlainText' }
$version = (Import-PowerShellDataFile ./K8sSecurity.psd1).ModuleVersion
$stage = "out/K8sSecurity/$version"

function Invoke-Dotnet {
    & dotnet @args | Out-Host
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

# A fresh pwsh like the one running this script: `dotnet pwsh.dll` for the .NET tool, the executable otherwise.
function Invoke-FreshPwsh {
    $command = if ([IO.Path]::GetFileNameWithoutExtension([Environment]::ProcessPath) -eq 'dotnet') {
        @([Environment]::ProcessPath, (Join-Path $PSHOME 'pwsh.dll'))
    } else { @([Environment]::ProcessPath) }
    & $command[0] @($command | Select-Object -Skip 1) -NoProfile -NonInteractive @args | Out-Host
    $LASTEXITCODE
}

function Get-NuGetPackageRoot {
    $line = & dotnet nuget locals global-packages --list | Select-Object -Last 1
    ($line -replace '^global-packages:\s*', '').Trim()
}

# Every *.trx counter under a folder, summed.
function Read-TrxCounts([string] $Folder) {
    $counts = [ordered]@{ Passed = 0; Failed = 0; Skipped = 0; Files = 0 }
    foreach ($file in Get-ChildItem -Path $Folder -Filter *.trx -Recurse -ErrorAction SilentlyContinue) {
        $counters = ([xml] (Get-Content -Raw -LiteralPath $file.FullName)).TestRun.ResultSummary.Counters
        $counts.Passed += [int] $counters.passed
        $counts.Failed += [int] $counters.failed + [int] $counters.error + [int] $counters.timeout + [int] $counters.aborted
        $counts.Skipped += [int] $counters.notExecuted
        $counts.Files++
    }
    $counts
}

function Invoke-TestTask {
    $results = 'out/TestResults'
    Remove-Item -Recurse -Force -ErrorAction SilentlyContinue $results
    $null = New-Item -ItemType Directory -Force $results
    $passed = 0; $failed = 0; $skipped = 0

    Write-Host "== build ($Configuration)"
    & dotnet build K8sSecurity.sln -c $Configuration | Out-Host
    if ($LASTEXITCODE -ne 0) {
        Write-Host 'The build failed; no test ran.'
        return [pscustomobject]@{ Passed = 0; Failed = 1; Skipped = 0 }
    }

    if ($Layer -in 'All', 'XUnit') {
        Write-Host '== xunit (dotnet test)'
        $filterArgs = if ($Filter -and $Layer -eq 'XUnit') { @('--filter', ($Filter -join '|')) } else { @() }
        & dotnet test K8sSecurity.sln -c $Configuration --no-build --logger trx --results-directory "$results/xunit" @filterArgs | Out-Host
        $xunitExit = $LASTEXITCODE
        $xunit = Read-TrxCounts "$results/xunit"
        Write-Host "xunit: $($xunit.Passed) passed, $($xunit.Failed) failed, $($xunit.Skipped) skipped ($($xunit.Files) test assemblies)"
        $passed += $xunit.Passed; $failed += $xunit.Failed; $skipped += $xunit.Skipped
        # A crashed test host or a run that reported nothing still fails.
        if ($xunitExit -ne 0 -and $xunit.Failed -eq 0) { Write-Host "dotnet test exited $xunitExit without a failed test: counted as one failure"; $failed++ }
    }

    if ($Layer -in 'All', 'Pester') {
        Write-Host '== Pester (tests/Pester)'
        $pesterVersions = Import-PowerShellDataFile ./tests/Pester/PesterVersions.psd1
        $all = @($pesterVersions.Runner) + $pesterVersions.Examples | Select-Object -Unique
        Invoke-Dotnet restore tests/Pester/PesterPackages.csproj "-p:PesterVersions=$($all -join ' ')" --verbosity quiet
        $env:K8SSEC_NUGET_PACKAGES = Get-NuGetPackageRoot
        $env:K8SSEC_TEST_CONFIGURATION = $Configuration
        $pesterFile = "$results/pester.json"
        $pesterArgs = @('-File', './tests/Pester/Invoke-Tests.ps1', '-ResultFile', $pesterFile)
        if ($Filter -and $Layer -eq 'Pester') { $pesterArgs += @('-Filter', ($Filter -join ',')) }
        $pesterExit = Invoke-FreshPwsh @pesterArgs
        if (Test-Path $pesterFile) {
            $pester = Get-Content -Raw $pesterFile | ConvertFrom-Json
            Write-Host "Pester: $($pester.Passed) passed, $($pester.Failed) failed, $($pester.Skipped) skipped"
            $passed += $pester.Passed; $failed += $pester.Failed; $skipped += $pester.Skipped
            if ($pesterExit -ne 0 -and $pester.Failed -eq 0) { Write-Host "The Pester run exited ${pesterExit}: counted as one failure"; $failed++ }
        } else {
            Write-Host "The Pester run ended (exit $pesterExit) without results: counted as one failure"
            $failed++
        }
    }
    [pscustomobject]@{ Passed = $passed; Failed = $failed; Skipped = $skipped }
}

foreach ($step in $Task) {
    switch ($step) {
        'Clean' {
            Remove-Item -Recurse -Force -ErrorAction SilentlyContinue ./out
            Get-ChildItem -Recurse -Directory -Include bin, obj -Path ./src, ./tests, ./tools | Remove-Item -Recurse -Force
        }
        'Build' { Invoke-Dotnet build K8sSecurity.sln -c $Configuration }
        'Demo' {
            Invoke-Dotnet build src/K8sSecurity -c $Configuration --verbosity quiet
            $exit = Invoke-FreshPwsh -File ./examples/quickstart.ps1
            if ($exit -ne 0) { throw "examples/quickstart.ps1 failed with exit code $exit" }
        }
        'Docs' {
            Invoke-Dotnet build tools/K8sSecurity.HelpGen -c $Configuration
            Invoke-Dotnet "tools/K8sSecurity.HelpGen/bin/$Configuration/net10.0/K8sSecurity.HelpGen.dll" --docs docs --out "$stage/en-US"
        }
        'Test' {
            $summary = Invoke-TestTask
            # The one closing line CI reads (.ci/run).
            Write-Host "tests: $($summary.Passed) passed, $($summary.Failed) failed, $($summary.Skipped) skipped"
            if ($summary.Failed -gt 0) { exit 1 }
        }
        'Package' {
            # A Release build (unless -Configuration says otherwise) staged apart from out/K8sSecurity, which the tests
            # import, then packed from there.
            $packageConfiguration = if ($PSBoundParameters.ContainsKey('Configuration')) { $Configuration } else { 'Release' }
            $packageStage = Join-Path $PSScriptRoot "out/package/K8sSecurity/$version/"
            Invoke-Dotnet build src/K8sSecurity -c $packageConfiguration "-p:ModuleStageDir=$packageStage" --verbosity quiet
            $package = "out/K8sSecurity.$version.nupkg"
            Remove-Item -Force -ErrorAction SilentlyContinue $package
            # PSResourceGet (shipped with pwsh) writes the .nuspec from the manifest, exactly as Publish-PSResource does.
            Import-Module Microsoft.PowerShell.PSResourceGet
            Compress-PSResource -Path $packageStage -DestinationPath out
            if (-not (Test-Path $package)) { throw "Compress-PSResource wrote no $package" }
            Write-Host "Wrote $package"
        }
    }
}
