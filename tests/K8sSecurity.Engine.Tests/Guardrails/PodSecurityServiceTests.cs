using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;
using Xunit;

namespace K8sSecurity.Engine.Tests.Guardrails;

public sealed class PodSecurityServiceTests
{
    [Theory]
    // header values exactly as in golden 64-namespace-label-dryrun-psa-preview.json
    [InlineData("299 - \"existing pods in namespace \\\"golden\\\" violate the new PodSecurity enforce level \\\"restricted:latest\\\"\"",
        "existing pods in namespace \"golden\" violate the new PodSecurity enforce level \"restricted:latest\"")]
    [InlineData("299 - \"nginx (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile\"",
        "nginx (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile")]
    [InlineData("299 - \"path \\\\ with backslash\"", "path \\ with backslash")]
    [InlineData("plain text", "plain text")]
    public void WarningHeadersAreUnquoted(string header, string expected) =>
        Assert.Equal(expected, PodSecurityService.ParseWarning(header));

    [Fact]
    public void LabelsAreLowerCaseWithVersionsPerMode()
    {
        var labels = PodSecurityService.DesiredLabels(new PodSecurityRequest { Namespace = "a", Enforce = "Restricted", Warn = "Baseline", Version = "v1.30" });
        Assert.Equal("restricted", labels["pod-security.kubernetes.io/enforce"]);
        Assert.Equal("v1.30", labels["pod-security.kubernetes.io/enforce-version"]);
        Assert.Equal("baseline", labels["pod-security.kubernetes.io/warn"]);
        Assert.False(labels.ContainsKey("pod-security.kubernetes.io/audit"));
        Assert.Equal(4, labels.Count);
    }

    [Theory]
    [InlineData("Enforce", "Strict", null)]
    [InlineData("Version", "Restricted", "1.30")]
    [InlineData("Version", "Restricted", "v2.0")]
    [InlineData("Namespace", "Restricted", null)]
    public void InvalidRequestsNameTheParameter(string parameter, string level, string? version)
    {
        var request = new PodSecurityRequest { Namespace = parameter == "Namespace" ? "Bad_Name" : "ok", Enforce = level, Version = version };
        var ex = Assert.Throws<K8sOperationException>(() => PodSecurityService.Validate(request));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.StartsWith($"Invalid value for -{parameter}", ex.Message, StringComparison.Ordinal);
    }
}
