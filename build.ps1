#Requires -Version 7.4
<#
.SYNOPSIS
    Builds, tests, documents and cleans K8sSecurity. Wraps the same MSBuild targets `dotnet build` runs.
.DESCRIPTION
    Build  : dotnet build; stages an importable module in out/K8sSecurity/<version>/ (manifest, K8sSecurity.dll,
             format files, en-US MAML help, Dependencies/ for the private load context).
    Test   : dotnet test K8sSecurity.sln (engine tests, real-PowerShell-engine tests, API test server tests).
    Docs   : rebuilds only the MAML help from docs/en-US (the build does this too).
    Clean  : removes out/, bin/ and obj/ folders.
.EXAMPLE
    ./build.ps1
    Import-Module ./out/K8sSecurity
.EXAMPLE
    ./build.ps1 -Task Build, Test -Configuration Release
#>
[CmdletBinding()]
param(
    [ValidateSet('Build', 'Test', 'Docs', 'Clean')]
    [string[]] $Task = @('Build'),

    [ValidateSet('Debug', 'Release')]
    [string] $Configuration = 'Debug'
)

$ErrorActionPreference = 'Stop'
Set-Location -LiteralPath $PSScriptRoot

function Invoke-Dotnet {
    & dotnet @args
    if ($LASTEXITCODE -ne 0) { throw "dotnet $($args -join ' ') failed with exit code $LASTEXITCODE" }
}

foreach ($step in $Task) {
    switch ($step) {
        'Clean' {
            Remove-Item -Recurse -Force -ErrorAction SilentlyContinue ./out
            Get-ChildItem -Recurse -Directory -Include bin, obj -Path ./src, ./tests, ./tools | Remove-Item -Recurse -Force
        }
        'Build' { Invoke-Dotnet build K8sSecurity.sln -c $Configuration }
        'Docs' {
            Invoke-Dotnet build tools/K8sSecurity.HelpGen -c $Configuration
            $version = (Import-PowerShellDataFile ./K8sSecurity.psd1).ModuleVersion
            Invoke-Dotnet "tools/K8sSecurity.HelpGen/bin/$Configuration/net10.0/K8sSecurity.HelpGen.dll" --docs docs/en-US --out "out/K8sSecurity/$version/en-US"
        }
        'Test' { Invoke-Dotnet test K8sSecurity.sln -c $Configuration }
    }
}
