<#
.SYNOPSIS
    Real output of every K8sSecurity output type, made by running the cmdlets as users do: offline on the bundled
    examples and a throwaway CA, and against the API test server (its kubeconfig, seeded with the flawed cluster).
    Returns a dictionary: output type name -> the objects (as PSObjects, in the order the cmdlets wrote them).
    Dot-source it with the module imported: $samples = & ./OutputSamples.ps1 -Kubeconfig $k -WorkDirectory $d
#>
param(
    [Parameter(Mandatory)] [string] $Kubeconfig,
    [Parameter(Mandatory)] [string] $WorkDirectory
)
$ErrorActionPreference = 'Stop'
$repo = [IO.Path]::GetFullPath((Join-Path $PSScriptRoot '..' '..'))
$manifests = Join-Path $repo 'examples' 'manifests'
$cluster = @{ Kubeconfig = $Kubeconfig }
$samples = [ordered]@{}
function Add-Sample {
    param([Parameter(ValueFromPipeline)] $InputObject)
    process {
        $name = $InputObject.PSObject.TypeNames[0]
        if (-not $samples.Contains($name)) { $samples[$name] = [System.Collections.Generic.List[object]]::new() }
        $samples[$name].Add($InputObject)
    }
}

# Connection
Get-K8sContext @cluster | Add-Sample
Connect-K8sCluster @cluster | Add-Sample
Disconnect-K8sCluster

