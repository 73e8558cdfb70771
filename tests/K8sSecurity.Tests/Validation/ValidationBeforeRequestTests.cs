using K8sSecurity.Tests.Authorization;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Validation;

/// <summary>One API test server (namespace team-a) for every case of the class.</summary>
public sealed class ValidationCluster : IDisposable
{
    public AuthorizationTestCluster Cluster { get; } = AuthorizationTestCluster.Start("team-a");

    public void Dispose() => Cluster.Dispose();
}

/// <summary>
/// Bad names, labels and quantities are refused with K8sInvalidArgument naming the parameter and the value before
/// any request reaches the server (server.Requests stays empty) or any file is written; names the API server accepts,
/// however unusual (colons and spaces in RBAC names, dots in object names), still work.
/// </summary>
public sealed class ValidationBeforeRequestTests : IClassFixture<ValidationCluster>
{
    private const string LongNamespace = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"; // 64: one over IsDNS1123Label's limit
    private readonly AuthorizationTestCluster cluster;

    public ValidationBeforeRequestTests(ValidationCluster fixture)
    {
        cluster = fixture.Cluster;
    }

    public static TheoryData<string, string, string> ClusterCases() => new()
    {
        // RBAC names are path segments: '/', '%', '.' and '..' are what the API server refuses.
        { "New-K8sRole -Name 'a/b' -Namespace team-a -Verb get -Resource pods", "Name", "a/b" },
        { "New-K8sClusterRole -Name '..' -Verb get -Resource pods", "Name", ".." },
        { "Grant-K8sRole -Role '50%' -User x -Namespace team-a", "Role", "50%" },
        { "Grant-K8sRole -ClusterRole view -User x -Namespace team-a -BindingName 'a/b'", "BindingName", "a/b" },
        { "Revoke-K8sRole -ClusterRole 'a/b' -User x -Namespace team-a", "ClusterRole", "a/b" },

        // Label keys are qualified names, values label values (golden 81/82).
        { "New-K8sRole lbl -Namespace team-a -Verb get -Resource pods -Label @{ 'bad key!' = 'v' }", "Label", "bad key!" },
        { "New-K8sClusterRole lbl -Verb get -Resource pods -Label @{ team = ('x' * 64) }", "Label", "team=" },
        { "New-K8sClusterRole agg -AggregationSelector @{ 'bad key!' = 'true' }", "AggregationSelector", "bad key!" },
        { "New-K8sNetworkPolicy -Namespace team-a -DefaultDeny All -PodSelector @{ 'bad key!' = 'x' }", "PodSelector", "bad key!" },
        { "New-K8sNetworkPolicy -Namespace team-a -Name web -AllowFromPod @{ app = 'bad value' }", "AllowFromPod", "app=bad value" },

        // Namespaces are DNS-1123 labels: at most 63 characters, lowercase, no '_' or '.'.
        { $"New-K8sRole ok -Namespace {LongNamespace} -Verb get -Resource pods", "Namespace", LongNamespace },
        { $"Set-K8sNamespaceQuota -Namespace {LongNamespace} -Pods 10", "Namespace", LongNamespace },
        { $"Set-K8sLimitRange -Namespace {LongNamespace} -MaxCpu 1", "Namespace", LongNamespace },
        { $"Set-K8sNamespacePodSecurity -Namespace {LongNamespace} -Enforce restricted", "Namespace", LongNamespace },
        { "New-K8sNetworkPolicy -Namespace team.a -DefaultDeny All", "Namespace", "team.a" },
        { "Remove-K8sNamespaceQuota -Namespace Bad_NS -Confirm:$false", "Namespace", "Bad_NS" },
        { "Get-K8sLimitRange -Namespace Bad_NS", "Namespace", "Bad_NS" },
        { "Get-K8sNetworkPolicy -Namespace Bad_NS", "Namespace", "Bad_NS" },
        { "Get-K8sRole -Namespace Bad_NS", "Namespace", "Bad_NS" },
        { "Get-K8sRoleBinding -Namespace Bad_NS", "Namespace", "Bad_NS" },
        { "Get-K8sServiceAccount -Namespace Bad_NS", "Namespace", "Bad_NS" },
        { "Test-K8sPodSecurity -Namespace Bad_NS", "Namespace", "Bad_NS" },
        { "Get-K8sCertificate -Secret -Namespace Bad_NS -Name tls", "Namespace", "Bad_NS" },

        // Object names are DNS-1123 subdomains.
        { "Remove-K8sNetworkPolicy -Name Bad_Name -Namespace team-a -Confirm:$false", "Name", "Bad_Name" },
        { "Remove-K8sLimitRange -Name Bad_Name -Namespace team-a -Confirm:$false", "Name", "Bad_Name" },
        { "Set-K8sNamespaceQuota -Name Bad_Name -Namespace team-a -Pods 1", "Name", "Bad_Name" },
        { "New-K8sServiceAccount -Name Bad_SA -Namespace team-a", "Name", "Bad_SA" },
        { "Get-K8sCertificate -Secret -Namespace team-a -Name Bad_Secret", "Name", "Bad_Secret" },

        // Quantities: parsed as resource.Quantity parses them, refused beyond the int64 the cluster computes with.
        { "Set-K8sNamespaceQuota -Namespace team-a -Pods 1e400", "Pods", "1e400" },
        { "Set-K8sNamespaceQuota -Namespace team-a -RequestsCpu 1e400", "RequestsCpu", "1e400" },
        { "Set-K8sNamespaceQuota -Namespace team-a -Hard @{ 'requests.memory' = '10E' }", "RequestsMemory", "10E" },
        { "Set-K8sNamespaceQuota -Namespace team-a -Hard @{ 'bad key!' = '1' }", "Hard", "bad key!" },
        { "Set-K8sLimitRange -Namespace team-a -MaxCpu 1e400", "Max", "1e400" },
        { "New-K8sSecureNamespace -Name team-z -Quota @{ pods = '1e400' }", "Pods", "1e400" },

        // Certificate signing request names are path segments.
        { "Approve-K8sCertificateRequest -Name 'a/b' -Confirm:$false", "Name", "a/b" },
        { "Deny-K8sCertificateRequest -Name 'a/b' -Confirm:$false", "Name", "a/b" },
        { "Remove-K8sCertificateRequest -Name '..' -Confirm:$false", "Name", ".." },
        { "Receive-K8sCertificate -Name 'a/b' -OutputDirectory ([System.IO.Path]::GetTempPath())", "Name", "a/b" },
    };

