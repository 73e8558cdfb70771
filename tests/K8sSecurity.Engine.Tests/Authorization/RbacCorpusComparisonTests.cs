using System.Text.Json.Nodes;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.TestServer;
using Xunit;
using Xunit.Abstractions;

namespace K8sSecurity.Engine.Tests.Authorization;

/// <summary>
/// The offline evaluator and the test server's SubjectAccessReview (an authorizer written separately) must agree on a
/// reproducible random corpus of queries over a realistic RBAC set: the default ClusterRoles (cluster-admin, and
/// admin/edit/view with their aggregation) plus generated Roles, ClusterRoles (some aggregated), RoleBindings and
/// ClusterRoleBindings. A disagreement is a bug in one of them.
/// </summary>
public sealed class RbacCorpusComparisonTests : IAsyncLifetime
{
    private const int Seed = 20261122;
    private const int QueryCount = 5000;
    private const int Concurrency = 8;

    private static readonly string[] Namespaces = { "ns-0", "ns-1", "ns-2", "ns-3", "default" };
    private static readonly string[] Users = { "alice", "bob", "carol", "dave", "erin", "system:anonymous" };
    private static readonly string[] Groups = { "dev", "ops", "qa", "system:authenticated", "system:serviceaccounts", "system:serviceaccounts:ns-1", "system:masters", "system:unauthenticated" };
    private static readonly string[] ServiceAccountNames = { "default", "builder", "deployer" };
    private static readonly string[] Verbs = { "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection", "escalate", "bind", "impersonate", "use", "approve" };
    private static readonly string[] RuleVerbs = Verbs.Append("*").ToArray();
    private static readonly (string Group, string Resource)[] Resources =
    {
        ("", "pods"), ("", "pods/log"), ("", "pods/exec"), ("", "secrets"), ("", "configmaps"), ("", "services"), ("", "nodes"), ("", "nodes/proxy"),
        ("", "serviceaccounts"), ("", "serviceaccounts/token"), ("", "namespaces"), ("", "persistentvolumeclaims"), ("", "users"),
        ("apps", "deployments"), ("apps", "deployments/scale"), ("apps", "statefulsets/scale"), ("apps", "replicasets/scale"), ("", "pods/status"), ("apps", "deployments/status"), ("apps", "daemonsets"), ("batch", "jobs"),
        ("batch", "cronjobs"), ("rbac.authorization.k8s.io", "roles"), ("rbac.authorization.k8s.io", "clusterroles"),
        ("rbac.authorization.k8s.io", "rolebindings"), ("example.com", "widgets"), ("example.com", "widgets/status"),
        ("policy", "podsecuritypolicies"), ("certificates.k8s.io", "certificatesigningrequests/approval"),
    };

    private static readonly string[] RuleGroups = { "", "apps", "batch", "rbac.authorization.k8s.io", "example.com", "*", "extensions" };
    private static readonly string[] RuleResources = { "pods", "pods/log", "pods/exec", "pods/*", "secrets", "configmaps", "deployments", "deployments/scale", "*/scale", "*/status", "jobs", "*", "roles", "clusterroles", "nodes", "nodes/proxy", "widgets", "widgets/status", "serviceaccounts/token", "users" };
    private static readonly string[] Urls = { "/healthz", "/healthz/etcd", "/healthz/", "/metrics", "/metrics/cadvisor", "/api", "/apis/apps", "/version", "/logs/kube.log", "/readyz" };
    private static readonly string[] RuleUrls = { "/healthz", "/healthz/*", "/metrics", "/api/*", "/apis*", "/logs/*", "*", "/version" };
    private static readonly string[] Names = { "db", "web", "app-config" };

    private readonly ITestOutputHelper output;
    private KubeApiTestServer server = null!;
    private string directory = null!;

    public RbacCorpusComparisonTests(ITestOutputHelper output) => this.output = output;

    public async Task InitializeAsync()
    {
        server = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { SeedDefaultRbac = true });
        directory = Path.Combine(Path.GetTempPath(), "k8ssec-corpus-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(directory);
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task OfflineEvaluatorAndServerSubjectAccessReviewAgreeOnARandomCorpus()
    {
        var random = new Random(Seed);
        GenerateRbac(random);
        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = server.WriteKubeconfig(Path.Combine(directory, "admin.kubeconfig")) });
        var policy = await RbacSource.LoadFromClusterAsync(cluster, EngineLog.None, CancellationToken.None);