# Identity: a local CA, certificates, a CSR on the cluster, kubeconfigs
$ca = New-K8sCertificateAuthority -OutputDirectory $WorkDirectory -Name samples-ca -KeyAlgorithm EcdsaP256 -Force
$ca | Add-Sample
New-K8sCertificate -Component ApiServer -CACertificatePath $ca.Path -CAKeyPath $ca.KeyPath -OutputDirectory $WorkDirectory `
    -DnsName api.example.com -IPAddress 10.96.0.1 -KeyAlgorithm EcdsaP256 -Force | Add-Sample
New-K8sUserCertificate -UserName sammy -Group developers, qa -KeyAlgorithm EcdsaP256 -OutputDirectory $WorkDirectory `
    -CACertificatePath $ca.Path -CAKeyPath $ca.KeyPath -ValidityDays 20 -KubeconfigPath (Join-Path $WorkDirectory 'sammy.kubeconfig') `
    -Server https://k8s.example.com:6443 -Force | Add-Sample
New-K8sUserCertificate @cluster -UserName jordan -Group developers -KeyAlgorithm EcdsaP256 -Submit -OutputDirectory $WorkDirectory -Force | Add-Sample
Get-K8sCertificateRequest @cluster | Add-Sample
Get-K8sKubeconfig -Path $Kubeconfig, (Join-Path $WorkDirectory 'sammy.kubeconfig') | Add-Sample
Get-K8sCertificate -Path $WorkDirectory | Test-K8sCertificate -CACertificatePath $ca.Path | Add-Sample

# Authorization
New-K8sPolicyRule -Verb get, list, watch -Resource pods, pods/log | Add-Sample
New-K8sRole @cluster -Name pod-reader -Namespace team-00 -Verb get, list -Resource pods -Force | Add-Sample
Get-K8sRole @cluster -Name admin, view | Add-Sample
Grant-K8sRole @cluster -ClusterRole view -User sammy -Group qa -Namespace team-00 | Add-Sample
Get-K8sRoleBinding @cluster -Namespace team-00 | Add-Sample
Test-K8sAccess @cluster -Verb get -Resource pods -User sammy -Namespace team-00 | Add-Sample
Find-K8sSubject @cluster -Verb get -Resource secrets -Namespace team-01 | Add-Sample
Get-K8sEffectivePermission @cluster -User sammy -Namespace team-00 | Add-Sample
# The default resources: their longest names must not push a verb column out of the table.
Get-K8sAccessMatrix @cluster -User sammy -Namespace team-00 | Add-Sample
Find-K8sRbacRisk @cluster | Add-Sample
New-K8sServiceAccount @cluster -Name reporter -Namespace team-00 -Force | Add-Sample
Get-K8sServiceAccount @cluster -Namespace team-01 | Add-Sample
Set-K8sWorkloadServiceAccount @cluster -Kind Deployment -Name svc-00 -ServiceAccount reporter -Namespace team-00 | Add-Sample
$credential = [pscredential]::new('robot', (ConvertTo-SecureString 'sample-password' -AsPlainText -Force))
New-K8sRegistrySecret @cluster -Name registry-pull -Server registry.example.com -Credential $credential -ServiceAccount reporter -Namespace team-00 -Force | Add-Sample
New-K8sServiceAccountToken @cluster -ServiceAccount reporter -Namespace team-00 -Duration (New-TimeSpan -Minutes 30) | Add-Sample

# Guardrails
Set-K8sNamespaceQuota @cluster -Namespace team-00 -Pods 20 -RequestsCpu 4 -RequestsMemory 8Gi | Add-Sample
Get-K8sNamespaceQuota @cluster -AllNamespaces | Add-Sample
Set-K8sLimitRange @cluster -Namespace team-01 -MaxCpu 2 -MaxMemory 4Gi -DefaultRequestCpu 100m -DefaultRequestMemory 128Mi | Add-Sample
Get-K8sLimitRange @cluster -AllNamespaces | Add-Sample
# All three modes and the warnings of team-02's pods (host namespaces violate Baseline): every column at 80.
Set-K8sNamespacePodSecurity @cluster -Namespace team-02 -Enforce Baseline -Audit Restricted -Warn Restricted -WarningAction SilentlyContinue | Add-Sample
Get-K8sNamespaceSecurity @cluster -AllNamespaces | Add-Sample
'team-00', 'team-01', 'team-02', 'team-03', 'clean-00' | ForEach-Object { Test-K8sNetworkPolicy @cluster -Unisolated -Namespace $_ } | Add-Sample
New-K8sNetworkPolicy @cluster -Namespace team-03 -DefaultDeny All -AllowDns | Add-Sample
Get-K8sNetworkPolicy @cluster -AllNamespaces | Add-Sample
Test-K8sNetworkPolicy @cluster -Namespace clean-00 -From @{ app = 'svc-00' } -To @{ app = 'svc-01' } -Port 8080 | Add-Sample
New-K8sSecureNamespace @cluster -Name samples-secure -Owner sammy | Add-Sample

# Scanning and reports
Test-K8sPodSecurity -Path $manifests | Add-Sample
Test-K8sPodSecurity -Path (Join-Path $manifests 'insecure-deployment.yaml') -Detailed | Add-Sample
Test-K8sPodSecurity -Path $manifests | Export-K8sSecurityReport -Path (Join-Path $WorkDirectory 'scan.sarif') -Force | Add-Sample

# Audit
$audit = @(Invoke-K8sSecurityAudit @cluster)
$audit | Add-Sample
$audit | Where-Object { $_.PSObject.TypeNames[0] -eq 'K8sSecurity.Engine.Audit.AuditSummary' } | ForEach-Object Categories | Add-Sample
$reference = Join-Path $WorkDirectory 'audit.json'
$audit | Export-K8sSecurityReport -Format Json -Path $reference -Force | Out-Null
Invoke-K8sSecurityAudit -Path $manifests | Compare-K8sSecurityAudit -Reference $reference | Add-Sample

# Hardening (offline files: the kubeadm node tree of the engine tests)
$node = Join-Path $PSScriptRoot '..' 'K8sSecurity.Engine.Tests' 'Hardening' 'NodeTrees' 'kubeadm'
Test-K8sNodeConfiguration -Path $node | Add-Sample
$encryption = Join-Path $WorkDirectory 'enc.yaml'
New-K8sEncryptionConfiguration -Path $encryption -Provider aesgcm | Add-Sample
Test-K8sEncryptionConfiguration -Path $encryption | Add-Sample
New-K8sAuditPolicy -Path (Join-Path $WorkDirectory 'audit-policy.yaml') | Add-Sample
Test-K8sAuditPolicy -Path (Join-Path $WorkDirectory 'audit-policy.yaml') | Add-Sample

$samples
