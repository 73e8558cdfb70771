# What scripts and people meet in real pwsh: -WhatIf and -Confirm, $ErrorActionPreference = 'Stop', the exit codes
# of `pwsh -File` gates and of the nightly runbook, and the parameter rules every cmdlet shares.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-StagedManifest) -Force
    $repo = Get-RepoRoot
    $manifests = Join-Path $repo 'examples' 'manifests'
    $server = Start-TestServer -Seed flawed -Clean 1 -Flawed 1
    $kubeconfig = $server.Kubeconfig
    $modulePath = (Join-Path $repo 'out') + [IO.Path]::PathSeparator + $env:PSModulePath
    $work = New-TestDirectory

    # Runs a script file in a fresh pwsh that finds K8sSecurity by name; the arguments follow -File.
    function Invoke-Script([string] $Text, [object[]] $Arguments = @(), [string] $InputText, [switch] $Interactive) {
        $file = Join-Path (New-TestDirectory) 'script.ps1'
        Set-Content -LiteralPath $file -Value $Text
        Invoke-Pwsh (@('-File', $file) + @($Arguments | ForEach-Object { [string] $_ })) -Environment @{ PSModulePath = $modulePath } -InputText $InputText -Interactive:$Interactive
    }
}

AfterAll { $server | Stop-TestServer }

Describe '-WhatIf and -Confirm' {
    It 'every cmdlet that changes state offers -WhatIf and -Confirm' {
        $changing = Get-Command -Module K8sSecurity | Where-Object Verb -In 'New', 'Set', 'Remove', 'Grant', 'Revoke', 'Approve', 'Deny', 'Receive', 'Export'
        $changing | Where-Object { -not ($_.Parameters.ContainsKey('WhatIf') -and $_.Parameters.ContainsKey('Confirm')) } |
            ForEach-Object Name | Where-Object { $_ -ne 'New-K8sPolicyRule' } | Should -BeNullOrEmpty
    }

    It '-WhatIf says what would happen and changes nothing' {
        $run = Invoke-Script @'
param($Kubeconfig)
$ErrorActionPreference = 'Stop'
Grant-K8sRole -Kubeconfig $Kubeconfig -ClusterRole view -User whatif-user -Namespace clean-00 -WhatIf
"bindings: $(@(Get-K8sRoleBinding -Kubeconfig $Kubeconfig -Subject whatif-user).Count)"
'@ $kubeconfig
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $run.Output | Should -Match 'What if: .*whatif-user'
        $run.Output | Should -Match 'bindings: 0'
    }

    It '-Confirm asks, and "N" leaves the object, "Y" removes it' {
        New-K8sNetworkPolicy -Kubeconfig $kubeconfig -Namespace clean-00 -Name confirm-me -DefaultDeny Ingress | Out-Null
        $script = @'
param($Kubeconfig)
Remove-K8sNetworkPolicy -Kubeconfig $Kubeconfig -Namespace clean-00 -Name confirm-me -Confirm
"left: $(@(Get-K8sNetworkPolicy -Kubeconfig $Kubeconfig -Namespace clean-00 -Name confirm-me -ErrorAction SilentlyContinue).Count)"
'@
        $no = Invoke-Script $script $kubeconfig -InputText "N`n" -Interactive
        $no.Output | Should -Match 'Are you sure you want to perform this action\?'
        $no.Output | Should -Match 'left: 1'
        $yes = Invoke-Script $script $kubeconfig -InputText "Y`n" -Interactive
        $yes.Output | Should -Match 'left: 0'
    }

    It 'a high-impact removal asks even without -Confirm' {
        New-K8sNetworkPolicy -Kubeconfig $kubeconfig -Namespace clean-00 -Name ask-me -DefaultDeny Ingress | Out-Null
        $run = Invoke-Script @'
param($Kubeconfig)
Remove-K8sNetworkPolicy -Kubeconfig $Kubeconfig -Namespace clean-00 -Name ask-me
"left: $(@(Get-K8sNetworkPolicy -Kubeconfig $Kubeconfig -Namespace clean-00 -Name ask-me -ErrorAction SilentlyContinue).Count)"
'@ $kubeconfig -InputText "N`n" -Interactive
        $run.Output | Should -Match 'Are you sure'
        $run.Output | Should -Match 'left: 1'
    }
}

