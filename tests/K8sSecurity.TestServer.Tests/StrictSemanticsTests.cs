using System.Text.Json.Nodes;
using Xunit;
using static K8sSecurity.TestServer.Tests.TestClients;

namespace K8sSecurity.TestServer.Tests;

/// <summary>
/// One test per leniency issue 14 found in the test server (measured against a real v1.32 kube-apiserver, whose
/// answers are in k8s-api-golden/strict): each would pass against the old, lenient server only if it were wrong.
/// </summary>
public sealed class StrictSemanticsTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    private static JsonObject ConfigMap(string name, string extra = "") =>
        J($$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{name}}"},"data":{"a":"b"}{{extra}}}""");

    private static string Deployment(string name, string app = "web") =>
        """{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"NAME"},"spec":{"selector":{"matchLabels":{"app":"APP"}},"template":{"metadata":{"labels":{"app":"APP"}},"spec":{"containers":[{"name":"c","image":"registry.k8s.io/pause:3.9"}]}}}}"""
            .Replace("NAME", name, StringComparison.Ordinal).Replace("APP", app, StringComparison.Ordinal);

    [Theory]
    [InlineData("POST", "", "CreateOptions")]
    [InlineData("PUT", "/cm", "UpdateOptions")]
    [InlineData("PATCH", "/cm", "PatchOptions")]
    [InlineData("DELETE", "/cm", "DeleteOptions")]
    public async Task DryRun_true_is_refused_for_every_verb_and_persists_nothing(string method, string suffix, string options)
    {
        var ns = f.NewNamespace();
        var url = $"/api/v1/namespaces/{ns}/configmaps";
        Assert.Equal(201, (await f.Admin.KPost(url, ConfigMap("cm"))).Status);
        var body = method switch
        {
            "POST" => (object)ConfigMap("dry"),
            "PUT" => ConfigMap("cm", ""","immutable":false"""),
            "PATCH" => J("""{"data":{"changed":"yes"}}"""),
            _ => null!,
        };
        var (status, answer, _) = await f.Admin.SendAsync(new HttpMethod(method), url + suffix + "?dryRun=true", body, method == "PATCH" ? "application/merge-patch+json" : "application/json");
        Assert.Equal(422, status);
        Assert.Equal($"{options}.meta.k8s.io \"\" is invalid: dryRun: Unsupported value: []string{{\"true\"}}: supported values: \"All\"", answer!["message"]!.GetValue<string>());
        Assert.Null(f.Server.Store.Get("v1", "ConfigMap", ns, "dry"));
        var stored = f.Server.Store.Get("v1", "ConfigMap", ns, "cm")!;
        Assert.Null(stored["data"]!["changed"]);
        Assert.Null(stored["immutable"]);
    }

    [Fact]
    public async Task Unknown_fields_fail_under_Strict_warn_by_default_and_are_never_stored()
    {
        var ns = f.NewNamespace();
        var url = $"/api/v1/namespaces/{ns}/configmaps";
        var (strict, strictBody, _) = await f.Admin.KPost(url + "?fieldValidation=Strict", ConfigMap("s", ""","bogus":1,"metadata2":{}"""));
        Assert.Equal(400, strict);
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"bogus\", unknown field \"metadata2\"", strictBody!["message"]!.GetValue<string>());
        Assert.Null(f.Server.Store.Get("v1", "ConfigMap", ns, "s"));

        var (warn, warnBody, warnResponse) = await f.Admin.KPost(url, J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w","labelz":{"a":"b"}},"data":{"a":"b"}}"""));
        Assert.Equal(201, warn);
        Assert.Equal(["299 - \"unknown field \\\"metadata.labelz\\\"\""], warnResponse.Headers.GetValues("Warning"));
        Assert.Null(warnBody!["metadata"]!["labelz"]);

        var (ignore, _, ignoreResponse) = await f.Admin.KPost(url + "?fieldValidation=Ignore", ConfigMap("i", ""","bogus":1"""));
        Assert.Equal(201, ignore);
        Assert.False(ignoreResponse.Headers.Contains("Warning"));
        Assert.Null(f.Server.Store.Get("v1", "ConfigMap", ns, "i")!["bogus"]);

        // Nested unknown fields of a pod template carry their list index, as strict decoding errors do.
        var (deploy, deployBody, _) = await f.Admin.KPost($"/apis/apps/v1/namespaces/{ns}/deployments?fieldValidation=Strict",
            J(Deployment("d").Replace("\"image\":", "\"imagePullPolicyy\":\"Always\",\"image\":", StringComparison.Ordinal)));
        Assert.Equal(400, deploy);
        Assert.EndsWith("strict decoding error: unknown field \"spec.template.spec.containers[0].imagePullPolicyy\"", deployBody!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        // Updates and patches are decoded the same way.
        var (put, _, _) = await f.Admin.KPut(url + "/w?fieldValidation=Strict", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"w"},"dataa":{"x":"y"}}"""));
        Assert.Equal(400, put);
        var (patch, patchBody, _) = await f.Admin.KPatch(url + "/w?fieldValidation=Strict", J("""{"spec":{"x":1}}"""), "application/merge-patch+json");
        Assert.Equal(400, patch);
        Assert.Contains("unknown field \"spec\"", patchBody!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var (invalid, invalidBody, _) = await f.Admin.KPost(url + "?fieldValidation=Sometimes", ConfigMap("x"));
        Assert.Equal(422, invalid);
        Assert.Equal("CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Sometimes\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\"", invalidBody!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Duplicate_fields_fail_under_Strict_and_warn_otherwise()
    {
        var ns = f.NewNamespace();
        var url = $"/api/v1/namespaces/{ns}/configmaps";
        const string Duplicated = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","labels":{"a":"1","a":"2"}},"data":{"a":"1"}}""";
        var (strict, body, _) = await f.Admin.SendAsync(HttpMethod.Post, url + "?fieldValidation=Strict", Duplicated);
        Assert.Equal(400, strict);
        Assert.EndsWith("strict decoding error: duplicate field \"metadata.labels.a\"", body!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var (warn, stored, response) = await f.Admin.SendAsync(HttpMethod.Post, url, Duplicated);
        Assert.Equal(201, warn);
        Assert.Equal(["299 - \"duplicate field \\\"metadata.labels.a\\\"\""], response.Headers.GetValues("Warning"));
        Assert.Equal("2", stored!["metadata"]!["labels"]!["a"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/apis/networking.k8s.io/v1/namespaces/{0}/networkpolicies", """{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"np"},"spec":{"podSelector":"app=x"}}""",
        "NetworkPolicy in version \"v1\" cannot be handled as a NetworkPolicy: json: cannot unmarshal string into Go struct field NetworkPolicySpec.spec.podSelector of type v1.LabelSelector")]
    [InlineData("/api/v1/namespaces/{0}/serviceaccounts", """{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"sa"},"automountServiceAccountToken":"false"}""",
        "ServiceAccount in version \"v1\" cannot be handled as a ServiceAccount: json: cannot unmarshal string into Go struct field ServiceAccount.automountServiceAccountToken of type bool")]
    [InlineData("/apis/rbac.authorization.k8s.io/v1/namespaces/{0}/roles", """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":"get"}]}""",
        "Role in version \"v1\" cannot be handled as a Role: json: cannot unmarshal string into Go struct field PolicyRule.rules.verbs of type []string")]
    [InlineData("/api/v1/namespaces/{0}/resourcequotas", """{"apiVersion":"v1","kind":"ResourceQuota","metadata":{"name":"q","labels":{"tier":7}},"spec":{"hard":{"pods":"1"}}}""",
        "ResourceQuota in version \"v1\" cannot be handled as a ResourceQuota: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string")]
    public async Task Wrong_json_types_are_decode_errors(string path, string body, string message)
    {
        var ns = f.NewNamespace();
        var (status, answer, _) = await f.Admin.SendAsync(HttpMethod.Post, string.Format(System.Globalization.CultureInfo.InvariantCulture, path, ns), body);
        Assert.Equal(400, status);
        Assert.Equal(message, answer!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Enums_ports_peers_and_cidrs_of_network_policies_are_validated()
    {
        var ns = f.NewNamespace();
        var url = $"/apis/networking.k8s.io/v1/namespaces/{ns}/networkpolicies";
        var (s1, b1, _) = await f.Admin.KPost(url, J("""{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"np"},"spec":{"podSelector":{},"policyTypes":["Ingres"]}}"""));
        Assert.Equal(422, s1);
        Assert.Equal("NetworkPolicy.networking.k8s.io \"np\" is invalid: spec.policyTypes[0]: Unsupported value: \"Ingres\": supported values: \"Ingress\", \"Egress\"", b1!["message"]!.GetValue<string>());
        var (s2, b2, _) = await f.Admin.KPost(url, J("""{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"np"},"spec":{"podSelector":{},"ingress":[{"from":[{"ipBlock":{"cidr":"10.0.0.0/40"}},{}],"ports":[{"protocol":"HTTP","port":70000}]}]}}"""));
        Assert.Equal(422, s2);
        var causes = b2!["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>() + ": " + c["message"]!.GetValue<string>()).ToList();
        Assert.Equal(
            [
                "spec.ingress[0].ports[0].protocol: Unsupported value: \"HTTP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
                "spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
                "spec.ingress[0].from[0].ipBlock.cidr: Invalid value: \"10.0.0.0/40\": must be a valid CIDR value, (e.g. 10.9.0.0/16 or 2001:db8::/64)",
                "spec.ingress[0].from[1]: Required value: must specify a peer",
            ],
            causes);
    }

    [Fact]
    public async Task Label_and_annotation_keys_and_values_are_validated_on_create_and_update()
    {
        var ns = f.NewNamespace();
        var url = $"/api/v1/namespaces/{ns}/configmaps";
        var (s1, b1, _) = await f.Admin.KPost(url, J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"l","labels":{"bad key":"v"}}}"""));
        Assert.Equal(422, s1);
        Assert.StartsWith("ConfigMap \"l\" is invalid: metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters", b1!["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(201, (await f.Admin.KPost(url, ConfigMap("ok"))).Status);
        var (s2, b2, _) = await f.Admin.KPatch(url + "/ok", J("""{"metadata":{"labels":{"k":"value with spaces"},"annotations":{"-bad/key":"x"}}}"""), "application/merge-patch+json");
        Assert.Equal(422, s2);
        var fields = b2!["details"]!["causes"]!.AsArray().Select(c => c!["field"]!.GetValue<string>()).ToList();
        Assert.Equal(["metadata.labels", "metadata.annotations"], fields);
        Assert.Contains("prefix part a lowercase RFC 1123 subdomain", b2["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Null(f.Server.Store.Get("v1", "ConfigMap", ns, "ok")!["metadata"]!["labels"]);
        var (s3, _, _) = await f.Admin.KPost(url, J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"Upper.Case"}}"""));
        Assert.Equal(422, s3);
        var (s4, b4, _) = await f.Admin.KPut(url + "/ok", J("""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"other"}}"""));
        Assert.Equal(400, s4); // a name cannot change: the body's name must be the URL's
        Assert.Equal("the name of the object (other) does not match the name on the URL (ok)", b4!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Immutable_fields_the_module_can_touch_stay_immutable()
    {
        var ns = f.NewNamespace();
        Assert.Equal(201, (await f.Admin.SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{ns}/deployments", Deployment("web"))).Status);
        var (s1, b1, _) = await f.Admin.KPatch($"/apis/apps/v1/namespaces/{ns}/deployments/web",
            J("""{"spec":{"selector":{"matchLabels":{"app":"web","x":"y"}},"template":{"metadata":{"labels":{"app":"web","x":"y"}}}}}"""), "application/strategic-merge-patch+json");
        Assert.Equal(422, s1);
        Assert.Equal("Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"web\", \"x\":\"y\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable", b1!["message"]!.GetValue<string>());

        Assert.Equal(201, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/serviceaccounts", J("""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"runner"}}"""))).Status);
        Assert.Equal(201, (await f.Admin.KPost($"/apis/batch/v1/namespaces/{ns}/jobs", J("""{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x:1"}]}}}}"""))).Status);
        foreach (var contentType in new[] { "application/strategic-merge-patch+json", "application/merge-patch+json" })
        {
            var (s2, b2, _) = await f.Admin.KPatch($"/apis/batch/v1/namespaces/{ns}/jobs/once", J("""{"spec":{"template":{"spec":{"serviceAccountName":"runner"}}}}"""), contentType);
            Assert.Equal(422, s2);
            Assert.StartsWith("Job.batch \"once\" is invalid: spec.template: Invalid value: core.PodTemplateSpec{", b2!["message"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.EndsWith("}: field is immutable", b2["message"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Null(f.Server.Store.Get("batch/v1", "Job", ns, "once")!["spec"]!["template"]!["spec"]!["serviceAccountName"]);
        Assert.Equal(201, (await f.Admin.KPost($"/apis/batch/v1/namespaces/{ns}/cronjobs", J("""{"apiVersion":"batch/v1","kind":"CronJob","metadata":{"name":"nightly"},"spec":{"schedule":"0 2 * * *","jobTemplate":{"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"c","image":"x:1"}]}}}}}}"""))).Status);
        var (s3, b3, _) = await f.Admin.KPatch($"/apis/batch/v1/namespaces/{ns}/cronjobs/nightly", J("""{"spec":{"jobTemplate":{"spec":{"template":{"spec":{"serviceAccountName":"runner"}}}}}}"""), "application/strategic-merge-patch+json");
        Assert.Equal(200, s3); // the CronJob's template is mutable: new Jobs pick it up
        Assert.Equal("runner", b3!["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!["serviceAccount"]!.GetValue<string>());

        Assert.Equal(201, (await f.Admin.KPost($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings", J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"b"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"User","name":"u"}]}"""))).Status);
        var (s4, b4, _) = await f.Admin.KPatch($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/rolebindings/b", J("""{"roleRef":{"name":"edit"}}"""), "application/merge-patch+json");
        Assert.Equal(422, s4);
        Assert.Equal("RoleBinding.rbac.authorization.k8s.io \"b\" is invalid: roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"edit\"}: cannot change roleRef", b4!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Pods_need_containers_and_workloads_a_selector_matching_their_template()
    {
        var ns = f.NewNamespace();
        var (s1, b1, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"empty"},"spec":{"containers":[]}}"""));
        Assert.Equal(422, s1);
        Assert.Equal("Pod \"empty\" is invalid: spec.containers: Required value", b1!["message"]!.GetValue<string>());
        var (s2, b2, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"serviceAccountName":"missing","containers":[{"name":"c","image":"x"}]}}"""));
        Assert.Equal(403, s2);
        Assert.Equal($"pods \"p\" is forbidden: error looking up service account {ns}/missing: serviceaccount \"missing\" not found", b2!["message"]!.GetValue<string>());
        var (s3, b3, _) = await f.Admin.SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{ns}/deployments", Deployment("m").Replace("\"labels\":{\"app\":\"web\"}", "\"labels\":{\"app\":\"other\"}", StringComparison.Ordinal));
        Assert.Equal(422, s3);
        Assert.Equal("Deployment.apps \"m\" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{\"app\":\"other\"}: `selector` does not match template `labels`", b3!["message"]!.GetValue<string>());
        var (s4, b4, _) = await f.Admin.KPost($"/apis/apps/v1/namespaces/{ns}/deployments", J("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"n"},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}}"""));
        Assert.Equal(422, s4);
        Assert.Equal("Deployment.apps \"n\" is invalid: spec.selector: Required value", b4!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_preconditions_are_checked()
    {
        var ns = f.NewNamespace();
        var (_, created, _) = await f.Admin.KPost($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles", J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"r"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}"""));
        var uid = created!["metadata"]!["uid"]!.GetValue<string>();
        var rv = created["metadata"]!["resourceVersion"]!.GetValue<string>();
        var url = $"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles/r";
        var (s1, b1, _) = await f.Admin.SendAsync(HttpMethod.Delete, url, J("""{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}}"""));
        Assert.Equal(409, s1);
        Assert.Equal($"Operation cannot be fulfilled on Role.rbac.authorization.k8s.io \"r\": the UID in the precondition (00000000-0000-0000-0000-000000000000) does not match the UID in record ({uid}). The object might have been deleted and then recreated", b1!["message"]!.GetValue<string>());
        Assert.Equal("Role", b1["details"]!["kind"]!.GetValue<string>());
        var (s2, _, _) = await f.Admin.SendAsync(HttpMethod.Delete, url, J("""{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"resourceVersion":"1"}}"""));
        Assert.Equal(409, s2);
        Assert.NotNull(f.Server.Store.Get("rbac.authorization.k8s.io/v1", "Role", ns, "r"));
        var (s3, _, _) = await f.Admin.SendAsync(HttpMethod.Delete, url, J($$$"""{"kind":"DeleteOptions","apiVersion":"v1","preconditions":{"uid":"{{{uid}}}","resourceVersion":"{{{rv}}}"}}"""));
        Assert.Equal(200, s3);
        Assert.Null(f.Server.Store.Get("rbac.authorization.k8s.io/v1", "Role", ns, "r"));
    }

    [Fact]
    public async Task A_deleted_namespace_terminates_refuses_new_content_and_is_removed_by_its_controller()
    {
        // The namespace controller is held until the Terminating state has been looked at (a timer alone races a loaded machine).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { NamespaceFinalizationDelay = TimeSpan.FromMilliseconds(300), BackgroundControllersReleased = release.Task });
        using var admin = Admin(server);
        Assert.Equal(201, (await admin.KPost("/api/v1/namespaces", J("""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"going"}}"""))).Status);
        Assert.Equal(201, (await admin.KPost("/api/v1/namespaces/going/configmaps", ConfigMap("old"))).Status);
        var (s1, deleted, _) = await admin.KDelete("/api/v1/namespaces/going");
        Assert.Equal(200, s1);
        Assert.Equal("Terminating", deleted!["status"]!["phase"]!.GetValue<string>());
        Assert.NotNull(deleted["metadata"]!["deletionTimestamp"]);
        var (s2, got, _) = await admin.KGet("/api/v1/namespaces/going");
        Assert.Equal(200, s2);
        Assert.Equal("Terminating", got!["status"]!["phase"]!.GetValue<string>());
        var (s3, refused, _) = await admin.KPost("/api/v1/namespaces/going/configmaps", ConfigMap("late"));
        Assert.Equal(403, s3);
        Assert.Equal("configmaps \"late\" is forbidden: unable to create new content in namespace going because it is being terminated", refused!["message"]!.GetValue<string>());
        var (s4, again, _) = await admin.KDelete("/api/v1/namespaces/going");
        Assert.Equal(200, s4);
        Assert.Equal(got["metadata"]!["resourceVersion"]!.GetValue<string>(), again!["metadata"]!["resourceVersion"]!.GetValue<string>());

        // The namespace controller empties the namespace, then removes it.
        release.SetResult();
        for (var i = 0; i < 1200 && server.Store.Get("v1", "Namespace", null, "going") is not null; i++)
        {
            await Task.Delay(50);
        }

        Assert.Equal(404, (await admin.KGet("/api/v1/namespaces/going")).Status);
        Assert.Null(server.Store.Get("v1", "ConfigMap", "going", "old"));
    }

    [Fact]
    public async Task Strategic_merge_uses_each_fields_merge_key_and_directives()
    {
        var ns = f.NewNamespace();
        var svc = $"/api/v1/namespaces/{ns}/services/svc";
        Assert.Equal(201, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/services", J("""{"apiVersion":"v1","kind":"Service","metadata":{"name":"svc"},"spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":8080},{"name":"https","port":443,"targetPort":8443}]}}"""))).Status);
        var (_, merged, _) = await f.Admin.KPatch(svc, J("""{"spec":{"ports":[{"name":"http","port":80,"targetPort":9090}]}}"""), "application/strategic-merge-patch+json");
        var ports = merged!["spec"]!["ports"]!.AsArray();
        Assert.Equal(2, ports.Count); // merged on "port", not appended
        Assert.Equal(9090, ports[0]!["targetPort"]!.GetValue<int>());
        var (_, deleted, _) = await f.Admin.KPatch(svc, J("""{"spec":{"ports":[{"port":443,"$patch":"delete"}]}}"""), "application/strategic-merge-patch+json");
        Assert.Single(deleted!["spec"]!["ports"]!.AsArray());
        var (_, replaced, _) = await f.Admin.KPatch(svc, J("""{"spec":{"selector":{"$patch":"replace","tier":"front"}}}"""), "application/strategic-merge-patch+json");
        Assert.Equal("""{"tier":"front"}""", replaced!["spec"]!["selector"]!.ToJsonString());
        var (s, bad, _) = await f.Admin.KPatch(svc, J("""{"spec":{"ports":[{"name":"x","targetPort":1}]}}"""), "application/strategic-merge-patch+json");
        Assert.Equal(400, s); // every element of a keyed list must carry its merge key
        Assert.Contains("does not contain declared merge key: port", bad!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Equal(201, (await f.Admin.SendAsync(HttpMethod.Post, $"/apis/apps/v1/namespaces/{ns}/deployments",
            Deployment("web").Replace("\"containers\":[{\"name\":\"c\",\"image\":\"registry.k8s.io/pause:3.9\"}]", "\"containers\":[{\"name\":\"c\",\"image\":\"c:1\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]},{\"name\":\"d\",\"image\":\"d:1\"}]", StringComparison.Ordinal))).Status);
        var (_, deployment, _) = await f.Admin.KPatch($"/apis/apps/v1/namespaces/{ns}/deployments/web",
            J("""{"spec":{"template":{"spec":{"containers":[{"name":"d","image":"d:2","env":[{"name":"B","value":"2"}]},{"name":"c","env":[{"name":"A","$patch":"delete"}]}],"$setElementOrder/containers":[{"name":"d"},{"name":"c"}]}}}}"""), "application/strategic-merge-patch+json");
        var containers = deployment!["spec"]!["template"]!["spec"]!["containers"]!.AsArray();
        Assert.Equal(["d", "c"], containers.Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal("d:2", containers[0]!["image"]!.GetValue<string>());
        Assert.Equal("c:1", containers[1]!["image"]!.GetValue<string>());
        Assert.Null(containers[1]!["env"]?.AsArray().FirstOrDefault(e => e!["name"]!.GetValue<string>() == "A"));

        // A ServiceAccount's imagePullSecrets has no merge key: a strategic patch replaces the whole list, as on a real server.
        Assert.Equal(201, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/serviceaccounts", J("""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"puller","finalizers":["a/one"]},"imagePullSecrets":[{"name":"first"}]}"""))).Status);
        var (_, sa, _) = await f.Admin.KPatch($"/api/v1/namespaces/{ns}/serviceaccounts/puller", J("""{"metadata":{"finalizers":["b/two"]},"imagePullSecrets":[{"name":"second"}]}"""), "application/strategic-merge-patch+json");
        Assert.Equal("""[{"name":"second"}]""", sa!["imagePullSecrets"]!.ToJsonString());
        Assert.Equal("""["a/one","b/two"]""", sa["metadata"]!["finalizers"]!.ToJsonString()); // finalizers merge as a set
    }

    [Fact]
    public async Task Pod_security_levels_are_evaluated_at_their_version_labels()
    {
        var ns = f.NewNamespace();
        // Restricted at v1.22 did not yet require runAsUser != 0 (added in v1.23) but already dropped capabilities.
        const string Pod = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"{name}"},"spec":{"securityContext":{"runAsNonRoot":true,"runAsUser":0,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"c","image":"x:1","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}""";
        await f.Admin.KPatch($"/api/v1/namespaces/{ns}", J("""{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/enforce-version":"v1.22"}}}"""), "application/merge-patch+json");
        Assert.Equal(201, (await f.Admin.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods", Pod.Replace("{name}", "old-rules", StringComparison.Ordinal))).Status);
        await f.Admin.KPatch($"/api/v1/namespaces/{ns}", J("""{"metadata":{"labels":{"pod-security.kubernetes.io/enforce-version":"v1.23"}}}"""), "application/merge-patch+json");
        var (status, denied, _) = await f.Admin.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods", Pod.Replace("{name}", "new-rules", StringComparison.Ordinal));
        Assert.Equal(403, status);
        Assert.Equal("pods \"new-rules\" is forbidden: violates PodSecurity \"restricted:v1.23\": runAsUser=0 (pod must not set runAsUser=0)", denied!["message"]!.GetValue<string>());
        // A version label that cannot be read fails closed: restricted at the latest version.
        await f.Admin.KPatch($"/api/v1/namespaces/{ns}", J("""{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"baseline","pod-security.kubernetes.io/enforce-version":"one-point-twenty"}}}"""), "application/merge-patch+json");
        Assert.Equal(403, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/pods", J("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"plain"},"spec":{"containers":[{"name":"c","image":"x:1"}]}}"""))).Status);
    }

    [Fact]
    public async Task Escalation_prevention_lists_the_missing_rights_compacted_like_kube_apiserver()
    {
        var ns = f.NewNamespace();
        f.Server.Store.CreateJson($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"binder","namespace":"{{ns}}"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","rolebindings"],"verbs":["create","get"]},{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}""");
        f.Server.Store.CreateJson($$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"binder","namespace":"{{ns}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"binder"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"delegate"}]}""");
        using var delegated = ForUser(f.Server, "delegate");
        var (status, body, _) = await delegated.KPost($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
            J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"more"},"rules":[{"apiGroups":[""],"resources":["pods","secrets"],"verbs":["get","list"]},{"apiGroups":[""],"resources":["secrets"],"verbs":["watch"]}]}"""));
        Assert.Equal(403, status);
        Assert.Equal(
            "roles.rbac.authorization.k8s.io \"more\" is forbidden: user \"delegate\" (groups=[\"system:authenticated\"]) is attempting to grant RBAC permissions not currently held:\n"
            + "{APIGroups:[\"\"], Resources:[\"pods\"], Verbs:[\"list\"]}\n"
            + "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\" \"list\" \"watch\"]}",
            body!["message"]!.GetValue<string>());
        Assert.Equal(201, (await delegated.KPost($"/apis/rbac.authorization.k8s.io/v1/namespaces/{ns}/roles",
            J("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"same"},"rules":[{"apiGroups":[""],"resources":["pods"],"verbs":["get"]}]}"""))).Status);
    }

    [Fact]
    public async Task An_expired_continue_token_answers_410_with_a_token_to_go_on_inconsistently()
    {
        var ns = f.NewNamespace();
        for (var i = 0; i < 5; i++)
        {
            f.Server.Store.CreateJson($$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"p{{{i}}}","namespace":"{{{ns}}}"}}""");
        }

        var (_, page1, _) = await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps?limit=2");
        var token = page1!["metadata"]!["continue"]!.GetValue<string>();
        Assert.Equal(200, (await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps?limit=2&continue={token}")).Status);
        f.Server.Store.Compact();
        var (status, expired, _) = await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps?limit=2&continue={token}");
        Assert.Equal(410, status);
        Assert.Equal("Expired", expired!["reason"]!.GetValue<string>());
        Assert.StartsWith("The provided continue parameter is too old to display a consistent list result.", expired["message"]!.GetValue<string>(), StringComparison.Ordinal);
        var inconsistent = expired["metadata"]!["continue"]!.GetValue<string>();
        var (s2, rest, _) = await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps?limit=10&continue={inconsistent}");
        Assert.Equal(200, s2);
        Assert.Equal(["p1", "p2", "p3", "p4"], rest!["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()).Where(n => n.StartsWith('p')));
        Assert.Equal(200, (await f.Admin.KGet($"/api/v1/namespaces/{ns}/configmaps?limit=2")).Status); // a fresh list works
    }

    [Fact]
    public async Task Watch_replays_history_sends_bookmarks_and_answers_410_for_compacted_versions()
    {
        await using var server = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { WatchBookmarkInterval = TimeSpan.FromMilliseconds(100) });
        using var admin = Admin(server);
        var (_, first, _) = await admin.KPost("/api/v1/namespaces/default/configmaps", ConfigMap("w1"));
        var after = first!["metadata"]!["resourceVersion"]!.GetValue<string>();
        await admin.KPost("/api/v1/namespaces/default/configmaps", ConfigMap("w2"));
        await admin.KPatch("/api/v1/namespaces/default/configmaps/w1", J("""{"data":{"a":"c"}}"""), "application/merge-patch+json");
        await admin.KDelete("/api/v1/namespaces/default/configmaps/w2");

        var events = await ReadWatch(admin, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={after}&allowWatchBookmarks=true&timeoutSeconds=1");
        var changes = events.Where(e => e["type"]!.GetValue<string>() != "BOOKMARK").Select(e => e["type"]!.GetValue<string>() + " " + e["object"]!["metadata"]!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["ADDED w2", "MODIFIED w1", "DELETED w2"], changes);
        var versions = events.Where(e => e["type"]!.GetValue<string>() != "BOOKMARK").Select(e => long.Parse(e["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(versions.Order(), versions);
        Assert.Contains(events, e => e["type"]!.GetValue<string>() == "BOOKMARK" && e["object"]!["kind"]!.GetValue<string>() == "ConfigMap");

        server.Store.Compact();
        var expired = await ReadWatch(admin, $"/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={after}&timeoutSeconds=1");
        var error = Assert.Single(expired);
        Assert.Equal("ERROR", error["type"]!.GetValue<string>());
        Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", error["object"]!["reason"]!.GetValue<string>());
        Assert.StartsWith($"too old resource version: {after} (", error["object"]!["message"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static async Task<List<JsonNode>> ReadWatch(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
        var text = await response.Content.ReadAsStringAsync();
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!).ToList();
    }
}
