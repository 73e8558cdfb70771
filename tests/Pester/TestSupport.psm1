# Shared helpers of the Pester layer: where things are, fresh pwsh processes, the API test server as a process.
# build.ps1 -Task Test sets K8SSEC_TEST_CONFIGURATION and K8SSEC_NUGET_PACKAGES; run by hand, both are worked out here.
Set-StrictMode -Version Latest

$script:RepoRoot = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '..' '..'))

function Get-RepoRoot { $script:RepoRoot }

function Get-ModuleVersion {
    (Import-PowerShellDataFile (Join-Path $script:RepoRoot 'K8sSecurity.psd1')).ModuleVersion
}

function Get-TestConfiguration {
    if ($env:K8SSEC_TEST_CONFIGURATION) { $env:K8SSEC_TEST_CONFIGURATION } else { 'Debug' }
}

# The manifest the build staged: out/K8sSecurity/<version>/K8sSecurity.psd1.
function Get-StagedManifest {
    $path = Join-Path $script:RepoRoot 'out' 'K8sSecurity' (Get-ModuleVersion) 'K8sSecurity.psd1'
    if (-not (Test-Path -LiteralPath $path)) { throw "The staged module is missing at $path; run ./build.ps1 first." }
    $path
}

function Get-NuGetPackageRoot {
    if (-not $env:K8SSEC_NUGET_PACKAGES) {
        $line = & dotnet nuget locals global-packages --list | Select-Object -Last 1
        $env:K8SSEC_NUGET_PACKAGES = ($line -replace '^global-packages:\s*', '').Trim()
    }
    $env:K8SSEC_NUGET_PACKAGES
}

# Pester versions of tests/Pester/PesterVersions.psd1.
function Get-PesterVersions { Import-PowerShellDataFile (Join-Path $PSScriptRoot 'PesterVersions.psd1') }

# The Pester module of a restored NuGet package: <cache>/pester/<version>/tools/Pester.psd1.
function Get-PesterManifest([Parameter(Mandatory)] [string] $Version) {
    $path = Join-Path (Get-NuGetPackageRoot) 'pester' $Version 'tools' 'Pester.psd1'
    if (-not (Test-Path -LiteralPath $path)) { throw "Pester $Version is not restored ($path); run ./build.ps1 -Task Test." }
    $path
}

function New-TestDirectory {
    $path = Join-Path ([IO.Path]::GetTempPath()) 'k8ssec-pester' ([guid]::NewGuid().ToString('N'))
    (New-Item -ItemType Directory -Path $path -Force).FullName
}

# How to start the pwsh that runs these tests again as a fresh process: `dotnet pwsh.dll` for the .NET tool,
# the executable itself for an installed pwsh.
function Get-PwshCommand {
    $process = [Environment]::ProcessPath
    if ([IO.Path]::GetFileNameWithoutExtension($process) -eq 'dotnet') { , @($process, (Join-Path $PSHOME 'pwsh.dll')) }
    else { , @($process) }
}

<#
.SYNOPSIS
    Runs a fresh `pwsh -NoProfile -NonInteractive` (-Interactive: without -NonInteractive) with the given arguments (e.g. -File x.ps1 a b, or -Command '...')
    and returns ExitCode, Output (stdout text) and Errors (stderr text). Environment entries override the current
    ones for the child only; $null removes a variable.
#>
function Invoke-Pwsh {
    param(
        [Parameter(Mandatory, Position = 0)] [string[]] $ArgumentList,
        [hashtable] $Environment = @{},
        [string] $WorkingDirectory = $script:RepoRoot,
        [string] $InputText,
        [int] $TimeoutSeconds = 300,
        # Without -NonInteractive, so prompts (-Confirm) read their answers from -InputText.
        [switch] $Interactive
    )
    $command = Get-PwshCommand
    $start = [Diagnostics.ProcessStartInfo]::new($command[0])
    $mode = if ($Interactive) { @('-NoProfile') } else { @('-NoProfile', '-NonInteractive') }
    foreach ($part in @($command | Select-Object -Skip 1) + $mode + $ArgumentList) { $start.ArgumentList.Add($part) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardError = $true
    $start.RedirectStandardInput = $true
    $start.UseShellExecute = $false
    $start.WorkingDirectory = $WorkingDirectory
    foreach ($name in $Environment.Keys) {
        if ($null -eq $Environment[$name]) { [void] $start.Environment.Remove($name) } else { $start.Environment[$name] = [string] $Environment[$name] }
    }
    $process = [Diagnostics.Process]::Start($start)
    try {
        $stdout = $process.StandardOutput.ReadToEndAsync()
        $stderr = $process.StandardError.ReadToEndAsync()
        if ($InputText) { $process.StandardInput.Write($InputText) }
        $process.StandardInput.Close()
        if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
            $process.Kill($true)
            throw "pwsh $($ArgumentList -join ' ') did not finish in $TimeoutSeconds s"
        }
        $process.WaitForExit()
        [pscustomobject]@{
            ExitCode = $process.ExitCode
            Output   = $stdout.GetAwaiter().GetResult()
            Errors   = $stderr.GetAwaiter().GetResult()
        }
    } finally { $process.Dispose() }
}

