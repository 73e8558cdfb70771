using System.Management.Automation.Language;
using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Fixtures;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

/// <summary>
/// The assertions of examples/compliance/ClusterBaseline.Tests.ps1 (same filters, through the hosted engine) find the
/// planted problems on a flawed cluster and nothing on a clean one; the example and deploy scripts parse.
/// </summary>
public sealed class AuditExamplesTests : IClassFixture<AuditServer>, IDisposable
{
    // The filters of ClusterBaseline.Tests.ps1, each producing the lines Pester's Should -BeNullOrEmpty would see.
    private const string BaselineChecks = """
        $audit = if ([System.IO.Directory]::Exists($args[0])) { @{ Path = $args[0] } } else { @{ Kubeconfig = $args[0] } }
        $findings = @(Invoke-K8sSecurityAudit @audit -Category PodSecurity, Rbac, Namespaces, Certificates -CertificateWarningDays 30 |
            Where-Object { $_.PSTypeNames -contains 'K8sSecurity.Engine.Audit.AuditFinding' })
        $findings | Where-Object Id -EQ 'PSS-BASELINE-PRIVILEGED' | ForEach-Object { "privileged $($_.Namespace)" }
        foreach ($rule in 'NS-NO-QUOTA', 'NS-NO-LIMITRANGE', 'NS-NO-DEFAULT-DENY') {
            $findings | Where-Object Id -EQ $rule | ForEach-Object { "$rule $($_.Namespace)" }
        }
        $findings | Where-Object { $_.Id -eq 'RBAC-WILDCARD-ADMIN' -and $_.Evidence['subjectKind'] -match 'User|Group' } | ForEach-Object { "admin $($_.Evidence['subject'])" }
        $findings | Where-Object Id -EQ 'RBAC-ANONYMOUS' | ForEach-Object { "anonymous $($_.Resource)" }
        $findings | Where-Object Id -In 'CERT-EXPIRED', 'CERT-EXPIRING' | ForEach-Object { "cert $($_.Namespace) $($_.Evidence['notAfter'])" }
        """;

    private readonly AuditServer fixture;
    private readonly PsSession session = new();

    public AuditExamplesTests(AuditServer fixture) => this.fixture = fixture;

    [Fact]
    public void BaselineAssertionsCatchEveryPlantedViolation()
    {
        var lines = session.Invoke(BaselineChecks, fixture.Kubeconfig).AssertNoErrors().Output.Select(o => o.ToString()).ToList();
        var planted = fixture.Cluster.Planted;
        Assert.Equal(planted.Count(p => p.Id == "PSS-BASELINE-PRIVILEGED"), lines.Count(l => l.StartsWith("privileged ", StringComparison.Ordinal)));
        Assert.Equal(planted.Count(p => p.Id is "NS-NO-QUOTA" or "NS-NO-LIMITRANGE" or "NS-NO-DEFAULT-DENY"), lines.Count(l => l.StartsWith("NS-", StringComparison.Ordinal)));
        Assert.Equal(planted.Count(p => p.Id == "RBAC-WILDCARD-ADMIN"), lines.Count(l => l.StartsWith("admin User:alice-", StringComparison.Ordinal)));
        Assert.Equal(planted.Count(p => p.Id is "CERT-EXPIRED" or "CERT-EXPIRING"), lines.Count(l => l.StartsWith("cert ", StringComparison.Ordinal)));
        Assert.Equal(planted.Count(p => p.Id == "RBAC-ANONYMOUS"), lines.Count(l => l.StartsWith("anonymous ", StringComparison.Ordinal)));
        Assert.True(lines.Count > 10);
    }

    [Fact]
    public void BaselineAssertionsFailOnAFolderThatBindsDefaultRolesOffline()
    {
        // Issue 12's folder binds cluster-admin to dave and the ops group and view to system:anonymous; it does not
        // contain those roles (no repository of manifests does), yet the suite must fail as it would on the cluster.
        string folder = Path.Combine(TestPaths.RepoRoot, "tests", "TestData", "rbac-folder");
        var lines = session.Invoke(BaselineChecks, folder).AssertNoErrors().Output.Select(o => o.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(new[] { "admin Group:ops", "admin User:dave", "anonymous ClusterRoleBinding/public-view" }, lines);
    }

    [Fact]
    public async Task BaselineAssertionsPassOnACleanCluster()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        FlawedClusterFixture.Seed(server.Store, new FlawedClusterOptions { CleanNamespaces = 6, FlawedNamespaces = 0 });
        string kubeconfig = server.WriteKubeconfig(Path.Combine(TestPaths.NewTempDirectory(), "config"));
        var result = session.Invoke(BaselineChecks, kubeconfig).AssertNoErrors();
        Assert.Empty(result.Output);
    }

    [Theory]
    [InlineData("examples/compliance/ClusterBaseline.Tests.ps1")]
    [InlineData("examples/runbooks/Invoke-NightlyClusterAudit.ps1")]
    [InlineData("deploy/run-audit.ps1")]
    public void ScriptsParse(string relativePath)
    {
        string path = Path.Combine(TestPaths.RepoRoot, relativePath);
        Parser.ParseFile(path, out _, out var errors);
        Assert.Empty(errors.Select(e => $"{e.Extent.StartLineNumber}: {e.Message}"));

        // Every K8sSecurity cmdlet the script calls exists in the module.
        string text = File.ReadAllText(path);
        var exported = session.Invoke("(Get-Module K8sSecurity).ExportedCmdlets.Keys").AssertNoErrors().Output.Select(o => o.ToString()).ToHashSet();
        foreach (System.Text.RegularExpressions.Match match in System.Text.RegularExpressions.Regex.Matches(text, @"\b[A-Z][a-z]+-K8s[A-Za-z]+\b"))
        {
            Assert.Contains(match.Value, exported);
        }
    }

    public void Dispose() => session.Dispose();
}