Describe "`$ErrorActionPreference = 'Stop'" {
    It 'per-item errors go on by default and stop the pipeline under Stop, with the stable error id' {
        $run = Invoke-Script @'
param($Kubeconfig)
$names = 'no-such-csr-1', 'no-such-csr-2'
$continued = @(); Deny-K8sCertificateRequest -Kubeconfig $Kubeconfig -Name $names -ErrorAction SilentlyContinue -ErrorVariable continued
"continued: $($continued.Count)"
$ErrorActionPreference = 'Stop'
try { Deny-K8sCertificateRequest -Kubeconfig $Kubeconfig -Name $names; 'not stopped' }
catch { "stopped: $($_.FullyQualifiedErrorId)" }
'@ $kubeconfig
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $run.Output | Should -Match 'continued: 2'
        $run.Output | Should -Match 'stopped: K8sNotFound'
        $run.Output | Should -Not -Match 'not stopped'
    }

    It 'a script under Stop ends at the first error with exit code 1 and the message on stderr' {
        $run = Invoke-Script @'
$ErrorActionPreference = 'Stop'
Get-K8sCertificate -Path ./does-not-exist.crt
'after'
'@
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Not -Match 'after'
        $run.Errors | Should -Match 'does-not-exist\.crt'
    }
}

Describe 'Exit codes of pwsh -File gates' {
    BeforeAll {
        $gate = @'
param([string[]] $Path)
$ErrorActionPreference = 'Stop'
Assert-K8sPodSecurity -Path $Path -Level Baseline -Severity High | Out-Null
'gate passed'
'@
    }

    It 'exits 0 when the manifests pass' {
        $run = Invoke-Script $gate (Join-Path $manifests 'secure-deployment.yaml')
        $run.ExitCode | Should -Be 0 -Because $run.Errors
        $run.Output | Should -Match 'gate passed'
    }

    It 'exits 1 and names the violation when a manifest fails' {
        $run = Invoke-Script $gate (Join-Path $manifests 'insecure-deployment.yaml')
        $run.ExitCode | Should -Be 1
        $run.Output | Should -Not -Match 'gate passed'
        $run.Errors | Should -Match 'PSS-BASELINE-PRIVILEGED'
    }

    It 'fails closed: a missing manifest is a failure, never a pass' {
        $run = Invoke-Script $gate (Join-Path $work 'no-such-folder')
        $run.ExitCode | Should -Not -Be 0
        $run.Output | Should -Not -Match 'gate passed'
    }

    # Issue 11: what a real kube-apiserver denies at Baseline, and inputs that are no evidence of compliance, all fail the
    # gate, in a script without $ErrorActionPreference = 'Stop' too (a failed gate ends the script, like throw). Expect
    # is a pattern; under Stop an unreadable file is a warning and the gate's one error lists it.
    It 'exits 1 for <Case>' -ForEach @(
        @{ Case = 'privileged: yes (YAML 1.1 true, denied at baseline)'; Text = "apiVersion: v1`nkind: Pod`nmetadata: {name: p, namespace: team}`nspec:`n  containers:`n  - name: c`n    image: registry.example.com/c:1`n    securityContext: {privileged: yes}`n"; Expect = 'PSS-BASELINE-PRIVILEGED' }
        @{ Case = 'hostNetwork: on'; Text = "apiVersion: v1`nkind: Pod`nmetadata: {name: p, namespace: team}`nspec:`n  hostNetwork: on`n  containers: [{name: c, image: registry.example.com/c:1}]`n"; Expect = 'PSS-BASELINE-HOSTNAMESPACES' }
        @{ Case = 'two documents concatenated without ---'; Text = "apiVersion: v1`nkind: Pod`nmetadata: {name: p, namespace: team}`nspec: {containers: [{name: c, image: registry.example.com/c:1, securityContext: {privileged: true}}]}`napiVersion: v1`nkind: Pod`nmetadata: {name: q, namespace: team}`nspec: {containers: [{name: c, image: registry.example.com/c:1}]}`n"; Expect = 'duplicate key' }
        @{ Case = 'an empty file'; Text = ''; Expect = 'no Kubernetes object was found' }
        @{ Case = 'a file that cannot be parsed'; Text = "apiVersion: v1`nkind: Pod`nmetadata: {name: [unclosed`n"; Expect = 'Cannot read|could not be read' }
    ) {
        $file = Join-Path (New-TestDirectory) 'manifest.yaml'
        Set-Content -LiteralPath $file -Value $Text -NoNewline
        $lenient = "param([string[]] `$Path)`nAssert-K8sPodSecurity -Path `$Path -Level Baseline -Profile PodSecurityStandards | Out-Null`n'gate passed'"
        foreach ($script in $gate, $lenient) {
            $run = Invoke-Script $script $file
            $run.ExitCode | Should -Be 1 -Because ($run.Output + $run.Errors)
            $run.Output | Should -Not -Match 'gate passed'
            $run.Errors | Should -Match $Expect
        }
    }

    It 'exits 1 when the cluster it should scan cannot be reached, without $ErrorActionPreference = ''Stop'' too' {
        $down = Join-Path $work 'assert-down-config'
        (Get-Content -Raw $kubeconfig) -replace 'server: *"?https://127\.0\.0\.1:\d+"?', 'server: "https://127.0.0.1:1"' | Set-Content $down
        $live = "param([string] `$Kubeconfig)`nAssert-K8sPodSecurity -Kubeconfig `$Kubeconfig -AllNamespaces | Out-Null`n'gate passed'"
        $run = Invoke-Script $live $down
        $run.ExitCode | Should -Be 1 -Because ($run.Output + $run.Errors)
        $run.Output | Should -Not -Match 'gate passed'
        (($run.Errors -join "`n") -replace '\s*\n\s*\|?\s*', ' ') | Should -Match 'Pod Security gate failed: The scan could not be completed'
    }

    It 'gates Test-K8sPodSecurity results piped into it, and exits 1 when one of them violates' {
        $piped = "param([string[]] `$Path)`nTest-K8sPodSecurity -Path `$Path -Level Baseline -Profile PodSecurityStandards | Assert-K8sPodSecurity | Out-Null`n'gate passed'"
        $pass = Invoke-Script $piped (Join-Path $manifests 'secure-deployment.yaml')
        $pass.ExitCode | Should -Be 0 -Because $pass.Errors
        $pass.Output | Should -Match 'gate passed'
        $fail = Invoke-Script $piped (Join-Path $manifests 'insecure-deployment.yaml')
        $fail.ExitCode | Should -Be 1
        $fail.Errors | Should -Match 'PSS-BASELINE-PRIVILEGED'
        $fail.Errors | Should -Not -Match 'Cannot scan the pipeline object'
    }

    It 'the nightly runbook exits 0 on its first run, 2 on a new high finding, 1 when a cluster cannot be audited' {
        $runbook = Join-Path $repo 'examples' 'runbooks' 'Invoke-NightlyClusterAudit.ps1'
        $reports = Join-Path $work 'reports'
        $first = Invoke-Pwsh @('-File', $runbook, '-Kubeconfig', $kubeconfig, '-ReportDirectory', $reports) -Environment @{ PSModulePath = $modulePath }
        $first.ExitCode | Should -Be 0 -Because "$($first.Output)`n$($first.Errors)"
        $first.Output | Should -Match 'First run'

        # A new cluster-admin grant to a person: a new Critical finding.
        Grant-K8sRole -Kubeconfig $kubeconfig -ClusterRole cluster-admin -User mallory@example.com | Out-Null
        $second = Invoke-Pwsh @('-File', $runbook, '-Kubeconfig', $kubeconfig, '-ReportDirectory', $reports) -Environment @{ PSModulePath = $modulePath }
        $second.ExitCode | Should -Be 2 -Because "$($second.Output)`n$($second.Errors)"
        $second.Output + $second.Errors | Should -Match 'NEW Critical RBAC-WILDCARD-ADMIN'

        $down = Join-Path $work 'down-config'
        (Get-Content -Raw $kubeconfig) -replace 'server: *"?https://127\.0\.0\.1:\d+"?', 'server: "https://127.0.0.1:1"' | Set-Content $down
        $third = Invoke-Pwsh @('-File', $runbook, '-Kubeconfig', $down, '-ReportDirectory', (Join-Path $work 'reports-down')) -Environment @{ PSModulePath = $modulePath }
        $third.ExitCode | Should -Be 1 -Because "$($third.Output)`n$($third.Errors)"
    }
}

