#Requires -Version 7.6
#Requires -Modules K8sSecurity
<#
.SYNOPSIS
    Scheduled runbook: audits one or more clusters, writes the HTML report and the JSON results, compares with the
    previous run and exits non-zero when new findings at or above -FailOnSeverity appeared.

.DESCRIPTION
    Designed for a scheduler (Azure Automation, a CI schedule, cron + pwsh, the in-cluster CronJob in deploy/).
    Files written to -ReportDirectory:
      audit-<yyyyMMdd-HHmmss>.json   results of this run (Compare-K8sSecurityAudit reads them)
      audit-<yyyyMMdd-HHmmss>.html   self-contained report (score gauge, charts, heat map, sortable tables)
      latest.json                    copy of the newest results: the baseline of the next run
    Exit codes: 0 = no new findings at or above -FailOnSeverity, 2 = new ones (listed as warnings), 1 = the audit failed.

.EXAMPLE
    pwsh -File Invoke-NightlyClusterAudit.ps1 -Context prod-eu, prod-us -ReportDirectory /var/reports/k8s
#>
[CmdletBinding()]
param(
    # Kubeconfig contexts to audit (in parallel); the current context when omitted.
    [string[]] $Context,

    [string] $Kubeconfig,

    [Parameter(Mandatory)]
    [string] $ReportDirectory,

    [ValidateSet('Critical', 'High', 'Medium', 'Low', 'Info')]
    [string] $FailOnSeverity = 'High',

    [ValidateSet('Baseline', 'Restricted')]
    [string] $PodSecurityLevel = 'Baseline',

    # Keep this many runs (JSON + HTML pairs); older ones are removed.
    [ValidateRange(1, 3650)]
    [int] $Keep = 30
)

$ErrorActionPreference = 'Stop'
Import-Module K8sSecurity

try {
    New-Item -ItemType Directory -Path $ReportDirectory -Force | Out-Null
    $stamp = [DateTime]::UtcNow.ToString('yyyyMMdd-HHmmss')
    $json = Join-Path $ReportDirectory "audit-$stamp.json"
    $html = Join-Path $ReportDirectory "audit-$stamp.html"
    $latest = Join-Path $ReportDirectory 'latest.json'

    $auditParameters = @{ PodSecurityLevel = $PodSecurityLevel; OutputPath = $json; ErrorVariable = 'unreachable'; ErrorAction = 'Continue' }
    if ($Context) { $auditParameters.Context = $Context }
    if ($Kubeconfig) { $auditParameters.Kubeconfig = $Kubeconfig }

    # One pass per cluster; an unreachable cluster is an error record, the others complete.
    $results = Invoke-K8sSecurityAudit @auditParameters
    $null = $results | Export-K8sSecurityReport -Format Html -Path $html -Title "Nightly Kubernetes audit $stamp"

    foreach ($summary in $results | Where-Object { $_.PSTypeNames -contains 'K8sSecurity.Engine.Audit.AuditSummary' }) {
        Write-Output ("{0}: score {1}/100 ({2}), {3} findings (Critical {4}, High {5})" -f
            $summary.Cluster, $summary.Score, $summary.Grade, $summary.TotalFindings, $summary.Critical, $summary.High)
    }

    $exitCode = 0
    if ($unreachable) {
        Write-Warning "$($unreachable.Count) cluster(s) could not be audited: $($unreachable -join '; ')"
        $exitCode = 1
    }

    if (Test-Path -LiteralPath $latest) {
        $changes = Compare-K8sSecurityAudit -Reference $latest -Difference $json -ExcludeUnchanged
        $resolved = @($changes | Where-Object Status -EQ 'Resolved')
        $new = @($changes | Where-Object { $_.Status -eq 'New' -and $_.Severity -ge $FailOnSeverity })
        Write-Output "$($resolved.Count) finding(s) resolved since the previous run."
        foreach ($change in $new) {
            Write-Warning "NEW $($change.Severity) $($change.Id) [$($change.Cluster)] $($change.Resource): $($change.Message)"
        }
        if ($new.Count -gt 0) { $exitCode = 2 }
    }
    else {
        Write-Output 'First run: no previous results to compare with.'
    }

    Copy-Item -LiteralPath $json -Destination $latest -Force

    # Retention: keep the newest $Keep runs.
    Get-ChildItem -LiteralPath $ReportDirectory -Filter 'audit-*.json' | Sort-Object Name -Descending | Select-Object -Skip $Keep |
        ForEach-Object { Remove-Item -LiteralPath $_.FullName, ($_.FullName -replace '\.json$', '.html') -ErrorAction SilentlyContinue }

    exit $exitCode
}
catch {
    Write-Error "Audit runbook failed: $_" -ErrorAction Continue
    exit 1
}
