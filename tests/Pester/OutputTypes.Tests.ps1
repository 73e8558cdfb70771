# Every output type, made by running the cmdlets (tests/Pester/OutputSamples.ps1): its default view at 80 and 120
# columns, and round trips through Select-Object, Sort-Object, Group-Object, Export-Csv and ConvertTo-Json.
BeforeDiscovery {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-StagedManifest) -Force
    # Every type a cmdlet declares with [OutputType].
    $types = @(Get-Command -Module K8sSecurity | ForEach-Object { $_.OutputType.Name } |
        Where-Object { $_ -like 'K8sSecurity.*' } | Sort-Object -Unique | ForEach-Object { @{ TypeName = $_ } })
    # Every table view of the format files, with its column labels.
    $views = foreach ($file in Get-ChildItem (Join-Path (Get-RepoRoot) 'src' 'K8sSecurity' 'Formats') -Filter *.format.ps1xml) {
        foreach ($view in ([xml] (Get-Content -Raw $file.FullName)).Configuration.ViewDefinitions.View) {
            if ($view.TableControl) {
                @{
                    View     = $view.Name
                    TypeName = $view.ViewSelectedBy.TypeName
                    Labels   = @($view.TableControl.TableHeaders.TableColumnHeader | ForEach-Object Label)
                }
            }
        }
    }
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-Module (Get-StagedManifest) -Force
    $PSStyle.OutputRendering = 'PlainText'
    $server = Start-TestServer -Seed flawed -Clean 2 -Flawed 4
    $work = New-TestDirectory
    $samples = & (Join-Path $PSScriptRoot 'OutputSamples.ps1') -Kubeconfig $server.Kubeconfig -WorkDirectory $work 3>$null
    $declared = @(Get-Command -Module K8sSecurity | ForEach-Object { $_.OutputType.Name } | Where-Object { $_ -like 'K8sSecurity.*' } | Sort-Object -Unique)
}

AfterAll { $server | Stop-TestServer }

Describe 'The samples' {
    It 'cover every declared output type' {
        $declared | Where-Object { -not $samples.Contains($_) } | Should -BeNullOrEmpty
    }
}

Describe 'Default view <View>' -ForEach $views {
    BeforeAll {
        $objects = @($samples[$TypeName])
        function Get-HeaderLine([string] $text) {
            # The header is the line above the first line of dashes.
            $lines = $text -split '\r?\n'
            $dashes = [array]::FindIndex($lines, [Predicate[string]] { param($l) $l -match '^-{2,}(\s+-+)*\s*$' })
            if ($dashes -lt 1) { return '' }
            $lines[$dashes - 1]
        }
    }

    It 'has samples' {
        $objects.Count | Should -BeGreaterThan 0
    }

    It 'shows every column, each label whole, at <_> columns' -ForEach 80, 120 {
        $width = $_
        $text = $objects | Out-String -Width $width
        $header = Get-HeaderLine $text
        foreach ($label in $Labels) {
            $header | Should -Match "(^|\s)$([regex]::Escape($label))(\s|$)" -Because "column $label must fit in $width columns:`n$text"
        }
        ($text -split '\r?\n' | Where-Object { $_.TrimEnd().Length -gt $width }) | Should -BeNullOrEmpty
    }
}

Describe 'Pipeline round trips of <TypeName>' -ForEach $types {
    BeforeAll {
        $objects = @($samples[$TypeName])
        $properties = @($objects[0].PSObject.Properties | Where-Object MemberType -In 'Property', 'NoteProperty', 'ScriptProperty' | ForEach-Object Name)
        $scalar = @($properties | Where-Object {
                $value = $objects[0].$_
                $null -ne $value -and ($value -is [string] -or $value -is [ValueType])
            })
    }

    It 'Select-Object * keeps every property' {
        $selected = $objects | Select-Object *
        @($selected[0].PSObject.Properties.Name) | Should -Be $properties
    }

    It 'Sort-Object and Group-Object work on its properties' {
        foreach ($name in $scalar) {
            @($objects | Sort-Object -Property $name).Count | Should -Be $objects.Count
            (@($objects | Group-Object -Property $name) | Measure-Object Count -Sum).Sum | Should -Be $objects.Count
        }
    }

    It 'Export-Csv and Import-Csv keep rows, columns and scalar values' {
        $csv = Join-Path $work "$TypeName.csv"
        $objects | Export-Csv -LiteralPath $csv -NoTypeInformation
        $rows = @(Import-Csv -LiteralPath $csv)
        $rows.Count | Should -Be $objects.Count
        @($rows[0].PSObject.Properties.Name) | Should -Be $properties
        foreach ($name in $scalar) {
            $rows[0].$name | Should -Be ([string] $objects[0].$name) -Because "column $name"
        }
    }

    It 'ConvertTo-Json and back keeps the property names and scalar values, and no secret' {
        $json = $objects | ConvertTo-Json -Depth 5 -WarningAction SilentlyContinue
        $json | Should -Not -Match 'sample-password'
        $json | Should -Not -Match 'BEGIN (EC |RSA )?PRIVATE KEY'
        $back = @($json | ConvertFrom-Json)
        $back.Count | Should -Be $objects.Count
        @($back[0].PSObject.Properties.Name) | Should -Be $properties
        foreach ($name in $scalar | Where-Object { $objects[0].$_ -is [string] -or $objects[0].$_ -is [int] -or $objects[0].$_ -is [bool] }) {
            $back[0].$name | Should -Be $objects[0].$name -Because "property $name"
        }
    }
}
