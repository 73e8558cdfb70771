using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Authorization;

public sealed class AccessCheckTests : IDisposable
{
    private readonly AuthorizationTestCluster cluster = AuthorizationTestCluster.Start("team-a", "team-b");

    public AccessCheckTests()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole edit -User sammy -Namespace team-a").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole view -Group system:serviceaccounts:team-b -Namespace team-b").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole view -Group auditors").AssertNoErrors();
    }

    [Fact]
    public void SelfCheckUsesSelfSubjectAccessReviewForTheCaller()
    {
        string sammy = cluster.Server.WriteKubeconfig(Path.Combine(cluster.Directory, "sammy.kubeconfig"), "sammy");
        var inside = Assert.Single(cluster.Invoke("Test-K8sAccess get pods -Namespace team-a -Kubeconfig $args[0]", sammy).AssertNoErrors().Output);
        Assert.True((bool)inside.Properties["Allowed"].Value);
        Assert.Equal("SelfSubjectAccessReview", inside.Properties["Method"].Value);
        var outside = Assert.Single(cluster.Invoke("Test-K8sAccess get pods -Namespace team-b -Kubeconfig $args[0]", sammy).AssertNoErrors().Output);
        Assert.False((bool)outside.Properties["Allowed"].Value);
        Assert.Contains(cluster.Server.Requests, r => r.Path.EndsWith("/selfsubjectaccessreviews", StringComparison.Ordinal) && r.User == "sammy");
    }

    [Fact]
    public void PipedVerbsMakeAMatrixOfSubjectAccessReviews()
    {
        var results = cluster.Invoke("'get','list','delete','escalate' | Test-K8sAccess -Resource secrets -User sammy -Namespace team-a").AssertNoErrors().Output;
        Assert.Equal(new[] { "get", "list", "delete", "escalate" }, results.Select(r => (string)r.Properties["Verb"].Value));
        Assert.Equal(new[] { true, true, true, false }, results.Select(r => (bool)r.Properties["Allowed"].Value));
        Assert.All(results, r => Assert.Equal("SubjectAccessReview", r.Properties["Method"].Value));
        Assert.Equal(4, cluster.Server.Requests.Count(r => r.Path.EndsWith("/subjectaccessreviews", StringComparison.Ordinal)));
    }

    [Fact]
    public void SubjectSemanticsFollowTheIssue()
    {
        // -ServiceAccount implies system:serviceaccounts:<ns>; the group grant in team-b applies.
        Assert.True(Bool(cluster.Invoke("Test-K8sAccess list pods -Namespace team-b -ServiceAccount team-b:builder").AssertNoErrors()));
        Assert.False(Bool(cluster.Invoke("Test-K8sAccess list pods -Namespace team-b -ServiceAccount team-a:builder").AssertNoErrors()));

        // -Group alone: a member of that group; -User with -Group: that user in those groups only.
        Assert.True(Bool(cluster.Invoke("Test-K8sAccess list deployments.apps -Group auditors").AssertNoErrors()));
        Assert.True(Bool(cluster.Invoke("Test-K8sAccess list deployments.apps -User zoe -Group developers,auditors").AssertNoErrors()));
        Assert.False(Bool(cluster.Invoke("Test-K8sAccess list deployments.apps -User zoe").AssertNoErrors()));
        var body = cluster.Server.Requests.Last(r => r.Path.EndsWith("/subjectaccessreviews", StringComparison.Ordinal)).RequestBody!;
        Assert.Contains("\"user\":\"zoe\"", body.Replace(" ", string.Empty, StringComparison.Ordinal));
    }

    [Fact]
    public void OfflineAnswersMatchAndNameTheGrantingBindingAndRole()
    {
        var online = cluster.Invoke("'get','delete','escalate' | Test-K8sAccess -Resource secrets -User sammy -Namespace team-a").AssertNoErrors().Output;
        var offline = cluster.Invoke("'get','delete','escalate' | Test-K8sAccess -Resource secrets -User sammy -Namespace team-a -Offline").AssertNoErrors().Output;
        Assert.Equal(online.Select(r => r.Properties["Allowed"].Value), offline.Select(r => r.Properties["Allowed"].Value));
        Assert.Equal("Offline", offline[0].Properties["Method"].Value);
        Assert.Equal("RoleBinding/team-a/k8ssecurity:clusterrole:edit", offline[0].Properties["Binding"].Value);
        Assert.Equal("ClusterRole/edit", offline[0].Properties["Role"].Value);
        Assert.Contains("RBAC: allowed by RoleBinding \"k8ssecurity:clusterrole:edit/team-a\" of ClusterRole \"edit\" to User \"sammy\"", (string)offline[0].Properties["Reason"].Value, StringComparison.Ordinal);

        // The RBAC objects were read once (one list per kind), not per piped verb.
        Assert.Single(cluster.Server.Requests, r => r.Method == "GET" && r.Path == "/apis/rbac.authorization.k8s.io/v1/clusterroles");
    }

    [Fact]
    public void OfflineFromManifestFilesNeedsNoCluster()
    {
        string file = Path.Combine(cluster.Directory, "rbac.yaml");
        File.WriteAllText(file, """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: rbac.authorization.k8s.io/v1
              kind: ClusterRole
              metadata: { name: healthz }
              rules: [{ nonResourceURLs: ["/healthz/*"], verbs: [get] }]
            - apiVersion: rbac.authorization.k8s.io/v1
              kind: ClusterRoleBinding
              metadata: { name: probes }
              roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: healthz }
              subjects: [{ kind: Group, name: probers, apiGroup: rbac.authorization.k8s.io }]
            """);
        cluster.Server.ClearRequests();
        var result = Assert.Single(cluster.Invoke("Test-K8sAccess get -NonResourceUrl /healthz/etcd -Group probers -Path $args[0]", file).AssertNoErrors().Output);
        Assert.True((bool)result.Properties["Allowed"].Value);
        Assert.Equal("ClusterRoleBinding/probes", result.Properties["Binding"].Value);
        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void OfflineWithoutSubjectChecksTheAuthenticatedCaller()
    {
        var admin = Assert.Single(cluster.Invoke("Test-K8sAccess delete nodes -Offline").AssertNoErrors().Output);
        Assert.True((bool)admin.Properties["Allowed"].Value);
        Assert.Equal("admin", admin.Properties["User"].Value);
        Assert.Contains("system:masters", (IEnumerable<string>)admin.Properties["Groups"].Value);
        Assert.Equal("ClusterRoleBinding/cluster-admin", admin.Properties["Binding"].Value);

        // Offline answers need the RBAC objects: a caller who may not list them gets one clear error.
        string sammy = cluster.Server.WriteKubeconfig(Path.Combine(cluster.Directory, "sammy-offline.kubeconfig"), "sammy");
        var denied = cluster.Invoke("Test-K8sAccess get pods -Namespace team-a -Offline -Kubeconfig $args[0]", sammy);
        Assert.StartsWith("K8sForbidden", denied.TerminatingError!.FullyQualifiedErrorId);
    }

    [Fact]
    public void FindSubjectAnswersWhoCanWithTheGrant()
    {
        var answers = cluster.Invoke("Find-K8sSubject get secrets -Namespace team-a").AssertNoErrors().Output;
        var sammy = Assert.Single(answers, a => (string)a.Properties["SubjectName"].Value == "sammy");
        Assert.Equal("RoleBinding/team-a/k8ssecurity:clusterrole:edit", sammy.Properties["Binding"].Value);
        Assert.Contains(answers, a => (string)a.Properties["SubjectName"].Value == "system:masters" && (string)a.Properties["Role"].Value == "ClusterRole/cluster-admin");
        Assert.DoesNotContain(answers, a => (string)a.Properties["SubjectName"].Value == "auditors"); // view cannot read secrets

        var users = cluster.Invoke("Find-K8sSubject get secrets -AllNamespaces -SubjectKind User").AssertNoErrors().Output;
        Assert.All(users, u => Assert.Equal("User", u.Properties["SubjectKind"].Value.ToString()));
        Assert.Contains(users, u => (string)u.Properties["SubjectName"].Value == "sammy");
    }

    [Fact]
    public void EffectivePermissionListsRulesWithTheirSource()
    {
        // Like `kubectl auth can-i --list --as sammy`: sammy's own binding, plus what every authenticated user holds
        // (the API server adds system:authenticated to each request of sammy; kubectl --as adds it too).
        const string AllAuthenticated = "Group:system:authenticated";
        var rules = cluster.Invoke("Get-K8sEffectivePermission -User sammy -Namespace team-a").AssertNoErrors().Output;
        var own = rules.Where(r => (string)r.Properties["MatchedSubject"].Value != AllAuthenticated).ToList();
        Assert.NotEmpty(own);
        Assert.All(own, r => Assert.Equal("ClusterRole/edit", r.Properties["Role"].Value));
        Assert.Contains(own, r => ((IEnumerable<string>)r.Properties["Resources"].Value).Contains("secrets"));
        Assert.Contains(rules, r => (string)r.Properties["MatchedSubject"].Value == AllAuthenticated && (string)r.Properties["Role"].Value == "ClusterRole/system:basic-user");
        var teamB = cluster.Invoke("Get-K8sEffectivePermission -User sammy -Namespace team-b").AssertNoErrors().Output;
        Assert.NotEmpty(teamB);
        Assert.All(teamB, r => Assert.Equal(AllAuthenticated, r.Properties["MatchedSubject"].Value));

        string text = cluster.Session.Render("Get-K8sEffectivePermission -User sammy -Namespace team-a");
        Assert.Matches(@"Scope\s+Verbs\s+Resources\s+ApiGroups\s+Role", text);
        Assert.Matches(@"team-a\s+\S+.*ClusterRole/edit", text);

        var sa = cluster.Invoke("Get-K8sEffectivePermission -ServiceAccount builder -Namespace team-b").AssertNoErrors().Output;
        Assert.Contains(sa, r => (string)r.Properties["MatchedSubject"].Value == "Group:system:serviceaccounts:team-b");
    }

    /// <summary>
    /// A right granted to system:authenticated is a right of every user: the API server adds that group to each of the
    /// user's requests, and kubectl auth can-i --as adds it through impersonation. -User without it answered "no" to
    /// "can dora list the secrets of team-b?" while dora could. kubectl and dora's own credentials are the oracle.
    /// </summary>
    [Fact]
    public void AUserHoldsWhatEveryAuthenticatedUserIsGranted()
    {
        cluster.Server.Store.Create(System.Text.Json.Nodes.JsonNode.Parse("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"secret-reader","namespace":"team-b"},"rules":[{"apiGroups":[""],"resources":["secrets"],"verbs":["list"]}]}""")!.AsObject());
        cluster.Server.Store.Create(System.Text.Json.Nodes.JsonNode.Parse("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"everyone-reads-secrets","namespace":"team-b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"secret-reader"},"subjects":[{"kind":"Group","name":"system:authenticated","apiGroup":"rbac.authorization.k8s.io"}]}""")!.AsObject());

        var kubectl = Identity.IdentityTools.Run("kubectl", "--kubeconfig", cluster.Kubeconfig, "auth", "can-i", "list", "secrets", "-n", "team-b", "--as", "dora");
        Assert.Equal("yes", kubectl.Out.Trim());
        string dora = cluster.Server.WriteKubeconfig(Path.Combine(cluster.Directory, "dora.kubeconfig"), "dora");
        Assert.True((bool)Assert.Single(cluster.Invoke("Test-K8sAccess list secrets -Namespace team-b -Kubeconfig $args[0]", dora).AssertNoErrors().Output).Properties["Allowed"].Value);

        var online = Assert.Single(cluster.Invoke("Test-K8sAccess list secrets -User dora -Namespace team-b").AssertNoErrors().Output);
        Assert.True((bool)online.Properties["Allowed"].Value);
        var offline = Assert.Single(cluster.Invoke("Test-K8sAccess list secrets -User dora -Namespace team-b -Offline").AssertNoErrors().Output);
        Assert.True((bool)offline.Properties["Allowed"].Value);

        // system:anonymous is not in system:authenticated: kubectl --as system:anonymous cannot even ask (the default
        // policy lets only authenticated users create SelfSubjectAccessReviews); the module answers no for both.
        var anonymous = Identity.IdentityTools.Run("kubectl", "--kubeconfig", cluster.Kubeconfig, "auth", "can-i", "list", "secrets", "-n", "team-b", "--as", "system:anonymous");
        Assert.Contains("User \"system:anonymous\" cannot create resource \"selfsubjectaccessreviews\"", anonymous.Err, StringComparison.Ordinal);
        Assert.False((bool)Assert.Single(cluster.Invoke("Test-K8sAccess create selfsubjectaccessreviews -ApiGroup authorization.k8s.io -User system:anonymous").AssertNoErrors().Output).Properties["Allowed"].Value);
        Assert.True((bool)Assert.Single(cluster.Invoke("Test-K8sAccess create selfsubjectaccessreviews -ApiGroup authorization.k8s.io -User dora").AssertNoErrors().Output).Properties["Allowed"].Value);
        Assert.False((bool)Assert.Single(cluster.Invoke("Test-K8sAccess list secrets -User system:anonymous -Namespace team-b").AssertNoErrors().Output).Properties["Allowed"].Value);
    }

    [Fact]
    public void AccessMatrixShowsVerbsPerResource()
    {
        var rows = cluster.Invoke("Get-K8sAccessMatrix -User sammy -Namespace team-a -Resource pods,nodes,pods/exec -Verb escalate").AssertNoErrors().Output;
        Assert.Equal(new[] { "pods", "nodes", "pods/exec" }, rows.Select(r => (string)r.Properties["Resource"].Value));
        Assert.True((bool)rows[0].Properties["Get"].Value);
        Assert.True((bool)rows[0].Properties["DeleteCollection"].Value);
        Assert.False((bool)rows[1].Properties["Get"].Value);
        Assert.True((bool)rows[2].Properties["Create"].Value);
        Assert.DoesNotContain("escalate", (IEnumerable<string>)rows[0].Properties["AllowedVerbs"].Value);
        string text = cluster.Session.Render("Get-K8sAccessMatrix -User sammy -Namespace team-a -Resource pods,nodes");
        Assert.Matches(@"Resource\s+Get\s+List\s+Watch\s+Create\s+Update\s+Patch\s+Delete\s+DeleteCollection", text);
        Assert.Matches(@"pods\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes\s+yes", text);
        Assert.Matches(@"nodes\s+-\s+-\s+-", text);
    }

    [Fact]
    public void AResourceNamedWithoutItsGroupIsCheckedInTheGroupThatServesIt()
    {
        // `kubectl auth can-i create deployments --as sammy -n team-a` says yes: kubectl's REST mapper resolves
        // deployments to deployments.apps, which edit grants. Asking about "deployments" of the core group (which serves
        // none) answered no, and who-can missed sammy.
        var online = Assert.Single(cluster.Invoke("Test-K8sAccess create deployments -User sammy -Namespace team-a").AssertNoErrors().Output);
        Assert.True((bool)online.Properties["Allowed"].Value);
        Assert.Equal("apps", online.Properties["ApiGroup"].Value);
        var body = cluster.Server.Requests.Last(r => r.Path.EndsWith("/subjectaccessreviews", StringComparison.Ordinal)).RequestBody!;
        Assert.Contains("\"group\":\"apps\"", body.Replace(" ", string.Empty, StringComparison.Ordinal));

        var offline = Assert.Single(cluster.Invoke("Test-K8sAccess create deployments -User sammy -Namespace team-a -Offline").AssertNoErrors().Output);
        Assert.True((bool)offline.Properties["Allowed"].Value);
        Assert.Equal("apps", offline.Properties["ApiGroup"].Value);
        Assert.Equal("ClusterRole/edit", offline.Properties["Role"].Value);
        var rbac = Assert.Single(cluster.Invoke("Test-K8sAccess create rolebindings -User sammy -Namespace team-a -Offline").AssertNoErrors().Output);
        Assert.Equal("rbac.authorization.k8s.io", rbac.Properties["ApiGroup"].Value);

        var who = cluster.Invoke("Find-K8sSubject create deployments -Namespace team-a").AssertNoErrors().Output;
        Assert.Contains(who, a => (string)a.Properties["SubjectName"].Value == "sammy");

        var row = Assert.Single(cluster.Invoke("Get-K8sAccessMatrix -User sammy -Namespace team-a -Resource deployments/scale").AssertNoErrors().Output);
        Assert.Equal("apps", row.Properties["ApiGroup"].Value);
        Assert.True((bool)row.Properties["Update"].Value);

        // A group the caller names is kept: the core group serves no deployments, so nobody but a wildcard may.
        Assert.False(Bool(cluster.Invoke("Test-K8sAccess create deployments -ApiGroup '' -User sammy -Namespace team-a").AssertNoErrors()));

        // A resource no group serves is asked as given, with kubectl's warning.
        var unknown = cluster.Invoke("Test-K8sAccess get widgets -User sammy -Namespace team-a");
        Assert.Contains(unknown.Warnings, w => w.Contains("'widgets'", StringComparison.Ordinal));
    }

    [Fact]
    public void BadRequestsFailBeforeAnythingIsSent()
    {
        cluster.Server.ClearRequests();
        var bad = cluster.Invoke("Test-K8sAccess get -NonResourceUrl healthz");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(bad.Errors).FullyQualifiedErrorId);
        var badSa = cluster.Invoke("Test-K8sAccess get pods -User a -ServiceAccount ns:b");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(badSa.Errors).FullyQualifiedErrorId);
        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void DefaultViewsRender()
    {
        string text = cluster.Session.Render("Test-K8sAccess get secrets -User sammy -Namespace team-a -Offline");
        Assert.Matches(@"Allowed\s+Request\s+Subject\s+Method\s+GrantedBy", text);
        Assert.Matches(@"True\s+get secrets \(namespace team-a\)\s+sammy\s+Offline\s+ClusterRole/edit \(RoleBinding/team-a/k8ssecurity:clusterrole:edit\)", text);
        Assert.Matches(@"False\s+get nodes\s+sammy\s+SAR\s+", cluster.Session.Render("Test-K8sAccess get nodes -User sammy"));
        string who = cluster.Session.Render("Find-K8sSubject get secrets -Namespace team-a");
        Assert.Matches(@"User\s+sammy\s+team-a\s+ClusterRole/edit", who);
    }

    private static bool Bool(PsResult result) => (bool)Assert.Single(result.Output).Properties["Allowed"].Value;

    public void Dispose() => cluster.Dispose();
}
