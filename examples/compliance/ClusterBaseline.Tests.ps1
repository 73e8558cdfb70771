#Requires -Version 7.6
#Requires -Modules @{ ModuleName = 'Pester'; ModuleVersion = '5.0.0' }, K8sSecurity
<#
.SYNOPSIS
    Cluster baseline as a Pester 5 suite: no privileged pods, every namespace has a quota, limits and a default-deny
    policy, no cluster-admin for humans, no rights for anonymous users, no certificate expiring within 30 days.

.DESCRIPTION
    Run it against the current context, another context or a manifest dump:
        Invoke-Pester ./ClusterBaseline.Tests.ps1 -Output Detailed
        $c = New-PesterContainer -Path ./ClusterBaseline.Tests.ps1 -Data @{ Context = 'prod' }; Invoke-Pester -Container $c
        $c = New-PesterContainer -Path ./ClusterBaseline.Tests.ps1 -Data @{ Path = './cluster-dump.yaml' }; Invoke-Pester -Container $c
    One audit feeds every test (each kind is listed once). The findings these assertions rely on (rule ids below) are
    covered by the module's own tests against a seeded test cluster. Offline (-Path) the RBAC assertions hold too: the
    audit adds the cluster's default RBAC policy (cluster-admin, admin, edit, view, system:*) that a folder of manifests
    never contains, so a binding to cluster-admin or view in the folder fails them as it would on the cluster.
#>
param(
    [string] $Context,
    [string] $Kubeconfig,
    [string] $Path,
    [string] $PkiPath,
    [int] $CertificateWarningDays = 30
)

BeforeDiscovery {
    $script:namespaceChecks = @(
        @{ Rule = 'NS-NO-QUOTA'; What = 'a ResourceQuota' }
        @{ Rule = 'NS-NO-LIMITRANGE'; What = 'a LimitRange' }
        @{ Rule = 'NS-NO-DEFAULT-DENY'; What = 'a default-deny NetworkPolicy' }
    )
}

BeforeAll {
    $audit = @{ CertificateWarningDays = $CertificateWarningDays; Category = 'PodSecurity', 'Rbac', 'Namespaces', 'Certificates' }
    if ($Path) { $audit.Path = $Path } else {
        if ($Context) { $audit.Context = $Context }
        if ($Kubeconfig) { $audit.Kubeconfig = $Kubeconfig }
    }
    if ($PkiPath) { $audit.PkiPath = $PkiPath }

    $script:findings = @(Invoke-K8sSecurityAudit @audit -ErrorAction Stop |
        Where-Object { $_.PSTypeNames -contains 'K8sSecurity.Engine.Audit.AuditFinding' })

    function Format-Finding($finding) { "$($finding.Resource) [$($finding.Namespace)]: $($finding.Message)" }
}

Describe 'Cluster baseline' {
    Context 'Workloads' {
        It 'runs no privileged containers' {
            $privileged = $findings | Where-Object Id -EQ 'PSS-BASELINE-PRIVILEGED'
            $privileged | ForEach-Object { Format-Finding $_ } | Should -BeNullOrEmpty
        }
    }

    Context 'Namespaces' {
        It 'every namespace has <What>' -ForEach $namespaceChecks {
            $missing = $findings | Where-Object Id -EQ $Rule
            $missing | ForEach-Object { $_.Namespace } | Should -BeNullOrEmpty
        }
    }

    Context 'RBAC' {
        It 'grants cluster-admin to no human user or group' {
            $humans = $findings | Where-Object { $_.Id -eq 'RBAC-WILDCARD-ADMIN' -and $_.Evidence['subjectKind'] -match 'User|Group' }
            $humans | ForEach-Object { "$($_.Resource): $($_.Evidence['subject'])" } | Should -BeNullOrEmpty
        }

        It 'gives unauthenticated users no rights beyond the defaults' {
            $anonymous = $findings | Where-Object Id -EQ 'RBAC-ANONYMOUS'
            $anonymous | ForEach-Object { "$($_.Resource): $($_.Evidence['subject']) $($_.Evidence['rule'])" } | Should -BeNullOrEmpty
        }
    }

    Context 'Certificates' {
        It "has no certificate expired or expiring within $CertificateWarningDays days" {
            $expiring = $findings | Where-Object Id -In 'CERT-EXPIRED', 'CERT-EXPIRING'
            $expiring | ForEach-Object { "$($_.Resource) ($($_.Evidence['notAfter']))" } | Should -BeNullOrEmpty
        }
    }
}
