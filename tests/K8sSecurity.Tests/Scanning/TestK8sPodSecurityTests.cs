using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

public sealed class TestK8sPodSecurityTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    private static string Examples => Path.Combine(TestPaths.RepoRoot, "examples", "manifests");

    private const string InsecurePod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: root-shell
          namespace: dev
        spec:
          containers:
          - name: shell
            image: busybox:1.36
            securityContext: {privileged: true}
        """;

    [Fact]
    public void ScansAFolderWithOneVerdictPerWorkloadAndFileLineSources()
    {
        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] -AllowedRegistry registry.example.com, quay.io", Examples).AssertNoErrors();

        var byName = result.Output.ToDictionary(o => (string)o.Properties["Name"].Value);
        Assert.Equal(new[] { "build-runner", "netshoot", "nightly-report", "node-exporter", "storefront" }, byName.Keys.Order());
        Assert.Equal(true, byName["storefront"].Properties["Compliant"].Value);
        Assert.Equal(100, byName["storefront"].Properties["Score"].Value);
        Assert.Equal(false, byName["build-runner"].Properties["Compliant"].Value);
        Assert.Equal(Path.Combine(Examples, "insecure-deployment.yaml") + ":3", byName["build-runner"].Properties["Source"].Value);
        Assert.Equal("Deployment", byName["build-runner"].Properties["Kind"].Value);
        Assert.Equal("ci", byName["build-runner"].Properties["Namespace"].Value);
        Assert.Equal("Restricted", byName["build-runner"].Properties["Level"].Value.ToString());
        var violations = session.Invoke("$args[0].Violations | ForEach-Object { $_.CheckId }", byName["build-runner"]).AssertNoErrors().Output.Select(o => o.ToString()).ToList();
        Assert.Contains("PSS-BASELINE-PRIVILEGED", violations);
        Assert.Contains("PSS-RESTRICTED-RESTRICTEDVOLUMES", violations);
        Assert.Contains("BP-IMAGE-TAG", violations);
        Assert.Contains("BP-IMAGE-REGISTRY", violations);
    }

    [Fact]
    public void PesterStyleAssertionsWorkOnTheCompliantProperty()
    {
        var result = session.Invoke("""
            $scan = Test-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards
            [pscustomobject]@{ AnyNonCompliant = $scan.Compliant -contains $false; Count = @($scan).Count; Baseline = @($scan | Where-Object Compliant).Count }
            """, Examples).AssertNoErrors();
        var summary = Assert.Single(result.Output);
        Assert.Equal(true, summary.Properties["AnyNonCompliant"].Value);
        Assert.Equal(5, summary.Properties["Count"].Value);
        Assert.Equal(3, summary.Properties["Baseline"].Value); // storefront, nightly-report, node-exporter (host access ignored by annotation)
    }

    [Fact]
    public void WildcardsAndUnparsableFilesYieldPerFileErrorsAndTheScanGoesOn()
    {
        File.WriteAllText(Path.Combine(directory, "a-good.yaml"), InsecurePod);
        File.WriteAllText(Path.Combine(directory, "b-broken.yaml"), "apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels: [unclosed\n");
        File.WriteAllText(Path.Combine(directory, "c-good.yml"), InsecurePod.Replace("root-shell", "second", StringComparison.Ordinal));

        var result = session.Invoke("Test-K8sPodSecurity -Path ([IO.Path]::Combine($args[0], '*.y*ml')) -Profile PodSecurityStandards", directory);

        Assert.Equal(new[] { "root-shell", "second" }, result.Output.Select(o => (string)o.Properties["Name"].Value));
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("b-broken.yaml", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("at line 6", error.Exception.Message, StringComparison.Ordinal);
        Assert.Null(result.TerminatingError);
    }

    [Fact]
    public void MissingPathIsANonTerminatingFileSystemError()
    {
        File.WriteAllText(Path.Combine(directory, "pod.yaml"), InsecurePod);
        var result = session.Invoke("Test-K8sPodSecurity -Path ([IO.Path]::Combine($args[0], 'nope.yaml')), ([IO.Path]::Combine($args[0], 'pod.yaml'))", directory);
        Assert.StartsWith("K8sFileSystem,", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("nope.yaml", result.Errors[0].Exception.Message, StringComparison.Ordinal);
        Assert.Single(result.Output);
    }

    [Fact]
    public void PipelineTextArrivingLineByLineIsParsedAsOneStream()
    {
        // kubectl get deploy -A -o yaml | Test-K8sPodSecurity: a native command sends one string per line.
        string listYaml = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: web, namespace: shop}
              spec:
                template:
                  spec:
                    securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
                    containers:
                    - name: web
                      image: nginx:1.27
                      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: legacy, namespace: shop}
              spec:
                template:
                  spec:
                    containers:
                    - {name: app, image: nginx:1.27}
            """;
        var result = session.Invoke("$args[0].Split(\"`n\") | Test-K8sPodSecurity -Profile PodSecurityStandards", listYaml).AssertNoErrors();

        Assert.Equal(new[] { "web", "legacy" }, result.Output.Select(o => (string)o.Properties["Name"].Value));
        Assert.Equal(new object[] { true, false }, result.Output.Select(o => o.Properties["Compliant"].Value));
        Assert.Equal(new[] { "pipeline:4", "pipeline:15" }, result.Output.Select(o => (string)o.Properties["Source"].Value)); // each item's own line
    }

    [Fact]
    public void PipelineObjectsAreScannedAsKubernetesObjects()
    {
        var result = session.Invoke("""
            @{ apiVersion = 'v1'; kind = 'Pod'; metadata = @{ name = 'from-hashtable'; namespace = 'dev' }; spec = @{ hostPID = $true; containers = @(@{ name = 'c'; image = 'x:1' }) } },
            [pscustomobject]@{ apiVersion = 'v1'; kind = 'ConfigMap'; metadata = [pscustomobject]@{ name = 'not-a-workload' } } |
                Test-K8sPodSecurity -Level Baseline -Profile PodSecurityStandards -Verbose
            """).AssertNoErrors();

        var scan = Assert.Single(result.Output);
        Assert.Equal("from-hashtable", scan.Properties["Name"].Value);
        Assert.Equal(false, scan.Properties["Compliant"].Value);
        Assert.Equal("pipeline", scan.Properties["Source"].Value);
        Assert.Contains(result.Verbose, v => v.Contains("not-a-workload", StringComparison.Ordinal));
    }

    [Fact]
    public void UnusablePipelineObjectsAreNonTerminatingErrors()
    {
        var result = session.Invoke("42, [datetime]::Now | Test-K8sPodSecurity");
        Assert.Equal(2, result.Errors.Count);
        Assert.All(result.Errors, e => Assert.StartsWith("K8sInvalidArgument,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.Empty(result.Output);
    }

    [Fact]
    public void DetailedGivesPassedFailedAndSkippedRows()
    {
        File.WriteAllText(Path.Combine(directory, "pod.yaml"), InsecurePod);
        var result = session.Invoke(
            "Test-K8sPodSecurity -Path $args[0] -Detailed -Level Baseline -Profile PodSecurityStandards -ExcludeCheck PSS-BASELINE-HOSTPORTS",
            Path.Combine(directory, "pod.yaml")).AssertNoErrors();

        var rows = result.Output.ToDictionary(o => (string)o.Properties["CheckId"].Value, o => o.Properties["Status"].Value.ToString());
        Assert.Equal(12, rows.Count);
        Assert.Equal("Failed", rows["PSS-BASELINE-PRIVILEGED"]);
        Assert.Equal("Passed", rows["PSS-BASELINE-HOSTNAMESPACES"]);
        Assert.Equal("Skipped", rows["PSS-BASELINE-HOSTPORTS"]);
        var failed = result.Output.Single(o => (string)o.Properties["CheckId"].Value == "PSS-BASELINE-PRIVILEGED");
        Assert.Equal("privileged (container \"shell\" must not set securityContext.privileged=true)", failed.Properties["Message"].Value);
        Assert.Equal("root-shell", failed.Properties["Name"].Value);
    }

    [Fact]
    public void VersionSelectsTheVersionedChecks()
    {
        File.WriteAllText(Path.Combine(directory, "pod.yaml"), """
            apiVersion: v1
            kind: Pod
            metadata: {name: sysctl}
            spec:
              securityContext:
                sysctls: [{name: net.ipv4.ip_local_reserved_ports, value: "30000"}]
              containers: [{name: c, image: x:1}]
            """);
        var result = session.Invoke(
            "$file = $args[0]; 'v1.26', 'v1.27', 'latest' | ForEach-Object { (Test-K8sPodSecurity -Path $file -Level Baseline -Profile PodSecurityStandards -Version $_).Compliant }",
            Path.Combine(directory, "pod.yaml")).AssertNoErrors();
        Assert.Equal(new object[] { false, true, true }, result.Output.Select(o => o.BaseObject));
    }

    [Theory]
    [InlineData("-Version v1.37", "v1.37")]
    [InlineData("-ExcludeCheck PSS-NOT-A-CHECK", "PSS-NOT-A-CHECK")]
    public void InvalidParametersStopBeforeAnythingIsScanned(string parameters, string badValue)
    {
        var result = session.Invoke($"Test-K8sPodSecurity -Path $args[0] {parameters}", Examples);
        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sInvalidArgument,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(badValue, result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void PathBindsByPropertyNameFromFileObjects()
    {
        File.WriteAllText(Path.Combine(directory, "pod.yaml"), InsecurePod);
        var result = session.Invoke("[System.IO.FileInfo]::new($args[0]) | Test-K8sPodSecurity -Profile PodSecurityStandards", Path.Combine(directory, "pod.yaml")).AssertNoErrors();
        Assert.Equal("root-shell", Assert.Single(result.Output).Properties["Name"].Value);
    }

    [Fact]
    public void DefaultViewsRenderVerdictsAndGroupedChecks()
    {
        string table = session.Render("Test-K8sPodSecurity -Path $args[0]", Path.Combine(Examples, "insecure-deployment.yaml"));
        Assert.Contains("Compliant", table, StringComparison.Ordinal);
        Assert.Contains("build-runner", table, StringComparison.Ordinal);
        Assert.Matches(@"False\s+Deployment\s+ci\s+build-runner\s+\d+\s+\d+ Critical\s+insecure-deployment\.yaml:3", table);

        string detailed = session.Render("Test-K8sPodSecurity -Path $args[0] -Detailed", Path.Combine(Examples, "insecure-deployment.yaml"));
        Assert.Contains("Workload: Deployment/ci/build-runner", detailed, StringComparison.Ordinal);
        Assert.Contains("PSS-BASELINE-PRIVILEGED", detailed, StringComparison.Ordinal);
        Assert.Contains("Failed", detailed, StringComparison.Ordinal);
        Assert.Contains("Passed", detailed, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
