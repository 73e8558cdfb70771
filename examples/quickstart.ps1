# K8sSecurity quick start: runs offline on the bundled examples, no cluster needed.
#   dotnet tool restore && dotnet pwsh ./build.ps1 -Task Demo     (builds the module, then runs this script)
#   pwsh -File examples/quickstart.ps1                             (pwsh 7.6+, after ./build.ps1)
param(
    # Where the throwaway CA, sammy's key, certificate and kubeconfig, and the reports go.
    [string] $WorkDirectory = [IO.Path]::Combine([IO.Path]::GetTempPath(), 'k8ssecurity-quickstart')
)
$ErrorActionPreference = 'Stop'
$repo = [IO.Path]::GetFullPath([IO.Path]::Combine($PSScriptRoot, '..'))
Import-Module ([IO.Path]::Combine($repo, 'out', 'K8sSecurity'))
[IO.Directory]::CreateDirectory($WorkDirectory) | Out-Null
# Each step writes through Out-Default itself, so headings and tables appear in order with their own views.
function Write-Step([string] $Text) { "`n== $Text" | Out-Default }

Write-Step '1. Scan the bundled manifests: Pod Security Standards (restricted, v1.36) and best practices'
$scan = Test-K8sPodSecurity -Path ([IO.Path]::Combine($repo, 'examples', 'manifests'))
$scan | Out-Default

Write-Step '2. Why the first non-compliant workload fails (one row per failed check)'
Test-K8sPodSecurity -Path ([IO.Path]::Combine($repo, 'examples', 'manifests', 'insecure-deployment.yaml')) -Detailed |
    Where-Object Status -eq 'Failed' | Out-Default

Write-Step '3. Write the scan as SARIF (for GitHub code scanning) and as a self-contained HTML page'
foreach ($report in 'scan.sarif', 'scan.html') {
    $path = [IO.Path]::Combine($WorkDirectory, $report)
    $scan | Export-K8sSecurityReport -Path $path -Force | Out-Default
}

Write-Step '4. Issue a client certificate for sammy (group developers) from a throwaway CA, with its kubeconfig'
$ca = New-K8sCertificateAuthority -OutputDirectory $WorkDirectory -Name quickstart-ca -KeyAlgorithm EcdsaP256 -Force
$kubeconfig = [IO.Path]::Combine($WorkDirectory, 'sammy.kubeconfig')
New-K8sUserCertificate -UserName sammy -Group developers -KeyAlgorithm EcdsaP256 -OutputDirectory $WorkDirectory `
    -CACertificatePath $ca.Path -CAKeyPath $ca.KeyPath -ValidityDays 30 `
    -KubeconfigPath $kubeconfig -Server 'https://k8s.example.com:6443' -Force | Out-Default

Write-Step '5. What that kubeconfig holds, and the health of the certificates (30-day warning)'
Get-K8sKubeconfig -Path $kubeconfig | Out-Default
Get-K8sCertificate -Path $WorkDirectory | Test-K8sCertificate -CACertificatePath $ca.Path | Out-Default
