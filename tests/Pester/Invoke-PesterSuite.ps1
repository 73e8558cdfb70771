<#
.SYNOPSIS
    Runs one Pester suite under the Pester module given by path and writes its results as JSON: the Pester version
    and, per test, Path (block and test names joined with ' > '), Result and Message. Used by TestSupport.psm1's
    Invoke-PesterSuite in a fresh pwsh, so each Pester version gets a clean process.
#>
param(
    [Parameter(Mandatory)] [string] $PesterManifest,
    [Parameter(Mandatory)] [string] $Path,
    [string] $DataJson = '{}',
    [Parameter(Mandatory)] [string] $ResultFile
)
$ErrorActionPreference = 'Stop'
$pester = Import-Module $PesterManifest -PassThru
$data = ConvertFrom-Json $DataJson -AsHashtable
$configuration = New-PesterConfiguration
$configuration.Run.Container = New-PesterContainer -Path $Path -Data $data
$configuration.Run.PassThru = $true
$configuration.Output.Verbosity = 'Detailed'
$run = Invoke-Pester -Configuration $configuration
$tests = foreach ($test in $run.Tests) {
    # Names as the report shows them, with <Kind>-style templates expanded, outermost block first.
    $names = [System.Collections.Generic.List[string]]::new()
    $names.Add($test.ExpandedName)
    for ($block = $test.Block; $block -and -not $block.IsRoot; $block = $block.Parent) { $names.Insert(0, $block.ExpandedName) }
    [pscustomobject]@{
        Path    = $names -join ' > '
        Result  = [string] $test.Result
        Message = (@($test.ErrorRecord | ForEach-Object { $_.Exception.Message }) -join "`n")
    }
}
[pscustomobject]@{
    Version          = $pester.Version.ToString()
    FailedContainers = $run.FailedContainersCount
    FailedBlocks     = $run.FailedBlocksCount
    Tests            = @($tests)
} | ConvertTo-Json -Depth 4 | Set-Content -LiteralPath $ResultFile
