using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

public sealed class AssertK8sPodSecurityTests : IDisposable
{
    private readonly PsSession session = new();

    private static string Examples => Path.Combine(TestPaths.RepoRoot, "examples", "manifests");

    [Fact]
    public void FailingWorkloadsThrowOneTerminatingErrorListingEveryBlockingViolation()
    {
        var result = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards; 'not reached'", Examples);

        Assert.NotNull(result.TerminatingError);
        Assert.Empty(result.Output);
        var error = result.TerminatingError!;
        Assert.StartsWith("K8sPodSecurityViolation,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.SecurityError, error.CategoryInfo.Category);
        string message = error.Exception.Message;
        Assert.Contains("Pod Security gate failed", message, StringComparison.Ordinal);
        Assert.Contains("Deployment/ci/build-runner", message, StringComparison.Ordinal);
        Assert.Contains("insecure-deployment.yaml:3", message, StringComparison.Ordinal);
        Assert.Contains("[Critical] PSS-BASELINE-PRIVILEGED privileged (container \"runner\"", message, StringComparison.Ordinal);
        Assert.Contains("Pod/default/netshoot", message, StringComparison.Ordinal);
        Assert.DoesNotContain("storefront", message, StringComparison.Ordinal);
        Assert.DoesNotContain("node-exporter", message, StringComparison.Ordinal); // its host access is ignored by annotation
    }

    [Fact]
    public void PassingWorkloadsArePassedThrough()
    {
        var result = session.Invoke(
            "Assert-K8sPodSecurity -Path $args[0] -AllowedRegistry registry.example.com | ForEach-Object { \"$($_.Name) $($_.Compliant)\" }",
            Path.Combine(Examples, "secure-deployment.yaml")).AssertNoErrors();
        Assert.Equal("storefront True", Assert.Single(result.Output).ToString());
    }

    [Fact]
    public void SeverityThresholdDecidesWhatBlocks()
    {
        // nightly-report passes Baseline; with -Profile All its findings are Medium and Low best practices.
        string file = Path.Combine(Examples, "report-cronjob.yaml");
        var high = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Severity High", file).AssertNoErrors();
        Assert.Single(high.Output);
        var low = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Severity Low", file);
        Assert.NotNull(low.TerminatingError);
        Assert.Contains("BP-IMAGE-DIGEST", low.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("BP-IMAGE-DIGEST", session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Severity Medium", file).TerminatingError?.Exception.Message ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidSeverityIsAParameterError()
    {
        var result = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Severity Severe", Examples);
        Assert.NotNull(result.TerminatingError);
        Assert.Contains("Severe", result.TerminatingError!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AScanThatCannotRunOrFinishFailsTheGate()
    {
        // A cluster that cannot be reached: the gate's error (it ends the script, so `pwsh -File` of a gate script
        // without $ErrorActionPreference = 'Stop' cannot go on to exit 0), not an error that ends only the statement.
        string kubeconfig = Path.Combine(TestPaths.NewTempDirectory(), "down-config");
        File.WriteAllText(kubeconfig, """
            apiVersion: v1
            kind: Config
            clusters:
            - name: down
              cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
            users:
            - name: u
              user: {token: CANARY-assert-token}
            contexts:
            - name: down
              context: {cluster: down, user: u}
            current-context: down
            """);
        var down = session.Invoke("Assert-K8sPodSecurity -Kubeconfig $args[0] -AllNamespaces", kubeconfig);
        Assert.StartsWith("K8sPodSecurityInputFailed,", down.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(ErrorCategory.InvalidData, down.TerminatingError!.CategoryInfo.Category);
        Assert.StartsWith("Pod Security gate failed:\nThe scan could not be completed, so it proves nothing: ", down.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("cannot reach the API server", down.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("CANARY", down.AllText(), StringComparison.Ordinal);

        // Parameters that cannot go together are the gate's failure too; Test-K8sPodSecurity keeps its ordinary error.
        var conflict = session.Invoke("Assert-K8sPodSecurity -Kubeconfig $args[0] -Namespace a -AllNamespaces", kubeconfig);
        Assert.StartsWith("K8sPodSecurityInputFailed,", conflict.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("use either -Namespace or -AllNamespaces", conflict.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        var test = session.Invoke("Test-K8sPodSecurity -Kubeconfig $args[0] -AllNamespaces", kubeconfig);
        Assert.StartsWith("K8sConnectionFailed,", test.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("$ErrorActionPreference = 'Stop'; Assert-K8sPodSecurity -Path $args[0], $args[1] -AllowedRegistry registry.example.com")]
    [InlineData("Assert-K8sPodSecurity -Path $args[0], $args[1] -AllowedRegistry registry.example.com -ErrorAction Stop")]
    public void UnderStopAnUnreadableInputIsListedByTheGateAfterEverythingWasRead(string script)
    {
        string folder = TestPaths.NewTempDirectory();
        File.Copy(Path.Combine(Examples, "secure-deployment.yaml"), Path.Combine(folder, "a-good.yaml"));
        string bad = Path.Combine(folder, "b-bad.yaml");
        File.WriteAllText(bad, "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n");
        string missing = Path.Combine(folder, "c-missing.yaml");
        var result = session.Invoke(script, folder, missing);

        Assert.StartsWith("K8sPodSecurityInputFailed,", result.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        string message = result.TerminatingError!.Exception.Message;
        Assert.Contains("2 input(s) could not be read or were refused", message, StringComparison.Ordinal);
        Assert.Contains(bad, message, StringComparison.Ordinal);
        Assert.Contains(missing, message, StringComparison.Ordinal);
        Assert.Empty(result.Errors);
        Assert.Equal(2, result.Warnings.Count(w => w.Contains(bad, StringComparison.Ordinal) || w.Contains(missing, StringComparison.Ordinal)));

        // Test-K8sPodSecurity under Stop still ends at the first error, as any cmdlet does.
        var test = session.Invoke("Test-K8sPodSecurity -Path $args[0], $args[1] -ErrorAction Stop", folder, missing);
        Assert.NotNull(test.TerminatingError);
        Assert.DoesNotContain("PodSecurityInputFailed", test.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    public void Dispose() => session.Dispose();
}
