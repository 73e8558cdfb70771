using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

/// <summary>Tests that change process-wide state (environment, KubernetesClient's service-account path) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "Process environment";
}

/// <summary>
/// In a pod there is no kubeconfig: the module must authenticate with the mounted service-account token and CA
/// (KubernetesClient's in-cluster configuration, chosen by ClusterClient like kubectl does). The fixed mount path
/// /var/run/secrets/kubernetes.io/serviceaccount is KubernetesClient's public static ServiceAccountPath, pointed at
/// a temporary folder holding token, ca.crt and namespace for this test.
/// </summary>
[Collection(ProcessEnvironmentCollection.Name)]
public sealed class InClusterAuditTests
{
    private const string Auditor = "system:serviceaccount:k8s-security:auditor";

    [Fact]
    public async Task AuditsWithTheMountedServiceAccountTokenWhenNoKubeconfigExists()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        string token = server.AddToken(Auditor, "system:serviceaccounts", "system:masters");
        var result = InvokeInCluster(server, token, "Invoke-K8sSecurityAudit -Category Namespaces, ServerVersion -Summary");

        var summary = Assert.Single(result.Output);
        Assert.Equal("in-cluster", summary.Properties["Cluster"].Value);
        Assert.Equal(server.ServerGitVersion, summary.Properties["ServerVersion"].Value);
        Assert.NotEmpty(server.Requests);
        Assert.All(server.Requests, r => Assert.Equal(Auditor, r.User));
        Assert.DoesNotContain(token, result.AllText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConnectAsImpersonatesWithTheMountedServiceAccountToken()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        string token = server.AddToken(Auditor, "system:serviceaccounts", "system:masters");
        var result = InvokeInCluster(server, token, "Connect-K8sCluster -As sammy -AsGroup auditors");

        var connection = Assert.Single(result.Output);
        Assert.Equal("sammy", connection.Properties["UserName"].Value);
        Assert.Equal(new[] { "auditors", "system:authenticated" }, (IEnumerable<string>)connection.Properties["Groups"].Value);
        Assert.NotEmpty(server.Requests);
        Assert.All(server.Requests, r => Assert.Equal(("sammy", Auditor), (r.User, r.AuthenticatedUser)));
    }

    /// <summary>Runs <paramref name="script"/> as in a pod: no kubeconfig, the service-account mount pointing at the test server.</summary>
    private static PsResult InvokeInCluster(KubeApiTestServer server, string token, string script)
    {
        string mount = TestPaths.NewTempDirectory();
        File.WriteAllText(Path.Combine(mount, "token"), token);
        File.WriteAllText(Path.Combine(mount, "ca.crt"), server.CaCertificatePem);
        File.WriteAllText(Path.Combine(mount, "namespace"), "k8s-security");
        string home = TestPaths.NewTempDirectory();

        var saved = new Dictionary<string, string?>();
        foreach (string name in new[] { "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "KUBECONFIG", "HOME" })
        {
            saved[name] = Environment.GetEnvironmentVariable(name);
        }

        try
        {
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_HOST", server.BaseAddress.Host);
            Environment.SetEnvironmentVariable("KUBERNETES_SERVICE_PORT", server.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Environment.SetEnvironmentVariable("KUBECONFIG", null);
            Environment.SetEnvironmentVariable("HOME", home);
            using var session = new PsSession();
            server.ClearRequests();
            var result = session.Invoke(
                """
                # Loading the engine's kubeconfig reader loads the module's own KubernetesClient (Dependencies folder).
                Get-K8sContext -Kubeconfig $args[1] | Out-Null
                $client = @([AppDomain]::CurrentDomain.GetAssemblies() | Where-Object {
                    $_.GetName().Name -eq 'KubernetesClient' -and $_.Location -like '*Dependencies*' })[0]
                $type = $client.GetType('k8s.KubernetesClientConfiguration')
                $member = $type.GetField('ServiceAccountPath', [Reflection.BindingFlags]'Public,NonPublic,Static')
                $old = $member.GetValue($null)
                $member.SetValue($null, $args[0])
                try {
                    & ([scriptblock]::Create($args[2]))
                } finally {
                    $member.SetValue($null, $old)
                }
                """,
                mount,
                KubeconfigFiles.WriteSample(TestPaths.NewTempDirectory()),
                script);
            Assert.True(result.TerminatingError is null, result.TerminatingError?.InvocationInfo?.PositionMessage + result.TerminatingError?.ScriptStackTrace);
            return result.AssertNoErrors();
        }
        finally
        {
            foreach (var (name, value) in saved)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }
}