<#
.SYNOPSIS
    Starts tests/K8sSecurity.TestServer.Host (the API test server as a process), seeded 'flawed' (FlawedClusterFixture
    with -Clean/-Flawed namespaces) or 'empty'. Returns Kubeconfig, Planted (the findings the fixture planted) and the
    process; Stop-TestServer ends it. The server also ends when this process dies (its standard input closes).
#>
function Start-TestServer {
    param(
        [ValidateSet('flawed', 'empty')] [string] $Seed = 'flawed',
        [int] $Clean = 2,
        [int] $Flawed = 4
    )
    $dll = Join-Path $script:RepoRoot 'tests' 'K8sSecurity.TestServer.Host' 'bin' (Get-TestConfiguration) 'net10.0' 'K8sSecurity.TestServer.Host.dll'
    if (-not (Test-Path -LiteralPath $dll)) { throw "The test server host is not built ($dll); run ./build.ps1 -Task Build." }
    $kubeconfig = Join-Path (New-TestDirectory) 'config'
    $start = [Diagnostics.ProcessStartInfo]::new('dotnet')
    foreach ($part in $dll, '--kubeconfig', $kubeconfig, '--seed', $Seed, '--clean', $Clean, '--flawed', $Flawed) { $start.ArgumentList.Add([string] $part) }
    $start.RedirectStandardOutput = $true
    $start.RedirectStandardInput = $true
    $start.RedirectStandardError = $true
    $start.UseShellExecute = $false
    $process = [Diagnostics.Process]::Start($start)
    $stderr = $process.StandardError.ReadToEndAsync()
    $line = $process.StandardOutput.ReadLineAsync()
    if (-not $line.Wait([TimeSpan]::FromMinutes(2)) -or $line.Result -ne "ready $kubeconfig") {
        if (-not $process.HasExited) { $process.Kill($true) }
        throw "The test server host did not start: $($line.Result) $($stderr.Result)"
    }
    [pscustomobject]@{
        Kubeconfig = $kubeconfig
        Planted    = @(Get-Content -Raw -LiteralPath "$kubeconfig.planted.json" | ConvertFrom-Json)
        Process    = $process
    }
}

function Stop-TestServer([Parameter(ValueFromPipeline)] $Server) {
    process {
        if ($null -eq $Server) { return }
        $Server.Process.StandardInput.Close()
        if (-not $Server.Process.WaitForExit(30000)) { $Server.Process.Kill($true) }
        $Server.Process.Dispose()
    }
}

<#
.SYNOPSIS
    Runs a Pester suite under a given Pester version in a fresh pwsh that finds K8sSecurity by name (the staged
    out/ folder is on PSModulePath, as an installed module would be, unless -Environment says otherwise). Returns one row per test: Path (block and test
    names joined with ' > '), Result, Message.
#>
function Invoke-PesterSuite {
    param(
        [Parameter(Mandatory)] [string] $PesterVersion,
        [Parameter(Mandatory)] [string] $Path,
        [hashtable] $Data = @{},
        # The child's environment; by default PSModulePath starts with the staged out/ folder.
        [hashtable] $Environment
    )
    if (-not $Environment) {
        $null = Get-StagedManifest
        $Environment = @{ PSModulePath = (Join-Path $script:RepoRoot 'out') + [IO.Path]::PathSeparator + $env:PSModulePath }
    }
    $resultFile = Join-Path (New-TestDirectory) 'results.json'
    $runner = Join-Path $PSScriptRoot 'Invoke-PesterSuite.ps1'
    $arguments = @('-File', $runner, '-PesterManifest', (Get-PesterManifest $PesterVersion), '-Path', $Path,
        '-DataJson', ($Data | ConvertTo-Json -Compress -Depth 5), '-ResultFile', $resultFile)
    $run = Invoke-Pwsh $arguments -Environment $Environment
    if (-not (Test-Path -LiteralPath $resultFile)) {
        throw "Pester $PesterVersion did not run $Path (exit $($run.ExitCode)): $($run.Output) $($run.Errors)"
    }
    $results = Get-Content -Raw -LiteralPath $resultFile | ConvertFrom-Json
    [pscustomobject]@{
        Version = $results.Version
        Tests   = @($results.Tests)
        Failed  = @($results.Tests | Where-Object Result -EQ 'Failed')
        Passed  = @($results.Tests | Where-Object Result -EQ 'Passed')
        Output  = $run.Output
    }
}

Export-ModuleMember -Function *
