using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

public sealed class KubeconfigSetTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-engine").FullName;

    [Fact]
    public void UnknownContextNamesTheContextTheFileAndTheKnownOnes()
    {
        string path = Write("a", "ctx-a");
        var set = KubeconfigSet.Load(path);
        var ex = Assert.Throws<K8sOperationException>(() => set.GetContext("nope"));
        Assert.Equal(K8sErrorKind.Configuration, ex.Kind);
        Assert.Contains("'nope'", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Contains("ctx-a", ex.Message);
    }

    [Fact]
    public void ClientCertificateUsersAreRecognised()
    {
        string path = Write("a", "ctx-a", "client-certificate-data: QUJD\n    client-key-data: QUJD");
        var context = Assert.Single(KubeconfigSet.Load(path).Describe());
        Assert.Equal(K8sAuthKind.ClientCertificate, context.AuthKind);
        Assert.True(context.IsCurrent);
    }

    [Fact]
    public void CreatingAClientSendsNothingAndHonoursTheContextNamespace()
    {
        string path = Write("a", "ctx-a");
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = path });
        Assert.Equal("ns-ctx-a", client.DefaultNamespace);
        Assert.Equal("https://ctx-a.example.com", client.Server);
        using var overridden = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = path, Namespace = "other" });
        Assert.Equal("other", overridden.DefaultNamespace);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string file, string context, string credentials = "token: abc")
    {
        string path = Path.Combine(directory, file);
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            current-context: {context}
            clusters:
            - name: c-{context}
              cluster:
                server: https://{context}.example.com
            contexts:
            - name: {context}
              context:
                cluster: c-{context}
                user: u-{context}
                namespace: ns-{context}
            users:
            - name: u-{context}
              user:
                {credentials}
            """);
        return path;
    }
}
