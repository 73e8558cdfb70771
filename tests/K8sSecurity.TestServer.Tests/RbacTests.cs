using System.Text.Json.Nodes;
using Xunit;
using static K8sSecurity.TestServer.Tests.TestClients;

namespace K8sSecurity.TestServer.Tests;

public sealed class RbacTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    private static JsonObject Role(string ns, string name, string rules) =>
        J($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},"rules":{{{rules}}}}""");

    private static JsonObject RoleBinding(string ns, string name, string roleKind, string role, string subjects) =>
        J($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"{{{name}}}","namespace":"{{{ns}}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"{{{roleKind}}}","name":"{{{role}}}"},"subjects":{{{subjects}}}}""");

    private async Task<(bool Allowed, string? Reason)> CanAsync(string user, string[] groups, string verb, string resource, string ns = "", string group = "", string sub = "", string name = "")
    {
        var sar = new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["spec"] = new JsonObject
            {
                ["user"] = user,
                ["groups"] = groups.ToJsonArray(),
                ["resourceAttributes"] = new JsonObject { ["namespace"] = ns, ["verb"] = verb, ["group"] = group, ["resource"] = resource, ["subresource"] = sub, ["name"] = name },
            },
        };
        var (status, body, _) = await f.Admin.KPost("/apis/authorization.k8s.io/v1/subjectaccessreviews", sar);
        Assert.Equal(201, status);
        return (body!["status"]!["allowed"]!.GetValue<bool>(), body["status"]!["reason"]?.GetValue<string>());
    }

    [Fact]
    public async Task Forbidden_then_allowed_after_a_rolebinding_with_the_real_messages()
    {
        var ns = f.NewNamespace();
        using var bob = ForUser(f.Server, "bob", "qa");
        var (status, body, _) = await bob.KGet($"/api/v1/namespaces/{ns}/pods");
        Assert.Equal(403, status);
        Assert.Equal($"pods is forbidden: User \"bob\" cannot list resource \"pods\" in API group \"\" in the namespace \"{ns}\"", body!["message"]!.GetValue<string>());
        f.Server.Store.Create(RoleBinding(ns, "bob-view", "ClusterRole", "view", """[{"kind":"User","name":"bob","apiGroup":"rbac.authorization.k8s.io"}]"""));
        Assert.Equal(200, (await bob.KGet($"/api/v1/namespaces/{ns}/pods")).Status);
        Assert.Equal(403, (await bob.KGet($"/api/v1/namespaces/{ns}/secrets")).Status);
        var (allowed, reason) = await CanAsync("bob", ["qa"], "list", "pods", ns);
        Assert.True(allowed);
        Assert.Equal($"RBAC: allowed by RoleBinding \"bob-view/{ns}\" of ClusterRole \"view\" to User \"bob\"", reason);
    }

    [Fact]
    public async Task Resource_names_subresources_and_wildcards()
    {
        var ns = f.NewNamespace();
        f.Server.Store.Create(Role(ns, "one-cm", """[{"apiGroups":[""],"resources":["configmaps"],"resourceNames":["allowed"],"verbs":["get"]},{"apiGroups":[""],"resources":["pods/exec"],"verbs":["create"]},{"apiGroups":["apps"],"resources":["*"],"verbs":["*"]},{"apiGroups":["batch"],"resources":["*/status"],"verbs":["get"]}]"""));
        f.Server.Store.Create(RoleBinding(ns, "carol", "Role", "one-cm", """[{"kind":"Group","name":"carols","apiGroup":"rbac.authorization.k8s.io"}]"""));
        string[] g = ["carols"];
        Assert.True((await CanAsync("carol", g, "get", "configmaps", ns, name: "allowed")).Allowed);
        Assert.False((await CanAsync("carol", g, "get", "configmaps", ns, name: "other")).Allowed);
        Assert.False((await CanAsync("carol", g, "list", "configmaps", ns)).Allowed);
        Assert.True((await CanAsync("carol", g, "create", "pods", ns, sub: "exec")).Allowed);
        Assert.False((await CanAsync("carol", g, "create", "pods", ns)).Allowed);
        Assert.True((await CanAsync("carol", g, "delete", "deployments", ns, group: "apps")).Allowed);
        Assert.False((await CanAsync("carol", g, "delete", "deployments", ns, group: "extensions")).Allowed);
        Assert.True((await CanAsync("carol", g, "get", "jobs", ns, group: "batch", sub: "status")).Allowed);
        Assert.False((await CanAsync("carol", g, "get", "jobs", ns, group: "batch")).Allowed);
        Assert.False((await CanAsync("carol", g, "get", "configmaps", "other-ns", name: "allowed")).Allowed);
        var (_, reason) = await CanAsync("carol", g, "create", "pods", ns, sub: "exec");
        Assert.Equal($"RBAC: allowed by RoleBinding \"carol/{ns}\" of Role \"one-cm\" to Group \"carols\"", reason);
    }

    [Fact]
    public async Task Service_account_subjects_and_tokens()
    {
        var ns = f.NewNamespace();
        f.Server.Store.Create(J($$$"""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"robot","namespace":"{{{ns}}}"}}"""));
        // Subject without namespace: defaults to the binding's namespace.
        f.Server.Store.Create(RoleBinding(ns, "robot-edit", "ClusterRole", "edit", """[{"kind":"ServiceAccount","name":"robot"}]"""));
        var (ts, tr, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/serviceaccounts/robot/token", J("""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}}"""));
        Assert.Equal(201, ts);
        Assert.Equal(3600, tr!["spec"]!["expirationSeconds"]!.GetValue<long>());
        using var robot = ForToken(f.Server, tr["status"]!["token"]!.GetValue<string>());
        var (ws, who, _) = await robot.KPost("/apis/authentication.k8s.io/v1/selfsubjectreviews", J("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"""));
        Assert.Equal(201, ws);
        Assert.Equal($"system:serviceaccount:{ns}:robot", who!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        Assert.Equal($$$"""["system:serviceaccounts","system:serviceaccounts:{{{ns}}}","system:authenticated"]""", who["status"]!["userInfo"]!["groups"]!.ToJsonString());
        Assert.Equal(201, (await robot.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"by-robot"}}"""))).Status);
        Assert.Equal(403, (await robot.KGet("/api/v1/namespaces/kube-system/configmaps")).Status);
        var (_, reason) = await CanAsync($"system:serviceaccount:{ns}:robot", ["system:serviceaccounts"], "create", "configmaps", ns);
        Assert.Equal($"RBAC: allowed by RoleBinding \"robot-edit/{ns}\" of ClusterRole \"edit\" to ServiceAccount \"robot/{ns}\"", reason);

        // Deleting the ServiceAccount invalidates its tokens.
        Assert.Equal(200, (await f.Admin.KDelete($"/api/v1/namespaces/{ns}/serviceaccounts/robot")).Status);
        Assert.Equal(401, (await robot.KGet($"/api/v1/namespaces/{ns}/configmaps")).Status);
    }

    [Fact]
    public async Task Aggregation_picks_up_new_labelled_cluster_roles_on_read()
    {
        var name = "aggregate-widgets-" + Guid.NewGuid().ToString("N")[..6];
        Assert.False((await CanAsync("dave", [], "list", "widgets", "default", group: "example.com")).Allowed);
        f.Server.Store.Create(J($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"{{{name}}}","labels":{"rbac.authorization.k8s.io/aggregate-to-view":"true"}},"rules":[{"apiGroups":["example.com"],"resources":["widgets"],"verbs":["list"]}]}"""));
        f.Server.Store.Create(J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"dave-admin"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"admin"},"subjects":[{"kind":"User","name":"dave","apiGroup":"rbac.authorization.k8s.io"}]}"""));
        // view → edit → admin: nested aggregation converges like the controller.
        var (allowed, reason) = await CanAsync("dave", [], "list", "widgets", "default", group: "example.com");
        Assert.True(allowed);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"dave-admin\" of ClusterRole \"admin\" to User \"dave\"", reason);
        var (_, admin, _) = await f.Admin.KGet("/apis/rbac.authorization.k8s.io/v1/clusterroles/admin");
        Assert.Contains(admin!["rules"]!.AsArray(), r => r!["resources"]![0]!.GetValue<string>() == "widgets");
        Assert.Contains(admin["rules"]!.AsArray(), r => r!["resources"]!.AsArray().Any(x => x!.GetValue<string>() == "rolebindings"));
    }

    [Fact]
    public async Task Non_resource_urls_with_wildcards()
    {
        Assert.True((await NonResourceAsync("erin", ["system:authenticated"], "/apis/apps/v1")).Allowed);
        Assert.False((await NonResourceAsync("erin", ["system:authenticated"], "/metrics")).Allowed);
        f.Server.Store.Create(J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"metrics-reader"},"rules":[{"nonResourceURLs":["/metrics/*","/logs"],"verbs":["get"]}]}"""));
        f.Server.Store.Create(J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"erin-metrics"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"metrics-reader"},"subjects":[{"kind":"User","name":"erin","apiGroup":"rbac.authorization.k8s.io"}]}"""));
        Assert.True((await NonResourceAsync("erin", [], "/metrics/cadvisor")).Allowed);
        Assert.False((await NonResourceAsync("erin", [], "/metrics")).Allowed);
        Assert.True((await NonResourceAsync("erin", [], "/logs")).Allowed);
        Assert.False((await NonResourceAsync("erin", [], "/logs/x")).Allowed);
    }

    private async Task<(bool Allowed, string? Reason)> NonResourceAsync(string user, string[] groups, string path)
    {
        var sar = new JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "SubjectAccessReview",
            ["spec"] = new JsonObject { ["user"] = user, ["groups"] = groups.ToJsonArray(), ["nonResourceAttributes"] = new JsonObject { ["path"] = path, ["verb"] = "get" } },
        };
        var (_, body, _) = await f.Admin.KPost("/apis/authorization.k8s.io/v1/subjectaccessreviews", sar);
        return (body!["status"]!["allowed"]!.GetValue<bool>(), body["status"]!["reason"]?.GetValue<string>());
    }

    [Fact]
    public async Task Self_reviews_and_local_subject_access_review()
    {
        var ns = f.NewNamespace();
        f.Server.Store.Create(RoleBinding(ns, "frank-edit", "ClusterRole", "edit", """[{"kind":"User","name":"frank","apiGroup":"rbac.authorization.k8s.io"}]"""));
        using var frank = ForUser(f.Server, "frank");
        var (s1, ssar, _) = await frank.KPost("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
            J($$$$"""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"{{{{ns}}}}","verb":"delete","group":"apps","resource":"deployments"}}}"""));
        Assert.Equal(201, s1);
        Assert.True(ssar!["status"]!["allowed"]!.GetValue<bool>());
        var (s2, rules, _) = await frank.KPost("/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
            J($$$"""{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectRulesReview","spec":{"namespace":"{{{ns}}}"}}"""));
        Assert.Equal(201, s2);
        Assert.Contains(rules!["status"]!["resourceRules"]!.AsArray(), r => r!["resources"]!.AsArray().Any(x => x!.GetValue<string>() == "pods/exec"));
        Assert.False(rules["status"]!["incomplete"]!.GetValue<bool>());
        // LocalSubjectAccessReview needs create on localsubjectaccessreviews (admin has it via aggregate-to-admin).
        var (s3, local, _) = await f.Admin.KPost($"/apis/authorization.k8s.io/v1/namespaces/{ns}/localsubjectaccessreviews",
            J($$$$"""{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","metadata":{"namespace":"{{{{ns}}}}"},"spec":{"user":"frank","resourceAttributes":{"verb":"get","resource":"secrets"}}}"""));
        Assert.Equal(201, s3);
        Assert.True(local!["status"]!["allowed"]!.GetValue<bool>());
        var (s4, _, _) = await frank.KPost("/apis/authorization.k8s.io/v1/subjectaccessreviews",
            J("""{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"x","resourceAttributes":{"verb":"get","resource":"pods"}}}"""));
        Assert.Equal(403, s4);
    }

    [Fact]
    public async Task RoleBinding_validation_and_defaulting()
    {
        var ns = f.NewNamespace();
        var (status, body, _) = await f.Admin.KPost($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
            J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"x"},{"kind":"Robot","name":"y"}]}"""));
        Assert.Equal(422, status);
        Assert.Equal("subjects[1].kind", body!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        var (ok, created, _) = await f.Admin.KPost($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings",
            J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"x"}]}"""));
        Assert.Equal(201, ok);
        Assert.Equal("rbac.authorization.k8s.io", created!["subjects"]![0]!["apiGroup"]!.GetValue<string>());
        var (us, ub, _) = await f.Admin.KPatch($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/b", J("""{"roleRef":{"name":"edit"}}"""), "application/merge-patch+json");
        Assert.Equal(422, us);
        Assert.Equal("roleRef", ub!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }
    [Fact]
    public async Task Impersonation_requires_the_impersonate_verb_and_changes_the_user()
    {
        var ns = f.NewNamespace();
        f.Server.Store.Create(RoleBinding(ns, "gina-view", "ClusterRole", "view", """[{"kind":"User","name":"gina","apiGroup":"rbac.authorization.k8s.io"}]"""));
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/namespaces/{ns}/secrets");
        req.Headers.Add("Impersonate-User", "gina");
        var asGina = await f.Admin.SendAsync(req);
        Assert.Equal(403, (int)asGina.StatusCode);
        Assert.Contains("User \"gina\" cannot list resource \"secrets\"", JsonNode.Parse(await asGina.Content.ReadAsStringAsync())!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        using var hank = ForUser(f.Server, "hank");
        using var req2 = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/namespaces/{ns}/pods");
        req2.Headers.Add("Impersonate-User", "gina");
        var denied = await hank.SendAsync(req2);
        Assert.Equal(403, (int)denied.StatusCode);
        Assert.Equal("users \"gina\" is forbidden: User \"hank\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope", JsonNode.Parse(await denied.Content.ReadAsStringAsync())!["message"]!.GetValue<string>());
    }
    [Fact]
    public async Task Escalation_prevention_for_roles_and_bindings()
    {
        var ns = f.NewNamespace();
        // ivan may manage roles and rolebindings in ns (admin) but holds nothing in other namespaces.
        f.Server.Store.Create(RoleBinding(ns, "ivan-admin", "ClusterRole", "admin", """[{"kind":"User","name":"ivan","apiGroup":"rbac.authorization.k8s.io"}]"""));
        using var ivan = ForUser(f.Server, "ivan");
        var rb = $"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings";
        Assert.Equal(201, (await ivan.KPost(rb, RoleBinding(ns, "give-edit", "ClusterRole", "edit", """[{"kind":"User","name":"judy","apiGroup":"rbac.authorization.k8s.io"}]"""))).Status);
        var (s1, b1, _) = await ivan.KPost(rb, RoleBinding(ns, "give-cluster-admin", "ClusterRole", "cluster-admin", """[{"kind":"User","name":"judy","apiGroup":"rbac.authorization.k8s.io"}]"""));
        Assert.Equal(403, s1);
        Assert.StartsWith($"rolebindings.rbac.authorization.k8s.io \"give-cluster-admin\" is forbidden: user \"ivan\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:", b1!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var roles = $"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles";
        Assert.Equal(201, (await ivan.KPost(roles, Role(ns, "ok", """[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]"""))).Status);
        var (s2, b2, _) = await ivan.KPost(roles, Role(ns, "too-much", """[{"apiGroups":[""],"resources":["nodes"],"verbs":["get"]}]"""));
        Assert.Equal(403, s2);
        Assert.EndsWith("{APIGroups:[\"\"], Resources:[\"nodes\"], Verbs:[\"get\"]}", b2!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        // With "bind" on cluster-admin the binding is allowed although ivan does not hold its rules.
        f.Server.Store.Create(Role(ns, "bind-ca", """[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["clusterroles"],"resourceNames":["cluster-admin"],"verbs":["bind"]}]"""));
        f.Server.Store.Create(RoleBinding(ns, "ivan-bind", "Role", "bind-ca", """[{"kind":"User","name":"ivan","apiGroup":"rbac.authorization.k8s.io"}]"""));
        Assert.Equal(201, (await ivan.KPost(rb, RoleBinding(ns, "give-cluster-admin", "ClusterRole", "cluster-admin", """[{"kind":"User","name":"judy","apiGroup":"rbac.authorization.k8s.io"}]"""))).Status);
    }
}
