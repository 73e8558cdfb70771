# Tab completion as a user gets it: TabExpansion2 on a typed command line, offline and against the API test server.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-StagedManifest) -Force
    $server = Start-TestServer -Seed flawed -Clean 1 -Flawed 1
    # No kubeconfig anywhere: offline completion must not wait for or need a cluster.
    $savedKubeconfig = $env:KUBECONFIG
    $env:KUBECONFIG = Join-Path (New-TestDirectory) 'no-such-config'
    $work = New-TestDirectory
    Push-Location $work
    # Files that a file-name completion would offer.
    New-Item -ItemType File -Path (Join-Path $work 'editor-notes.txt'), (Join-Path $work 'view.yaml') | Out-Null

    function Complete([string] $line) {
        (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches
    }
}

AfterAll {
    Pop-Location
    $env:KUBECONFIG = $savedKubeconfig
    $server | Stop-TestServer
}

Describe '-Verb' {
    It 'completes API verbs and RBAC special verbs' {
        (Complete 'New-K8sPolicyRule -Verb de').CompletionText | Should -Be @('delete', 'deletecollection')
        (Complete 'Test-K8sAccess -Verb imp').CompletionText | Should -Be @('impersonate')
        (Complete 'New-K8sRole r -Verb get,li').CompletionText | Should -Be @('list')
    }
}

Describe '-Resource' {
    It 'offline, completes from the built-in table: core resources, subresources and resource.group' {
        (Complete 'New-K8sPolicyRule -Verb get -Resource pods/').CompletionText | Should -Contain 'pods/exec'
        (Complete 'New-K8sPolicyRule -Verb get -Resource deploy').CompletionText | Should -Contain 'deployments.apps'
        (Complete 'New-K8sPolicyRule -Verb get -Resource certificatesigningrequests').CompletionText |
            Should -Contain 'certificatesigningrequests.certificates.k8s.io/approval'
        (Complete 'Test-K8sAccess get -Resource secr').ListItemText | Should -Be @('secrets')
    }

    It 'from the cluster''s discovery when -Kubeconfig reaches one' {
        $matches = Complete "Test-K8sAccess get -Kubeconfig '$($server.Kubeconfig)' -Resource rolebind"
        $matches.CompletionText | Should -Contain 'rolebindings.rbac.authorization.k8s.io'
        $matches[0].ToolTip | Should -Be 'discovered'
        (Complete "Test-K8sAccess get -Kubeconfig '$($server.Kubeconfig)' -Resource secr")[0].ToolTip | Should -Be 'discovered'
    }
}

Describe '-ClusterRole and -Role' {
    It 'offline, -ClusterRole offers the default roles and never file names' {
        (Complete 'Grant-K8sRole -User sammy -ClusterRole ').CompletionText | Should -Be @('admin', 'cluster-admin', 'edit', 'view')
        (Complete 'Grant-K8sRole -User sammy -ClusterRole vi').CompletionText | Should -Be @('view')
        $none = Complete 'Grant-K8sRole -User sammy -ClusterRole edito'
        $none.CompletionText | Should -Not -Contain './editor-notes.txt'
        $none.CompletionText | Should -Be @('edito')
    }

    It 'against the cluster, -ClusterRole lists its ClusterRoles and -Role the Roles of -Namespace' {
        (Complete "Grant-K8sRole -Kubeconfig '$($server.Kubeconfig)' -User sammy -ClusterRole anon").CompletionText | Should -Be @('anonymous-pod-lister')
        (Complete "Grant-K8sRole -Kubeconfig '$($server.Kubeconfig)' -User sammy -Namespace clean-00 -Role conf").CompletionText | Should -Be @('config-reader')
    }

    It 'New-K8sClusterRole -AggregateTo offers the aggregating default roles' {
        (Complete 'New-K8sClusterRole widgets -Verb get -Resource widgets -AggregateTo ed').CompletionText | Should -Be @('edit')
    }
}

Describe 'Other completers' {
    It '-Context completes from -Kubeconfig' {
        (Complete "Get-K8sContext -Kubeconfig '$($server.Kubeconfig)' -Name te").CompletionText | Should -Be @('test')
    }

    It '-Namespace completes from the cluster' {
        (Complete "Get-K8sNamespaceQuota -Kubeconfig '$($server.Kubeconfig)' -Namespace clean").CompletionText | Should -Be @('clean-00')
    }

    It '-ExcludeCheck completes check ids' {
        (Complete 'Test-K8sPodSecurity -Path . -ExcludeCheck PSS-BASELINE-PRIV').CompletionText | Should -Be @('PSS-BASELINE-PRIVILEGED')
    }
}
