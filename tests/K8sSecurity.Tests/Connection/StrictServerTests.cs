using System.Text.Json.Nodes;
using K8sSecurity.TestServer;
using K8sSecurity.Tests.Authorization;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// What the strict API test server showed the module doing wrong (issue 14), through the cmdlets: a Job's immutable
/// pod template, writes without fieldValidation=Strict, a bare Forbidden for RBAC escalation, continue tokens that
/// expire in the middle of a scan or an audit.
/// </summary>
public sealed class StrictServerTests : IDisposable
{
    private readonly AuthorizationTestCluster cluster = AuthorizationTestCluster.Start("team-a");

    public void Dispose() => cluster.Dispose();

    private void Seed(string yaml) => cluster.Server.Store.CreateYaml(yaml);

    private const string PodSpec = "{\"containers\":[{\"name\":\"app\",\"image\":\"registry.example.com/app:1\"}]}";

    [Theory]
    [InlineData("Deployment", "apps/v1", """{"selector":{"matchLabels":{"app":"w"}},"template":{"metadata":{"labels":{"app":"w"}},"spec":POD}}""")]
    [InlineData("StatefulSet", "apps/v1", """{"serviceName":"w","selector":{"matchLabels":{"app":"w"}},"template":{"metadata":{"labels":{"app":"w"}},"spec":POD}}""")]
    [InlineData("DaemonSet", "apps/v1", """{"selector":{"matchLabels":{"app":"w"}},"template":{"metadata":{"labels":{"app":"w"}},"spec":POD}}""")]
    [InlineData("CronJob", "batch/v1", """{"schedule":"0 2 * * *","jobTemplate":{"spec":{"template":{"spec":POD}}}}""")]
    public void Every_mutable_workload_kind_gets_the_service_account_with_one_conditional_patch(string kind, string apiVersion, string spec)
    {
        var body = (JsonObject)JsonNode.Parse($$"""{"apiVersion":"{{apiVersion}}","kind":"{{kind}}","metadata":{"name":"w","namespace":"team-a"},"spec":{{spec.Replace("POD", PodSpec, StringComparison.Ordinal)}}}""")!;
        cluster.Server.Store.Create(body);
        cluster.Invoke("New-K8sServiceAccount runner -Namespace team-a").AssertNoErrors();
        cluster.Server.ClearRequests();

        var change = Assert.Single(cluster.Invoke($"Set-K8sWorkloadServiceAccount {kind} w runner -Namespace team-a").AssertNoErrors().Output);
        Assert.Equal("Updated", change.Properties["Change"].Value.ToString());
        var stored = cluster.Get(apiVersion, kind, "team-a", "w")!;
        var podSpec = kind == "CronJob" ? stored["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]! : stored["spec"]!["template"]!["spec"]!;
        Assert.Equal("runner", podSpec["serviceAccountName"]!.GetValue<string>());
        var patch = Assert.Single(cluster.Writes());
        Assert.Equal("PATCH", patch.Method);
        Assert.Contains("fieldValidation=Strict", patch.Query, StringComparison.Ordinal);
        Assert.NotNull(JsonNode.Parse(patch.RequestBody!)!["metadata"]!["resourceVersion"]); // conditional on what was read
    }

    [Fact]
    public void A_Job_is_refused_before_anything_is_sent_with_what_to_do_instead()
    {
        Seed("""
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: nightly, namespace: team-a}
            spec:
              schedule: "0 2 * * *"
              jobTemplate: {spec: {template: {spec: {restartPolicy: Never, containers: [{name: app, image: "registry.example.com/app:1"}]}}}}
            """);
        var cronJob = cluster.Get("batch/v1", "CronJob", "team-a", "nightly")!;
        cluster.Server.Store.CreateJson("""
            {"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"nightly-29000000","namespace":"team-a",
             "ownerReferences":[{"apiVersion":"batch/v1","kind":"CronJob","name":"nightly","uid":"UID","controller":true}]},
             "spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"app","image":"registry.example.com/app:1"}]}}}}
            """.Replace("UID", cronJob["metadata"]!["uid"]!.GetValue<string>(), StringComparison.Ordinal));
        cluster.Server.Store.CreateJson("""{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"once","namespace":"team-a"},"spec":{"template":{"spec":{"restartPolicy":"Never","containers":[{"name":"app","image":"registry.example.com/app:1"}]}}}}""");
        cluster.Invoke("New-K8sServiceAccount runner -Namespace team-a").AssertNoErrors();
        cluster.Server.ClearRequests();

        var owned = cluster.Invoke("Set-K8sWorkloadServiceAccount Job nightly-29000000 runner -Namespace team-a");
        var error = Assert.Single(owned.Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("a Job's pod template is immutable once the Job exists", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("Set-K8sWorkloadServiceAccount -Kind CronJob -Name nightly -Namespace team-a -ServiceAccount runner", error.Exception.Message, StringComparison.Ordinal);
        var plain = cluster.Invoke("Set-K8sWorkloadServiceAccount Job once runner -Namespace team-a");
        Assert.Contains("Recreate the Job with serviceAccountName 'runner'", Assert.Single(plain.Errors).Exception.Message, StringComparison.Ordinal);
        Assert.Empty(cluster.Writes());

        // The advice works: the CronJob's template is mutable, and a Job already running as the account is left alone.
        cluster.Invoke("Set-K8sWorkloadServiceAccount CronJob nightly runner -Namespace team-a").AssertNoErrors();
        Assert.Equal("runner", cluster.Get("batch/v1", "CronJob", "team-a", "nightly")!["spec"]!["jobTemplate"]!["spec"]!["template"]!["spec"]!["serviceAccountName"]!.GetValue<string>());
        Assert.Equal("Unchanged", Assert.Single(cluster.Invoke("Set-K8sWorkloadServiceAccount Job once default -Namespace team-a").AssertNoErrors().Output).Properties["Change"].Value.ToString());
    }

    [Fact]
    public void Every_write_of_a_secure_namespace_asks_for_strict_field_validation()
    {
        cluster.Server.ClearRequests();
        cluster.Invoke("New-K8sSecureNamespace payments -PodSecurity Restricted -Owner alice -Confirm:$false").AssertNoErrors();
        var writes = cluster.Writes();
        // Namespace, default-deny NetworkPolicy, ServiceAccount, owner RoleBinding.
        Assert.Equal(["namespaces", "networkpolicies", "rolebindings", "serviceaccounts"], writes.Select(w => w.Path.Split('/')[^1] is var last && last == "payments" ? "namespaces" : w.Path.Split('/')[^1]).Distinct().Order(StringComparer.Ordinal));
        Assert.All(writes, w => Assert.Contains("fieldValidation=Strict", w.Query, StringComparison.Ordinal));
        Assert.All(writes, w => Assert.InRange(w.StatusCode, 200, 201));
    }

    [Fact]
    public void RBAC_escalation_prevention_is_reported_with_the_missing_rights_and_the_fix()
    {
        cluster.Server.Store.CreateJson("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"Role","metadata":{"name":"binder","namespace":"team-a"},"rules":[{"apiGroups":["rbac.authorization.k8s.io"],"resources":["roles","rolebindings"],"verbs":["create","get","list","update"]},{"apiGroups":[""],"resources":["pods"],"verbs":["get","list"]}]}""");
        cluster.Server.Store.CreateJson("""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"binder","namespace":"team-a"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"binder"},"subjects":[{"apiGroup":"rbac.authorization.k8s.io","kind":"User","name":"delegate"}]}""");
        string delegated = cluster.Server.WriteKubeconfig(Path.Combine(cluster.Directory, "delegate"), "delegate", ["team-leads"], "delegate", "team-a");

        var grant = cluster.Invoke("Grant-K8sRole -ClusterRole edit -User bob -Namespace team-a -Kubeconfig $args[0]", delegated);
        var error = Assert.Single(grant.Errors);
        Assert.StartsWith("K8sForbidden", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        string message = error.Exception.Message;
        Assert.Contains("RBAC escalation prevention: 'delegate' may only bind a role that grants rights it holds itself", message, StringComparison.Ordinal);
        Assert.Contains("create, delete, deletecollection, patch, update, get, list, watch configmaps", message, StringComparison.Ordinal);
        Assert.Contains("create, delete, deletecollection, patch, update, watch pods;", message, StringComparison.Ordinal); // it holds get and list
        Assert.Contains("create, delete, deletecollection, patch, update deployments/rollback.apps", message, StringComparison.Ordinal);
        Assert.Contains("'bind' verb on the role being bound", message, StringComparison.Ordinal);
        Assert.DoesNotContain("{APIGroups:", message, StringComparison.Ordinal);

        var role = cluster.Invoke("New-K8sRole secret-reader -Namespace team-a -Verb get -Resource secrets -Kubeconfig $args[0]", delegated);
        string roleMessage = Assert.Single(role.Errors).Exception.Message;
        Assert.Contains("may only create a role that grants rights it holds itself, and lacks 1 of them: get secrets.", roleMessage, StringComparison.Ordinal);
        Assert.Contains("'escalate' verb on roles/clusterroles", roleMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void A_scan_whose_continue_token_expires_lists_again_without_duplicates_or_gaps()
    {
        SeedPods(1201);
        CompactOnSecondPage("/api/v1/namespaces/bulk/pods");
        var result = cluster.Invoke("Test-K8sPodSecurity -Namespace bulk -Profile PodSecurityStandards -Verbose").AssertNoErrors();
        var names = result.Output.Select(o => (string)o.Properties["Name"].Value).ToList();
        Assert.Equal(1201, names.Count);
        Assert.Equal(1201, names.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains(cluster.Server.Requests, r => r.StatusCode == 410);
        Assert.Contains(result.Verbose, v => v.Contains("the continue token expired (410 Expired); listing again from the start", StringComparison.Ordinal));
    }

    [Fact]
    public void An_audit_whose_continue_token_expires_counts_every_pod_once()
    {
        SeedPods(1201);
        CompactOnSecondPage("/api/v1/pods");
        var summary = Assert.Single(cluster.Invoke("Invoke-K8sSecurityAudit -Category PodSecurity -Summary").AssertNoErrors().Output);
        var inventory = (IReadOnlyDictionary<string, int>)summary.Properties["Inventory"].Value;
        Assert.Equal(1201, inventory["Pod"]);
        Assert.Contains(cluster.Server.Requests, r => r.StatusCode == 410 && r.Path == "/api/v1/pods");
    }

    private void SeedPods(int count)
    {
        for (int i = 0; i < count; i++)
        {
            cluster.Server.Store.CreateJson($$"""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p-{{i:D4}}","namespace":"bulk"},"spec":{{PodSpec}}}""");
        }
    }

    /// <summary>Like etcd compacting while a client pages: the first request with a continue token finds it expired.</summary>
    private void CompactOnSecondPage(string path)
    {
        int done = 0;
        cluster.Server.Context.BeforeRequest = rc =>
        {
            if (rc.Path == path && rc.QueryValue("continue").Length > 0 && Interlocked.Exchange(ref done, 1) == 0)
            {
                // Objects change between the pages too: one already read and one not yet read are updated.
                cluster.Server.Store.Update("v1", "Pod", "bulk", "p-0001", p => p.Metadata().Obj("labels")["seen"] = "first-page");
                cluster.Server.Store.Update("v1", "Pod", "bulk", "p-1100", p => p.Metadata().Obj("labels")["seen"] = "later-page");
                cluster.Server.Store.Compact();
            }
        };
        cluster.Server.ClearRequests();
    }
}