        var queries = Enumerable.Range(0, QueryCount).Select(_ => NewQuery(random)).ToList();
        using var gate = new SemaphoreSlim(Concurrency);
        var online = await Task.WhenAll(queries.Select(async q =>
        {
            await gate.WaitAsync();
            try
            {
                return await AccessChecks.CheckOnlineAsync(cluster, q.Identity, q.Request, CancellationToken.None);
            }
            finally
            {
                gate.Release();
            }
        }));

        var disagreements = new List<string>();
        int allowed = 0;
        for (int i = 0; i < queries.Count; i++)
        {
            var offline = AccessChecks.CheckOffline(policy, queries[i].Identity, queries[i].Request);
            allowed += offline.Allowed ? 1 : 0;
            if (offline.Allowed != online[i].Allowed)
            {
                disagreements.Add($"#{i} {queries[i].Identity} \"{queries[i].Request}\": offline={offline.Allowed} ({offline.Reason}) server={online[i].Allowed} ({online[i].Reason})");
            }
        }

        output.WriteLine($"{queries.Count} queries, {allowed} allowed, {queries.Count - allowed} denied, {disagreements.Count} disagreements.");
        foreach (string line in disagreements.Take(40))
        {
            output.WriteLine(line);
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreements, e.g.:\n{string.Join('\n', disagreements.Take(15))}");

        // A corpus where everything is allowed or everything denied would prove nothing.
        Assert.InRange(allowed, QueryCount / 10, QueryCount * 9 / 10);
    }

    private void GenerateRbac(Random random)
    {
        foreach (string ns in Namespaces.Where(n => n != "default"))
        {
            server.Store.Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
        }

        // Cluster roles: some feed the default admin/edit/view aggregation, one aggregates by expression.
        var clusterRoleNames = new List<string> { "admin", "edit", "view", "cluster-admin" };
        for (int i = 0; i < 12; i++)
        {
            string name = $"gen-cluster-{i}";
            var labels = new JsonObject();
            switch (random.Next(5))
            {
                case 0:
                    labels["rbac.authorization.k8s.io/aggregate-to-" + Pick(random, "view", "edit", "admin")] = "true";
                    break;
                case 1:
                    labels["example.com/tier"] = Pick(random, "gold", "silver");
                    break;
            }

            server.Store.Create(ClusterRole(name, labels, Rules(random, allowUrls: true)));
            clusterRoleNames.Add(name);
        }

        server.Store.Create(new JsonObject
        {
            ["apiVersion"] = "rbac.authorization.k8s.io/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject { ["name"] = "gen-aggregated" },
            ["aggregationRule"] = new JsonObject
            {
                ["clusterRoleSelectors"] = new JsonArray(
                    new JsonObject { ["matchExpressions"] = new JsonArray(new JsonObject { ["key"] = "example.com/tier", ["operator"] = "In", ["values"] = new JsonArray("gold") }) },
                    new JsonObject { ["matchLabels"] = new JsonObject { ["rbac.authorization.k8s.io/aggregate-to-edit"] = "true" } }),
            },
            ["rules"] = new JsonArray(),
        });
        clusterRoleNames.Add("gen-aggregated");
        clusterRoleNames.Add("missing-cluster-role");

        foreach (string ns in Namespaces)
        {
            var roleNames = new List<string> { "missing-role" };
            for (int i = 0; i < 4; i++)
            {
                string name = $"gen-role-{i}";
                server.Store.Create(new JsonObject
                {
                    ["apiVersion"] = "rbac.authorization.k8s.io/v1",
                    ["kind"] = "Role",
                    ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
                    ["rules"] = Rules(random, allowUrls: false),
                });
                roleNames.Add(name);
            }

            for (int i = 0; i < 12; i++)
            {
                bool toRole = random.Next(2) == 0;
                server.Store.Create(new JsonObject
                {
                    ["apiVersion"] = "rbac.authorization.k8s.io/v1",
                    ["kind"] = "RoleBinding",
                    ["metadata"] = new JsonObject { ["name"] = $"gen-binding-{i}", ["namespace"] = ns },
                    ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = toRole ? "Role" : "ClusterRole", ["name"] = toRole ? Pick(random, roleNames.ToArray()) : Pick(random, clusterRoleNames.ToArray()) },
                    ["subjects"] = Subjects(random, namespaced: true),
                });
            }
        }

