# The README's main job: examples/quickstart.ps1 in a fresh pwsh, as `./build.ps1 -Task Demo` runs it.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $null = Get-StagedManifest
    $work = New-TestDirectory
    $run = Invoke-Pwsh @('-File', (Join-Path (Get-RepoRoot) 'examples' 'quickstart.ps1'), $work)
}

Describe 'examples/quickstart.ps1' {
    It 'exits 0 and writes nothing to standard error' {
        $run.Errors | Should -BeNullOrEmpty
        $run.ExitCode | Should -Be 0 -Because $run.Output
    }

    It 'shows the scan of the bundled manifests with its verdicts' {
        $run.Output | Should -Match 'False\s+Deployment\s+ci\s+build-runner'
        $run.Output | Should -Match 'True\s+Deployment\s+shop\s+storefront'
        $run.Output | Should -Match 'Failed\s+Critical\s+PSS-BASELINE-PRIVILEGED\s'
    }

    It 'issues sammy a certificate and a kubeconfig, and reports its 30-day expiry' {
        $run.Output | Should -Match 'sammy\s+developers\s+Issued'
        $run.Output | Should -Match 'ExpiringSoon\s+sammy'
        foreach ($file in 'scan.sarif', 'scan.html', 'sammy.key', 'sammy.crt', 'sammy.kubeconfig') {
            Join-Path $work $file | Should -Exist
        }
    }

    It 'never prints the private key' {
        $keyLine = (Get-Content (Join-Path $work 'sammy.key'))[1]
        $run.Output + $run.Errors | Should -Not -Match ([regex]::Escape($keyLine))
    }

    It 'writes the key 0600' -Skip:$IsWindows {
        (Get-Item (Join-Path $work 'sammy.key')).UnixFileMode | Should -Be ([IO.UnixFileMode] 'UserRead, UserWrite')
    }
}
