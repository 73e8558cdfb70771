using System.Management.Automation;
using K8sSecurity.TestServer;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// Get-K8sContext, Connect-K8sCluster, Get-K8sKubeconfig and Get-K8sCertificate -Kubeconfig read kubeconfigs as
/// kubectl does (`kubectl config view` agrees with every expectation here: see the engine's kubectl differential):
/// YAML 1.1 booleans (`yes`, `on`, `y`), anchors and merge keys, the last of duplicate keys; files kubectl refuses
/// (a quoted "true" for a bool, a number for a list, data that is not base64, a name used twice) are K8sConfiguration
/// errors naming the file, with no secret in any error.
/// </summary>
public sealed class KubeconfigDecodingCmdletTests : IAsyncLifetime
{
    private const string Canary = "canary-decoding-token-3a9c";
    private readonly string directory = TestPaths.NewTempDirectory();
    private KubeApiTestServer server = null!;
    private PsSession session = null!;

    public async Task InitializeAsync()
    {
        server = await KubeApiTestServer.StartAsync();
        session = new PsSession();
    }

    public async Task DisposeAsync()
    {
        session.Dispose();
        await server.DisposeAsync();
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("on", true)]
    [InlineData("True", true)]
    [InlineData("y", true)]
    [InlineData("true", true)]
    [InlineData("off", false)]
    [InlineData("no", false)]
    public void GetContextShowsInsecureSkipTlsVerifyAsKubectlReadsIt(string spelling, bool expected)
    {
        string file = Write("ctx", Config($"insecure-skip-tls-verify: {spelling}", "https://cluster.example.com"));

        var result = session.Invoke("Get-K8sContext -Kubeconfig $args[0]", file).AssertNoErrors();

        var context = Assert.Single(result.Output);
        Assert.Equal(expected, P(context, "InsecureSkipTlsVerify"));
        Assert.Equal("https://cluster.example.com", P(context, "Server"));
        Assert.Equal("team-a", P(context, "Namespace"));
        Assert.Equal("Token", P(context, "AuthKind")!.ToString());
        Assert.Equal(true, P(context, "IsCurrent"));
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("on")]
    public void ConnectingWithInsecureYesWarnsExactlyAsWithTrue(string spelling)
    {
        string token = server.AddToken("robot", "system:masters");
        string withTrue = Write("true", Config("insecure-skip-tls-verify: true", server.BaseAddress.ToString().TrimEnd('/'), token));
        string withSpelling = Write(spelling, Config($"insecure-skip-tls-verify: {spelling}", server.BaseAddress.ToString().TrimEnd('/'), token));

        var reference = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] | Out-Null", withTrue).AssertNoErrors();
        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] | Out-Null", withSpelling).AssertNoErrors();

        string warning = Assert.Single(result.Warnings);
        Assert.Contains("insecure-skip-tls-verify", warning, StringComparison.Ordinal);
        Assert.Equal(Assert.Single(reference.Warnings).Replace(withTrue, "F", StringComparison.Ordinal), warning.Replace(withSpelling, "F", StringComparison.Ordinal));
    }

    [Fact]
    public void InsecureYesWithACaIsRefusedLikeTrue()
    {
        string token = server.AddToken("robot", "system:masters");
        string ca = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(server.CaCertificatePem));
        string file = Write("yes-ca", Config($"insecure-skip-tls-verify: yes\n    certificate-authority-data: {ca}", server.BaseAddress.ToString().TrimEnd('/'), token));

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", file);

        Assert.StartsWith("K8sConfiguration,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("specifying a root certificates file with the insecure flag is not allowed", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public void AnchorsMergeKeysAndDuplicateKeysResolveAsInKubectl()
    {
        string file = Write("anchors", $"""
            base: &base {"{"}server: https://base.example.com, insecure-skip-tls-verify: yes{"}"}
            clusters:
            - name: prod
              cluster:
                <<: *base
                server: https://prod.example.com
            users:
            - name: alice
              user: {"{"}token: {Canary}{"}"}
            contexts:
            - name: ctx
              context: &ctx {"{"}cluster: prod, user: alice, namespace: first{"}"}
            - name: other
              context: *ctx
            current-context: ctx
            current-context: other
            """);

        var contexts = session.Invoke("Get-K8sContext -Kubeconfig $args[0]", file).AssertNoErrors().Output;

        Assert.Equal(new[] { "ctx", "other" }, contexts.Select(c => (string)P(c, "Name")!));
        Assert.All(contexts, c => Assert.Equal(true, P(c, "InsecureSkipTlsVerify")));
        Assert.All(contexts, c => Assert.Equal("https://prod.example.com", P(c, "Server")));
        Assert.Equal("other", P(Assert.Single(contexts, c => Equals(P(c, "IsCurrent"), true)), "Name"));
    }

    public static TheoryData<string, string, string> RefusedFiles => new()
    {
        { "quoted-true", Config("insecure-skip-tls-verify: \"true\"", "https://c.example.com"), "json: cannot unmarshal string into Go struct field Cluster.clusters.cluster.insecure-skip-tls-verify of type bool" },
        { "clusters-42", "apiVersion: v1\nkind: Config\nclusters: 42\nusers:\n- name: alice\n  user: {token: " + Canary + "}\n", "json: cannot unmarshal number into Go struct field Config.clusters of type []v1.NamedCluster" },
        { "server-hex", Config(null, "0x10"), "json: cannot unmarshal number into Go struct field Cluster.clusters.cluster.server of type string" },
        { "namespace-yes", Config(null, "https://c.example.com").Replace("namespace: team-a", "namespace: yes", StringComparison.Ordinal), "json: cannot unmarshal bool into Go struct field Context.contexts.context.namespace of type string" },
        { "ca-not-base64", Config("certificate-authority-data: \"not base64!\"", "https://c.example.com"), "illegal base64 data at input byte 3" },
        { "duplicate-user", Config(null, "https://c.example.com") + "- name: alice\n  user: {token: " + Canary + "-2}\n", "duplicate name \"alice\" in list" },
        { "bad-kind", Config(null, "https://c.example.com").Replace("kind: Config", "kind: Pod", StringComparison.Ordinal), "no kind \"Pod\" is registered for version \"v1\"" },
        { "tagged-token", Config(null, "https://c.example.com").Replace("token: " + Canary, "token: !!int " + Canary, StringComparison.Ordinal), "yaml:" },
    };

    [Theory]
    [MemberData(nameof(RefusedFiles))]
    public void FilesKubectlRefusesAreConfigurationErrorsNamingTheFileWithoutSecrets(string name, string text, string reason)
    {
        string file = Write(name, text);
        foreach (string command in new[]
        {
            "Get-K8sContext -Kubeconfig $args[0]",
            "Connect-K8sCluster -Kubeconfig $args[0]",
            "Get-K8sKubeconfig -Path $args[0]",
            "Get-K8sCertificate -Kubeconfig $args[0]",
        })
        {
            session.Invoke("$Error.Clear()");
            var result = session.Invoke(command, file);

            Assert.Empty(result.Output);
            var error = result.TerminatingError ?? Assert.Single(result.Errors);
            Assert.StartsWith("K8sConfiguration,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains(file, error.Exception.Message, StringComparison.Ordinal);
            Assert.Contains(reason, error.Exception.Message, StringComparison.Ordinal);
            Assert.Empty(server.Requests);

            var walked = session.Invoke("[K8sSecurity.Tests.Connection.ErrorGraph]::Find([object]@($Error), [string[]]$args[0])", new object?[] { new[] { Canary } });
            Assert.Empty(walked.Output.Select(o => o.BaseObject).OfType<string>());
            Assert.DoesNotContain(Canary, result.AllText(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void GetKubeconfigAndCertificatesReadYamlOneOneSpellings()
    {
        var (certificate, _) = server.IssueClientCertificate("carol", new[] { "devs" });
        string data = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(certificate));
        string file = Write("yaml11", $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: prod
              cluster: {"{"}server: https://prod.example.com, insecure-skip-tls-verify: on{"}"}
            users:
            - name: carol
              user:
                client-certificate-data: |
                  {data.Substring(0, 40)}
                  {data.Substring(40)}
                client-key-data: QUJD
            contexts:
            - name: carol@prod
              context: {"{"}cluster: prod, user: carol, namespace: "0755"{"}"}
            current-context: carol@prod
            """);

        var user = Assert.Single(session.Invoke("Get-K8sKubeconfig -Path $args[0]", file).AssertNoErrors().Output);
        Assert.Equal("ClientCertificate", P(user, "AuthKind")!.ToString());
        Assert.Equal("carol", P(user, "SubjectUser"));
        Assert.Equal("0755", P(user, "Namespace"));
        Assert.Equal(true, P(user, "IsCurrent"));
        Assert.Null(P(user, "Problem"));

        var certificates = session.Invoke("Get-K8sCertificate -Kubeconfig $args[0]", file).AssertNoErrors().Output;
        Assert.Single(certificates);
    }

    [Fact]
    public void ATokenFileIsReadRelativeToTheKubeconfigAndWinsOverAnInlineToken()
    {
        // client-go reads tokenFile (trimmed) for the user it connects as and prefers it to an inline token.
        string token = server.AddToken("robot", "system:masters");
        File.WriteAllText(Path.Combine(directory, "robot.token"), token + "\n");
        string ca = "certificate-authority-data: " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(server.CaCertificatePem));
        string file = Write("token-file", Config(ca, server.BaseAddress.ToString().TrimEnd('/'), Canary).Replace(
            "    token: " + Canary + "\n", "    token: " + Canary + "\n    tokenFile: robot.token\n", StringComparison.Ordinal));

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", file).AssertNoErrors();

        var connection = Assert.Single(result.Output);
        Assert.Equal("robot", P(connection, "UserName")); // the file's token, not the inline canary
        Assert.DoesNotContain(Canary, result.AllText(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing.token", null)]
    [InlineData("empty.token", "  \n")]
    public void AnUnreadableOrEmptyTokenFileIsAConfigurationError(string name, string? content)
    {
        if (content is not null)
        {
            File.WriteAllText(Path.Combine(directory, name), content);
        }

        string file = Write("bad-token-file", Config(null, server.BaseAddress.ToString().TrimEnd('/'), Canary).Replace(
            "    token: " + Canary + "\n", "    tokenFile: " + name + "\n", StringComparison.Ordinal));

        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", file);

        Assert.StartsWith("K8sConfiguration,", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(name, result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    private static object? P(PSObject o, string name) => o.Properties[name]?.Value;

    private string Write(string name, string text)
    {
        string path = Path.Combine(directory, name + ".kubeconfig");
        File.WriteAllText(path, text);
        return path;
    }

    private static string Config(string? clusterExtra, string server, string token = Canary) =>
        "apiVersion: v1\nkind: Config\nclusters:\n- name: local\n  cluster:\n    server: " + server + "\n"
        + (clusterExtra is null ? string.Empty : "    " + clusterExtra + "\n")
        + "contexts:\n- name: local\n  context: {cluster: local, user: alice, namespace: team-a}\ncurrent-context: local\n"
        + "users:\n- name: alice\n  user:\n    token: " + token + "\n";
}
