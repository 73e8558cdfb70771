using System.Text.Json.Nodes;
using Xunit;

namespace K8sSecurity.TestServer.Tests;

/// <summary>One exchange of shared/k8s-api-golden.</summary>
public sealed record GoldenExchange(string File, string As, string Method, string Path, string? ContentType, JsonNode? Body, int Status, JsonNode? ResponseBody, List<(string Name, string Value)> Headers)
{
    public static GoldenExchange Load(string file)
    {
        var root = JsonNode.Parse(System.IO.File.ReadAllText(file))!;
        var headers = root["response"]!["headers"]!.AsArray().Select(h => (h![0]!.GetValue<string>(), h[1]!.GetValue<string>())).ToList();
        return new GoldenExchange(
            System.IO.Path.GetFileName(file),
            root["as"]!.GetValue<string>(),
            root["request"]!["method"]!.GetValue<string>(),
            root["request"]!["path"]!.GetValue<string>(),
            root["request"]!["contentType"]?.GetValue<string>(),
            root["request"]!["body"]?.DeepClone(),
            root["response"]!["status"]!.GetValue<int>(),
            root["response"]!["body"]?.DeepClone(),
            headers);
    }
}

/// <summary>
/// Replays the whole golden sequence once, in order, against one test server (the sequence builds its own state:
/// namespace golden, cm1…, sammy's RoleBinding, CSRs, quota, limit range). Callers: admin = client cert in
/// system:masters, sammy = client cert CN=sammy O=developers, nginx-sa-token = the token our own TokenRequest (46)
/// returned, anonymous-bad-token = an unknown bearer token. resourceVersions and continue tokens in request
/// bodies/queries are mapped from the real server's values to ours.
/// </summary>
public sealed class GoldenReplayFixture : IAsyncLifetime
{
    /// <summary>Files deliberately not replayed (reason each). Empty: PodSecurity is implemented.</summary>
    public static readonly Dictionary<string, string> NotReplayed = new(StringComparer.Ordinal);

    /// <summary>Files whose Warning headers are deliberately not compared (reason each). Empty.</summary>
    public static readonly Dictionary<string, string> WarningsNotChecked = new(StringComparer.Ordinal);

    public KubeApiTestServer Server { get; private set; } = null!;

    public Dictionary<string, (GoldenExchange Golden, int Status, JsonNode? Body, List<string> Warnings, string ContentType)> Results { get; } = new(StringComparer.Ordinal);

    public static IEnumerable<string> Files() =>
        Directory.GetFiles(Paths.GoldenDir, "*.json").Where(f => char.IsDigit(Path.GetFileName(f)[0])).Order(StringComparer.Ordinal);

    public async Task InitializeAsync()
    {
        Server = await KubeApiTestServer.StartAsync();
        using var admin = TestClients.Admin(Server);
        using var sammy = TestClients.ForUser(Server, "sammy", "developers");
        using var bad = TestClients.ForToken(Server, "this-token-does-not-exist");
        HttpClient? saClient = null;
        var rvMap = new Dictionary<string, string>(StringComparer.Ordinal);
        var continueMap = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var file in Files())
            {
                var g = GoldenExchange.Load(file);
                if (NotReplayed.ContainsKey(g.File))
                {
                    continue;
                }

                var client = g.As switch
                {
                    "admin" => admin,
                    "sammy" => sammy,
                    "anonymous-bad-token" => bad,
                    "nginx-sa-token" => saClient ?? throw new InvalidOperationException("46-tokenrequest must run before " + g.File),
                    _ => throw new InvalidOperationException("unknown caller " + g.As),
                };

                object? body = g.Body;
                if (g.Body is JsonObject bo && bo["metadata"]?["resourceVersion"]?.GetValue<string>() is { } rv && rvMap.TryGetValue(rv, out var mapped))
                {
                    bo["metadata"]!["resourceVersion"] = mapped;
                }

                if (g.Body is JsonValue sv && sv.TryGetValue<string>(out var text))
                {
                    body = text;
                }

                var path = g.Path;
                foreach (var (golden, ours) in continueMap)
                {
                    path = path.Replace(golden, ours, StringComparison.Ordinal);
                }

                var (status, respBody, resp) = await client.SendAsync(new HttpMethod(g.Method), path, body, g.ContentType ?? "application/json");
                var warnings = resp.Headers.TryGetValues("Warning", out var w) ? w.ToList() : [];
                Results[g.File] = (g, status, respBody, warnings, resp.Content.Headers.ContentType?.MediaType ?? "");

                if (g.ResponseBody?["metadata"]?["resourceVersion"]?.GetValue<string>() is { } grv && respBody?["metadata"]?["resourceVersion"]?.GetValue<string>() is { } orv)
                {
                    rvMap[grv] = orv;
                }

                if (g.ResponseBody?["metadata"]?["continue"]?.GetValue<string>() is { } gc && respBody?["metadata"]?["continue"]?.GetValue<string>() is { } oc)
                {
                    continueMap[gc] = oc;
                }

                if (g.File.StartsWith("46-", StringComparison.Ordinal) && respBody?["status"]?["token"]?.GetValue<string>() is { } token)
                {
                    saClient = TestClients.ForToken(Server, token);
                }
            }
        }
        finally
        {
            saClient?.Dispose();
        }
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

