using System.Text.Json.Nodes;
using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

public sealed class InvokeK8sSecurityAuditTests : IClassFixture<AuditServer>, IDisposable
{
    private readonly AuditServer fixture;
    private readonly PsSession session = new();

    public InvokeK8sSecurityAuditTests(AuditServer fixture) => this.fixture = fixture;

    [Fact]
    public void AuditsTheClusterAndWritesFindingsThenTheSummary()
    {
        var result = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0]", fixture.Kubeconfig).AssertNoErrors();
        var findings = Findings(result).ToList();
        var summary = Assert.Single(Summaries(result));
        Assert.Equal(AuditSummaryType, result.Output[^1].BaseObject.GetType().FullName);

        var expected = fixture.Cluster.Planted.Select(p => (p.Id, p.Namespace, p.Resource)).Append(("VERSION-UNSUPPORTED", null, "Cluster/test")).ToHashSet();
        Assert.Equal(expected, findings.Select(f => (S(f, "Id")!, S(f, "Namespace"), S(f, "Resource")!)).ToHashSet());
        Assert.Equal(findings.Count, (int)summary.Properties["TotalFindings"].Value);
        Assert.Equal("test", S(summary, "Cluster"));
        Assert.Equal(11, Categories(summary).Count);
        Assert.InRange((int)summary.Properties["Score"].Value, 0, 100);
    }

    [Fact]
    public void SummaryAndCategoryLimitTheOutput()
    {
        var result = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Namespaces, ServerVersion -Summary", fixture.Kubeconfig).AssertNoErrors();
        var summary = Assert.Single(result.Output);
        Assert.Equal(AuditSummaryType, summary.BaseObject.GetType().FullName);
        Assert.Equal(new[] { "Namespaces", "ServerVersion" }, Categories(summary).Select(c => S(c, "Category")));
        Assert.Equal(fixture.Cluster.FlawedNamespaces.Count + 1, (int)summary.Properties["TotalFindings"].Value);
    }

    [Fact]
    public void FindingsFilterAndSortInThePipeline()
    {
        var result = session.Invoke(
            "Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Rbac | Where-Object { $_.PSTypeNames -contains 'K8sSecurity.Engine.Audit.AuditFinding' -and $_.Severity -ge 'High' } | ForEach-Object { $_.Id + ' ' + $_.Evidence['subjectKind'] }",
            fixture.Kubeconfig).AssertNoErrors();
        var lines = result.Output.Select(o => o.ToString()).ToList();
        Assert.Contains("RBAC-WILDCARD-ADMIN User", lines);
        Assert.Contains("RBAC-IMPERSONATE Group", lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("RBAC-SECRETS-READ", StringComparison.Ordinal) && l.EndsWith("Group", StringComparison.Ordinal));
    }

    [Fact]
    public void FleetAuditsContextsInParallelAndAnUnreachableClusterIsANonTerminatingError()
    {
        var result = session.Invoke(
            "Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Context test, down, test2 -ThrottleLimit 3 -Category Namespaces",
            fixture.FleetKubeconfig);
        Assert.Null(result.TerminatingError);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sConnectionFailed", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("down", error.TargetObject?.ToString() + error.ToString(), StringComparison.Ordinal);

        var summaries = Summaries(result).ToList();
        Assert.Equal(new[] { "test", "test2" }, summaries.Select(s => S(s, "Cluster")));
        var findings = Findings(result).ToList();
        Assert.Equal(2 * fixture.Cluster.FlawedNamespaces.Count, findings.Count);
        Assert.Equal(fixture.Cluster.FlawedNamespaces.Count, findings.Count(f => S(f, "Cluster") == "test2"));
    }

    [Fact]
    public void ContextsBindFromGetK8sContextThroughThePipeline()
    {
        var result = session.Invoke(
            "Get-K8sContext -Kubeconfig $args[0] -Name test* | Invoke-K8sSecurityAudit -Category ServerVersion -Summary",
            fixture.FleetKubeconfig).AssertNoErrors();
        Assert.Equal(new[] { "test", "test2" }, Summaries(result).Select(s => S(s, "Cluster")).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void OutputPathWritesJsonResultsOnlyWithForceToReplace()
    {
        string path = Path.Combine(TestPaths.NewTempDirectory(), "audit.json");
        session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Namespaces -OutputPath $args[1] | Out-Null", fixture.Kubeconfig, path).AssertNoErrors();
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        Assert.Equal("k8ssecurity.audit/v1", json["schema"]!.GetValue<string>());
        Assert.Equal(fixture.Cluster.FlawedNamespaces.Count, json["findings"]!.AsArray().Count);
        Assert.Equal("Medium", json["findings"]![0]!["severity"]!.GetValue<string>());
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        // Existing file: refused before the audit runs, nothing sent.
        fixture.Server.ClearRequests();
        var refused = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -OutputPath $args[1]", fixture.Kubeconfig, path);
        Assert.NotNull(refused.TerminatingError);
        Assert.StartsWith("K8sFileSystem", refused.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(fixture.Server.Requests);

        // -WhatIf audits (read-only) but writes nothing; -Force replaces.
        string whatIf = Path.Combine(TestPaths.NewTempDirectory(), "whatif.json");
        session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category ServerVersion -OutputPath $args[1] -WhatIf | Out-Null", fixture.Kubeconfig, whatIf).AssertNoErrors();
        Assert.False(File.Exists(whatIf));
        session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category ServerVersion -OutputPath $args[1] -Force | Out-Null", fixture.Kubeconfig, path).AssertNoErrors();
        Assert.Single(JsonNode.Parse(File.ReadAllText(path))!["findings"]!.AsArray());
    }

    [Fact]
    public void BadInputIsRejectedBeforeAnythingIsSent()
    {
        fixture.Server.ClearRequests();
        var missingPki = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -PkiPath $args[1]", fixture.Kubeconfig, "/nonexistent/pki-folder");
        Assert.StartsWith("K8sInvalidArgument", missingPki.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/pki-folder", missingPki.TerminatingError.ToString(), StringComparison.Ordinal);

        var badCategory = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Nope", fixture.Kubeconfig);
        Assert.NotNull(badCategory.TerminatingError);
        Assert.Contains("Nope", badCategory.TerminatingError!.ToString(), StringComparison.Ordinal);
        Assert.Empty(fixture.Server.Requests);
    }

    [Fact]
    public void OfflineAuditReadsAManifestFolder()
    {
        string dir = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(dir, "ns.yaml"), """
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: shop
            spec:
              template:
                spec:
                  hostPID: true
                  containers:
                  - name: web
                    image: nginx
            """);
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -Category Namespaces, PodSecurity, ServerVersion", dir).AssertNoErrors();
        var findings = Findings(result).ToList();
        Assert.Equal(
            new[] { "NS-NO-DEFAULT-DENY", "NS-NO-LIMITRANGE", "NS-NO-PSA-ENFORCE", "NS-NO-QUOTA", "PSS-BASELINE-HOSTNAMESPACES" },
            findings.Select(f => S(f, "Id")).Order(StringComparer.Ordinal));
        Assert.Equal(Path.Combine(dir, "ns.yaml") + ":6", S(findings.Single(f => S(f, "Id")!.StartsWith("PSS", StringComparison.Ordinal)), "Source"));
        var summary = Assert.Single(Summaries(result));
        Assert.True((bool)summary.Properties["Offline"].Value);
        Assert.Null(Categories(summary).Single(c => S(c, "Category") == "ServerVersion").Properties["Score"].Value);
    }

    [Fact]
    public void DefaultViewsRender()
    {
        string findings = session.Render("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Namespaces | Where-Object { $_.PSTypeNames -contains 'K8sSecurity.Engine.Audit.AuditFinding' }", fixture.Kubeconfig);
        Assert.Contains("Severity", findings, StringComparison.Ordinal);
        Assert.Contains("NS-NO-QUOTA", findings, StringComparison.Ordinal);
        Assert.Contains("Cluster: test", findings, StringComparison.Ordinal);

        string summary = session.Render("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Summary", fixture.Kubeconfig);
        Assert.Matches(@"Score\s+: \d+/100 \([A-F]\)", summary);
        Assert.Contains("PodSecurity ", summary, StringComparison.Ordinal);
        Assert.Contains("Critical", summary, StringComparison.Ordinal);

        string categories = session.Render("(Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Summary).Categories", fixture.Kubeconfig);
        Assert.Contains("Checked", categories, StringComparison.Ordinal);
        Assert.Contains("AnonymousAccess", categories, StringComparison.Ordinal);
    }

    [Fact]
    public void SecretsNeverAppearInAnyStream()
    {
        var result = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Verbose", fixture.Kubeconfig).AssertNoErrors();
        string all = result.AllText() + string.Join('\n', Findings(result).Select(f => string.Join(";", ((System.Collections.IEnumerable)f.Properties["Evidence"].Value).Cast<object>())));
        Assert.DoesNotContain("CANARY", all, StringComparison.Ordinal);
        Assert.NotEmpty(result.Verbose);
    }

    public void Dispose() => session.Dispose();

    internal const string AuditFindingType = "K8sSecurity.Engine.Audit.AuditFinding";
    internal const string AuditSummaryType = "K8sSecurity.Engine.Audit.AuditSummary";

    internal static string? S(PSObject o, string property) => o.Properties[property]?.Value?.ToString();

    internal static IEnumerable<PSObject> Findings(PsResult result) => result.Output.Where(o => o.BaseObject.GetType().FullName == AuditFindingType);

    internal static IEnumerable<PSObject> Summaries(PsResult result) => result.Output.Where(o => o.BaseObject.GetType().FullName == AuditSummaryType);

    internal static List<PSObject> Categories(PSObject summary) =>
        ((System.Collections.IEnumerable)summary.Properties["Categories"].Value).Cast<object>().Select(PSObject.AsPSObject).ToList();
}
