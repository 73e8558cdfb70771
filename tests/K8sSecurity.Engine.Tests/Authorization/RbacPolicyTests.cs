using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using Xunit;

namespace K8sSecurity.Engine.Tests.Authorization;

public sealed class RbacPolicyTests
{
    private const string Manifests = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: { name: pod-reader, labels: { team: reader } }
        rules:
        - apiGroups: [""]
          resources: [pods, pods/log]
          verbs: [get, list]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: { name: scaler }
        rules:
        - apiGroups: ["*"]
          resources: ["*/scale"]
          verbs: [update]
        - nonResourceURLs: ["/healthz/*", "/metrics"]
          verbs: [get]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: { name: aggregated }
        aggregationRule:
          clusterRoleSelectors:
          - matchLabels: { team: reader }
        rules: []
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: { name: top, labels: {} }
        aggregationRule:
          clusterRoleSelectors:
          - matchExpressions: [{ key: chain, operator: Exists }]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: { name: middle, labels: { chain: "yes" } }
        aggregationRule:
          clusterRoleSelectors:
          - matchLabels: { team: writer }
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: { name: writer-rules, labels: { team: writer } }
        rules:
        - apiGroups: [apps]
          resources: [deployments]
          verbs: [create]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: { name: secret-one, namespace: team-a }
        rules:
        - apiGroups: [""]
          resources: [secrets]
          resourceNames: [db-password]
          verbs: [get]
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: { name: read-pods, namespace: team-a }
        roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pod-reader }
        subjects:
        - { kind: User, name: alice, apiGroup: rbac.authorization.k8s.io }
        - { kind: ServiceAccount, name: builder }
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: { name: one-secret, namespace: team-a }
        roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-one }
        subjects:
        - { kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io }
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: { name: scalers }
        roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: scaler }
        subjects:
        - { kind: Group, name: "system:serviceaccounts:ops", apiGroup: rbac.authorization.k8s.io }
        - { kind: ServiceAccount, name: no-namespace }
        - { kind: user, name: bob }
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: { name: deployers }
        roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: top }
        subjects:
        - { kind: User, name: carol, apiGroup: rbac.authorization.k8s.io }
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: { name: role-ref-from-cluster-binding }
        roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: secret-one }
        subjects:
        - { kind: User, name: dave, apiGroup: rbac.authorization.k8s.io }
        """;

    private readonly RbacPolicy policy = RbacSource.LoadFromObjects(ManifestReader.ReadText(Manifests, "rbac.yaml", e => throw new InvalidOperationException(e.ToString())), EngineLog.None);

    /// <summary>
    /// -User gets the group the API server's AuthenticatedGroupAdder (and kubectl --as, through impersonation) adds:
    /// system:authenticated, system:unauthenticated for system:anonymous, nothing when either is named; -Group alone is
    /// a group-only question and gets nothing added.
    /// </summary>
    [Theory]
    [InlineData("dora", "", "system:authenticated")]
    [InlineData("dora", "devs,ops", "devs,ops,system:authenticated")]
    [InlineData("dora", "devs,system:authenticated", "devs,system:authenticated")]
    [InlineData("dora", "system:unauthenticated", "system:unauthenticated")]
    [InlineData("system:anonymous", "", "system:unauthenticated")]
    [InlineData(null, "devs", "devs")]
    public void AUserIsCheckedWithTheGroupEveryRequestOfTheUserCarries(string? user, string groups, string expected)
    {
        var identity = RbacIdentity.From(user, groups.Split(',', StringSplitOptions.RemoveEmptyEntries), null);
        Assert.Equal(expected.Split(','), identity.Groups);
    }

    private static RbacIdentity User(string name, params string[] groups) => new() { UserName = name, Groups = groups };

    private static AccessRequest Resource(string verb, string resource, string? ns = null, string? name = null, string group = "") =>
        AccessRequest.Create(verb, resource, null, group, name, ns, null);

    [Fact]
    public void RoleBindingToClusterRoleGrantsOnlyInItsNamespace()
    {
        var inside = policy.Authorize(User("alice"), Resource("get", "pods", "team-a"));
        Assert.True(inside.Allowed);
        var grant = Assert.Single(inside.Grants);
        Assert.Equal("RoleBinding/team-a/read-pods", grant.Binding);
        Assert.Equal("ClusterRole/pod-reader", grant.Role);
        Assert.Equal("RBAC: allowed by RoleBinding \"read-pods/team-a\" of ClusterRole \"pod-reader\" to User \"alice\"", inside.Reason);

        Assert.False(policy.Authorize(User("alice"), Resource("get", "pods", "team-b")).Allowed);
        Assert.False(policy.Authorize(User("alice"), Resource("get", "pods")).Allowed); // cluster-wide: RoleBindings never count
        Assert.False(policy.Authorize(User("alice"), Resource("delete", "pods", "team-a")).Allowed);
        Assert.False(policy.Authorize(User("Alice"), Resource("get", "pods", "team-a")).Allowed); // names are case-sensitive
    }

    [Fact]
    public void SubresourcesMatchOnlyWhenNamedOrByStarSlash()
    {
        Assert.True(policy.Authorize(User("alice"), Resource("get", "pods/log", "team-a")).Allowed);
        Assert.False(policy.Authorize(User("alice"), Resource("get", "pods/exec", "team-a")).Allowed);
        var ops = new RbacIdentity { UserName = "system:serviceaccount:ops:robot", Groups = new[] { "system:serviceaccounts:ops" } };
        Assert.True(policy.Authorize(ops, Resource("update", "deployments/scale", "x", group: "apps")).Allowed);
        Assert.True(policy.Authorize(ops, Resource("update", "statefulsets/scale", "x", group: "apps")).Allowed);
        Assert.False(policy.Authorize(ops, Resource("update", "deployments", "x", group: "apps")).Allowed); // */scale is not the parent
        Assert.False(policy.Authorize(ops, Resource("update", "deployments/status", "x", group: "apps")).Allowed);
    }

    [Fact]
    public void NonResourceUrlsMatchExactlyOrByTrailingStarPrefix()
    {
        var ops = new RbacIdentity { Groups = new[] { "system:serviceaccounts:ops" } };
        AccessRequest Url(string url) => AccessRequest.Create("get", null, null, null, null, null, url);
        Assert.True(policy.Authorize(ops, Url("/metrics")).Allowed);
        Assert.False(policy.Authorize(ops, Url("/metrics/extra")).Allowed);
        Assert.True(policy.Authorize(ops, Url("/healthz/etcd")).Allowed);
        Assert.True(policy.Authorize(ops, Url("/healthz/")).Allowed);
        Assert.False(policy.Authorize(ops, Url("/healthz")).Allowed); // "/healthz/*" needs the slash
        Assert.False(policy.Authorize(ops, AccessRequest.Create("post", null, null, null, null, null, "/metrics")).Allowed);
    }

    [Fact]
    public void ResourceNamesRestrictNamedRequestsAndNeverAllowUnnamedOnes()
    {
        var dev = new RbacIdentity { UserName = "erin", Groups = new[] { "devs" } };
        Assert.True(policy.Authorize(dev, Resource("get", "secrets", "team-a", "db-password")).Allowed);
        Assert.False(policy.Authorize(dev, Resource("get", "secrets", "team-a", "other")).Allowed);
        Assert.False(policy.Authorize(dev, Resource("get", "secrets", "team-a")).Allowed);
        Assert.False(policy.Authorize(dev, Resource("list", "secrets", "team-a")).Allowed);
    }

    [Fact]
    public void ServiceAccountSubjectsDefaultToTheRoleBindingNamespaceButNotInClusterRoleBindings()
    {
        var builder = new RbacIdentity { UserName = "system:serviceaccount:team-a:builder" };
        var decision = policy.Authorize(builder, Resource("list", "pods", "team-a"));
        Assert.True(decision.Allowed);
        Assert.Equal(new RbacSubject(RbacSubjectKind.ServiceAccount, "builder", "team-a"), decision.Grants[0].Subject);
        Assert.False(policy.Authorize(new RbacIdentity { UserName = "system:serviceaccount:team-b:builder" }, Resource("list", "pods", "team-a")).Allowed);

        // A ClusterRoleBinding's service account without namespace never matches; kinds are case-sensitive ("user").
        Assert.False(policy.Authorize(new RbacIdentity { UserName = "system:serviceaccount::no-namespace" }, Resource("update", "deployments/scale", "x", group: "apps")).Allowed);
        Assert.False(policy.Authorize(User("bob"), Resource("update", "deployments/scale", "x", group: "apps")).Allowed);
        Assert.DoesNotContain(policy.WhoCan(Resource("update", "deployments/scale", "x", group: "apps")), s => s.SubjectName is "no-namespace" or "bob");
    }

    [Fact]
    public void AggregatedClusterRolesHoldTheRulesOfMatchingRolesTransitively()
    {
        Assert.True(policy.TryGetClusterRole("aggregated", out var aggregated));
        Assert.Equal(new[] { "pod-reader" }, aggregated.AggregatedFrom);
        Assert.Single(aggregated.Rules);

        // top selects roles labelled chain (middle), middle aggregates writer-rules: carol gets create deployments.
        var decision = policy.Authorize(User("carol"), Resource("create", "deployments", "anywhere", group: "apps"));
        Assert.True(decision.Allowed);
        Assert.Equal("ClusterRole/top", decision.Grants[0].Role);
        Assert.False(policy.Authorize(User("carol"), Resource("create", "deployments", "anywhere", group: "extensions")).Allowed);
    }

    [Fact]
    public void ClusterRoleBindingToARoleNeverResolves()
    {
        Assert.False(policy.Authorize(User("dave"), Resource("get", "secrets", "team-a", "db-password")).Allowed);
    }

    [Fact]
    public void WhoCanListsEverySubjectWithItsGrantAndScope()
    {
        var answers = policy.WhoCan(Resource("get", "pods", "team-a"));
        Assert.Equal(
            new[] { "ServiceAccount:team-a:builder", "User:alice" },
            answers.Select(a => a.Subject.ToString()).Order(StringComparer.Ordinal).ToArray());
        Assert.All(answers, a => Assert.Equal("RoleBinding/team-a/read-pods", a.Binding));
        Assert.Empty(policy.WhoCan(Resource("get", "pods", "team-b")));
        Assert.Equal(2, policy.WhoCan(Resource("get", "pods"), allNamespaces: true).Count);
    }

    [Fact]
    public void RulesForShowsEveryRuleWithItsSource()
    {
        var rules = policy.RulesFor(new RbacIdentity { UserName = "system:serviceaccount:ops:robot", Groups = new[] { "system:serviceaccounts:ops" } }, "ops");
        Assert.Equal(2, rules.Count);
        Assert.All(rules, r => Assert.Equal("ClusterRoleBinding/scalers", r.Binding));
        Assert.Equal("Group:system:serviceaccounts:ops", rules[0].Subject.ToString());
    }

    [Fact]
    public void KubectlJsonDumpsWithTypedListsLoad()
    {
        string dump = """
            {"apiVersion":"v1","kind":"List","items":[
              {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"ns-reader"},
               "rules":[{"apiGroups":[""],"resources":["namespaces"],"verbs":["get","list"]}]},
              {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ignored","namespace":"x"}}]}
            """;
        string typed = """
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBindingList","items":[
              {"metadata":{"name":"readers"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"ns-reader"},
               "subjects":[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"readers"}]}]}
            """;
        var objects = ManifestReader.ReadText(dump, "roles.json", e => throw new InvalidOperationException(e.ToString()))
            .Concat(ManifestReader.ReadText(typed, "bindings.json", e => throw new InvalidOperationException(e.ToString())));
        var loaded = RbacSource.LoadFromObjects(objects, EngineLog.None);
        var decision = loaded.Authorize(new RbacIdentity { Groups = new[] { "readers" } }, Resource("list", "namespaces"));
        Assert.True(decision.Allowed);
        Assert.Equal("ClusterRoleBinding/readers", decision.Grants[0].Binding);
        Assert.Single(loaded.ClusterRoles);
    }

    [Theory]
    [InlineData("pods/log", null, "pods", "log", "")]
    [InlineData("deployments.apps", null, "deployments", null, "apps")]
    [InlineData("deployments.apps/scale", null, "deployments", "scale", "apps")]
    [InlineData("pods", "exec", "pods", "exec", "")]
    public void RequestsSplitResourceSubresourceAndGroupLikeKubectl(string resource, string? subresource, string expectedResource, string? expectedSub, string expectedGroup)
    {
        var request = AccessRequest.Create("get", resource, subresource, null, null, "x", null);
        Assert.Equal(expectedResource, request.Resource);
        Assert.Equal(expectedSub, request.Subresource);
        Assert.Equal(expectedGroup, request.ApiGroup);
    }

    [Fact]
    public void BadRequestsFailNamingTheValue()
    {
        var ex = Assert.Throws<K8sOperationException>(() => AccessRequest.Create("get", null, null, null, null, null, "healthz"));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("'healthz'", ex.Message);
        Assert.Throws<K8sOperationException>(() => AccessRequest.Create("get", "pods", null, null, null, "Bad_NS", null));
        Assert.Throws<K8sOperationException>(() => RbacSubject.ParseServiceAccount("builder", null));
        Assert.Equal(new RbacSubject(RbacSubjectKind.ServiceAccount, "builder", "ci"), RbacSubject.ParseServiceAccount("ci:builder", "other"));
    }

    [Fact]
    public void ServiceAccountIdentityCarriesTheImpliedGroups()
    {
        var identity = RbacIdentity.From(null, null, new RbacSubject(RbacSubjectKind.ServiceAccount, "builder", "ci"));
        Assert.Equal("system:serviceaccount:ci:builder", identity.UserName);
        Assert.Equal(new[] { "system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated" }, identity.Groups);
        var user = RbacIdentity.From("alice", new[] { "developers", "ops" }, null);
        // The given groups plus system:authenticated, as kubectl --as alice --as-group developers --as-group ops sends them.
        Assert.Equal(new[] { "developers", "ops", "system:authenticated" }, user.Groups);
    }
}