public sealed class GoldenReplayTests(GoldenReplayFixture fixture) : IClassFixture<GoldenReplayFixture>
{
    /// <summary>
    /// Known, deliberate value differences (shape still compared). The real capture raced the clusterrole-aggregation
    /// controller: ClusterRole "edit" still had rules: null, so sammy's edit RoleBinding granted nothing yet. This
    /// server computes aggregation on read (the controller's steady state), so sammy is allowed there.
    /// </summary>
    private static readonly Dictionary<string, string[]> IgnoredPaths = new(StringComparer.Ordinal)
    {
        ["32-subjectaccessreview-allowed.json"] = [".status.reason"],
        ["35-selfsubjectaccessreview-sammy.json"] = [".status.reason"],
    };

    public static TheoryData<string> Replayed()
    {
        var data = new TheoryData<string>();
        foreach (var f in GoldenReplayFixture.Files().Select(Path.GetFileName))
        {
            if (!GoldenReplayFixture.NotReplayed.ContainsKey(f!) && f != "69-discovery-core-v1.json")
            {
                data.Add(f!);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Replayed))]
    public void Golden_exchange_has_same_status_and_shape(string file)
    {
        var (g, status, body, warnings, contentType) = fixture.Results[file];
        Assert.True(g.Status == status, $"{file}: expected HTTP {g.Status}, got {status}: {body?.ToJsonString()}");
        Assert.Equal("application/json", contentType);

        if (g.ResponseBody?["kind"]?.GetValue<string>() == "Status")
        {
            Assert.Equal("Status", body?["kind"]?.GetValue<string>());
            Assert.Equal(g.ResponseBody["status"]?.GetValue<string>(), body?["status"]?.GetValue<string>());
            Assert.Equal(g.ResponseBody["reason"]?.GetValue<string>(), body?["reason"]?.GetValue<string>());
            Assert.Equal(g.ResponseBody["code"]?.GetValue<int>(), body?["code"]?.GetValue<int>());
            Assert.Equal(g.ResponseBody["message"]?.GetValue<string>(), body?["message"]?.GetValue<string>());
            var gd = g.ResponseBody["details"]?.DeepClone() as JsonObject;
            var od = body?["details"]?.DeepClone() as JsonObject;
            gd?.Remove("uid");
            od?.Remove("uid");
            Assert.True(JsonNode.DeepEquals(gd, od), $"{file}: details differ\n golden: {gd?.ToJsonString()}\n ours:   {od?.ToJsonString()}");
            Assert.Equal(g.ResponseBody["details"]?["uid"] is null, body?["details"]?["uid"] is null);
        }
        else
        {
            var ignored = new HashSet<string>(IgnoredPaths.GetValueOrDefault(file, []), StringComparer.Ordinal);
            var diffs = ShapeComparer.Compare(g.ResponseBody, body, ignored);
            Assert.True(diffs.Count == 0, $"{file}: shape differs:\n  " + string.Join("\n  ", diffs));
            Assert.Equal(g.ResponseBody?["kind"]?.GetValue<string>(), body?["kind"]?.GetValue<string>());
        }

        if (!GoldenReplayFixture.WarningsNotChecked.ContainsKey(file))
        {
            var expected = g.Headers.Where(h => h.Name == "Warning").Select(h => h.Value).ToList();
            Assert.Equal(expected, warnings);
        }
    }

    [Fact]
    public void Discovery_core_v1_agrees_with_the_real_server_for_every_resource_we_serve()
    {
        var (g, status, body, _, _) = fixture.Results["69-discovery-core-v1.json"];
        Assert.Equal(g.Status, status);
        Assert.Equal("APIResourceList", body?["kind"]?.GetValue<string>());
        Assert.Equal("v1", body?["groupVersion"]?.GetValue<string>());
        var golden = g.ResponseBody!["resources"]!.AsArray().ToDictionary(r => r!["name"]!.GetValue<string>(), r => r!);
        foreach (var r in body!["resources"]!.AsArray())
        {
            var name = r!["name"]!.GetValue<string>();
            Assert.True(golden.TryGetValue(name, out var gr), $"{name} is not served by a real v1.32 server");
            Assert.Equal(gr!["kind"]!.GetValue<string>(), r["kind"]!.GetValue<string>());
            Assert.Equal(gr["namespaced"]!.GetValue<bool>(), r["namespaced"]!.GetValue<bool>());
            Assert.Equal(gr["verbs"]!.ToJsonString(), r["verbs"]!.ToJsonString());
            Assert.Equal(gr["group"]?.GetValue<string>(), r["group"]?.GetValue<string>());
        }
    }

    [Fact]
    public void Edit_role_is_aggregated_so_sammy_is_allowed_where_the_racy_capture_said_no()
    {
        var (_, _, sar, _, _) = fixture.Results["32-subjectaccessreview-allowed.json"];
        Assert.True(sar!["status"]!["allowed"]!.GetValue<bool>());
        Assert.Equal("RBAC: allowed by RoleBinding \"sammy-edit/golden\" of ClusterRole \"edit\" to User \"sammy\"", sar["status"]!["reason"]!.GetValue<string>());
        var (_, _, denied, _, _) = fixture.Results["33-subjectaccessreview-denied.json"];
        Assert.False(denied!["status"]!["allowed"]!.GetValue<bool>());
        Assert.Null(denied["status"]!["reason"]);
    }
}
