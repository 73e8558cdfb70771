using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.TestServer.Fixtures;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

/// <summary>
/// Issue 11 item 4: the audit's -FailOn gate fails closed. Every reason fails it on its own; a clean result with every
/// finding below the threshold is the only pass; a category that does not apply passes unless it was asked for.
/// </summary>
public sealed class AuditGateTests
{
    private static readonly AuditCategory[] Default = Array.Empty<AuditCategory>();

    [Fact]
    public void PassesWhenEveryFindingIsBelowTheThresholdAndEverythingWasRead()
    {
        var result = Result(findings: new[] { Finding(FindingSeverity.Medium), Finding(FindingSeverity.Low) }, objectsRead: 3);
        var gate = AuditGate.Evaluate(FindingSeverity.High, Default, new[] { result }, Array.Empty<AuditFailure>());
        Assert.True(gate.Passed);
        Assert.False(gate.InputsFailed);
        Assert.Empty(gate.Reasons);
        Assert.Empty(gate.Blocking);
    }

    [Fact]
    public void AFindingAtOrAboveTheThresholdFailsWithCountsPerSeverity()
    {
        var result = Result(findings: new[] { Finding(FindingSeverity.Critical), Finding(FindingSeverity.High), Finding(FindingSeverity.High), Finding(FindingSeverity.Medium) });
        var gate = AuditGate.Evaluate(FindingSeverity.High, Default, new[] { result }, Array.Empty<AuditFailure>());
        Assert.False(gate.Passed);
        Assert.False(gate.InputsFailed);
        Assert.Equal(3, gate.Blocking.Count);
        Assert.Equal(new[] { (FindingSeverity.Critical, 1), (FindingSeverity.High, 2) }, gate.BlockingCounts.Select(c => (c.Key, c.Value)));
        Assert.Equal("3 finding(s) at or above High: 1 Critical, 2 High", Assert.Single(gate.Reasons));
        string message = gate.Message();
        Assert.StartsWith("Security audit gate failed (-FailOn High):", message, StringComparison.Ordinal);
        Assert.Contains("3 finding(s) at or above High (Critical 1, High 2):", message, StringComparison.Ordinal);
        Assert.Contains("[High] TEST-HIGH", message, StringComparison.Ordinal);
        Assert.DoesNotContain("TEST-MEDIUM", message, StringComparison.Ordinal);

        // Info takes everything, Critical only the critical finding.
        Assert.Equal(4, AuditGate.Evaluate(FindingSeverity.Info, Default, new[] { result }, Array.Empty<AuditFailure>()).Blocking.Count);
        Assert.Single(AuditGate.Evaluate(FindingSeverity.Critical, Default, new[] { result }, Array.Empty<AuditFailure>()).Blocking);
    }

