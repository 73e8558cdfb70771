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

    public void Dispose() => session.Dispose();
}