    [Theory]
    [MemberData(nameof(ClusterCases))]
    public void RefusedBeforeAnyRequest(string script, string parameter, string badValue)
    {
        cluster.Server.ClearRequests();
        var result = cluster.Invoke(script);
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId);
        Assert.Contains($"-{parameter} ", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains(badValue, error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void ConnectWithABadNamespaceIsRefusedBeforeConnecting()
    {
        cluster.Server.ClearRequests();
        using var session = new PsSession();
        var result = session.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -Namespace Bad_NS", cluster.Kubeconfig);
        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sInvalidArgument", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Contains("-Namespace 'Bad_NS'", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void UnusualNamesTheApiServerAcceptsStillWork()
    {
        // Colons: the bootstrap policy's own style. Spaces and capitals: ValidateRBACName accepts them, so does the server.
        cluster.Invoke("New-K8sClusterRole -Name 'system:aggregate-to-view:widgets' -Verb get -Resource widgets.example.com -Label @{ 'rbac.authorization.k8s.io/aggregate-to-view' = 'true' }").AssertNoErrors();
        Assert.NotNull(cluster.Get("rbac.authorization.k8s.io/v1", "ClusterRole", null, "system:aggregate-to-view:widgets"));
        cluster.Invoke("New-K8sRole -Name 'Bad Name' -Namespace team-a -Verb get -Resource pods").AssertNoErrors();
        cluster.Invoke("New-K8sClusterRole -Name UPPER -Verb get -Resource pods").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -Role 'Bad Name' -User alice -Namespace team-a").AssertNoErrors();
        Assert.Contains(cluster.List("rbac.authorization.k8s.io/v1", "RoleBinding", "team-a"), b => b["roleRef"]!["name"]!.GetValue<string>() == "Bad Name");

        // Dots in object names (DNS subdomains), prefixed label keys with capitals in the name part.
        cluster.Invoke("New-K8sServiceAccount -Name ci.deployer -Namespace team-a").AssertNoErrors();
        cluster.Invoke("Set-K8sNamespaceQuota -Name team.quota -Namespace team-a -Pods 10 -RequestsCpu 9223372036854775807m").AssertNoErrors();
        cluster.Invoke("New-K8sNetworkPolicy -Namespace team-a -Name allow.web -AllowFromPod @{ 'example.com/Tier' = 'Front_End.1' } -Port 80").AssertNoErrors();
        Assert.NotNull(cluster.Get("v1", "ServiceAccount", "team-a", "ci.deployer"));
        Assert.NotNull(cluster.Get("v1", "ResourceQuota", "team-a", "team.quota"));
        Assert.NotNull(cluster.Get("networking.k8s.io/v1", "NetworkPolicy", "team-a", "allow.web"));
    }
}

/// <summary>Offline cmdlets: a bad name is refused before any file is written.</summary>
public sealed class ValidationBeforeWriteTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Theory]
    [InlineData("New-K8sCertificate Kubelet -NodeName Bad_Node -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2]", "NodeName", "Bad_Node")]
    [InlineData("New-K8sCertificate ApiServer -ClusterDomain Cluster_Local -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2]", "ClusterDomain", "Cluster_Local")]
    [InlineData("New-K8sKubeconfig -Path $args[3] -ClientCertificatePath $args[4] -ClientKeyPath $args[5] -Server https://10.0.0.1:6443 -CertificateAuthorityPath $args[0] -Namespace Bad_NS", "Namespace", "Bad_NS")]
    [InlineData("New-K8sKubeconfig -Path $args[3] -ClientCertificatePath $args[4] -ClientKeyPath $args[5] -Server https://10.0.0.1:6443 -CertificateAuthorityPath $args[0] -ContextName ' '", "ContextName", " ")]
    [InlineData("New-K8sKubeconfig -Path $args[3] -ClientCertificatePath $args[4] -ClientKeyPath $args[5] -Server https://10.0.0.1:6443 -CertificateAuthorityPath $args[0] -ClusterName 'prod '", "ClusterName", "prod ")]
    [InlineData("New-K8sUserCertificate sammy -KeyAlgorithm EcdsaP256 -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2] -KubeconfigPath $args[3] -Server https://10.0.0.1:6443 -Namespace Bad_NS", "Namespace", "Bad_NS")]
    public void RefusedBeforeAnyFileIsWritten(string script, string parameter, string badValue)
    {
        string pki = Path.Combine(directory, "pki");
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0] -KeyAlgorithm EcdsaP256", pki).AssertNoErrors();
        session.Invoke("New-K8sCertificate -Profile Client -CommonName dana -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2] -KeyAlgorithm EcdsaP256",
            Path.Combine(pki, "ca.crt"), Path.Combine(pki, "ca.key"), pki).AssertNoErrors();
        string output = Path.Combine(directory, "out");
        string kubeconfig = Path.Combine(directory, "user.kubeconfig");

        var result = session.Invoke(script, Path.Combine(pki, "ca.crt"), Path.Combine(pki, "ca.key"), output, kubeconfig, Path.Combine(pki, "dana.crt"), Path.Combine(pki, "dana.key"));
        var error = result.TerminatingError ?? Assert.Single(result.Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId);
        Assert.Contains($"-{parameter} '{badValue}'", error.Exception.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(output));
        Assert.False(File.Exists(kubeconfig));
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
