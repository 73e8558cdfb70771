#Requires -Version 7.4
<#
.SYNOPSIS
    Entry point of the in-cluster audit image: audits the cluster it runs in (service-account token), writes JSON
    results and the HTML report to -ReportDirectory, compares with the previous run and fails the Job when new
    findings at or above -FailOnNewSeverity appeared.
#>
[CmdletBinding()]
param(
    [string] $ReportDirectory = '/reports',
    [ValidateSet('Critical', 'High', 'Medium', 'Low', 'Info')]
    [string] $FailOnNewSeverity = 'High',
    [ValidateSet('Baseline', 'Restricted')]
    [string] $PodSecurityLevel = 'Baseline'
)

$ErrorActionPreference = 'Stop'
Import-Module K8sSecurity

$stamp = [DateTime]::UtcNow.ToString('yyyyMMdd-HHmmss')
$json = Join-Path $ReportDirectory "audit-$stamp.json"
$html = Join-Path $ReportDirectory "audit-$stamp.html"
$latest = Join-Path $ReportDirectory 'latest.json'

# No kubeconfig in the pod: the module uses the mounted service-account token and CA, like kubectl.
$results = Invoke-K8sSecurityAudit -PodSecurityLevel $PodSecurityLevel -OutputPath $json
$results | Export-K8sSecurityReport -Format Html -Path $html
$summary = $results | Where-Object { $_.PSTypeNames -contains 'K8sSecurity.Engine.Audit.AuditSummary' }
Write-Host "Audit score $($summary.Score)/100 ($($summary.Grade)): $($summary.TotalFindings) findings."

$exitCode = 0
if (Test-Path $latest) {
    $new = Compare-K8sSecurityAudit -Reference $latest -Difference $json |
        Where-Object { $_.Status -eq 'New' -and $_.Severity -ge $FailOnNewSeverity }
    foreach ($change in $new) {
        Write-Warning "NEW $($change.Severity) $($change.Id) $($change.Resource): $($change.Finding.Message)"
    }
    if ($new) { $exitCode = 2 }
}
Copy-Item -LiteralPath $json -Destination $latest -Force
exit $exitCode
