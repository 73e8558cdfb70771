@{
    # The single source of the module version: MSBuild reads it for every assembly.
    ModuleVersion        = '0.1.0'
    RootModule           = 'K8sSecurity.dll'
    GUID                 = '5b7f0c2e-8d3a-4c51-9a61-2f4e7d9c1a38'
    Author               = 'K8sSecurity contributors'
    CompanyName          = 'K8sSecurity contributors'
    Copyright            = '(c) K8sSecurity contributors. MIT License.'
    Description          = 'Kubernetes security chores as PowerShell cmdlets: user certificates and kubeconfigs, cluster PKI, RBAC grants and risk, service accounts, quotas, Pod Security Standards, network policies, workload scanning and cluster audits.'
    # What the tests run on: PowerShell 7.6 (the pinned .NET tool and the hosted engine), PowerShell Core only.
    PowerShellVersion    = '7.6'
    CompatiblePSEditions = @('Core')

    FormatsToProcess     = @(
        'K8sSecurity.Connection.format.ps1xml'
        'K8sSecurity.Identity.format.ps1xml'
        'K8sSecurity.Authorization.format.ps1xml'
        'K8sSecurity.Guardrails.format.ps1xml'
        'K8sSecurity.Scanning.format.ps1xml'
        'K8sSecurity.Audit.format.ps1xml'
        'K8sSecurity.Hardening.format.ps1xml'
    )

    # Every cmdlet is listed explicitly (a test keeps this list and the code in step).
    CmdletsToExport      = @(
        # Connection (foundation)
        'Connect-K8sCluster'
        'Disconnect-K8sCluster'
        'Get-K8sContext'

        # Identity: certificates, CSRs, kubeconfigs, PKI
        'New-K8sUserCertificate'
        'Get-K8sCertificateRequest'
        'Approve-K8sCertificateRequest'
        'Deny-K8sCertificateRequest'
        'Remove-K8sCertificateRequest'
        'Receive-K8sCertificate'
        'New-K8sKubeconfig'
        'Get-K8sKubeconfig'
        'New-K8sCertificateAuthority'
        'New-K8sCertificate'
        'Get-K8sCertificate'
        'Test-K8sCertificate'

        # Authorization: RBAC, access checks, service accounts, tokens, pull secrets
        'Grant-K8sRole'
        'Revoke-K8sRole'
        'New-K8sRole'
        'New-K8sClusterRole'
        'New-K8sPolicyRule'
        'Get-K8sRole'
        'Get-K8sRoleBinding'
        'Test-K8sAccess'
        'Get-K8sEffectivePermission'
        'Find-K8sSubject'
        'Get-K8sAccessMatrix'
        'Find-K8sRbacRisk'
        'New-K8sServiceAccount'
        'Get-K8sServiceAccount'
        'Set-K8sWorkloadServiceAccount'
        'New-K8sServiceAccountToken'
        'New-K8sRegistrySecret'

        # Guardrails: quotas, limit ranges, Pod Security labels, network policies
        'Set-K8sNamespaceQuota'
        'Get-K8sNamespaceQuota'
        'Remove-K8sNamespaceQuota'
        'Set-K8sLimitRange'
        'Get-K8sLimitRange'
        'Remove-K8sLimitRange'
        'Set-K8sNamespacePodSecurity'
        'Get-K8sNamespaceSecurity'
        'New-K8sNetworkPolicy'
        'Get-K8sNetworkPolicy'
        'Remove-K8sNetworkPolicy'
        'Test-K8sNetworkPolicy'
        'New-K8sSecureNamespace'

        # Scanning: workload Pod Security and reports
        'Test-K8sPodSecurity'
        'Assert-K8sPodSecurity'
        'Export-K8sSecurityReport'

        # Audit: cluster audit and comparison
        'Invoke-K8sSecurityAudit'
        'Compare-K8sSecurityAudit'

        # Hardening: encryption at rest, audit policy, control plane and node configuration
        'New-K8sEncryptionConfiguration'
        'Test-K8sEncryptionConfiguration'
        'New-K8sAuditPolicy'
        'Test-K8sAuditPolicy'
        'Test-K8sNodeConfiguration'
    )
    FunctionsToExport    = @()
    VariablesToExport    = @()
    AliasesToExport      = @()

    # What the PowerShell Gallery shows. ProjectUri is also where every cmdlet's HelpUri points (docs).
    PrivateData          = @{
        PSData = @{
            Tags         = @('Kubernetes', 'Security', 'RBAC', 'PKI', 'PodSecurity', 'Compliance', 'Audit', 'PSEdition_Core', 'Linux', 'Windows', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ProjectUri   = 'https://github.com/k8ssecurity/K8sSecurity'
            ReleaseNotes = 'Cmdlets for Kubernetes security chores: user certificates and kubeconfigs, cluster PKI, RBAC grants and risk, service accounts, quotas and limit ranges, Pod Security labels and network policies, workload scanning against the Pod Security Standards, cluster audits and reports. See https://github.com/k8ssecurity/K8sSecurity#readme.'
        }
    }
}
