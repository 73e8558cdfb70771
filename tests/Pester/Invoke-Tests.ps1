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
# -File passes "a,b" as one string.
$Filter = @($Filter | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$files = @(Get-ChildItem -Path $PSScriptRoot -Filter '*.Tests.ps1' | Where-Object { $name = $_.Name; $Filter.Where({ $name -like "*$_*" }) })
if ($files.Count -eq 0) { throw "No test file in tests/Pester matches $($Filter -join ', ')." }

$configuration = New-PesterConfiguration
$configuration.Run.Path = @($files.FullName)
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = $Output
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputPath = [IO.Path]::ChangeExtension($ResultFile, '.xml')
Write-Host "Pester ${version}: $($files.Count) test files in tests/Pester"
$run = Invoke-Pester -Configuration $configuration
if ($null -eq $run) { throw 'Invoke-Pester returned no result.' }
# A failure outside a test (a BeforeAll that threw, a file that does not parse) fails its block or file: count each.
$failed = $run.FailedCount + $run.FailedBlocksCount + $run.FailedContainersCount
if ($run.Result -ne 'Passed' -and $failed -eq 0) { $failed = 1 }
[pscustomobject]@{
    Passed  = $run.PassedCount
    Failed  = $failed
    Skipped = $run.SkippedCount + $run.NotRunCount
} | ConvertTo-Json | Set-Content -LiteralPath $ResultFile
