using System.Text.Json.Nodes;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Audit.Checks;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.TestServer.Fixtures;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

public sealed class ClusterAuditTests : IClassFixture<FlawedClusterServer>
{
    private readonly FlawedClusterServer fixture;

    public ClusterAuditTests(FlawedClusterServer fixture) => this.fixture = fixture;

    [Fact]
    public async Task EveryPlantedIssueIsFoundAndNothingElse()
    {
        using var cluster = fixture.Connect();
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None);

        var expected = fixture.Cluster.Planted
            .Append(new PlantedIssue("VERSION-UNSUPPORTED", null, "Cluster/test"))
            .Select(p => (p.Id, p.Namespace, p.Resource))
            .OrderBy(p => p.ToString(), StringComparer.Ordinal)
            .ToList();
        var actual = result.Findings.Select(f => (f.Id, f.Namespace, f.Resource)).OrderBy(p => p.ToString(), StringComparer.Ordinal).ToList();
        AssertSameIssues(expected, actual);

        // Every category found something (node configuration needs a node folder), and the clean namespaces have nothing.
        foreach (var category in Enum.GetValues<AuditCategory>().Where(c => c != AuditCategory.NodeConfiguration))
        {
            Assert.Contains(result.Findings, f => f.Category == category);
        }

        Assert.DoesNotContain(result.Findings, f => f.Namespace is not null && fixture.Cluster.CleanNamespaces.Contains(f.Namespace));
        Assert.All(result.Findings, f => Assert.Equal("test", f.Cluster));
        Assert.Equal(fixture.Cluster.PodCount, result.Summary.Inventory["Pod"]);
        Assert.Equal(result.Findings.Count, result.Summary.TotalFindings);
        Assert.Equal(fixture.Server.ServerGitVersion, result.Summary.ServerVersion);
    }

    [Fact]
    public async Task EachKindIsListedOnceClusterWideAndPaged()
    {
        using var cluster = fixture.Connect();
        fixture.Server.ClearRequests();
        var auditor = new SecurityAuditor();
        var options = new AuditOptions();
        await auditor.AuditClusterAsync(cluster, options, EngineLog.None, CancellationToken.None);

        var requests = fixture.Server.Requests.Where(r => r.Method == "GET" && !r.Path.StartsWith("/version", StringComparison.Ordinal)).ToList();
        Assert.All(requests, r => Assert.Equal(200, r.StatusCode));

        // No request per namespace or per object: only cluster-wide collection paths.
        Assert.DoesNotContain(requests, r => r.Path.Contains("/namespaces/", StringComparison.Ordinal));
        var byPath = requests.GroupBy(r => r.Path).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(auditor.KindsFor(options).Count, byPath.Count);
        foreach (var kind in auditor.KindsFor(options))
        {
            var (group, resource) = AuditKinds.ResourceOf(kind);
            string path = group.Length == 0 ? $"/api/v1/{resource}" : $"/apis/{group}/v1/{resource}";
            Assert.True(byPath.ContainsKey(path), $"{path} was not listed; listed: {string.Join(", ", byPath.Keys)}");

            // One list: the first page without a continue token, later pages only with one.
            var pages = byPath[path];
            Assert.Single(pages, p => !p.Query.Contains("continue=", StringComparison.Ordinal));
            Assert.All(pages, p => Assert.Contains($"limit={AuditInventory.PageSize}", p.Query, StringComparison.Ordinal));
        }

        // 5,000-pod clusters need pages: this one has more pods than a page holds.
        Assert.True(fixture.Cluster.PodCount > AuditInventory.PageSize);
        Assert.Equal((fixture.Cluster.PodCount + AuditInventory.PageSize - 1) / AuditInventory.PageSize, byPath["/api/v1/pods"].Count);

        // Anonymous access: one SubjectAccessReview per question, nothing else is written.
        var writes = fixture.Server.Requests.Where(r => r.Method != "GET").ToList();
        Assert.Equal(AnonymousAccessCheck.Questions.Count, writes.Count);
        Assert.All(writes, w => Assert.Equal("/apis/authorization.k8s.io/v1/subjectaccessreviews", w.Path));
    }

    [Fact]
    public async Task ReportsProgressPerKindAndCategory()
    {
        using var cluster = fixture.Connect();
        var log = new EngineLog();
        await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), log, CancellationToken.None);
        var entries = new List<LogEntry>();
        while (log.TryTake(out var entry))
        {
            entries.Add(entry);
        }

        var progress = entries.Where(e => e.Level == LogLevel.Progress).ToList();
        Assert.Contains(progress, p => p.Message.Contains("kinds", StringComparison.Ordinal));
        foreach (var category in new AuditOptions().EffectiveCategories)
        {
            Assert.Contains(progress, p => p.Message.EndsWith(": " + category, StringComparison.Ordinal));
        }

        Assert.Equal(100, progress[^1].PercentComplete);
        Assert.All(progress.Zip(progress.Skip(1)), pair => Assert.True(pair.Second.PercentComplete >= pair.First.PercentComplete || pair.First.Message.Contains("kinds", StringComparison.Ordinal)));
        Assert.Contains(entries, e => e.Level == LogLevel.Verbose && e.Message.StartsWith("Listed ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CategorySubsetListsOnlyWhatItNeeds()
    {
        using var cluster = fixture.Connect();
        fixture.Server.ClearRequests();
        var options = new AuditOptions { Categories = new[] { AuditCategory.Namespaces } };
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, options, EngineLog.None, CancellationToken.None);

        Assert.All(result.Findings, f => Assert.Equal(AuditCategory.Namespaces, f.Category));
        Assert.Equal(fixture.Cluster.FlawedNamespaces.Count, result.Findings.Count);
        var listed = fixture.Server.Requests.Where(r => r.Method == "GET" && !r.Path.StartsWith("/version", StringComparison.Ordinal)).Select(r => r.Path).Distinct().Order().ToList();
        // The guardrail kinds, and the workload kinds that tell whether the default namespace is in use.
        Assert.Equal(
            new[]
            {
                "/api/v1/limitranges", "/api/v1/namespaces", "/api/v1/pods", "/api/v1/resourcequotas", "/apis/apps/v1/daemonsets", "/apis/apps/v1/deployments",
                "/apis/apps/v1/replicasets", "/apis/apps/v1/statefulsets", "/apis/batch/v1/cronjobs", "/apis/batch/v1/jobs", "/apis/networking.k8s.io/v1/networkpolicies",
            },
            listed);
        Assert.Single(result.Summary.Categories);
    }

    [Fact]
    public async Task SecretValuesNeverReachFindingsOrResults()
    {
        using var cluster = fixture.Connect();
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None);
        string json = new AuditReport { Summaries = new[] { result.Summary }, Findings = result.Findings }.ToJson();
        Assert.DoesNotContain("CANARY", json, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String("CANARY-legacy-token-value"u8.ToArray()), json, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OfflineDumpFindsTheSameIssuesExceptWhatNeedsTheServer()
    {
        // What `kubectl get -A -o json` would print for the kinds the audit reads.
        var items = new JsonArray();
        foreach (var (apiVersion, kind) in new[]
                 {
                     ("v1", "Namespace"), ("v1", "Pod"), ("v1", "ServiceAccount"), ("v1", "Secret"), ("v1", "ResourceQuota"), ("v1", "LimitRange"),
                     ("apps/v1", "Deployment"), ("apps/v1", "ReplicaSet"), ("apps/v1", "StatefulSet"), ("apps/v1", "DaemonSet"), ("batch/v1", "Job"), ("batch/v1", "CronJob"),
                     ("networking.k8s.io/v1", "NetworkPolicy"), ("rbac.authorization.k8s.io/v1", "Role"), ("rbac.authorization.k8s.io/v1", "ClusterRole"),
                     ("rbac.authorization.k8s.io/v1", "RoleBinding"), ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
                     ("v1", "Service"), ("networking.k8s.io/v1", "Ingress"), ("v1", "ConfigMap"),
                 })
        {
            foreach (var item in fixture.Server.Store.List(apiVersion, kind))
            {
                items.Add(item.DeepClone());
            }
        }

        string dir = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        string dump = Path.Combine(dir, "cluster.json");
        await File.WriteAllTextAsync(dump, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "List", ["items"] = items }.ToJsonString());

        var result = await new SecurityAuditor().AuditOfflineAsync(new[] { dump }, new AuditOptions(), null, EngineLog.None, CancellationToken.None);

        var expected = fixture.Cluster.Planted.Where(p => p.Id != "ANON-LIST-PODS").Select(p => (p.Id, p.Namespace, p.Resource)).OrderBy(p => p.ToString(), StringComparer.Ordinal);
        var actual = result.Findings.Select(f => (f.Id, f.Namespace, f.Resource)).OrderBy(p => p.ToString(), StringComparer.Ordinal);
        AssertSameIssues(expected, actual);
        Assert.True(result.Summary.Offline);
        Assert.All(result.Findings, f => Assert.StartsWith(dump + ":", f.Source, StringComparison.Ordinal));
        var version = Assert.Single(result.Summary.Categories, c => c.Category == AuditCategory.ServerVersion);
        Assert.Null(version.Score);
        Assert.NotNull(version.SkippedReason);
    }

    [Fact]
    public async Task ScoresFollowTheDocumentedFormula()
    {
        using var cluster = fixture.Connect();
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, new AuditOptions(), EngineLog.None, CancellationToken.None);
        foreach (var category in result.Summary.Categories)
        {
            var findings = result.Findings.Where(f => f.Category == category.Category).ToList();
            double cost = findings.GroupBy(f => (f.Namespace, f.Resource)).Sum(g => g.Max(f => AuditScoring.WeightOf(f.Severity)));
            int expected = (int)Math.Round(100 * (1 - (cost / category.Checked)), MidpointRounding.AwayFromZero);
            if (findings.Any(f => f.Severity == FindingSeverity.Critical))
            {
                expected = Math.Min(expected, AuditScoring.CriticalCap);
            }

            Assert.Equal(expected, category.Score);
        }

        Assert.Equal((int)Math.Round(result.Summary.Categories.Average(c => c.Score!.Value), MidpointRounding.AwayFromZero), result.Summary.Score);
        Assert.InRange(result.Summary.Score, 1, 99);
    }

    internal static void AssertSameIssues(IEnumerable<(string Id, string? Namespace, string Resource)> expected, IEnumerable<(string Id, string? Namespace, string Resource)> actual)
    {
        var want = expected.ToList();
        var got = actual.ToList();
        var missing = want.Except(got).ToList();
        var extra = got.Except(want).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && want.Count == got.Count,
            $"missing: {string.Join("; ", missing)}\nunexpected: {string.Join("; ", extra.Take(20))}\ncounts {want.Count}/{got.Count}");
    }
}
