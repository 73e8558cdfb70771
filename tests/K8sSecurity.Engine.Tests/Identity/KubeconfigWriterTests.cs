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

    private static KubeconfigSpec DevSpec() => new()
    {
        Cluster = new KubeconfigClusterSpec { Name = "dev", Server = "https://dev.example.com" },
        UserName = "dev-user",
        Token = Secure("dev-token"),
    };

    /// <summary>The merge reads the existing file as kubectl does: YAML 1.1 values keep kubectl's meaning after the merge.</summary>
    [Fact]
    public void MergeIntoYamlOneOneSpellingsKeepsWhatKubectlReads()
    {
        string path = Path.Combine(directory, "yaml11");
        File.WriteAllText(path, "apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster: {server: https://prod.example.com, insecure-skip-tls-verify: yes}\nusers:\n- name: ops\n  user: {token: keep-me}\ncontexts:\n- name: prod\n  context: {cluster: prod, user: ops}\ncurrent-context: prod\n");
        KubeconfigWriter.Write(path, DevSpec(), merge: true, force: false);

        var document = K8sSecurity.Engine.Connection.KubeconfigDecoder.Load(path);
        Assert.True(Assert.Single(document.Clusters, c => c.Name == "prod").InsecureSkipTlsVerify);
        Assert.Equal("keep-me", Assert.Single(document.Users, u => u.Name == "ops").Token);
        Assert.Equal("prod", document.CurrentContext);
        Assert.Contains(document.Contexts, c => c.Name == "dev-user@dev");
        var (exit, stdout, stderr) = Run("kubectl", "config", "view", "--raw", "--kubeconfig", path, "-o",
            "jsonpath={.clusters[?(@.name==\"prod\")].cluster.insecure-skip-tls-verify}|{.users[?(@.name==\"ops\")].user.token}|{.current-context}");
        Assert.True(exit == 0, stderr);
        Assert.Equal("true|keep-me|prod", stdout);
    }

    /// <summary>Files kubectl refuses, and files the editor cannot keep as kubectl reads them, are not merged into.</summary>
    [Theory]
    [InlineData("quoted-bool", "clusters:\n- name: prod\n  cluster: {server: https://p, insecure-skip-tls-verify: \"true\"}\n", "cannot unmarshal string")]
    [InlineData("duplicate-name", "clusters:\n- name: prod\n  cluster: {server: https://p}\n- name: prod\n  cluster: {server: https://q}\n", "duplicate name")]
    [InlineData("concatenated", "current-context: a\nclusters: []\ncurrent-context: b\nclusters: []\n", "Cannot merge")]
    public void MergeRefusesFilesItCannotReadOrKeepAsKubectlDoes(string name, string text, string reason)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        var ex = Assert.Throws<K8sOperationException>(() => KubeconfigWriter.Write(path, DevSpec(), merge: true, force: false));
        Assert.Equal(K8sErrorKind.Configuration, ex.Kind);
        Assert.Contains(reason, ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Equal(text, File.ReadAllText(path));
    }

    /// <summary>Anchors and merge keys: the merged file must read, with kubectl's rules, as before plus the new entries.</summary>
    [Fact]
    public void MergeIntoAnchorsEitherKeepsKubectlsReadingOrRefuses()
    {
        string path = Path.Combine(directory, "anchors");
        string text = "base: &b {server: https://base, insecure-skip-tls-verify: yes}\nclusters:\n- name: prod\n  cluster:\n    <<: *b\n    server: https://prod\ncurrent-context: prod\n";
        File.WriteAllText(path, text);
        var before = K8sSecurity.Engine.Connection.KubeconfigDecoder.Load(path);
        try
        {
            KubeconfigWriter.Write(path, DevSpec(), merge: true, force: false);
        }
        catch (K8sOperationException ex) when (ex.Message.StartsWith("Cannot merge", StringComparison.Ordinal))
        {
            Assert.Equal(text, File.ReadAllText(path));
            return;
        }

        var after = K8sSecurity.Engine.Connection.KubeconfigDecoder.Load(path);
        var prod = Assert.Single(after.Clusters, c => c.Name == "prod");
        Assert.True(prod.InsecureSkipTlsVerify);
        Assert.Equal("https://prod", prod.Server);
        Assert.Equal(before.CurrentContext, after.CurrentContext);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
