using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>
/// Runs examples/compliance/PodSecurity.Tests.ps1 in the hosted engine. Pester is not installed here, so a small
/// stand-in defines Describe/It/BeforeDiscovery/Should with Pester 5's semantics for the operators the suite uses;
/// the suite's own assertions run unchanged against real Test-K8sPodSecurity output.
/// </summary>
public sealed class ComplianceSuiteTests : IDisposable
{
    private const string PesterStandIn = """
        $global:PesterResults = [System.Collections.Generic.List[object]]::new()
        $global:PesterPath = [System.Collections.Generic.List[string]]::new()
        function Expand-Name([string] $name, $data) {
            if ($data -is [System.Collections.IDictionary]) { foreach ($k in $data.Keys) { $name = $name.Replace("<$k>", [string]$data[$k]) } }
            $name
        }
        function Describe([Parameter(Position = 0)] [string] $Name, [object[]] $ForEach = @($null), [Parameter(Position = 1)] [scriptblock] $Fixture) {
            foreach ($data in $ForEach) {
                $global:PesterPath.Add((Expand-Name $Name $data))
                & { param($data) if ($data -is [System.Collections.IDictionary]) { foreach ($k in $data.Keys) { $ExecutionContext.SessionState.PSVariable.Set($k, $data[$k]) } }; . $Fixture } $data
                $global:PesterPath.RemoveAt($global:PesterPath.Count - 1)
            }
        }
        function It([Parameter(Position = 0)] [string] $Name, [object[]] $ForEach = @($null), [Parameter(Position = 1)] [scriptblock] $Test) {
            foreach ($data in $ForEach) {
                $full = (@($global:PesterPath) + (Expand-Name $Name $data)) -join ' > '
                try {
                    & { param($data) if ($data -is [System.Collections.IDictionary]) { foreach ($k in $data.Keys) { $ExecutionContext.SessionState.PSVariable.Set($k, $data[$k]) } }; . $Test } $data
                    $global:PesterResults.Add([pscustomobject]@{ Name = $full; Passed = $true; Message = '' })
                } catch {
                    $global:PesterResults.Add([pscustomobject]@{ Name = $full; Passed = $false; Message = $_.Exception.Message })
                }
            }
        }
        function Should {
            param([Parameter(ValueFromPipeline)] $ActualValue, [switch] $Not, $Contain, [switch] $BeNullOrEmpty,
                  $BeGreaterOrEqual, $Match, $Be, $Because)
            begin { $items = [System.Collections.Generic.List[object]]::new() }
            process { $items.Add($ActualValue) }
            end {
                $actual = if ($items.Count -eq 1) { $items[0] } else { $items.ToArray() }
                if ($PSBoundParameters.ContainsKey('Contain')) { $ok = @($items | Where-Object { $_ -eq $Contain }).Count -gt 0; $what = "contain '$Contain'" }
                elseif ($BeNullOrEmpty) { $ok = $items.Count -eq 0 -or ($items.Count -eq 1 -and [string]::IsNullOrEmpty([string]$items[0])); $what = 'be null or empty' }
                elseif ($PSBoundParameters.ContainsKey('BeGreaterOrEqual')) { $ok = $actual -ge $BeGreaterOrEqual; $what = "be >= $BeGreaterOrEqual" }
                elseif ($PSBoundParameters.ContainsKey('Match')) { $ok = [string]$actual -match $Match; $what = "match '$Match'" }
                elseif ($PSBoundParameters.ContainsKey('Be')) { $ok = $actual -eq $Be; $what = "be '$Be'" }
                else { throw 'unsupported Should operator in the stand-in' }
                if ($Not) { $ok = -not $ok; $what = "not $what" }
                if (-not $ok) { throw "Expected '$actual' to $what$(if ($Because) { " because $Because" })." }
            }
        }
        """;

    private readonly PsSession session = new();

    private static string Suite => Path.Combine(TestPaths.RepoRoot, "examples", "compliance", "PodSecurity.Tests.ps1");

    private static string Examples => Path.Combine(TestPaths.RepoRoot, "examples", "manifests");

    public ComplianceSuiteTests() => session.Invoke(PesterStandIn).AssertNoErrors();

    private List<(string Name, bool Passed, string Message)> RunSuite(string arguments, params object[] args)
    {
        session.Invoke("$global:PesterResults.Clear()").AssertNoErrors();
        // Pester runs BeforeDiscovery in the script's scope and sets $PSScriptRoot; the stand-in does the same by
        // dot-sourcing that block and substituting the folder, then runs the suite text with its parameters.
        string text = File.ReadAllText(Suite)
            .Replace("BeforeDiscovery {", ". {", StringComparison.Ordinal)
            .Replace("$PSScriptRoot", Path.GetDirectoryName(Suite), StringComparison.Ordinal);
        session.Invoke($"& ([scriptblock]::Create($args[0])) {arguments}", new object[] { text }.Concat(args).ToArray()).AssertNoErrors();
        return session.Invoke("$global:PesterResults").AssertNoErrors().Output
            .Select(o => ((string)o.Properties["Name"].Value, (bool)o.Properties["Passed"].Value, (string)o.Properties["Message"].Value)).ToList();
    }

    [Fact]
    public void TheSecureExamplePassesEveryAssertion()
    {
        var results = RunSuite(string.Empty);
        Assert.Equal(8, results.Count);
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Name}: {r.Message}"));
        Assert.Contains(results, r => r.Name == "Deployment/storefront > scores at least the minimum");
        Assert.Contains(results, r => r.Name == "Manifests under test > are admitted by PodSecurity enforce=Restricted");
    }

    [Fact]
    public void TheInsecureExamplesFailTheRightAssertions()
    {
        var results = RunSuite("-Path $args[1] -Level Baseline -AllowedRegistry registry.example.com, quay.io", Examples);
        Assert.Equal(2 + (5 * 6), results.Count);
        var failed = results.Where(r => !r.Passed).Select(r => r.Name).ToHashSet();
        Assert.Contains("Manifests under test > are admitted by PodSecurity enforce=Baseline", failed);
        Assert.Contains("Deployment/build-runner > runs no privileged container and shares no host namespace", failed);
        Assert.Contains("Pod/netshoot > runs no privileged container and shares no host namespace", failed);
        Assert.Contains("Deployment/build-runner > pulls images only from the allowed registries, pinned by digest", failed);
        Assert.DoesNotContain("Deployment/storefront > scores at least the minimum", failed);
        Assert.DoesNotContain("DaemonSet/node-exporter > runs no privileged container and shares no host namespace", failed); // ignored with a reason
        Assert.DoesNotContain("DaemonSet/node-exporter > documents every exception with a reason", failed);
        var score = results.Single(r => r.Name == "Deployment/build-runner > scores at least the minimum");
        Assert.Contains("insecure-deployment.yaml:3 has: Privileged containers", score.Message, StringComparison.Ordinal);
    }

    public void Dispose() => session.Dispose();
}