        for (int i = 0; i < 12; i++)
        {
            server.Store.Create(new JsonObject
            {
                ["apiVersion"] = "rbac.authorization.k8s.io/v1",
                ["kind"] = "ClusterRoleBinding",
                ["metadata"] = new JsonObject { ["name"] = $"gen-cluster-binding-{i}" },
                ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = Pick(random, clusterRoleNames.Where(n => n != "cluster-admin").ToArray()) },
                ["subjects"] = Subjects(random, namespaced: false),
            });
        }
    }

    private static JsonObject ClusterRole(string name, JsonObject labels, JsonArray rules) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRole",
        ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels },
        ["rules"] = rules,
    };

    private static JsonArray Rules(Random random, bool allowUrls)
    {
        var rules = new JsonArray();
        int count = random.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            var verbs = new JsonArray(PickSome(random, RuleVerbs, 3).Select(v => (JsonNode)v).ToArray());
            if (allowUrls && random.Next(3) == 0)
            {
                rules.Add(new JsonObject { ["verbs"] = verbs, ["nonResourceURLs"] = new JsonArray(PickSome(random, RuleUrls, 2).Select(v => (JsonNode)v).ToArray()) });
                continue;
            }

            var rule = new JsonObject
            {
                ["verbs"] = verbs,
                ["apiGroups"] = new JsonArray(PickSome(random, RuleGroups, 2).Select(v => (JsonNode)v).ToArray()),
                ["resources"] = new JsonArray(PickSome(random, RuleResources, 3).Select(v => (JsonNode)v).ToArray()),
            };
            if (random.Next(6) == 0)
            {
                rule["resourceNames"] = new JsonArray(PickSome(random, Names, 2).Select(v => (JsonNode)v).ToArray());
            }

            rules.Add(rule);
        }

        return rules;
    }

    private static JsonArray Subjects(Random random, bool namespaced)
    {
        var subjects = new JsonArray();
        int count = random.Next(1, 4);
        for (int i = 0; i < count; i++)
        {
            switch (random.Next(3))
            {
                case 0:
                    subjects.Add(new JsonObject { ["kind"] = "User", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = Pick(random, Users) });
                    break;
                case 1:
                    subjects.Add(new JsonObject { ["kind"] = "Group", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = Pick(random, Groups.Where(g => g != "system:masters").ToArray()) });
                    break;
                default:
                    var sa = new JsonObject { ["kind"] = "ServiceAccount", ["name"] = Pick(random, ServiceAccountNames) };
                    if (!namespaced || random.Next(2) == 0)
                    {
                        sa["namespace"] = Pick(random, Namespaces);
                    }

                    subjects.Add(sa);
                    break;
            }
        }

        return subjects;
    }

    private static (RbacIdentity Identity, AccessRequest Request) NewQuery(Random random)
    {
        RbacIdentity identity = random.Next(4) switch
        {
            0 => new RbacIdentity { UserName = Pick(random, Users) },
            1 => new RbacIdentity { UserName = Pick(random, Users), Groups = PickSome(random, Groups, 2) },
            2 => new RbacIdentity { Groups = PickSome(random, Groups, 2) },
            _ => RbacIdentity.From(null, null, new RbacSubject(RbacSubjectKind.ServiceAccount, Pick(random, ServiceAccountNames), Pick(random, Namespaces))),
        };

        if (random.Next(4) == 0)
        {
            return (identity, new AccessRequest { Verb = Pick(random, "get", "post", "put", "*", "delete"), NonResourceUrl = Pick(random, Urls) });
        }

        var (group, resource) = Resources[random.Next(Resources.Length)];
        string[] parts = resource.Split('/');
        return (identity, new AccessRequest
        {
            Verb = Pick(random, Verbs),
            ApiGroup = group,
            Resource = parts[0],
            Subresource = parts.Length > 1 ? parts[1] : null,
            Name = random.Next(3) == 0 ? Pick(random, Names) : null,
            Namespace = random.Next(4) == 0 ? null : Pick(random, Namespaces),
        });
    }

    private static string Pick(Random random, params string[] values) => values[random.Next(values.Length)];

    private static string[] PickSome(Random random, string[] values, int max) =>
        Enumerable.Range(0, random.Next(1, max + 1)).Select(_ => Pick(random, values)).Distinct(StringComparer.Ordinal).ToArray();
}
