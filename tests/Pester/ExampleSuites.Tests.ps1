# examples/compliance/*.Tests.ps1 run under each real Pester of PesterVersions.psd1, in a fresh pwsh that finds
# K8sSecurity by name, against manifest folders and against the API test server. Passed/failed counts are asserted.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $versions = @((Get-PesterVersions).Examples | ForEach-Object { @{ PesterVersion = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $examples = Join-Path (Get-RepoRoot) 'examples'
    $podSecurity = Join-Path $examples 'compliance' 'PodSecurity.Tests.ps1'
    $baseline = Join-Path $examples 'compliance' 'ClusterBaseline.Tests.ps1'
}

Describe 'examples/compliance/PodSecurity.Tests.ps1 under Pester <PesterVersion>' -ForEach $versions {
    It 'passes all 8 tests on the secure example (its default)' {
        $run = Invoke-PesterSuite -PesterVersion $PesterVersion -Path $podSecurity
        $run.Version | Should -Be $PesterVersion
        $run.Failed.Path | Should -BeNullOrEmpty
        $run.Passed.Count | Should -Be 8 -Because $run.Output
        $run.Passed.Path | Should -Contain 'Deployment/storefront > scores at least the minimum'
        $run.Passed.Path | Should -Contain 'Manifests under test > are admitted by PodSecurity enforce=Restricted'
    }

    It 'fails exactly the tests the insecure examples break' {
        $run = Invoke-PesterSuite -PesterVersion $PesterVersion -Path $podSecurity -Data @{
            Path = Join-Path $examples 'manifests'; Level = 'Baseline'; AllowedRegistry = @('registry.example.com', 'quay.io')
        }
        $run.Tests.Count | Should -Be (2 + 5 * 6) -Because $run.Output
        $failed = $run.Failed.Path
        # Baseline denies the privileged build runner and the host-network debugging pod.
        $failed | Should -Contain 'Manifests under test > are admitted by PodSecurity enforce=Baseline'
        $failed | Should -Contain 'Deployment/build-runner > runs no privileged container and shares no host namespace'
        $failed | Should -Contain 'Pod/netshoot > runs no privileged container and shares no host namespace'
        $failed | Should -Contain 'Deployment/build-runner > pulls images only from the allowed registries, pinned by digest'
        # node-exporter shares host namespaces, but the ignore annotation gives the reason.
        $failed | Should -Not -Contain 'DaemonSet/node-exporter > runs no privileged container and shares no host namespace'
        $failed | Should -Not -Contain 'DaemonSet/node-exporter > documents every exception with a reason'
        $failed | Should -Not -Contain 'Deployment/storefront > scores at least the minimum'
        $score = $run.Failed | Where-Object Path -EQ 'Deployment/build-runner > scores at least the minimum'
        $score.Message | Should -Match 'insecure-deployment\.yaml:3 has: Privileged containers'
        # Each image without a digest fails the registry test (storefront is the only pinned one); netshoot and the
        # build runner also fail resources and score. Restricted-only tests pass at Baseline.
        $failed | Should -Contain 'CronJob/nightly-report > pulls images only from the allowed registries, pinned by digest'
        $failed | Should -Not -Contain 'Deployment/build-runner > cannot escalate privileges and runs as non-root'
        $run.Failed.Count | Should -Be 11 -Because ($failed -join "`n")
        $run.Passed.Count | Should -Be 21
    }
}

Describe 'examples/compliance/ClusterBaseline.Tests.ps1 under Pester <PesterVersion>' -ForEach $versions {
    BeforeAll {
        $flawed = Start-TestServer -Seed flawed -Clean 2 -Flawed 4
        $clean = Start-TestServer -Seed flawed -Clean 3 -Flawed 0
    }
    AfterAll {
        $flawed, $clean | Stop-TestServer
    }

    It 'passes all 7 tests on a cluster with every guardrail' {
        $run = Invoke-PesterSuite -PesterVersion $PesterVersion -Path $baseline -Data @{ Kubeconfig = $clean.Kubeconfig }
        $run.Failed.Path | Should -BeNullOrEmpty
        $run.Passed.Count | Should -Be 7 -Because $run.Output
    }

    It 'fails the tests whose rules the flawed cluster breaks, and only those' {
        $run = Invoke-PesterSuite -PesterVersion $PesterVersion -Path $baseline -Data @{ Kubeconfig = $flawed.Kubeconfig }
        $run.Tests.Count | Should -Be 7 -Because $run.Output
        # Which tests must fail follows from what the fixture planted (FlawedClusterFixture.Planted).
        $planted = $flawed.Planted.Id
        $expectedFailed = @(
            if ('PSS-BASELINE-PRIVILEGED' -in $planted) { 'Cluster baseline > Workloads > runs no privileged containers' }
            if ('NS-NO-QUOTA' -in $planted) { 'Cluster baseline > Namespaces > every namespace has a ResourceQuota' }
            if ('NS-NO-LIMITRANGE' -in $planted) { 'Cluster baseline > Namespaces > every namespace has a LimitRange' }
            if ('NS-NO-DEFAULT-DENY' -in $planted) { 'Cluster baseline > Namespaces > every namespace has a default-deny NetworkPolicy' }
            if ('RBAC-WILDCARD-ADMIN' -in $planted) { 'Cluster baseline > RBAC > grants cluster-admin to no human user or group' }
            if ('RBAC-ANONYMOUS' -in $planted) { 'Cluster baseline > RBAC > gives unauthenticated users no rights beyond the defaults' }
            if (@($planted | Where-Object { $_ -in 'CERT-EXPIRED', 'CERT-EXPIRING' })) { 'Cluster baseline > Certificates > has no certificate expired or expiring within 30 days' }
        )
        $expectedFailed.Count | Should -BeGreaterOrEqual 6 -Because 'four flawed namespaces plant one of each'
        @($run.Failed.Path | Sort-Object) | Should -Be @($expectedFailed | Sort-Object)
        $privileged = $run.Failed | Where-Object Path -Like '*privileged*'
        foreach ($issue in $flawed.Planted | Where-Object Id -EQ 'PSS-BASELINE-PRIVILEGED') {
            $privileged.Message | Should -Match ([regex]::Escape("$($issue.Resource) [$($issue.Namespace)]"))
        }
    }

    It 'fails the RBAC tests on a folder that binds default roles it does not contain (issue 12)' {
        # cluster-admin to User dave and Group ops, view to system:anonymous: the folder holds only the bindings, as
        # repositories of manifests do; the audit adds the cluster's default policy, so the suite fails as on a cluster.
        $folder = Join-Path (Get-RepoRoot) 'tests' 'TestData' 'rbac-folder'
        $run = Invoke-PesterSuite -PesterVersion $PesterVersion -Path $baseline -Data @{ Path = $folder }
        $failed = $run.Failed.Path
        $failed | Should -Contain 'Cluster baseline > RBAC > grants cluster-admin to no human user or group' -Because $run.Output
        $failed | Should -Contain 'Cluster baseline > RBAC > gives unauthenticated users no rights beyond the defaults'
        $admin = $run.Failed | Where-Object Path -Like '*cluster-admin*'
        $admin.Message | Should -Match 'dave'
        $admin.Message | Should -Match 'ops'
    }
}