# Issue 11 item 4: Invoke-K8sSecurityAudit -FailOn is a gate that fails closed, in a script under Stop and in a plain one
# (a failed gate ends the script, like throw). The duplicate-key file is Test-K8sPodSecurity's: kubectl keeps only the
# Deployment, whose findings alone are below High (KubernetesSpellingGateTests and AuditGateCmdletTests check that
# against kubectl's decoding); the gate fails on the keys kubectl drops.
Describe 'Exit codes of pwsh -File audit gates' {
    BeforeAll {
        $strict = @'
param([string[]] $Path)
$ErrorActionPreference = 'Stop'
Invoke-K8sSecurityAudit -Path $Path -FailOn High | Out-Null
'gate passed'
'@
        $plain = "param([string[]] `$Path)`nInvoke-K8sSecurityAudit -Path `$Path -FailOn High -Summary | Out-Null`n'gate passed'"
    }

    It 'exits 0 for clean manifests, in both scripts' {
        foreach ($script in $strict, $plain) {
            $run = Invoke-Script $script (Join-Path $manifests 'secure-deployment.yaml')
            $run.ExitCode | Should -Be 0 -Because ($run.Output + $run.Errors)
            $run.Output | Should -Match 'gate passed'
        }
    }

    It 'exits 1 for <Case>' -ForEach @(
        @{ Case = 'a High finding'; Text = "apiVersion: v1`nkind: Pod`nmetadata: {name: p, namespace: team}`nspec:`n  containers:`n  - name: c`n    image: registry.example.com/c:1`n    securityContext: {privileged: true}`n"; Expect = 'at or above High.*PSS-BASELINE-PRIVILEGED' }
        @{ Case = 'a file that cannot be parsed'; Text = "apiVersion: v1`nkind: Pod`nmetadata: {name: [unclosed`n"; Expect = 'manifest\.yaml' }
        @{ Case = 'a privileged Pod and a Deployment concatenated without ---'; Text = "apiVersion: v1`nkind: Pod`nmetadata:`n  name: root-shell`n  namespace: team`nspec:`n  containers:`n  - name: shell`n    image: busybox:1.36`n    securityContext: {privileged: true}`napiVersion: apps/v1`nkind: Deployment`nmetadata:`n  name: web`n  namespace: team`nspec:`n  template:`n    spec:`n      containers:`n      - name: web`n        image: registry.example.com/web:1.0`n"; Expect = 'duplicate key' }
        @{ Case = 'an empty file'; Text = ''; Expect = 'no Kubernetes object' }
        # The API server stores it (type kubernetes.io/tls only needs the keys); openssl x509 cannot load the certificate.
        @{ Case = 'a TLS Secret whose certificate cannot be read'; Text = "apiVersion: v1`nkind: Secret`nmetadata: {name: web-tls, namespace: team}`ntype: kubernetes.io/tls`ndata:`n  tls.crt: $([Convert]::ToBase64String([Text.Encoding]::ASCII.GetBytes("-----BEGIN CERTIFICATE-----`nQ0FOQVJZ`n-----END CERTIFICATE-----`n")))`n  tls.key: `"`"`n"; Expect = 'Certificates could not read secret team/web-tls key tls\.crt .*no certificate openssl x509 could load' }
        @{ Case = 'a TLS Secret with an empty tls.crt'; Text = "apiVersion: v1`nkind: Secret`nmetadata: {name: web-tls, namespace: team}`ntype: kubernetes.io/tls`ndata: {tls.crt: `"`", tls.key: `"`"}`n"; Expect = 'secret team/web-tls key tls\.crt .*the value is empty' }
    ) {
        $file = Join-Path (New-TestDirectory) 'manifest.yaml'
        Set-Content -LiteralPath $file -Value $Text -NoNewline
        foreach ($script in $strict, $plain) {
            $run = Invoke-Script $script $file
            $run.ExitCode | Should -Be 1 -Because ($run.Output + $run.Errors)
            $run.Output | Should -Not -Match 'gate passed'
            # The console's error view wraps the message: compare it as one line.
            (($run.Errors -join "`n") -replace '\s*\n\s*\|?\s*', ' ') | Should -Match $Expect
        }
    }

    It 'exits 1 when a category named in -Category had nothing to check, and 0 when it was not named' {
        $file = Join-Path $manifests 'secure-deployment.yaml'
        foreach ($script in $strict, $plain) {
            $named = Invoke-Script ($script -replace '-FailOn High', '-FailOn High -Category PodSecurity, Certificates') $file
            $named.ExitCode | Should -Be 1 -Because ($named.Output + $named.Errors)
            $named.Output | Should -Not -Match 'gate passed'
            (($named.Errors -join "`n") -replace '\s*\n\s*\|?\s*', ' ') | Should -Match 'Certificates was asked for \(-Category\) but had nothing to check: no client certificate'
        }
    }

    It 'exits 1 when the results file cannot be written: refused before the audit, or failing at the end' {
        $dir = New-TestDirectory
        $blocker = Join-Path $dir 'blocker'
        Set-Content -LiteralPath $blocker -Value 'a file where a folder should be'
        $file = Join-Path $manifests 'secure-deployment.yaml'
        $withOutput = "param([string[]] `$Path, [string] `$Out)`nInvoke-K8sSecurityAudit -Path `$Path -FailOn High -Summary -OutputPath `$Out | Out-Null`n'gate passed'"
        $refused = Invoke-Script $withOutput @($file, (Join-Path $blocker 'audit.json'))
        $refused.ExitCode | Should -Be 1 -Because ($refused.Output + $refused.Errors)
        $refused.Output | Should -Not -Match 'gate passed'
        (($refused.Errors -join "`n") -replace '\s*\n\s*\|?\s*', ' ') | Should -Match 'Security audit gate failed .*is a file, not a folder'

        # A folder takes the file's place while the audit runs: the write at the end fails, and so does the gate.
        $target = Join-Path $dir 'audit.json'
        $racing = "param([string] `$Path, [string] `$Out, [string] `$Kubeconfig)`n& { [pscustomobject]@{ Kubeconfig = `$Kubeconfig }; New-Item -ItemType Directory -Path `$Out | Out-Null } | Invoke-K8sSecurityAudit -Path `$Path -OutputPath `$Out -Category PodSecurity -FailOn High | Out-Null`n'gate passed'"
        $late = Invoke-Script $racing @($file, $target, $kubeconfig)
        $late.ExitCode | Should -Be 1 -Because ($late.Output + $late.Errors)
        $late.Output | Should -Not -Match 'gate passed'
        (($late.Errors -join "`n") -replace '\s*\n\s*\|?\s*', ' ') | Should -Match 'the results file \(-OutputPath\) was not written'
        @(Get-ChildItem -LiteralPath $dir -Force).Name | Sort-Object | Should -Be @('audit.json', 'blocker')
    }

    It 'under Stop, an unreadable input still leaves the results file, and the gate error lists it' {
        $dir = New-TestDirectory
        Copy-Item (Join-Path $manifests 'secure-deployment.yaml') $dir
        Set-Content -LiteralPath (Join-Path $dir 'broken.yaml') -Value "apiVersion: v1`nkind: Pod`nmetadata: {name: [unclosed`n"
        $json = Join-Path (New-TestDirectory) 'audit.json'
        $script = "param([string[]] `$Path, [string] `$Out)`n`$ErrorActionPreference = 'Stop'`nInvoke-K8sSecurityAudit -Path `$Path -FailOn High -OutputPath `$Out | Out-Null`n'gate passed'"
        $run = Invoke-Script $script @($dir, $json)
        $run.ExitCode | Should -Be 1 -Because ($run.Output + $run.Errors)
        $run.Output | Should -Not -Match 'gate passed'
        (($run.Errors -join "`n") -replace '\s*\n\s*\|?\s*', ' ') | Should -Match 'Security audit gate failed \(-FailOn High\): 1 input\(s\) could not be read.*broken\.yaml'
        $json | Should -Exist
        (Get-Content -Raw $json | ConvertFrom-Json).summaries[0].inputProblems | Should -Match 'broken\.yaml'
    }

    It 'the Deployment kubectl keeps of the duplicate-key file passes on its own: the keys it drops are what fails the gate' {
        $dir = New-TestDirectory
        $kept = Join-Path $dir 'web.yaml'
        Set-Content -LiteralPath $kept -Value "apiVersion: apps/v1`nkind: Deployment`nmetadata:`n  name: web`n  namespace: team`nspec:`n  template:`n    spec:`n      containers:`n      - name: web`n        image: registry.example.com/web:1.0`n"
        $run = Invoke-Script $plain $kept
        $run.ExitCode | Should -Be 0 -Because ($run.Output + $run.Errors)
    }
}

