using System.Text.Json.Nodes;
using Xunit;
using static K8sSecurity.TestServer.Tests.TestClients;

namespace K8sSecurity.TestServer.Tests;

/// <summary>
/// The impersonation filter against kube-apiserver v1.32's (apiserver/pkg/endpoints/filters/impersonation.go and
/// responsewriters.Forbidden): which attributes are authorized, in which order, with which 403/400 text, and which user
/// the request then acts as. Repeated header lines are sent by kubectl (a .NET HttpClient joins them into one line).
/// </summary>
public sealed class ImpersonationTests(ServerFixture f) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-impersonation-").FullName;

    private const string SelfSubjectReview = """{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}""";

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task The_new_user_gets_system_authenticated_unless_the_groups_decide()
    {
        Assert.Equal(["system:authenticated"], Groups(await WhoAmIAsync(f.Admin, ("Impersonate-User", "gina"))));
        Assert.Equal(["devs", "system:authenticated"], Groups(await WhoAmIAsync(f.Admin, ("Impersonate-User", "gina"), ("Impersonate-Group", "devs"))));
        Assert.Equal(["system:authenticated"], Groups(await WhoAmIAsync(f.Admin, ("Impersonate-User", "gina"), ("Impersonate-Group", "system:authenticated"))));

        // Unauthenticated users may not create a SelfSubjectReview: the recorded request shows whom it acted as.
        Assert.Equal("gina [system:unauthenticated]", await ActedAsAsync(("Impersonate-User", "gina"), ("Impersonate-Group", "system:unauthenticated")));
        Assert.Equal("system:anonymous [system:unauthenticated]", await ActedAsAsync(("Impersonate-User", "system:anonymous")));
        Assert.Equal("system:anonymous [devs,system:unauthenticated]", await ActedAsAsync(("Impersonate-User", "system:anonymous"), ("Impersonate-Group", "devs")));
    }

    [Fact]
    public async Task A_service_account_gets_its_groups_only_when_no_group_is_named()
    {
        var sa = await WhoAmIAsync(f.Admin, ("Impersonate-User", "system:serviceaccount:team-a:deployer"));
        Assert.Equal("system:serviceaccount:team-a:deployer", sa["username"]!.GetValue<string>());
        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:team-a", "system:authenticated"], Groups(sa));
        Assert.Equal(["ops", "system:authenticated"], Groups(await WhoAmIAsync(f.Admin, ("Impersonate-User", "system:serviceaccount:team-a:deployer"), ("Impersonate-Group", "ops"))));

        // Not a valid namespace and name: an ordinary user of that name.
        var user = await WhoAmIAsync(f.Admin, ("Impersonate-User", "system:serviceaccount:Team_A:deployer"));
        Assert.Equal(["system:authenticated"], Groups(user));
    }

    [Fact]
    public async Task Uid_and_extra_reach_the_new_user_with_keys_lower_cased_then_unescaped()
    {
        var who = await WhoAmIAsync(
            f.Admin,
            ("Impersonate-User", "gina"),
            ("Impersonate-Uid", "u-1"),
            ("Impersonate-Extra-Example.org%2Fteam", "blue"),
            ("Impersonate-Extra-%41", "capital"),
            ("Impersonate-Extra-a%zz", "malformed"));
        Assert.Equal("u-1", who["uid"]!.GetValue<string>());
        var extra = who["extra"]!.AsObject();
        Assert.Equal("blue", extra["example.org/team"]![0]!.GetValue<string>());
        Assert.Equal("capital", extra["A"]![0]!.GetValue<string>());
        Assert.Equal("malformed", extra["a%zz"]![0]!.GetValue<string>());
    }

    [Fact]
    public async Task Each_impersonated_attribute_needs_the_impersonate_verb_in_the_filters_order()
    {
        var ns = f.NewNamespace();
        f.Server.Store.CreateJson("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"impersonate-gina"},"rules":[{"apiGroups":[""],"resources":["users"],"resourceNames":["gina"],"verbs":["impersonate"]}]}""");
        f.Server.Store.CreateJson("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"hank-impersonates-gina"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"impersonate-gina"},"subjects":[{"kind":"User","name":"hank","apiGroup":"rbac.authorization.k8s.io"}]}""");
        using var hank = ForUser(f.Server, "hank");

        Assert.Equal(
            "groups \"devs\" is forbidden: User \"hank\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope",
            await ForbiddenAsync(hank, ("Impersonate-User", "gina"), ("Impersonate-Group", "devs"), ("Impersonate-Uid", "u-1")));
        Assert.Equal(
            "uids.authentication.k8s.io \"u-1\" is forbidden: User \"hank\" cannot impersonate resource \"uids\" in API group \"authentication.k8s.io\" at the cluster scope",
            await ForbiddenAsync(hank, ("Impersonate-User", "gina"), ("Impersonate-Uid", "u-1")));
        Assert.Equal(
            "userextras.authentication.k8s.io \"a<b\" is forbidden: User \"hank\" cannot impersonate resource \"userextras/x&lt;y\" in API group \"authentication.k8s.io\" at the cluster scope",
            await ForbiddenAsync(hank, ("Impersonate-User", "gina"), ("Impersonate-Extra-x%3Cy", "a<b"), ("Impersonate-Uid", "u-1")));
        Assert.Equal(
            $"serviceaccounts \"deployer\" is forbidden: User \"hank\" cannot impersonate resource \"serviceaccounts\" in API group \"\" in the namespace \"{ns}\"",
            await ForbiddenAsync(hank, ("Impersonate-User", $"system:serviceaccount:{ns}:deployer")));
        Assert.Equal(
            "groups is forbidden: User \"hank\" cannot impersonate resource \"groups\" in API group \"\" at the cluster scope",
            await ForbiddenAsync(hank, ("Impersonate-User", "gina"), ("Impersonate-Group", "")));

        var (status, body, _) = await SendAsync(hank, Request(("Impersonate-User", "gina"), ("Impersonate-Group", "devs")));
        Assert.Equal(403, status);
        Assert.Equal("groups", body!["details"]!["kind"]!.GetValue<string>());
        Assert.Equal("devs", body["details"]!["name"]!.GetValue<string>());
        Assert.Equal("gina", (await WhoAmIAsync(hank, ("Impersonate-User", "gina")))["username"]!.GetValue<string>());
        var recorded = f.Server.Requests.Last(r => r.Path.EndsWith("/selfsubjectreviews", StringComparison.Ordinal));
        Assert.Equal(("gina", "hank"), (recorded.User, recorded.AuthenticatedUser));
        Assert.Equal([new KeyValuePair<string, string>("Impersonate-User", "gina")], recorded.ImpersonationHeaders);
    }

    [Fact]
    public async Task Groups_extra_or_uid_without_a_user_are_a_bad_request()
    {
        var (status, body, _) = await SendAsync(f.Admin, Request(("Impersonate-Group", "devs"), ("Impersonate-Extra-Scopes", "view"), ("Impersonate-Uid", "u-1")));
        Assert.Equal(400, status);
        Assert.Equal("BadRequest", body!["reason"]!.GetValue<string>());
        Assert.Equal(
            "requested [{Group  devs    } {UserExtra  view  authentication.k8s.io/v1  scopes} {UID  u-1  authentication.k8s.io/v1  }] without impersonating a user",
            body["message"]!.GetValue<string>());
    }

    [KubectlFact]
    public async Task Kubectl_as_with_several_groups_and_extra_values_acts_as_that_user()
    {
        var admin = f.Server.WriteKubeconfig(Path.Combine(directory, "admin.yaml"));
        File.AppendAllText(admin, "    as-user-extra:\n      scopes: [view, edit]\n");
        var (exit, stdout, stderr) = await RunKubectlAsync(admin, "auth", "whoami", "-o", "json", "--as", "gina", "--as-group", "devs", "--as-group", "a, b", "--as-uid", "u-9");
        Assert.True(exit == 0, stderr);
        var who = JsonNode.Parse(stdout)!["status"]!["userInfo"]!;
        Assert.Equal("gina", who["username"]!.GetValue<string>());
        Assert.Equal("u-9", who["uid"]!.GetValue<string>());
        Assert.Equal(["devs", "a, b", "system:authenticated"], Groups(who));
        Assert.Equal(["view", "edit"], who["extra"]!["scopes"]!.AsArray().Select(v => v!.GetValue<string>()));
        var recorded = f.Server.Requests.Last(r => r.Path.EndsWith("/selfsubjectreviews", StringComparison.Ordinal));
        Assert.Equal("admin", recorded.AuthenticatedUser);
        Assert.Equal(
            ["Impersonate-Group: devs", "Impersonate-Group: a, b"],
            recorded.ImpersonationHeaders!.Where(h => h.Key == "Impersonate-Group").Select(h => $"{h.Key}: {h.Value}"));
    }

    private static HttpRequestMessage Request(params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/apis/authentication.k8s.io/v1/selfsubjectreviews")
        {
            Content = new StringContent(SelfSubjectReview, System.Text.Encoding.UTF8, "application/json"),
        };
        foreach (var (name, value) in headers)
        {
            Assert.True(request.Headers.TryAddWithoutValidation(name, value));
        }

        return request;
    }

    private static async Task<(int Status, JsonNode? Body, HttpResponseMessage Response)> SendAsync(HttpClient client, HttpRequestMessage request)
    {
        using (request)
        {
            var response = await client.SendAsync(request);
            string payload = await response.Content.ReadAsStringAsync();
            return ((int)response.StatusCode, payload.Length > 0 ? JsonNode.Parse(payload) : null, response);
        }
    }

    private static async Task<JsonNode> WhoAmIAsync(HttpClient client, params (string Name, string Value)[] headers)
    {
        var (status, body, _) = await SendAsync(client, Request(headers));
        Assert.True(status == 201, body?.ToJsonString());
        return body!["status"]!["userInfo"]!;
    }

    /// <summary>"user [group,group]" the request acted as.</summary>
    private async Task<string> ActedAsAsync(params (string Name, string Value)[] headers)
    {
        var (status, _, _) = await SendAsync(f.Admin, Request(headers));
        Assert.Equal(403, status);
        var recorded = f.Server.Requests[^1];
        Assert.Equal("admin", recorded.AuthenticatedUser);
        return $"{recorded.User} [{string.Join(',', recorded.Groups)}]";
    }

    private static async Task<string> ForbiddenAsync(HttpClient client, params (string Name, string Value)[] headers)
    {
        var (status, body, _) = await SendAsync(client, Request(headers));
        Assert.Equal(403, status);
        Assert.Equal("Forbidden", body!["reason"]!.GetValue<string>());
        return body["message"]!.GetValue<string>();
    }

    private static string[] Groups(JsonNode userInfo) => userInfo["groups"]!.AsArray().Select(g => g!.GetValue<string>()).ToArray();

    private static Task<(int Exit, string Out, string Err)> RunKubectlAsync(string kubeconfig, params string[] args) => KubectlTests.RunAsync(kubeconfig, args);
}
