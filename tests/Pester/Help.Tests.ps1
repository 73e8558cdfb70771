# Get-Help as users read it in real pwsh: every cmdlet's full help, its online link, the about topics, and that
# markdown tables and lists arrive as lists and aligned columns rather than raw markdown.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $cmdlets = @((Import-PowerShellDataFile (Join-Path (Get-RepoRoot) 'K8sSecurity.psd1')).CmdletsToExport | ForEach-Object { @{ Name = $_ } })
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-StagedManifest) -Force
    $projectUri = (Import-PowerShellDataFile (Join-Path (Get-RepoRoot) 'K8sSecurity.psd1')).PrivateData.PSData.ProjectUri
    $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
}

Describe 'Get-Help <Name> -Full' -ForEach $cmdlets {
    BeforeAll {
        $help = Get-Help $Name -Full
        $text = $help | Out-String -Width 80
        $command = Get-Command $Name
    }

    It 'has a synopsis and a description of its own' {
        $help.Synopsis | Should -Not -BeNullOrEmpty
        $help.Synopsis | Should -Not -Match "^\s*$([regex]::Escape($Name))\s+\[" -Because 'a synopsis that is the syntax means the help was not found'
        ($help.description.Text -join ' ') | Should -Not -BeNullOrEmpty
    }

    It 'describes every parameter' {
        foreach ($parameter in $command.Parameters.Keys | Where-Object { $_ -notin $common }) {
            $described = $help.parameters.parameter | Where-Object name -EQ $parameter
            ($described.description.Text -join ' ') | Should -Not -BeNullOrEmpty -Because "-$parameter needs a description"
        }
    }

    It 'has at least two examples, each with code' {
        @($help.examples.example).Count | Should -BeGreaterOrEqual 2
        foreach ($example in $help.examples.example) { $example.code | Should -Match $Name.Split('-')[1].Substring(0, 3) }
    }

    It 'links online to its markdown help in the project repository' {
        $command.HelpUri | Should -Be "$projectUri/blob/main/docs/$Name.md"
        Join-Path (Get-RepoRoot) 'docs' "$Name.md" | Should -Exist
        ($help.relatedLinks.navigationLink | Where-Object uri).uri | Should -Contain $command.HelpUri
    }

    # Get-Help does not show a parameter's valid values; the markdown help does ("Accepted values:" in each parameter's
    # block) and must not drift from what the command accepts: the enum's names or the ValidateSet, in their order.
    It 'lists the accepted values of every enum and ValidateSet parameter exactly as the command accepts them' {
        $markdown = Get-Content -Raw -LiteralPath (Join-Path (Get-RepoRoot) 'docs' "$Name.md")
        $sections = @{}
        foreach ($section in [regex]::Matches($markdown, '(?ms)^### -(?<name>\S+)\s*$(?<body>.*?)(?=^##)')) {
            $sections[$section.Groups['name'].Value] = $section.Groups['body'].Value
        }
        foreach ($parameter in $command.Parameters.Values | Where-Object { $_.Name -notin $common }) {
            $type = $parameter.ParameterType
            if ($type.IsArray) { $type = $type.GetElementType() }
            if ([Nullable]::GetUnderlyingType($type)) { $type = [Nullable]::GetUnderlyingType($type) }
            $set = $parameter.Attributes | Where-Object { $_ -is [System.Management.Automation.ValidateSetAttribute] } | Select-Object -First 1
            $expected = if ($set) { @($set.ValidValues) } elseif ($type.IsEnum) { @([enum]::GetNames($type)) } else { continue }
            $sections.ContainsKey($parameter.Name) | Should -BeTrue -Because "-$($parameter.Name) needs a section in $Name.md"
            $line = [regex]::Match($sections[$parameter.Name], '(?m)^Accepted values:[ \t]*(?<values>.*?)\s*$')
            $line.Success | Should -BeTrue -Because "-$($parameter.Name) accepts only $($expected -join ', '): its block in $Name.md needs an 'Accepted values:' line"
            @($line.Groups['values'].Value -split ',\s*' | Where-Object { $_ }) | Should -Be $expected -Because "-$($parameter.Name)'s 'Accepted values:' in $Name.md"
        }
    }

    It 'renders at 80 columns without raw markdown' {
        $text | Should -Not -Match '\|\s*---'
        $text | Should -Not -Match '```'
        $text | Should -Not -Match '(?m)^\s*\|.*\|\s*$' -Because 'markdown tables become lists'
    }
}

Describe 'Long id lists in parameter help' {
    It 'shows -ExcludeCheck''s ids one per line with title, severity and versions' {
        $text = Get-Help Test-K8sPodSecurity -Parameter ExcludeCheck | Out-String -Width 120
        $text | Should -Match '(?m)^\s*- PSS-BASELINE-PRIVILEGED: Privileged containers \(Severity: Critical; Applies: Baseline, v1\.0\+\)\s*$'
        $text | Should -Match '(?m)^\s*- PSS-RESTRICTED-RUNASNONROOT: Running as non-root \(Severity: High;'
    }
}

Describe 'About topics' {
    It 'about_K8sSecurity_Audit shows its CATEGORIES as a table' {
        $text = Get-Help about_K8sSecurity_Audit | Out-String -Width 80
        $text | Should -Match '(?m)^    Category\s+What it checks\s*$'
        $text | Should -Match '(?m)^    -{8}\s+-{14}\s*$'
        foreach ($category in [enum]::GetNames((Get-Command Invoke-K8sSecurityAudit).Parameters['Category'].ParameterType.GetElementType())) {
            $text | Should -Match "(?m)^    $category\s{2,}\S" -Because "$category is a row of the table"
        }
        $text | Should -Not -Match '(?m)^\s*\|' -Because 'no markdown table row is left'
        ($text -split '\r?\n' | Where-Object Length -GT 80) | Should -BeNullOrEmpty
    }

    It 'lists SEE ALSO entries one per line' {
        $text = Get-Help about_K8sSecurity_Audit | Out-String
        $text | Should -Match '(?m)^    - Invoke-K8sSecurityAudit\s*$'
        $text | Should -Match '(?m)^    - Compare-K8sSecurityAudit\s*$'
    }

    It 'about_K8sSecurity is found by name' {
        (Get-Help about_K8sSecurity | Out-String) | Should -Match 'Kubernetes security chores'
    }
}
