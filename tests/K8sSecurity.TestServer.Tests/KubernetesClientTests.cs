using k8s;
using k8s.Models;
using Xunit;

namespace K8sSecurity.TestServer.Tests;

/// <summary>The kubeconfig writers produce files KubernetesClient (the module's client) loads and authenticates with.</summary>
public sealed class KubernetesClientTests(ServerFixture f) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("k8ssec-kc-").FullName;

    private static Kubernetes Client(string path) => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

    [Fact]
    public async Task Client_certificate_kubeconfig_works()
    {
        using var client = Client(f.Server.WriteKubeconfig(Path.Combine(_dir, "admin")));
        var list = await client.CoreV1.ListNamespaceAsync();
        Assert.Contains(list.Items, n => n.Metadata.Name == "kube-system");
        var review = await client.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("admin", review.Status.UserInfo.Username);
    }

    [Fact]
    public async Task Token_and_exec_kubeconfigs_work_and_rbac_applies()
    {
        var token = f.Server.AddToken("kc-user", "kc-group");
        using var viaToken = Client(f.Server.WriteTokenKubeconfig(Path.Combine(_dir, "token"), token));
        var who = await viaToken.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview());
        Assert.Equal("kc-user", who.Status.UserInfo.Username);
        var ex = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => viaToken.CoreV1.ListNamespacedSecretAsync("kube-system"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, ex.Response.StatusCode);

        // KubernetesClient joins exec args with spaces, so the `sh -c "printf …"` form of WriteExecKubeconfig does not
        // survive it; the script form does (kubectl accepts both, see KubectlTests).
        using var viaExec = Client(f.Server.WriteExecScriptKubeconfig(Path.Combine(_dir, "exec"), token));
        var ssar = await viaExec.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = "list", Resource = "secrets", NamespaceProperty = "kube-system" } },
        });
        Assert.False(ssar.Status.Allowed);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
