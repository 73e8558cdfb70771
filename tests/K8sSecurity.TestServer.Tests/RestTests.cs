using System.Text.Json.Nodes;
using Xunit;
using static K8sSecurity.TestServer.Tests.TestClients;

namespace K8sSecurity.TestServer.Tests;

public sealed class RestTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    private static JsonObject Cm(string name, string labels = "{}", string data = "{}") =>
        J($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","labels":{{{labels}}}},"data":{{{data}}}}""");

    private static List<string> Names(JsonNode? list) => list!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).ToList();

    [Fact]
    public async Task Label_selectors_support_every_operator()
    {
        var ns = f.NewNamespace();
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("a", """{"tier":"web","env":"prod"}"""));
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("b", """{"tier":"db","env":"dev"}"""));
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("c", """{"tier":"cache"}"""));
        async Task<List<string>> Q(string sel) => Names((await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps?labelSelector={Uri.EscapeDataString(sel)}")).Body);
        Assert.Equal(["a"], await Q("tier=web"));
        Assert.Equal(["a"], await Q("tier==web"));
        Assert.Equal(["b", "c"], await Q("tier!=web,tier"));
        Assert.Equal(["a", "b"], await Q("tier in (web,db)"));
        // notin also selects objects without the key (kube-root-ca.crt), as in Kubernetes.
        Assert.Equal(["c", "kube-root-ca.crt"], await Q("tier notin (web,db)"));
        Assert.Equal(["a", "b"], await Q("env"));
        Assert.Equal(["c"], await Q("!env,tier"));
        Assert.Equal(["b"], await Q("env in (dev),tier notin (web)"));
    }

    [Fact]
    public async Task Field_selectors_and_unsupported_fields()
    {
        var ns = f.NewNamespace();
        f.Server.Store.Create(J($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1","namespace":"{{{ns}}}"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"x"}]},"status":{"phase":"Running"}}"""));
        f.Server.Store.Create(J($$$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p2","namespace":"{{{ns}}}"},"spec":{"containers":[{"name":"c","image":"x"}]}}"""));
        Assert.Equal(["p1"], Names((await f.Admin.KGet($"/api/v1/namespaces/{ns}/pods?fieldSelector=status.phase%3DRunning")).Body));
        Assert.Equal(["p1"], Names((await f.Admin.KGet($"/api/v1/namespaces/{ns}/pods?fieldSelector=spec.nodeName%3Dn1")).Body));
        Assert.Equal(["p2"], Names((await f.Admin.KGet($"/api/v1/namespaces/{ns}/pods?fieldSelector=metadata.name!%3Dp1")).Body));
        Assert.Equal(["p1", "p2"], Names((await f.Admin.KGet($"/api/v1/pods?fieldSelector=metadata.namespace%3D{ns}")).Body));
        var (status, body, _) = await f.Admin.KGet($"/api/v1/namespaces/{ns}/pods?fieldSelector=spec.bogus%3Dx");
        Assert.Equal(400, status);
        Assert.Equal("field label not supported: spec.bogus", body!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Paging_across_all_namespaces_with_continue_and_remaining_count()
    {
        var ns1 = "page-a-" + Guid.NewGuid().ToString("N")[..6];
        var ns2 = "page-b-" + Guid.NewGuid().ToString("N")[..6];
        foreach (var (ns, n) in new[] { (ns1, "x1"), (ns1, "x2"), (ns2, "x3") })
        {
            f.Server.Store.Create(J($$$$"""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"{{{{n}}}}","namespace":"{{{{ns}}}}","labels":{"paging":"{{{{ns1}}}}"}}}"""));
        }

        var seen = new List<string>();
        var url = $"/api/v1/secrets?limit=2&labelSelector=paging%3D{ns1}";
        var pages = 0;
        while (true)
        {
            var (status, body, _) = await f.Admin.KGet(url);
            Assert.Equal(200, status);
            Assert.Equal("SecretList", body!["kind"]!.GetValue<string>());
            Assert.Null(body["metadata"]!["remainingItemCount"]);
            seen.AddRange(Names(body));
            pages++;
            var cont = body["metadata"]!["continue"]?.GetValue<string>();
            if (cont is null)
            {
                break;
            }

            url = $"/api/v1/secrets?limit=2&labelSelector=paging%3D{ns1}&continue={Uri.EscapeDataString(cont)}";
        }

        Assert.Equal(["x1", "x2", "x3"], seen);
        Assert.Equal(2, pages);

        var (_, unfiltered, _) = await f.Admin.KGet("/api/v1/namespaces?limit=1");
        Assert.True(unfiltered!["metadata"]!["remainingItemCount"]!.GetValue<long>() >= 1);
        Assert.Null(unfiltered["items"]![0]!["kind"]);
    }

    [Fact]
    public async Task Create_conflicts_validation_and_missing_namespace()
    {
        var ns = f.NewNamespace();
        Assert.Equal(201, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("dup"))).Status);
        var (s409, b409, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("dup"));
        Assert.Equal(409, s409);
        Assert.Equal("AlreadyExists", b409!["reason"]!.GetValue<string>());
        var (s422, b422, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("Not_Valid"));
        Assert.Equal(422, s422);
        Assert.Equal("metadata.name", b422!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        var (s404, b404, _) = await f.Admin.KPost("/api/v1/namespaces/no-such-ns/configmaps", Cm("x"));
        Assert.Equal(404, s404);
        Assert.Equal("namespaces \"no-such-ns\" not found", b404!["message"]!.GetValue<string>());
        var (sgen, bgen, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"generateName":"gen-"}}"""));
        Assert.Equal(201, sgen);
        Assert.StartsWith("gen-", bgen!["metadata"]!["name"]!.GetValue<string>(), StringComparison.Ordinal);
        var (sns, _, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"y","namespace":"elsewhere"}}"""));
        Assert.Equal(400, sns);
    }

    [Fact]
    public async Task Update_uses_optimistic_concurrency()
    {
        var ns = f.NewNamespace();
        var (_, created, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("cm", data: """{"a":"1"}"""));
        var v1 = (JsonObject)created!;
        v1["data"]!["a"] = "2";
        var (s1, updated, _) = await f.Admin.KPut($"/api/v1/namespaces/{ns}/configmaps/cm", v1);
        Assert.Equal(200, s1);
        Assert.NotEqual(created!["metadata"]!["resourceVersion"]!.GetValue<string>(), updated!["metadata"]!["resourceVersion"]!.GetValue<string>());
        var (s2, conflict, _) = await f.Admin.KPut($"/api/v1/namespaces/{ns}/configmaps/cm", v1);
        Assert.Equal(409, s2);
        Assert.Equal("Conflict", conflict!["reason"]!.GetValue<string>());
        Assert.Equal(404, (await f.Admin.KPut($"/api/v1/namespaces/{ns}/configmaps/missing", Cm("missing"))).Status);
    }

    [Fact]
    public async Task Patches_merge_json_and_strategic_by_container_name()
    {
        var ns = f.NewNamespace();
        var dep = J("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"app","image":"app:1"},{"name":"side","image":"side:1"}]}}}}""");
        var (cs, created, _) = await f.Admin.KPost($"/apis/apps/v1/namespaces/{ns}/deployments", dep);
        Assert.Equal(201, cs);
        Assert.Equal(1, created!["metadata"]!["generation"]!.GetValue<long>());
        var url = $"/apis/apps/v1/namespaces/{ns}/deployments/d";
        var (s1, p1, _) = await f.Admin.KPatch(url, J("""{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"side:2"}]}}}}"""), "application/strategic-merge-patch+json");
        Assert.Equal(200, s1);
        var containers = p1!["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(2, containers.Count);
        Assert.Equal("side:2", containers[1]!["image"]!.GetValue<string>());
        Assert.Equal(2, p1["metadata"]!["generation"]!.GetValue<long>());
        var (s2, p2, _) = await f.Admin.KPatch(url, J("""{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"o"}]}}}}"""), "application/merge-patch+json");
        Assert.Equal(200, s2);
        Assert.Single(p2!["spec"]!["template"]!["spec"]!["containers"]!.AsArray());
        var (s3, p3, _) = await f.Admin.KPatch(url, """[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/labels","value":{"x":"y"}}]""", "application/json-patch+json");
        Assert.Equal(200, s3);
        Assert.Equal(3, p3!["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal("y", p3["metadata"]!["labels"]!["x"]!.GetValue<string>());
        var (s3b, p3b, r3b) = await f.Admin.KPatch(url, """[{"op":"add","path":"/topLevelAddition","value":"x"}]""", "application/json-patch+json");
        Assert.Equal(200, s3b); // a new top-level member's parent is the document itself; as an unknown field it is dropped with a warning
        Assert.Null(p3b!["topLevelAddition"]);
        Assert.Equal(["299 - \"unknown field \\\"topLevelAddition\\\"\""], r3b.Headers.GetValues("Warning"));
        var (s4, _, _) = await f.Admin.KPatch(url, """[{"op":"remove","path":"/spec/nothere"}]""", "application/json-patch+json");
        Assert.Equal(422, s4);
        Assert.Equal(404, (await f.Admin.KPatch($"/apis/apps/v1/namespaces/{ns}/deployments/none", J("{}"), "application/merge-patch+json")).Status);
    }

    [Fact]
    public async Task Server_side_apply_owns_fields_conflicts_and_force()
    {
        var ns = f.NewNamespace();
        var url = $"/api/v1/namespaces/{ns}/configmaps/ssa";
        var (s1, b1, _) = await f.Admin.KPatch(url + "?fieldManager=alpha", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  a: one\n  b: two\n", "application/apply-patch+yaml");
        Assert.Equal(201, s1);
        Assert.Equal("Apply", b1!["metadata"]!["managedFields"]![0]!["operation"]!.GetValue<string>());
        var (s2, b2, _) = await f.Admin.KPatch(url + "?fieldManager=beta", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"other"}}"""), "application/apply-patch+yaml");
        Assert.Equal(409, s2);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"alpha\" using v1: .data.a", b2!["message"]!.GetValue<string>());
        // Same value: shared, no conflict.
        Assert.Equal(200, (await f.Admin.KPatch(url + "?fieldManager=beta", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"one"}}"""), "application/apply-patch+yaml")).Status);
        var (s3, b3, _) = await f.Admin.KPatch(url + "?fieldManager=beta&force=true", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"forced"}}"""), "application/apply-patch+yaml");
        Assert.Equal(200, s3);
        Assert.Equal("forced", b3!["data"]!["a"]!.GetValue<string>());
        // alpha re-applies without b: b is removed because only alpha owned it; a now belongs to beta → conflict unless same.
        var (s4, b4, _) = await f.Admin.KPatch(url + "?fieldManager=alpha", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"},"data":{"a":"forced"}}"""), "application/apply-patch+yaml");
        Assert.Equal(200, s4);
        Assert.Null(b4!["data"]!["b"]);
        var (s5, _, _) = await f.Admin.KPatch(url, J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"ssa"}}"""), "application/apply-patch+yaml");
        Assert.Equal(400, s5);
    }

    [Fact]
    public async Task Dry_run_never_persists()
    {
        var ns = f.NewNamespace();
        var (s1, b1, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps?dryRun=All", Cm("dry"));
        Assert.Equal(201, s1);
        Assert.Null(b1!["metadata"]!["resourceVersion"]);
        Assert.Equal(404, (await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps/dry")).Status);
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("real", data: """{"k":"v"}"""));
        Assert.Equal(200, (await f.Admin.KPatch($"/api/v1/namespaces/{ns}/configmaps/real?dryRun=All", J("""{"data":{"k":"changed"}}"""), "application/merge-patch+json")).Status);
        Assert.Equal(200, (await f.Admin.KDelete($"/api/v1/namespaces/{ns}/configmaps/real?dryRun=All")).Status);
        Assert.Equal(200, (await f.Admin.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/configmaps/real", J("""{"kind":"DeleteOptions","apiVersion":"v1","dryRun":["All"]}"""))).Status);
        Assert.Equal(403, (await f.Admin.KDelete("/api/v1/namespaces/kube-system")).Status);
        var (_, still, _) = await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps/real");
        Assert.Equal("v", still!["data"]!["k"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_returns_status_and_namespace_delete_removes_contents()
    {
        var ns = f.NewNamespace();
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("gone"));
        var (s1, b1, _) = await f.Admin.KDelete($"/api/v1/namespaces/{ns}/configmaps/gone");
        Assert.Equal(200, s1);
        Assert.Equal("Success", b1!["status"]!.GetValue<string>());
        Assert.Equal(404, (await f.Admin.KDelete($"/api/v1/namespaces/{ns}/configmaps/gone")).Status);
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("inside"));
        var (s2, b2, _) = await f.Admin.KDelete($"/api/v1/namespaces/{ns}");
        Assert.Equal(200, s2);
        Assert.Equal("Terminating", b2!["status"]!["phase"]!.GetValue<string>());
        Assert.Null(f.Server.Store.Get("v1", "ConfigMap", ns, "inside"));
        Assert.Equal(404, (await f.Admin.KGet($"/api/v1/namespaces/{ns}")).Status);
    }

    [Fact]
    public async Task Delete_collection_and_status_subresource()
    {
        var ns = f.NewNamespace();
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("k1", """{"del":"yes"}"""));
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("k2"));
        var (s, list, _) = await f.Admin.KDelete($"/api/v1/namespaces/{ns}/configmaps?labelSelector=del%3Dyes");
        Assert.Equal(200, s);
        Assert.Equal(["k1"], Names(list));
        Assert.NotNull(f.Server.Store.Get("v1", "ConfigMap", ns, "k2"));

        var (_, pod, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx:1.27"}]},"status":{"phase":"Running"}}"""));
        Assert.Equal("Pending", pod!["status"]!["phase"]!.GetValue<string>());
        Assert.Equal("IfNotPresent", pod["spec"]!["containers"]![0]!["imagePullPolicy"]!.GetValue<string>());
        var (ss, st, _) = await f.Admin.KPatch($"/api/v1/namespaces/{ns}/pods/p/status", J("""{"status":{"phase":"Running"},"spec":{"nodeName":"ignored"}}"""), "application/merge-patch+json");
        Assert.Equal(200, ss);
        Assert.Equal("Running", st!["status"]!["phase"]!.GetValue<string>());
        Assert.Null(st["spec"]!["nodeName"]);
        var (ms, main, _) = await f.Admin.KPatch($"/api/v1/namespaces/{ns}/pods/p", J("""{"status":{"phase":"Failed"}}"""), "application/merge-patch+json");
        Assert.Equal(200, ms);
        Assert.Equal("Running", main!["status"]!["phase"]!.GetValue<string>());
        Assert.Equal(405, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods/p/exec", J("{}"))).Status);
    }

    [Fact]
    public async Task Cluster_scoped_and_namespaced_routes_are_distinguished()
    {
        Assert.Equal(404, (await f.Admin.KGet("/api/v1/pods/x")).Status);
        Assert.Equal(404, (await f.Admin.KGet("/api/v1/namespaces/default/nodes")).Status);
        f.Server.Store.Create(J("""{"apiVersion":"v1","kind":"Node","metadata":{"name":"node-1","labels":{"role":"worker"}}}"""));
        var (s, node, _) = await f.Admin.KGet("/api/v1/nodes/node-1");
        Assert.Equal(200, s);
        Assert.Null(node!["metadata"]!["namespace"]);
    }

    [Fact]
    public async Task Secrets_are_validated_and_string_data_is_encoded()
    {
        var ns = f.NewNamespace();
        var (s1, b1, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/secrets", J("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"stringData":{"user":"admin"}}"""));
        Assert.Equal(201, s1);
        Assert.Equal("YWRtaW4=", b1!["data"]!["user"]!.GetValue<string>());
        Assert.Equal("Opaque", b1["type"]!.GetValue<string>());
        Assert.Null(b1["stringData"]);
        var (s2, b2, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/secrets", J("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"t"},"type":"kubernetes.io/tls","data":{"tls.crt":"eA=="}}"""));
        Assert.Equal(422, s2);
        Assert.Equal("data[tls.key]", b2!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        var (s3, _, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/secrets", J("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"u"},"data":{"x":"not base64!"}}"""));
        Assert.Equal(400, s3);
        var (s4, b4, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/secrets", J("""{"apiVersion":"v1","kind":"Secret","metadata":{"name":"v"},"type":"kubernetes.io/dockerconfigjson","stringData":{".dockerconfigjson":"{not json"}}"""));
        Assert.Equal(422, s4);
        Assert.Equal("data[.dockerconfigjson]", b4!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }
    [Fact]
    public async Task Watch_streams_initial_objects_then_changes()
    {
        var ns = f.NewNamespace();
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("before", """{"w":"1"}"""));
        using var req = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/namespaces/{ns}/configmaps?watch=true&labelSelector=w%3D1&timeoutSeconds=10");
        using var resp = await f.Admin.SendAsync(req, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)resp.StatusCode);
        using var reader = new StreamReader(await resp.Content.ReadAsStreamAsync());
        async Task<JsonNode> Next() => JsonNode.Parse((await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)))!)!;
        var first = await Next();
        Assert.Equal("ADDED", first["type"]!.GetValue<string>());
        Assert.Equal("before", first["object"]!["metadata"]!["name"]!.GetValue<string>());
        Assert.Equal("ConfigMap", first["object"]!["kind"]!.GetValue<string>());
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("ignored"));
        await f.Admin.KPost($"/api/v1/namespaces/{ns}/configmaps", Cm("after", """{"w":"1"}"""));
        await f.Admin.KPatch($"/api/v1/namespaces/{ns}/configmaps/after", J("""{"data":{"x":"y"}}"""), "application/merge-patch+json");
        await f.Admin.KDelete($"/api/v1/namespaces/{ns}/configmaps/after");
        var events = new[] { await Next(), await Next(), await Next() };
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], events.Select(e => e["type"]!.GetValue<string>()));
        Assert.All(events, e => Assert.Equal("after", e["object"]!["metadata"]!["name"]!.GetValue<string>()));
    }
}