    [Theory]
    [InlineData(ManifestIssueKind.Error, "1 input(s) could not be read")]
    [InlineData(ManifestIssueKind.DuplicateKey, "1 duplicate key(s)")]
    [InlineData(ManifestIssueKind.NoObjects, "1 input(s) contain no Kubernetes object")]
    public void EveryInputIssueFailsTheGateEvenWithNoFinding(ManifestIssueKind kind, string expected)
    {
        var issue = new ManifestParseError("/in/a.yaml", kind == ManifestIssueKind.NoObjects ? 0 : 7, "why") { Kind = kind };
        var gate = AuditGate.Evaluate(FindingSeverity.Critical, Default, new[] { Result(issues: new[] { issue }, objectsRead: 2) }, Array.Empty<AuditFailure>());
        Assert.False(gate.Passed);
        Assert.True(gate.InputsFailed);
        Assert.StartsWith(expected, Assert.Single(gate.Reasons), StringComparison.Ordinal);
        Assert.Contains("/in/a.yaml", gate.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public void NoObjectInAnyOfflineInputFails()
    {
        var gate = AuditGate.Evaluate(FindingSeverity.Critical, Default, new[] { Result(objectsRead: 0) }, Array.Empty<AuditFailure>());
        Assert.True(gate.NoObjects);
        Assert.False(gate.Passed);
        Assert.Contains("no Kubernetes object was found", gate.Message(), StringComparison.Ordinal);

        // A cluster audit has no object count: an empty cluster is not an input problem.
        Assert.True(AuditGate.Evaluate(FindingSeverity.Critical, Default, new[] { Result(objectsRead: null) }, Array.Empty<AuditFailure>()).Passed);
    }

    [Fact]
    public void AClusterThatCouldNotBeAuditedFailsAndSoDoesNoAuditAtAll()
    {
        var failure = new AuditFailure("down", "Cannot connect to https://127.0.0.1:1");
        var gate = AuditGate.Evaluate(FindingSeverity.Critical, Default, new[] { Result() }, new[] { failure });
        Assert.False(gate.Passed);
        Assert.True(gate.InputsFailed);
        Assert.Equal("down: Cannot connect to https://127.0.0.1:1", Assert.Single(gate.FailedAudits));
        Assert.Contains("1 audit(s) could not be done", gate.Message(), StringComparison.Ordinal);

        var nothing = AuditGate.Evaluate(FindingSeverity.Critical, Default, Array.Empty<AuditResult>(), Array.Empty<AuditFailure>());
        Assert.True(nothing.NothingAudited);
        Assert.False(nothing.Passed);
        Assert.Equal("no cluster or input was audited", Assert.Single(nothing.Reasons));
    }

    [Fact]
    public void ASkippedCategoryFailsOnlyWhenItWasAskedForOrItsDataCouldNotBeRead()
    {
        var notApplicable = new AuditCategoryScore { Category = AuditCategory.ServerVersion, SkippedReason = "offline" };
        var result = Result(categories: new[] { notApplicable });
        Assert.True(AuditGate.Evaluate(FindingSeverity.High, Default, new[] { result }, Array.Empty<AuditFailure>()).Passed);
        Assert.True(AuditGate.Evaluate(FindingSeverity.High, new[] { AuditCategory.PodSecurity }, new[] { result }, Array.Empty<AuditFailure>()).Passed);

        var named = AuditGate.Evaluate(FindingSeverity.High, new[] { AuditCategory.ServerVersion }, new[] { result }, Array.Empty<AuditFailure>());
        Assert.False(named.Passed);
        Assert.Equal("test: ServerVersion was asked for (-Category) but skipped: offline", Assert.Single(named.IncompleteCategories));

        var unreadable = Result(categories: new[] { new AuditCategoryScore { Category = AuditCategory.Rbac, SkippedReason = "listing roles is forbidden", ReadFailures = new[] { "listing roles is forbidden" } } });
        var gate = AuditGate.Evaluate(FindingSeverity.High, Default, new[] { unreadable }, Array.Empty<AuditFailure>());
        Assert.False(gate.Passed);
        Assert.True(gate.InputsFailed);
        Assert.Equal("test: Rbac could not read listing roles is forbidden", Assert.Single(gate.IncompleteCategories));

        // A category that ran but could not read part of its data fails too.
        var partial = Result(categories: new[] { new AuditCategoryScore { Category = AuditCategory.Certificates, Score = 100, ReadFailures = new[] { "'/pki/x.crt': not a certificate" } } });
        Assert.False(AuditGate.Evaluate(FindingSeverity.Critical, Default, new[] { partial }, Array.Empty<AuditFailure>()).Passed);
    }

    [Fact]
    public void AllReasonsAreListedTogether()
    {
        var result = Result(
            findings: new[] { Finding(FindingSeverity.Critical) },
            issues: new[] { new ManifestParseError("/in/bad.yaml", 3, "cannot parse"), new ManifestParseError("/in/dup.yaml", 11, "duplicate key 'kind'") { Kind = ManifestIssueKind.DuplicateKey } },
            objectsRead: 4);
        var gate = AuditGate.Evaluate(FindingSeverity.High, Default, new[] { result }, new[] { new AuditFailure("down", "Auditing context 'down': refused") });
        Assert.Equal(4, gate.Reasons.Count);
        string message = gate.Message();
        Assert.Contains("/in/bad.yaml:3: cannot parse", message, StringComparison.Ordinal);
        Assert.Contains("/in/dup.yaml:11: duplicate key 'kind'", message, StringComparison.Ordinal);
        Assert.Contains("down: Auditing context 'down': refused", message, StringComparison.Ordinal);
        Assert.Contains("[Critical] TEST-CRITICAL", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnreadablePkiFilesAndAMissingKubeconfigAreReadFailuresOfTheCertificatesCategory()
    {
        var now = DateTimeOffset.UtcNow;
        string root = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        string pki = Path.Combine(root, "pki");
        Directory.CreateDirectory(pki);
        await File.WriteAllTextAsync(Path.Combine(pki, "ca.crt"), FlawedClusterFixture.CertificatePem("kubernetes", now.AddYears(-1), now.AddYears(9)));
        await File.WriteAllTextAsync(Path.Combine(pki, "broken.crt"), "not a certificate");
        string manifests = Path.Combine(root, "manifests");
        Directory.CreateDirectory(manifests);
        await File.WriteAllTextAsync(Path.Combine(manifests, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");

        var options = new AuditOptions { Categories = new[] { AuditCategory.Certificates }, PkiPath = pki };
        var result = await new SecurityAuditor().AuditOfflineAsync(new[] { manifests }, options, Path.Combine(root, "no-such-config"), EngineLog.None, CancellationToken.None);
        var certificates = Assert.Single(result.Summary.Categories);
        Assert.Equal(1, certificates.Checked);
        Assert.Equal(2, certificates.ReadFailures.Count);
        Assert.Contains(certificates.ReadFailures, f => f.Contains("broken.crt", StringComparison.Ordinal));
        Assert.Contains(certificates.ReadFailures, f => f.Contains("no-such-config", StringComparison.Ordinal) && f.Contains("does not exist", StringComparison.Ordinal));
        Assert.Equal(1, result.ObjectsRead);

        var gate = AuditGate.Evaluate(FindingSeverity.Critical, options.Categories, new[] { result }, Array.Empty<AuditFailure>());
        Assert.False(gate.Passed);
        Assert.Equal(2, gate.IncompleteCategories.Count);

        // The same folder without the broken file and without -Kubeconfig passes.
        File.Delete(Path.Combine(pki, "broken.crt"));
        var clean = await new SecurityAuditor().AuditOfflineAsync(new[] { manifests }, options, null, EngineLog.None, CancellationToken.None);
        Assert.Empty(Assert.Single(clean.Summary.Categories).ReadFailures);
        Assert.True(AuditGate.Evaluate(FindingSeverity.Critical, options.Categories, new[] { clean }, Array.Empty<AuditFailure>()).Passed);
    }

    [Fact]
    public async Task ACheckThatCannotReadItsDataIsSkippedWithReadFailuresAndFailsTheGate()
    {
        string manifests = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(manifests);
        await File.WriteAllTextAsync(Path.Combine(manifests, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
        var auditor = new SecurityAuditor(new IAuditCheck[] { new UnreadableCheck() });
        var result = await auditor.AuditOfflineAsync(new[] { manifests }, new AuditOptions(), null, EngineLog.None, CancellationToken.None);
        var score = Assert.Single(result.Summary.Categories);
        Assert.Null(score.Score);
        Assert.Equal("listing roles is forbidden", score.SkippedReason);
        Assert.Equal(new[] { "listing roles is forbidden" }, score.ReadFailures);
        Assert.False(AuditGate.Evaluate(FindingSeverity.Critical, Default, new[] { result }, Array.Empty<AuditFailure>()).Passed);
    }

    [Fact]
    public async Task TheDefaultOfflineAuditOfCleanInputPassesThoughServerVersionIsSkipped()
    {
        string manifests = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(manifests);
        await File.WriteAllTextAsync(Path.Combine(manifests, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
        var result = await new SecurityAuditor().AuditOfflineAsync(new[] { manifests }, new AuditOptions(), null, EngineLog.None, CancellationToken.None);
        Assert.NotNull(result.Summary.Categories.Single(c => c.Category == AuditCategory.ServerVersion).SkippedReason);
        Assert.All(result.Summary.Categories, c => Assert.Empty(c.ReadFailures));
        var threshold = result.Findings.Max(f => f.Severity);
        Assert.True(threshold < FindingSeverity.Critical, "the namespace-only dump has no critical finding");
        Assert.True(AuditGate.Evaluate(threshold + 1, Default, new[] { result }, Array.Empty<AuditFailure>()).Passed);
        Assert.False(AuditGate.Evaluate(threshold, Default, new[] { result }, Array.Empty<AuditFailure>()).Passed);
        Assert.False(AuditGate.Evaluate(threshold + 1, new[] { AuditCategory.ServerVersion }, new[] { result }, Array.Empty<AuditFailure>()).Passed);
    }

    private static AuditResult Result(
        IReadOnlyList<AuditFinding>? findings = null, IReadOnlyList<ManifestParseError>? issues = null, int? objectsRead = null, IReadOnlyList<AuditCategoryScore>? categories = null) => new()
        {
            Summary = new AuditSummary { Cluster = "test", Categories = categories ?? Array.Empty<AuditCategoryScore>() },
            Findings = findings ?? Array.Empty<AuditFinding>(),
            InputIssues = issues ?? Array.Empty<ManifestParseError>(),
            ObjectsRead = objectsRead,
        };

    private static AuditFinding Finding(FindingSeverity severity) => new()
    {
        Id = "TEST-" + severity.ToString().ToUpperInvariant(),
        Category = AuditCategory.Rbac,
        Severity = severity,
        Title = "t",
        Resource = "ClusterRoleBinding/x",
        ResourceKind = "ClusterRoleBinding",
        ResourceName = "x",
        Message = "m",
        Cluster = "test",
    };

    private sealed class UnreadableCheck : IAuditCheck
    {
        public AuditCategory Category => AuditCategory.Rbac;

        public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = new[] { AuditKind.Role };

        public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken) =>
            Task.FromResult(AuditCheckResult.Unreadable("listing roles is forbidden"));
    }
}
