<#
.SYNOPSIS
    Runs the Pester layer (tests/Pester/*.Tests.ps1) under the pinned Pester and writes the counts as JSON.
    build.ps1 -Task Test starts it in a fresh pwsh; by hand: dotnet pwsh tests/Pester/Invoke-Tests.ps1.
#>
param(
    # Only the test files whose names match (e.g. Views); all by default.
    [string[]] $Filter = @('*'),
    # Counts (Passed, Failed, Skipped) go here as JSON; NUnit XML beside it.
    [string] $ResultFile = (Join-Path $PSScriptRoot '..' '..' 'out' 'TestResults' 'pester.json'),
    [ValidateSet('Normal', 'Detailed', 'Diagnostic', 'Minimal')]
    [string] $Output = 'Normal'
)
$ErrorActionPreference = 'Stop'
Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1')
$version = (Get-PesterVersions).Runner
Import-Module (Get-PesterManifest $version)
$null = New-Item -ItemType Directory -Force -Path (Split-Path $ResultFile)
$files = Get-ChildItem -Path $PSScriptRoot -Filter '*.Tests.ps1' | Where-Object { $name = $_.Name; $Filter.Where({ $name -like "*$_*" }) }

$configuration = New-PesterConfiguration
$configuration.Run.Path = @($files.FullName)
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Output
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = [IO.Path]::ChangeExtension($ResultFile, '.xml')
Write-Host "Pester ${version}: $($files.Count) test files in tests/Pester"
$run = Invoke-Pester -Configuration $configuration
# A failure outside a test (a BeforeAll that threw, a file that does not parse) fails its tests' block: count each.
[pscustomobject]@{
    Passed  = $run.PassedCount
    Failed  = $run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount
    Skipped = $run.SkippedCount + $run.NotRunCount
} | ConvertTo-Json | Set-Content -LiteralPath $ResultFile
