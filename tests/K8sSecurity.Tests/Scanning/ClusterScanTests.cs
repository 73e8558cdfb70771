using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>Test-K8sPodSecurity against the live API (KubeApiTestServer): paged lists, one per kind, controllers once.</summary>
public sealed class ClusterScanTests : IAsyncLifetime
{
    private readonly string directory = TestPaths.NewTempDirectory();
    private readonly PsSession session = new();
    private KubeApiTestServer server = null!;
    private string kubeconfig = string.Empty;

    public async Task InitializeAsync()
    {
        server = await KubeApiTestServer.StartAsync();
        kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "admin"), defaultNamespace: "shop");
        server.Store.CreateYaml("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: shop}
            ---
            apiVersion: v1
            kind: Namespace
            metadata: {name: ops}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: nginx:1.27, securityContext: {privileged: true}}]
            ---
            apiVersion: apps/v1
            kind: ReplicaSet
            metadata:
              name: web-5d8f
              namespace: shop
              ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, uid: 11111111-1111-1111-1111-111111111111, controller: true}]
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers: [{name: web, image: nginx:1.27, securityContext: {privileged: true}}]
            ---
            apiVersion: v1
            kind: Pod
            metadata:
              name: web-5d8f-x2k9q
              namespace: shop
              ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-5d8f, uid: 22222222-2222-2222-2222-222222222222, controller: true}]
            spec:
              containers: [{name: web, image: nginx:1.27, securityContext: {privileged: true}}]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: standalone, namespace: shop}
            spec:
              securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
              containers:
              - name: app
                image: registry.example.com/app:1.0
                securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}
            ---
            apiVersion: batch/v1
            kind: CronJob
            metadata: {name: backup, namespace: ops}
            spec:
              schedule: "0 2 * * *"
              jobTemplate:
                spec:
                  template:
                    spec:
                      restartPolicy: OnFailure
                      hostNetwork: true
                      containers: [{name: backup, image: registry.example.com/backup:2}]
            ---
            apiVersion: batch/v1
            kind: Job
            metadata:
              name: backup-28930000
              namespace: ops
              ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: backup, uid: 33333333-3333-3333-3333-333333333333, controller: true}]
            spec:
              template:
                spec:
                  restartPolicy: OnFailure
                  hostNetwork: true
                  containers: [{name: backup, image: registry.example.com/backup:2}]
            ---
            apiVersion: v1
            kind: PodTemplate
            metadata: {name: runner, namespace: ops}
            template:
              spec:
                containers: [{name: runner, image: registry.example.com/runner:1}]
            """);
    }

    public async Task DisposeAsync()
    {
        session.Dispose();
        await server.DisposeAsync();
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public void ScansTheContextNamespaceWithOneListPerKindAndControllersOnce()
    {
        server.ClearRequests();
        var result = session.Invoke("Test-K8sPodSecurity -Kubeconfig $args[0] -Profile PodSecurityStandards", kubeconfig).AssertNoErrors();

        Assert.Equal(new[] { "Deployment/web", "Pod/standalone" }, result.Output.Select(o => $"{o.Properties["Kind"].Value}/{o.Properties["Name"].Value}").Order());
        Assert.All(result.Output, o => Assert.Equal("cluster", o.Properties["Source"].Value));
        Assert.All(result.Output, o => Assert.Equal("shop", o.Properties["Namespace"].Value));
        var web = result.Output.Single(o => (string)o.Properties["Name"].Value == "web");
        Assert.Equal(false, web.Properties["Compliant"].Value);

        var lists = server.Requests.Where(r => r.Method == "GET" && r.Path.Contains("/namespaces/shop/", StringComparison.Ordinal)).ToList();
        Assert.Equal(9, lists.Count); // Pod, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, CronJob, ReplicationController, PodTemplate
        Assert.All(lists, r => Assert.Contains("limit=500", r.Query, StringComparison.Ordinal));
        Assert.Equal(9, lists.Select(r => r.Path).Distinct().Count());
    }

    [Fact]
    public void AllNamespacesUsesClusterWideLists()
    {
        server.ClearRequests();
        var result = session.Invoke("Test-K8sPodSecurity -Kubeconfig $args[0] -AllNamespaces -Level Baseline -Profile PodSecurityStandards", kubeconfig).AssertNoErrors();

        var names = result.Output.Select(o => $"{o.Properties["Namespace"].Value}/{o.Properties["Kind"].Value}/{o.Properties["Name"].Value}").Order().ToList();
        Assert.Equal(new[] { "ops/CronJob/backup", "ops/PodTemplate/runner", "shop/Deployment/web", "shop/Pod/standalone" }, names);
        Assert.Equal(false, result.Output.Single(o => (string)o.Properties["Name"].Value == "backup").Properties["Compliant"].Value);
        Assert.Contains(server.Requests, r => r.Path == "/apis/apps/v1/deployments");
        Assert.Contains(server.Requests, r => r.Path == "/api/v1/pods");
        Assert.DoesNotContain(server.Requests, r => r.Path.Contains("/namespaces/", StringComparison.Ordinal) && r.Method == "GET" && !r.Path.EndsWith("/namespaces/shop", StringComparison.Ordinal));
    }

    [Fact]
    public void ListsArePagedWithContinueTokens()
    {
        for (int i = 0; i < 501; i++)
        {
            string name = FormattableString.Invariant($"p{i:D4}");
            server.Store.CreateJson("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"bulk\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x:1\"}]}}");
        }

        server.ClearRequests();
        var result = session.Invoke("@(Test-K8sPodSecurity -Kubeconfig $args[0] -Namespace bulk -Profile PodSecurityStandards).Count", kubeconfig).AssertNoErrors();

        Assert.Equal(501, Assert.Single(result.Output).BaseObject);
        var podLists = server.Requests.Where(r => r.Path == "/api/v1/namespaces/bulk/pods").ToList();
        Assert.Equal(2, podLists.Count);
        Assert.Contains("continue=", podLists[1].Query, StringComparison.Ordinal);
    }

    [Fact]
    public void ForbiddenListsAreOneTerminatingErrorNamingTheNamespace()
    {
        string sammy = server.WriteKubeconfig(Path.Combine(directory, "sammy"), "sammy", new[] { "developers" }, "sammy", "shop");
        var result = session.Invoke("Test-K8sPodSecurity -Kubeconfig $args[0]", sammy);
        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sForbidden,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("shop", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Lists in a namespace that does not exist answer empty (kubectl: "No resources found"), so a typo in -Namespace
    /// read as a clean result. Now a warning names it; an existing namespace with no workloads gets none, and the
    /// gate fails closed with the warning beside its error.
    /// </summary>
    [Fact]
    public void AMissingNamespaceIsAWarningNotACleanResult()
    {
        server.Store.CreateYaml("""
            apiVersion: v1
            kind: Namespace
            metadata: {name: quiet}
            """);
        var typo = session.Invoke("Test-K8sPodSecurity -Kubeconfig $args[0] -Namespace shpo,quiet", kubeconfig);
        Assert.Null(typo.TerminatingError);
        Assert.Empty(typo.Output);
        Assert.Equal(new[] { "Namespace 'shpo' does not exist: nothing was scanned there." }, typo.Warnings.Where(w => w.StartsWith("Namespace", StringComparison.Ordinal)));

        var gate = session.Invoke("Assert-K8sPodSecurity -Kubeconfig $args[0] -Namespace shpo", kubeconfig);
        Assert.NotNull(gate.TerminatingError);
        Assert.Contains("Namespace 'shpo' does not exist: nothing was scanned there.", gate.Warnings);
    }

    [Fact]
    public void NamespaceAndAllNamespacesTogetherAreRejectedBeforeAnyRequest()
    {
        server.ClearRequests();
        var result = session.Invoke("Test-K8sPodSecurity -Kubeconfig $args[0] -Namespace shop -AllNamespaces", kubeconfig);
        Assert.StartsWith("K8sInvalidArgument,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void AssertGatesTheLiveClusterToo()
    {
        var result = session.Invoke("Assert-K8sPodSecurity -Kubeconfig $args[0] -Namespace shop -Level Baseline -Profile PodSecurityStandards", kubeconfig);
        Assert.StartsWith("K8sPodSecurityViolation,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("Deployment/shop/web (cluster)", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
    }
}
