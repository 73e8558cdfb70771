using System.Management.Automation;
using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Authorization;

/// <summary>
/// Issue 12 through the hosted engine: a folder of RBAC manifests that binds the cluster's default roles without
/// containing them answers offline exactly as a cluster holding the real v1.32 default policy (the capture of a fresh
/// v1.32.13 cluster) and the folder answers through the API server: SubjectAccessReviews and the live risk analysis.
/// </summary>
public sealed class DefaultPolicyTests : IDisposable
{
    private readonly KubeApiTestServer server;
    private readonly PsSession session = new();
    private readonly string kubeconfig;

    public DefaultPolicyTests()
    {
        // A cluster as the folder would be applied to: the real default policy, then the folder's objects.
        server = KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { SeedDefaultRbac = false }).GetAwaiter().GetResult();
        server.Store.CreateJson(File.ReadAllText(Capture));
        foreach (string file in Directory.GetFiles(Folder, "*.yaml").Order(StringComparer.Ordinal))
        {
            server.Store.CreateYaml(File.ReadAllText(file));
        }

        kubeconfig = server.WriteKubeconfig(Path.Combine(TestPaths.NewTempDirectory(), "admin.kubeconfig"));
    }

    private static string Folder => Path.Combine(TestPaths.RepoRoot, "tests", "TestData", "rbac-folder");

    private static string Capture => TestPaths.Shared("k8s-bootstrap-rbac", "v1.32.json");

    public static TheoryData<string> Queries() => new()
    {
        "delete nodes -User dave",
        "create pods/exec -User olga -Group ops -Namespace kube-system",
        "list pods -User system:anonymous -Group system:unauthenticated -Namespace team-a",
        "get secrets -User system:anonymous -Group system:unauthenticated -Namespace team-a",
        "create pods/exec -User erin -Namespace team-a",
        "create pods/exec -User erin -Namespace team-b",
        "delete deployments.apps -User dana -Group devs -Namespace team-a",
        "list widgets.example.com -User dana -Group devs -Namespace team-a",
        "get configmaps -ServiceAccount monitoring:prometheus -Namespace kube-system -Name extension-apiserver-authentication",
        "get configmaps -ServiceAccount monitoring:prometheus -Namespace kube-system -Name kubeadm-config",
        "get -NonResourceUrl /metrics -ServiceAccount monitoring:prometheus",
        "create selfsubjectaccessreviews.authorization.k8s.io -User nobody -Group system:authenticated",
        "get -NonResourceUrl /version -User system:anonymous -Group system:unauthenticated",
        "get -NonResourceUrl /api -User system:anonymous -Group system:unauthenticated",
        "list endpointslices.discovery.k8s.io -ServiceAccount kube-system:endpointslice-controller",
        "get -NonResourceUrl /openid/v1/jwks -ServiceAccount team-a:default",
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public void OfflineAnswersOnTheFolderAreTheClustersAnswers(string query)
    {
        var live = Assert.Single(session.Invoke($"Test-K8sAccess {query} -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        var offline = Assert.Single(session.Invoke($"Test-K8sAccess {query} -Path $args[0]", Folder).AssertNoErrors().Output);
        Assert.Equal("SubjectAccessReview", live.Properties["Method"].Value);
        Assert.Equal("Offline", offline.Properties["Method"].Value);
        Assert.Equal((bool)live.Properties["Allowed"].Value, (bool)offline.Properties["Allowed"].Value);
    }

    [Fact]
    public void DaveMayDeleteNodesThroughTheFoldersBindingAndTheDefaultClusterAdminRole()
    {
        var result = Assert.Single(session.Invoke("Test-K8sAccess -Path $args[0] -Verb delete -Resource nodes -User dave", Folder).AssertNoErrors().Output);
        Assert.True((bool)result.Properties["Allowed"].Value);
        Assert.Equal("ClusterRoleBinding/ops-admin", result.Properties["Binding"].Value);
        Assert.Equal("ClusterRole/cluster-admin", result.Properties["Role"].Value);
        var grant = ((System.Collections.IEnumerable)result.Properties["GrantedBy"].Value).Cast<object>().Select(g => PSObject.AsPSObject(g)).Single();
        Assert.Equal("default policy v1.32", grant.Properties["RoleSource"].Value);
        Assert.Contains("ops-admin.yaml", (string)grant.Properties["BindingSource"].Value, StringComparison.Ordinal);
        Assert.False((bool)result.Properties["FromDefaultPolicy"].Value);

        // The table says where the role came from.
        string text = session.Render($"Test-K8sAccess -Path '{Folder}' -Verb delete -Resource nodes -User dave");
        Assert.Contains("ClusterRole/cluster-admin [default role]", text, StringComparison.Ordinal);

        // A grant of the default policy itself says so.
        var review = Assert.Single(session.Invoke("Test-K8sAccess create selfsubjectaccessreviews.authorization.k8s.io -User nobody -Group system:authenticated -Path $args[0]", Folder).AssertNoErrors().Output);
        Assert.True((bool)review.Properties["FromDefaultPolicy"].Value);

        // The folder alone (the old behaviour) answers "no binding grants", which no real cluster would.
        var alone = Assert.Single(session.Invoke("Test-K8sAccess -Path $args[0] -Verb delete -Resource nodes -User dave -ExcludeDefaultPolicy", Folder).AssertNoErrors().Output);
        Assert.False((bool)alone.Properties["Allowed"].Value);
        Assert.Contains("no binding grants", (string)alone.Properties["Reason"].Value, StringComparison.Ordinal);
    }

    [Fact]
    public void RiskFindingsOnTheFolderAreTheClustersFindings()
    {
        const string Script = "$p = @{ $args[0] = $args[1] }; Find-K8sRbacRisk -MinimumSeverity Info -IncludeSystemSubject @p | ForEach-Object { \"$($_.RuleId) $($_.Severity) $($_.Subject) $($_.Binding)\" }";
        var offline = session.Invoke(Script, "Path", Folder).AssertNoErrors().Output.Select(o => o.ToString()).Order(StringComparer.Ordinal).ToList();
        var live = session.Invoke(Script, "Kubeconfig", kubeconfig).AssertNoErrors().Output.Select(o => o.ToString()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(live, offline);

        Assert.Contains("RBAC-WILDCARD-ADMIN Critical User:dave ClusterRoleBinding/ops-admin", offline);
        Assert.Contains("RBAC-WILDCARD-ADMIN Critical Group:ops ClusterRoleBinding/ops-admin", offline);
        Assert.Contains("RBAC-ANONYMOUS Critical User:system:anonymous ClusterRoleBinding/public-view", offline);

        // The cluster's own default objects are no findings, system subjects included.
        Assert.DoesNotContain(live, l => l.Contains("system:service-account-issuer-discovery", StringComparison.Ordinal));
        Assert.DoesNotContain(live, l => l.Contains("system:masters", StringComparison.Ordinal));
        Assert.All(live, l => Assert.Matches(@"(ops-admin|public-view|oncall-debugger|devs-edit|prometheus-)", l));
    }

    [Fact]
    public void AnUnsupportedVersionIsAClearError()
    {
        var result = session.Invoke("Find-K8sRbacRisk -Path $args[0] -KubernetesVersion v1.31", Folder);
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("v1.32", error.Exception.Message, StringComparison.Ordinal);

        Assert.NotEmpty(session.Invoke("Find-K8sRbacRisk -Path $args[0] -KubernetesVersion v1.32.13", Folder).AssertNoErrors().Output);
        var both = session.Invoke("Test-K8sAccess get pods -User dave -Path $args[0] -KubernetesVersion v1.32 -ExcludeDefaultPolicy", Folder);
        Assert.StartsWith("K8sInvalidArgument", (both.TerminatingError ?? Assert.Single(both.Errors)).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        server.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
