using System.Text.Json.Nodes;
using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Handlers;
using K8sSecurity.Tests.Authorization;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// Read-modify-writes against concurrent writers (issue 16 item 3: on a real kube-apiserver six simultaneous
/// Grant-K8sRole runs left five subjects). Each cmdlet reads, changes and writes with the read resourceVersion as a
/// precondition and starts over on 409; these tests make the other writer act at the exact moment in between (the
/// test server's BeforeRequest hook), or run real pipelines at the same time, and check nobody's change is lost.
/// </summary>
public sealed class ConcurrentWritersTests : IDisposable
{
    private const string Rbac = "rbac.authorization.k8s.io/v1";
    private readonly AuthorizationTestCluster cluster = AuthorizationTestCluster.Start("team-a");

    public void Dispose() => cluster.Dispose();

    /// <summary>Runs <paramref name="change"/> as another writer once, when the first request matching <paramref name="when"/> arrives.</summary>
    private void OnceBefore(Func<RequestContext, bool> when, Action change)
    {
        int done = 0;
        cluster.Server.Context.BeforeRequest = rc =>
        {
            if (when(rc) && Interlocked.Exchange(ref done, 1) == 0)
            {
                change();
            }
        };
    }

    private static string[] SubjectNames(JsonObject binding) =>
        (binding["subjects"] as JsonArray ?? new JsonArray()).Select(s => s!["name"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToArray();

    private int Conflicts() => cluster.Server.Requests.Count(r => r.StatusCode == 409);

    [Fact]
    public async Task Six_pipelines_granting_at_once_end_with_all_six_subjects()
    {
        var sessions = Enumerable.Range(1, 6).Select(_ => new PsSession()).ToList();
        try
        {
            // Hold the first six list requests until all six pipelines are reading, and hold every create until all six
            // lists have been answered (the server records a request before it answers): all six have then read the same
            // empty state and create the same binding, so five must lose the race and read again.
            using var allRead = new CountdownEvent(6);
            int lists = 0;
            int ListsAnswered() => cluster.Server.Requests.Count(r =>
                r.Method == "GET" && r.StatusCode == 200 && r.Path.EndsWith("/namespaces/team-a/rolebindings", StringComparison.Ordinal));
            cluster.Server.Context.BeforeRequest = rc =>
            {
                if (rc.Verb == "list" && rc.RequiredType.Kind == "RoleBinding" && Interlocked.Increment(ref lists) <= 6)
                {
                    allRead.Signal();
                    allRead.Wait(TimeSpan.FromSeconds(60));
                }
                else if (rc.Verb == "create" && rc.RequiredType.Kind == "RoleBinding")
                {
                    SpinWait.SpinUntil(() => ListsAnswered() >= 6, TimeSpan.FromSeconds(60));
                }
            };
            cluster.Server.ClearRequests();
            var runs = sessions.Select((session, i) => Task.Run(() =>
                session.Invoke($"Grant-K8sRole -ClusterRole view -User u{i + 1} -Namespace team-a -Kubeconfig $args[0] -Verbose", cluster.Kubeconfig))).ToArray();
            var results = (await Task.WhenAll(runs).WaitAsync(TimeSpan.FromMinutes(3))).Select(r => r.AssertNoErrors()).ToList();
            var binding = cluster.Get(Rbac, "RoleBinding", "team-a", "k8ssecurity:clusterrole:view")!;
            Assert.Equal(["u1", "u2", "u3", "u4", "u5", "u6"], SubjectNames(binding));
            var changes = results.Select(r => Assert.Single(r.Output).Properties["Change"].Value.ToString()).ToList();
            Assert.Equal(1, changes.Count(c => c == "Created"));
            Assert.Equal(5, changes.Count(c => c == "Updated"));
            Assert.True(Conflicts() >= 5, $"expected the racing creates to collide, saw {Conflicts()} conflicts");
            Assert.Contains(results.SelectMany(r => r.Verbose), v => v.Contains("reading it again", StringComparison.Ordinal));
        }
        finally
        {
            sessions.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public void A_binding_deleted_while_it_is_being_updated_is_created_again()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole view -User first -Namespace team-a").AssertNoErrors();
        OnceBefore(
            rc => rc.Method == "PUT" && rc.RequiredType.Kind == "RoleBinding",
            () => cluster.Server.Store.Delete(Rbac, "RoleBinding", "team-a", "k8ssecurity:clusterrole:view"));

        var result = cluster.Invoke("Grant-K8sRole -ClusterRole view -User second -Namespace team-a -Verbose").AssertNoErrors();
        Assert.Equal("Created", Assert.Single(result.Output).Properties["Change"].Value.ToString());
        Assert.Equal(["second"], SubjectNames(cluster.Get(Rbac, "RoleBinding", "team-a", "k8ssecurity:clusterrole:view")!));
        Assert.Contains(result.Verbose, v => v.Contains("changed since it was read (NotFound)", StringComparison.Ordinal));
    }

    [Fact]
    public void Revoking_the_last_subject_never_deletes_a_subject_added_meanwhile()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole edit -User leaving -Namespace team-a").AssertNoErrors();
        OnceBefore(
            rc => rc.Method == "DELETE" && rc.RequiredType.Kind == "RoleBinding",
            () => cluster.Server.Store.Update(Rbac, "RoleBinding", "team-a", "k8ssecurity:clusterrole:edit",
                b => ((JsonArray)b["subjects"]!).Add(new JsonObject { ["kind"] = "User", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = "joining" })));

        var result = cluster.Invoke("Revoke-K8sRole -ClusterRole edit -User leaving -Namespace team-a").AssertNoErrors();
        Assert.Equal("Updated", Assert.Single(result.Output).Properties["Change"].Value.ToString());
        Assert.Equal(["joining"], SubjectNames(cluster.Get(Rbac, "RoleBinding", "team-a", "k8ssecurity:clusterrole:edit")!));
        Assert.Equal(1, Conflicts()); // the delete carried uid and resourceVersion preconditions
    }

    [Fact]
    public void A_writer_that_never_stops_changing_the_binding_gets_a_bounded_conflict_error()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole view -User a -Namespace team-a").AssertNoErrors();
        int n = 0;
        cluster.Server.Context.BeforeRequest = rc =>
        {
            if (rc.Method == "PUT" && rc.RequiredType.Kind == "RoleBinding")
            {
                cluster.Server.Store.Update(Rbac, "RoleBinding", "team-a", "k8ssecurity:clusterrole:view",
                    b => b.Metadata()["annotations"] = new JsonObject { ["touched"] = (++n).ToString(System.Globalization.CultureInfo.InvariantCulture) });
            }
        };

        var result = cluster.Invoke("Grant-K8sRole -ClusterRole view -User b -Namespace team-a");
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sConflict", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("other writers kept changing it (10 attempts, each from a fresh read); nothing was overwritten", error.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(10, n);
        var binding = cluster.Get(Rbac, "RoleBinding", "team-a", "k8ssecurity:clusterrole:view")!;
        Assert.Equal(["a"], SubjectNames(binding));
        Assert.Equal("10", binding["metadata"]!["annotations"]!["touched"]!.GetValue<string>());
    }

    [Fact]
    public void Quota_resources_set_by_another_writer_meanwhile_are_kept()
    {
        cluster.Invoke("Set-K8sNamespaceQuota team-a -ConfigMaps 3").AssertNoErrors();
        OnceBefore(
            rc => rc.Method == "PUT" && rc.RequiredType.Kind == "ResourceQuota",
            () => cluster.Server.Store.Update("v1", "ResourceQuota", "team-a", "resource-quota-default", q => q["spec"]!["hard"]!["secrets"] = "5"));

        cluster.Invoke("Set-K8sNamespaceQuota team-a -Pods 10").AssertNoErrors();
        var hard = cluster.Get("v1", "ResourceQuota", "team-a", "resource-quota-default")!["spec"]!["hard"]!;
        Assert.Equal(["configmaps=3", "pods=10", "secrets=5"], hard.AsObject().Select(kv => $"{kv.Key}={kv.Value}").Order(StringComparer.Ordinal));
        Assert.Equal(1, Conflicts());
    }

    [Fact]
    public void Limit_range_items_added_by_another_writer_meanwhile_are_kept()
    {
        cluster.Invoke("Set-K8sLimitRange team-a -MaxCpu 2").AssertNoErrors();
        OnceBefore(
            rc => rc.Method == "PUT" && rc.RequiredType.Kind == "LimitRange",
            () => cluster.Server.Store.Update("v1", "LimitRange", "team-a", "limit-range-default",
                l => ((JsonArray)l["spec"]!["limits"]!).Add(new JsonObject { ["type"] = "PersistentVolumeClaim", ["max"] = new JsonObject { ["storage"] = "10Gi" } })));

        cluster.Invoke("Set-K8sLimitRange team-a -MaxMemory 1Gi").AssertNoErrors();
        var limits = cluster.Get("v1", "LimitRange", "team-a", "limit-range-default")!["spec"]!["limits"]!.AsArray();
        Assert.Equal(["Container", "PersistentVolumeClaim"], limits.Select(l => l!["type"]!.GetValue<string>()));
        Assert.Equal("""{"cpu":"2","memory":"1Gi"}""", limits[0]!["max"]!.ToJsonString());
        Assert.Equal(1, Conflicts());
    }

    [Fact]
    public void Registry_secret_joins_the_pull_secrets_an_account_has_and_those_added_meanwhile()
    {
        cluster.Server.Store.CreateJson("""{"apiVersion":"v1","kind":"ServiceAccount","metadata":{"name":"puller","namespace":"team-a"},"imagePullSecrets":[{"name":"first"}]}""");
        OnceBefore(
            rc => rc.Method == "PATCH" && rc.RequiredType.Kind == "ServiceAccount",
            () => cluster.Server.Store.Update("v1", "ServiceAccount", "team-a", "puller", sa => ((JsonArray)sa["imagePullSecrets"]!).Add(new JsonObject { ["name"] = "third" })));

        cluster.Invoke("""
            $password = [securestring]::new(); 'pw-123'.ToCharArray() | ForEach-Object { $password.AppendChar($_) }
            New-K8sRegistrySecret regcred registry.example.com -Credential ([pscredential]::new('robot', $password)) -ServiceAccount puller -Namespace team-a
            """).AssertNoErrors();
        var pullSecrets = cluster.Get("v1", "ServiceAccount", "team-a", "puller")!["imagePullSecrets"]!.AsArray().Select(r => r!["name"]!.GetValue<string>());
        Assert.Equal(["first", "third", "regcred"], pullSecrets);
        Assert.Equal(1, Conflicts());
    }

    [Fact]
    public void Workload_changes_made_meanwhile_survive_setting_its_service_account()
    {
        cluster.Server.Store.CreateJson("""{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web","namespace":"team-a"},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"web"}},"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27"}]}}}}""");
        cluster.Invoke("New-K8sServiceAccount web-sa -Namespace team-a").AssertNoErrors();
        OnceBefore(
            rc => rc.Method == "PATCH" && rc.RequiredType.Kind == "Deployment",
            () => cluster.Server.Store.Update("apps/v1", "Deployment", "team-a", "web", d => d["spec"]!["template"]!["spec"]!["containers"]![0]!["image"] = "nginx:1.28"));

        cluster.Invoke("Set-K8sWorkloadServiceAccount Deployment web web-sa -Namespace team-a").AssertNoErrors();
        var spec = cluster.Get("apps/v1", "Deployment", "team-a", "web")!["spec"]!["template"]!["spec"]!;
        Assert.Equal("web-sa", spec["serviceAccountName"]!.GetValue<string>());
        Assert.Equal("nginx:1.28", spec["containers"]![0]!["image"]!.GetValue<string>());
        Assert.Equal(1, Conflicts());
    }

    [Fact]
    public void Replacing_a_role_keeps_labels_another_writer_added_meanwhile()
    {
        cluster.Invoke("New-K8sRole reader -Namespace team-a -Verb get -Resource pods").AssertNoErrors();
        OnceBefore(
            rc => rc.Method == "PUT" && rc.RequiredType.Kind == "Role",
            () => cluster.Server.Store.Update(Rbac, "Role", "team-a", "reader", r => r.Metadata().Obj("labels")["team"] = "a"));

        cluster.Invoke("New-K8sRole reader -Namespace team-a -Verb get,list -Resource pods -Force").AssertNoErrors();
        var role = cluster.Get(Rbac, "Role", "team-a", "reader")!;
        Assert.Equal("""["get","list"]""", role["rules"]![0]!["verbs"]!.ToJsonString());
        Assert.Equal("a", role["metadata"]!["labels"]!["team"]!.GetValue<string>());
        Assert.Equal(1, Conflicts());
    }

    [Fact]
    public void Pod_security_labels_and_labels_set_meanwhile_all_stay()
    {
        OnceBefore(
            rc => rc.Method == "PATCH" && rc.RequiredType.Kind == "Namespace",
            () => cluster.Server.Store.Update("v1", "Namespace", null, "team-a", n => n.Metadata().Obj("labels")["owner"] = "team-a"));

        cluster.Invoke("Set-K8sNamespacePodSecurity team-a -Enforce restricted").AssertNoErrors();
        var labels = cluster.Get("v1", "Namespace", null, "team-a")!["metadata"]!["labels"]!;
        Assert.Equal("restricted", labels["pod-security.kubernetes.io/enforce"]!.GetValue<string>());
        Assert.Equal("team-a", labels["owner"]!.GetValue<string>());
        Assert.Equal(1, Conflicts());
    }
}