Describe 'Parameters every cmdlet shares' {
    It 'the CA certificate is -CACertificatePath everywhere, with the alias -CertificateAuthorityPath' {
        $ca = foreach ($command in Get-Command -Module K8sSecurity) {
            foreach ($parameter in $command.Parameters.Values | Where-Object { $_.Name -cmatch 'CertificateAuthority|^CA[A-Z]' -and $_.Name -ne 'CAKeyPath' }) {
                [pscustomobject]@{ Command = $command.Name; Name = $parameter.Name; Aliases = $parameter.Aliases -join ',' }
            }
        }
        $ca.Command | Sort-Object | Should -Be @('New-K8sCertificate', 'New-K8sKubeconfig', 'New-K8sUserCertificate', 'Test-K8sCertificate')
        $ca | Where-Object { $_.Name -ne 'CACertificatePath' -or $_.Aliases -ne 'CertificateAuthorityPath' } | Should -BeNullOrEmpty
    }

    It 'a certificate for system:masters from a local CA needs -Force, like approving one' {
        $ca = New-K8sCertificateAuthority -OutputDirectory $work -Name masters-ca -KeyAlgorithm EcdsaP256 -Force
        $refused = $null
        New-K8sUserCertificate -UserName root -Group system:masters -OutputDirectory $work -CACertificatePath $ca.Path -CAKeyPath $ca.KeyPath -KeyAlgorithm EcdsaP256 -ErrorAction SilentlyContinue -ErrorVariable refused | Out-Null
        $refused.FullyQualifiedErrorId | Should -BeLike 'K8sInvalidArgument*'
        Join-Path $work 'root.key' | Should -Not -Exist
        $issued = New-K8sUserCertificate -UserName root -Group system:masters -OutputDirectory $work -CACertificatePath $ca.Path -CAKeyPath $ca.KeyPath -KeyAlgorithm EcdsaP256 -Force
        $issued.Status | Should -Be 'Issued'
        & openssl x509 -in $issued.CertificatePath -noout -subject | Should -Match 'O = system:masters'
    }

    It 'every cmdlet links its online help' {
        Get-Command -Module K8sSecurity | Where-Object { -not $_.HelpUri } | ForEach-Object Name | Should -BeNullOrEmpty
    }
}

