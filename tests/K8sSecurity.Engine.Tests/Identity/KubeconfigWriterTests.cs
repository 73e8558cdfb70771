using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using Xunit;
using static K8sSecurity.Engine.Tests.Identity.Tools;

namespace K8sSecurity.Engine.Tests.Identity;

public sealed class KubeconfigWriterTests : IDisposable
{
    private readonly string directory = TempDirectory();

    private static System.Security.SecureString Secure(string text)
    {
        var secure = new System.Security.SecureString();
        foreach (char c in text)
        {
            secure.AppendChar(c);
        }

        return secure;
    }

    [Theory]
    [InlineData("true")]
    [InlineData("123")]
    [InlineData("1.5e3")]
    [InlineData("null")]
    [InlineData("dev: team")]
    [InlineData("#comment")]
    [InlineData("0x1F")]
    public void NamesThatYamlWouldMisreadStayStringsForKubectl(string name)
    {
        string path = Path.Combine(directory, "k");
        KubeconfigWriter.Write(path, new KubeconfigSpec
        {
            Cluster = new KubeconfigClusterSpec { Name = name, Server = "https://127.0.0.1:6443" },
            UserName = name,
            ContextName = name,
            Namespace = "ns",
            Token = Secure("abc"),
        }, merge: false, force: true);
        var (exit, stdout, stderr) = Run("kubectl", "config", "view", "--kubeconfig", path, "-o", "jsonpath={.contexts[0].name}|{.clusters[0].name}|{.users[0].name}|{.current-context}");
        Assert.True(exit == 0, stderr);
        Assert.Equal($"{name}|{name}|{name}|{name}", stdout);
    }

    [Fact]
    public void MergeKeepsUnknownFieldsExtensionsAndOtherEntries()
    {
        string path = Path.Combine(directory, "config");
        const string original = """
            apiVersion: v1
            kind: Config
            preferences:
              colors: true
            clusters:
            - name: prod
              cluster:
                server: https://prod.example.com
                insecure-skip-tls-verify: true
                extensions:
                - name: client.authentication.k8s.io/exec
                  extension:
                    audience: prod
            users:
            - name: ops
              user:
                token: keep-me
            contexts:
            - name: prod
              context:
                cluster: prod
                user: ops
            current-context: prod
            """;
        File.WriteAllText(path, original);
        KubeconfigWriter.Write(path, new KubeconfigSpec
        {
            Cluster = new KubeconfigClusterSpec { Name = "dev", Server = "https://dev.example.com" },
            UserName = "dev-user",
            Token = Secure("dev-token"),
        }, merge: true, force: false);

        var (exit, stdout, stderr) = Run("kubectl", "config", "view", "--raw", "--kubeconfig", path, "-o",
            "jsonpath={.current-context}|{.clusters[?(@.name==\"prod\")].cluster.extensions[0].extension.audience}|{.clusters[?(@.name==\"prod\")].cluster.insecure-skip-tls-verify}|{.users[?(@.name==\"ops\")].user.token}|{.contexts[*].name}");
        Assert.True(exit == 0, stderr);
        Assert.Equal("prod|prod|true|keep-me|dev-user@dev prod", stdout);
        Assert.Contains("colors: true", File.ReadAllText(path));
    }

    [Fact]
    public void ExactlyOneCredentialKindIsRequired()
    {
        var ex = Assert.Throws<K8sOperationException>(() => KubeconfigWriter.Plan(Path.Combine(directory, "x"), new KubeconfigSpec
        {
            Cluster = new KubeconfigClusterSpec { Name = "c", Server = "https://c" },
            Token = Secure("t"),
            OidcIssuerUrl = "https://issuer",
            OidcClientId = "id",
        }, merge: false, force: false));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.False(File.Exists(Path.Combine(directory, "x")));
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
