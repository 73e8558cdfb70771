using BenchmarkDotNet.Attributes;
using K8sSecurity.Engine.Authorization;

namespace K8sSecurity.Benchmarks;

/// <summary>
/// Offline who-can over a generated cluster: 10,000 RoleBindings and 1,000 Roles in 100 namespaces, 200
/// ClusterRoles (with the aggregated admin/edit/view) and 500 ClusterRoleBindings. Target: ≤ 50 ms a query after
/// loading. Loading (indexing + aggregation) is measured separately.
/// </summary>
[MemoryDiagnoser]
public class AuthorizationBenchmarks
{
    private const int NamespaceCount = 100;
    private const int RoleCount = 1_000;
    private const int RoleBindingCount = 10_000;
    private const int ClusterRoleCount = 200;
    private const int ClusterRoleBindingCount = 500;

    private static readonly string[] Verbs = { "get", "list", "watch", "create", "update", "patch", "delete" };
    private static readonly string[] CoreResources = { "pods", "pods/log", "pods/exec", "secrets", "configmaps", "services", "serviceaccounts" };
    private static readonly string[] AppsResources = { "deployments", "statefulsets", "daemonsets", "deployments/scale" };

    private List<RbacRole> roles = null!;
    private List<RbacBinding> bindings = null!;
    private RbacPolicy policy = null!;
    private AccessRequest secretsInNamespace = null!;
    private AccessRequest execEverywhere = null!;
    private AccessRequest deploymentsClusterWide = null!;
    private RbacIdentity serviceAccount = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        roles = new List<RbacRole>();
        bindings = new List<RbacBinding>();
        var label = new Dictionary<string, string> { ["rbac.authorization.k8s.io/aggregate-to-edit"] = "true" };
        foreach (string name in new[] { "admin", "edit", "view" })
        {
            roles.Add(new RbacRole
            {
                Kind = RbacRoleKind.ClusterRole,
                Name = name,
                AggregationSelectors = new[] { new RbacLabelSelector { MatchLabels = new Dictionary<string, string> { [$"rbac.authorization.k8s.io/aggregate-to-{name}"] = "true" } } },
            });
        }

        for (int i = 0; i < ClusterRoleCount; i++)
        {
            roles.Add(new RbacRole { Kind = RbacRoleKind.ClusterRole, Name = $"cluster-role-{i}", Rules = Rules(random), Labels = i % 10 == 0 ? label : new Dictionary<string, string>() });
        }

        for (int i = 0; i < RoleCount; i++)
        {
            roles.Add(new RbacRole { Kind = RbacRoleKind.Role, Name = $"role-{i / NamespaceCount}", Namespace = $"ns-{i % NamespaceCount}", Rules = Rules(random) });
        }

        for (int i = 0; i < RoleBindingCount; i++)
        {
            string ns = $"ns-{i % NamespaceCount}";
            bool toClusterRole = random.Next(3) == 0;
            bindings.Add(new RbacBinding
            {
                Kind = RbacBindingKind.RoleBinding,
                Name = $"binding-{i}",
                Namespace = ns,
                RoleKind = toClusterRole ? RbacRoleKind.ClusterRole : RbacRoleKind.Role,
                RoleName = toClusterRole ? (random.Next(4) == 0 ? "edit" : $"cluster-role-{random.Next(ClusterRoleCount)}") : $"role-{random.Next(RoleCount / NamespaceCount)}",
                Subjects = Subjects(random, ns),
            });
        }

        for (int i = 0; i < ClusterRoleBindingCount; i++)
        {
            bindings.Add(new RbacBinding
            {
                Kind = RbacBindingKind.ClusterRoleBinding,
                Name = $"cluster-binding-{i}",
                RoleKind = RbacRoleKind.ClusterRole,
                RoleName = $"cluster-role-{random.Next(ClusterRoleCount)}",
                Subjects = Subjects(random, $"ns-{random.Next(NamespaceCount)}"),
            });
        }

        policy = new RbacPolicy(roles, bindings);
        secretsInNamespace = AccessRequest.Create("get", "secrets", null, null, null, "ns-42", null);
        execEverywhere = AccessRequest.Create("create", "pods/exec", null, null, null, null, null);
        deploymentsClusterWide = AccessRequest.Create("list", "deployments.apps", null, null, null, null, null);
        serviceAccount = RbacIdentity.From(null, null, new RbacSubject(RbacSubjectKind.ServiceAccount, "sa-3", "ns-42"));
    }

    /// <summary>Indexing and aggregation of the whole cluster (done once per command).</summary>
    [Benchmark]
    public RbacPolicy Load() => new(roles, bindings);

    /// <summary>Who can get secrets in one namespace (ClusterRoleBindings + that namespace's RoleBindings).</summary>
    [Benchmark]
    public int WhoCanGetSecretsInNamespace() => policy.WhoCan(secretsInNamespace).Count;

    /// <summary>Who can exec into pods in any namespace: every one of the 10,500 bindings is considered.</summary>
    [Benchmark]
    public int WhoCanExecAllNamespaces() => policy.WhoCan(execEverywhere, allNamespaces: true).Count;

    /// <summary>Who can list deployments cluster-wide.</summary>
    [Benchmark]
    public int WhoCanListDeploymentsClusterWide() => policy.WhoCan(deploymentsClusterWide).Count;

    /// <summary>One SubjectAccessReview-style decision for a service account.</summary>
    [Benchmark]
    public bool AuthorizeServiceAccount() => policy.Authorize(serviceAccount, secretsInNamespace).Allowed;

    private static List<RbacPolicyRule> Rules(Random random)
    {
        var rules = new List<RbacPolicyRule>();
        for (int i = random.Next(1, 5); i > 0; i--)
        {
            bool apps = random.Next(3) == 0;
            rules.Add(new RbacPolicyRule
            {
                Verbs = Pick(random, Verbs, 3),
                ApiGroups = new[] { apps ? "apps" : string.Empty },
                Resources = Pick(random, apps ? AppsResources : CoreResources, 3),
            });
        }

        return rules;
    }

    private static List<RbacSubject> Subjects(Random random, string ns)
    {
        var subjects = new List<RbacSubject>();
        for (int i = random.Next(1, 4); i > 0; i--)
        {
            subjects.Add(random.Next(3) switch
            {
                0 => new RbacSubject(RbacSubjectKind.User, $"user-{random.Next(2000)}"),
                1 => new RbacSubject(RbacSubjectKind.Group, $"group-{random.Next(200)}"),
                _ => new RbacSubject(RbacSubjectKind.ServiceAccount, $"sa-{random.Next(20)}", ns),
            });
        }

        return subjects;
    }

    private static string[] Pick(Random random, string[] values, int max) =>
        Enumerable.Range(0, random.Next(1, max + 1)).Select(_ => values[random.Next(values.Length)]).Distinct(StringComparer.Ordinal).ToArray();
}
