using System.Text.Json.Nodes;
using Xunit;
using static K8sSecurity.TestServer.Tests.TestClients;

namespace K8sSecurity.TestServer.Tests;

public sealed class ServerBasicsTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Starts_on_an_ephemeral_https_port_and_answers_version()
    {
        // How fast it starts is not asserted here (a loaded CI machine would make that a coin toss).
        await (await KubeApiTestServer.StartAsync()).DisposeAsync();
        await using var s = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { GitVersion = "v1.31.2" });
        Assert.Equal("https", s.BaseAddress.Scheme);
        Assert.Equal("127.0.0.1", s.BaseAddress.Host);
        Assert.NotEqual(0, s.BaseAddress.Port);
        Assert.Equal("v1.31.2", s.ServerGitVersion);
        using var admin = Admin(s);
        var (status, body, _) = await admin.KGet("/version");
        Assert.Equal(200, status);
        Assert.Equal("v1.31.2", body!["gitVersion"]!.GetValue<string>());
        Assert.Equal("31", body["minor"]!.GetValue<string>());
        Assert.Contains("BEGIN CERTIFICATE", s.CaCertificatePem, StringComparison.Ordinal);
        Assert.Contains("PRIVATE KEY", s.CaPrivateKeyPem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anonymous_may_read_healthz_and_version_but_nothing_else()
    {
        using var anon = Anonymous(f.Server);
        var (hs, hb, _) = await anon.KGet("/healthz");
        Assert.Equal(200, hs);
        Assert.Equal("ok", hb!.GetValue<string>());
        Assert.Equal(200, (await anon.KGet("/version")).Status);
        var (status, body, _) = await anon.KGet("/api/v1/namespaces");
        Assert.Equal(403, status);
        Assert.Equal("namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope", body!["message"]!.GetValue<string>());
        var (ps, pb, _) = await anon.KGet("/apis");
        Assert.Equal(403, ps);
        Assert.Equal("forbidden: User \"system:anonymous\" cannot get path \"/apis\"", pb!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unknown_token_is_401_status()
    {
        using var c = ForToken(f.Server, "nope");
        var (status, body, _) = await c.KGet("/api/v1/namespaces");
        Assert.Equal(401, status);
        Assert.Equal("Unauthorized", body!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task Certificate_from_another_ca_is_401()
    {
        await using var other = await KubeApiTestServer.StartAsync();
        var (cert, key) = other.IssueClientCertificate("mallory", "system:masters");
        using var c = ForCertificate(f.Server, cert, key);
        Assert.Equal(401, (await c.KGet("/api/v1/namespaces")).Status);
    }

    [Fact]
    public async Task Tokens_and_certificates_authenticate_with_groups_and_system_authenticated()
    {
        var token = f.Server.AddToken("alice", "team-a", "team-b");
        using var c = ForToken(f.Server, token);
        var (status, body, _) = await c.KPost("/apis/authentication.k8s.io/v1/selfsubjectreviews", J("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"""));
        Assert.Equal(201, status);
        Assert.Equal("alice", body!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        Assert.Equal("""["team-a","team-b","system:authenticated"]""", body["status"]!["userInfo"]!["groups"]!.ToJsonString());

        using var sammy = ForUser(f.Server, "sammy", "developers");
        var (_, who, _) = await sammy.KPost("/apis/authentication.k8s.io/v1/selfsubjectreviews", J("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"""));
        Assert.Equal("sammy", who!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        Assert.StartsWith("X509SHA256=", who["status"]!["userInfo"]!["extra"]!["authentication.kubernetes.io/credential-id"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Requests_are_recorded_with_user_status_and_body()
    {
        var ns = f.NewNamespace();
        f.Server.ClearRequests();
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"rec"}}"""));
        await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps?labelSelector=a%3Db");
        var reqs = f.Server.Requests.Where(r => r.Path.Contains(ns, StringComparison.Ordinal)).ToList();
        Assert.Equal(2, reqs.Count);
        Assert.Equal("POST", reqs[0].Method);
        Assert.Equal(201, reqs[0].StatusCode);
        Assert.Equal("admin", reqs[0].User);
        Assert.Contains("system:masters", reqs[0].Groups);
        Assert.Contains("\"rec\"", reqs[0].RequestBody, StringComparison.Ordinal);
        Assert.StartsWith("application/json", reqs[0].ContentType, StringComparison.Ordinal);
        Assert.Equal("labelSelector=a%3Db", reqs[1].Query);
    }

    [Fact]
    public async Task Store_seeding_api_round_trips_with_the_rest_api()
    {
        var ns = "seeded-" + Guid.NewGuid().ToString("N")[..6];
        // A namespaced object in a missing namespace creates the namespace (with its default ServiceAccount).
        var created = f.Server.Store.Create(J("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"NS","labels":{"app":"web"}},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"nginx"}]}}}}""".Replace("NS", ns, StringComparison.Ordinal)));
        Assert.False(string.IsNullOrEmpty(created["metadata"]!["uid"]!.GetValue<string>()));
        Assert.NotNull(f.Server.Store.Get("v1", "Namespace", null, ns));
        Assert.NotNull(f.Server.Store.Get("v1", "ServiceAccount", ns, "default"));
        Assert.Single(f.Server.Store.List("apps/v1", "Deployment", ns));
        Assert.True(f.Server.Store.Count("apps/v1", "Deployment") >= 1);
        var (status, body, _) = await f.Admin.KGet($"/apis/apps/v1/namespaces/{ns}/deployments/web");
        Assert.Equal(200, status);
        Assert.Equal(created["metadata"]!["resourceVersion"]!.GetValue<string>(), body!["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.True(f.Server.Store.Delete("apps/v1", "Deployment", ns, "web"));
        Assert.Equal(404, (await f.Admin.KGet($"/apis/apps/v1/namespaces/{ns}/deployments/web")).Status);
        Assert.Throws<ApiException>(() => f.Server.Store.CreateJson($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}"""));
        f.Server.Store.CreateYaml($"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: from-yaml\n  namespace: {ns}\ndata:\n  k: v\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: {ns}\nstringData:\n  a: b\n");
        Assert.Equal("v", f.Server.Store.Get("v1", "ConfigMap", ns, "from-yaml")!["data"]!["k"]!.GetValue<string>());
        Assert.NotNull(f.Server.Store.Get("v1", "Secret", ns, "s"));
    }

    [Fact]
    public async Task Discovery_endpoints_answer()
    {
        var (s1, api, _) = await f.Admin.KGet("/api");
        Assert.Equal(200, s1);
        Assert.Equal("APIVersions", api!["kind"]!.GetValue<string>());
        var (_, apis, _) = await f.Admin.KGet("/apis");
        Assert.Contains(apis!["groups"]!.AsArray(), g => g!["name"]!.GetValue<string>() == "rbac.authorization.k8s.io");
        var (s2, apps, _) = await f.Admin.KGet("/apis/apps/v1");
        Assert.Equal(200, s2);
        Assert.Contains(apps!["resources"]!.AsArray(), r => r!["name"]!.GetValue<string>() == "deployments");
        Assert.Equal(404, (await f.Admin.KGet("/apis/nope.example.com/v1")).Status);
        Assert.Equal(404, (await f.Admin.KGet("/api/v1/namespaces/default/widgets")).Status);
    }

    [Fact]
    public async Task Custom_admission_plugins_can_be_added()
    {
        var ns = f.NewNamespace();
        f.Server.Context.AdmissionPlugins.Add(new DenyNamed("forbidden-name"));
        var (status, body, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"forbidden-name"}}"""));
        Assert.Equal(403, status);
        Assert.Equal("configmaps \"forbidden-name\" is forbidden: denied by test plugin", body!["message"]!.GetValue<string>());
        f.Server.Context.AdmissionPlugins.RemoveAll(p => p is DenyNamed);
    }

    private sealed class DenyNamed(string name) : Admission.IAdmissionPlugin
    {
        public string Name => "DenyNamed";

        public void Admit(Admission.AdmissionRequest request)
        {
            if (request.Name == name)
            {
                throw StatusResponses.AdmissionForbidden(request.Type, request.Name, "denied by test plugin");
            }
        }
    }
}