Describe 'Help examples that filter, run as written' {
    It 'Get-K8sKubeconfig example 1 lists the credentials that expire within 30 days, not tokens and exec plugins' {
        # DaysRemaining is empty for users without a certificate, and $null -lt 30 is true in PowerShell: the example
        # used to list every token and exec user as "expiring".
        $dir = New-TestDirectory
        $ca = New-K8sCertificateAuthority -OutputDirectory $dir -Name expiry-ca -KeyAlgorithm EcdsaP256 -Force
        $cluster = @{ Server = 'https://k8s.example.com:6443'; CACertificatePath = $ca.Path }
        New-K8sUserCertificate -UserName soon -OutputDirectory $dir -CACertificatePath $ca.Path -CAKeyPath $ca.KeyPath -KeyAlgorithm EcdsaP256 `
            -ValidityDays 10 -KubeconfigPath (Join-Path $dir 'soon.kubeconfig') -Server $cluster.Server -Force | Out-Null
        New-K8sUserCertificate -UserName later -OutputDirectory $dir -CACertificatePath $ca.Path -CAKeyPath $ca.KeyPath -KeyAlgorithm EcdsaP256 `
            -ValidityDays 200 -KubeconfigPath (Join-Path $dir 'later.kubeconfig') -Server $cluster.Server -Force | Out-Null
        New-K8sKubeconfig -Path (Join-Path $dir 'token.kubeconfig') -Token (ConvertTo-SecureString 'not-a-real-token' -AsPlainText -Force) -UserName robot @cluster | Out-Null
        New-K8sKubeconfig -Path (Join-Path $dir 'oidc.kubeconfig') -OidcIssuerUrl https://login.example.com -OidcClientId kubernetes -UserName oidc @cluster | Out-Null

        $example = ((Get-Help Get-K8sKubeconfig -Examples).examples.example | Select-Object -First 1).code -join "`n"
        $saved = $env:KUBECONFIG
        try {
            $env:KUBECONFIG = @('soon', 'later', 'token', 'oidc' | ForEach-Object { Join-Path $dir "$_.kubeconfig" }) -join [IO.Path]::PathSeparator
            $listed = @(Invoke-Expression $example)
        }
        finally {
            $env:KUBECONFIG = $saved
        }
        $listed.Name | Should -Be @('soon') -Because "example: $example"
    }
}
