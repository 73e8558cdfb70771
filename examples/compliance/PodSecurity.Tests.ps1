#Requires -Modules K8sSecurity
<#
.SYNOPSIS
    Pester 5 compliance suite: the workloads of a repository (or a cluster dump) meet the Pod Security Standards and
    the team's best practices.
.EXAMPLE
    Invoke-Pester ./examples/compliance/PodSecurity.Tests.ps1 -Output Detailed
.EXAMPLE
    $container = New-PesterContainer -Path ./examples/compliance/PodSecurity.Tests.ps1 -Data @{
        Path = './deploy'; Level = 'Restricted'; Version = 'v1.33'; AllowedRegistry = 'registry.example.com' }
    Invoke-Pester -Container $container -CI
#>
param(
    # Manifest files or folders to check.
    [string[]] $Path = @("$PSScriptRoot/../manifests/secure-deployment.yaml"),
    # Pod Security Standards level and version the namespaces enforce.
    [ValidateSet('Baseline', 'Restricted')]
    [string] $Level = 'Restricted',
    [string] $Version = 'latest',
    # Registries images may come from.
    [string[]] $AllowedRegistry = @('registry.example.com'),
    # Lowest acceptable score (0-100) per workload.
    [int] $MinimumScore = 80
)

BeforeDiscovery {
    # One Describe block per workload, named after it.
    $workloads = Test-K8sPodSecurity -Path $Path -Level $Level -Version $Version -AllowedRegistry $AllowedRegistry |
        ForEach-Object { @{ Kind = $_.Kind; Name = $_.Name; Source = $_.Source; Scan = $_ } }
}

Describe 'Manifests under test' {
    It 'contain workloads' {
        Test-K8sPodSecurity -Path $Path -Profile PodSecurityStandards | Should -Not -BeNullOrEmpty
    }

    It 'are admitted by PodSecurity enforce=<Level>' -ForEach @{ Level = $Level } {
        (Test-K8sPodSecurity -Path $Path -Level $Level -Version $Version -Profile PodSecurityStandards).Compliant |
            Should -Not -Contain $false
    }
}

Describe '<Kind>/<Name>' -ForEach $workloads {
    It 'runs no privileged container and shares no host namespace' {
        $Scan.Violations.CheckId | Should -Not -Contain 'PSS-BASELINE-PRIVILEGED'
        $Scan.Violations.CheckId | Should -Not -Contain 'PSS-BASELINE-HOSTNAMESPACES'
    }

    It 'cannot escalate privileges and runs as non-root' {
        $Scan.Violations.CheckId | Should -Not -Contain 'PSS-RESTRICTED-ALLOWPRIVILEGEESCALATION'
        $Scan.Violations.CheckId | Should -Not -Contain 'PSS-RESTRICTED-RUNASNONROOT'
    }

    It 'pulls images only from the allowed registries, pinned by digest' {
        $Scan.Violations.CheckId | Should -Not -Contain 'BP-IMAGE-REGISTRY'
        $Scan.Violations.CheckId | Should -Not -Contain 'BP-IMAGE-DIGEST'
    }

    It 'sets resource requests and limits' {
        $Scan.Violations.CheckId | Should -Not -Contain 'BP-RESOURCES-REQUESTS'
        $Scan.Violations.CheckId | Should -Not -Contain 'BP-RESOURCES-LIMITS'
    }

    It 'scores at least the minimum' {
        $Scan.Score | Should -BeGreaterOrEqual $MinimumScore -Because "$Source has: $($Scan.Violations.Title -join ', ')"
    }

    It 'documents every exception with a reason' {
        $Scan.Results | Where-Object Status -eq 'Skipped' | ForEach-Object {
            $_.SkipReason | Should -Not -Match 'no reason given'
        }
    }
}
