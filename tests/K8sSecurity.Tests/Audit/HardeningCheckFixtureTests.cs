using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

/// <summary>
/// Every Polaris/kube-score check of issue 15 on a failing and a passing manifest (tests/TestData/hardening/&lt;ID&gt;),
/// through Invoke-K8sSecurityAudit -Path in the hosted engine: exactly the objects annotated
/// test.k8ssecurity.io/expect: &lt;ID&gt; are reported with that id, the category evaluated something, and no CANARY
/// credential of the input appears in any stream or in the rendered view. Workload checks run through
/// Test-K8sPodSecurity -Detailed as well, where they are -ExcludeCheck ids.
/// </summary>
public sealed class HardeningCheckFixtureTests : IDisposable
{
    private const string ExpectAnnotation = "test.k8ssecurity.io/expect";
    private readonly PsSession session = new();

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var (id, category) in Checks)
        {
            data.Add(id, category, "fail");
            data.Add(id, category, "pass");
        }

        return data;
    }

    private static readonly (string Id, string Category)[] Checks =
    {
        ("BP-CAPABILITIES-DANGEROUS", "Workloads"), ("BP-CAPABILITIES-INSECURE", "Workloads"), ("BP-HOSTPATH-SENSITIVE", "Workloads"),
        ("BP-RUNAS-LOW-ID", "Workloads"), ("BP-ENV-CREDENTIAL", "Workloads"),
        ("SVC-NODEPORT", "Network"), ("SVC-LOADBALANCER", "Network"), ("ING-NO-TLS", "Network"), ("NETPOL-POD-UNSELECTED", "Network"),
        ("NETPOL-NO-TARGET", "Network"), ("CM-CREDENTIAL", "Credentials"), ("API-REMOVED", "DeprecatedApis"), ("API-DEPRECATED", "DeprecatedApis"),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheAuditReportsExactlyTheAnnotatedObjects(string id, string category, string variant)
    {
        string file = Fixture(id, variant);
        string target = id == "API-DEPRECATED" ? "v1.31" : "v1.32";
        var result = session.Invoke(
            "Invoke-K8sSecurityAudit -Path $args[0] -Category $args[1] -TargetVersion $args[2] -Verbose",
            file, category, target).AssertNoErrors();

        var expected = Annotated(file, id);
        var findings = result.Output.Where(o => o.TypeNames.Contains("K8sSecurity.Engine.Audit.AuditFinding")).ToList();
        var reported = findings.Where(f => S(f, "Id") == id).Select(f => $"{S(f, "Namespace")}/{S(f, "Resource")}").OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, reported);
        if (variant == "fail")
        {
            Assert.NotEmpty(expected);
        }

        var summary = Assert.Single(result.Output, o => o.TypeNames.Contains("K8sSecurity.Engine.Audit.AuditSummary"));
        var categoryScore = Assert.Single(((System.Collections.IEnumerable)summary.Properties["Categories"].Value!).Cast<object>());
        Assert.True((int)PSObject.AsPSObject(categoryScore).Properties["Checked"].Value > 0, "the category evaluated nothing");

        string rendered = session.Render("Invoke-K8sSecurityAudit -Path $args[0] -Category $args[1] -TargetVersion $args[2] | Format-List *", file, category, target);
        Assert.DoesNotContain("CANARY", result.AllText() + rendered, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("BP-CAPABILITIES-DANGEROUS")]
    [InlineData("BP-CAPABILITIES-INSECURE")]
    [InlineData("BP-HOSTPATH-SENSITIVE")]
    [InlineData("BP-RUNAS-LOW-ID")]
    [InlineData("BP-ENV-CREDENTIAL")]
    public void TestK8sPodSecurityRunsTheWorkloadChecksAndExcludesThemById(string id)
    {
        string fail = Fixture(id, "fail");
        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Detailed | Where-Object CheckId -eq $args[1]", fail, id).AssertNoErrors();
        var failed = result.Output.Where(o => S(o, "Status") == "Failed").Select(o => $"{S(o, "Namespace")}/{S(o, "Kind")}/{S(o, "Name")}").OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.Equal(Annotated(fail, id), failed);
        Assert.DoesNotContain("CANARY", result.AllText(), StringComparison.Ordinal);

        var passing = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Detailed | Where-Object CheckId -eq $args[1]", Fixture(id, "pass"), id).AssertNoErrors();
        Assert.NotEmpty(passing.Output);
        Assert.All(passing.Output, o => Assert.Equal("Passed", S(o, "Status")));

        var excluded = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Detailed -ExcludeCheck $args[1] | Where-Object CheckId -eq $args[1]", fail, id).AssertNoErrors();
        Assert.NotEmpty(excluded.Output);
        Assert.All(excluded.Output, o => Assert.Equal("Skipped", S(o, "Status")));
    }

    [Fact]
    public void ATargetVersionTheModuleDoesNotKnowIsRejectedBeforeReading()
    {
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -TargetVersion v1.99", Fixture("API-REMOVED", "fail"));
        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sInvalidArgument", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("v1.99", result.TerminatingError.ToString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The successor named is one the target version serves, as the Deprecated API Migration Guide says: flowcontrol
    /// v1beta1 (gone in v1.26) → "v1beta3, available since v1.26"; v1beta2 (gone in v1.29) → "v1, available since v1.29,
    /// or v1beta3, available since v1.26"; extensions/v1beta1 Ingress → networking.k8s.io/v1 only from v1.19.
    /// </summary>
    [Theory]
    [InlineData("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "v1.24", "flowcontrol.apiserver.k8s.io/v1beta2")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "v1.26", "flowcontrol.apiserver.k8s.io/v1beta3")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1beta1", "PriorityLevelConfiguration", "v1.28", "flowcontrol.apiserver.k8s.io/v1beta3")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1beta1", "FlowSchema", "v1.29", "flowcontrol.apiserver.k8s.io/v1")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "v1.27", "flowcontrol.apiserver.k8s.io/v1beta3")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1beta2", "FlowSchema", "v1.32", "flowcontrol.apiserver.k8s.io/v1")]
    [InlineData("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema", "v1.30", "flowcontrol.apiserver.k8s.io/v1")]
    [InlineData("extensions/v1beta1", "Ingress", "v1.16", "networking.k8s.io/v1beta1")]
    [InlineData("extensions/v1beta1", "Ingress", "v1.22", "networking.k8s.io/v1")]
    [InlineData("autoscaling/v2beta2", "HorizontalPodAutoscaler", "v1.25", "autoscaling/v2")]
    public void TheReplacementNamedIsServedByTheTargetVersion(string apiVersion, string kind, string target, string expected)
    {
        string file = Path.Combine(TestPaths.NewTempDirectory(), "old.yaml");
        File.WriteAllText(file, $"apiVersion: {apiVersion}\nkind: {kind}\nmetadata:\n  name: old\n");
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -TargetVersion $args[1] -Category DeprecatedApis", file, target);
        Assert.Null(result.TerminatingError);
        var finding = Assert.Single(result.Output, o => o.TypeNames.Contains("K8sSecurity.Engine.Audit.AuditFinding"));
        Assert.EndsWith($"; use {expected}.", S(finding, "Message"), StringComparison.Ordinal);
        Assert.StartsWith($"Change apiVersion to {expected} ", S(finding, "Remediation"), StringComparison.Ordinal);
    }

    public void Dispose() => session.Dispose();

    private static string Fixture(string id, string variant) => Path.Combine(TestPaths.RepoRoot, "tests", "TestData", "hardening", id, variant + ".yaml");

    /// <summary>
    /// "namespace/Kind/name" of the objects the fixture says must be reported with <paramref name="id"/>, as kubectl
    /// decodes the file (`kubectl annotate --local` needs no server): the fixture is a manifest kubectl accepts.
    /// </summary>
    private static List<string> Annotated(string file, string id)
    {
        const string Line = "{{.metadata.namespace}}/{{.kind}}/{{.metadata.name}}/{{index .metadata.annotations \"" + ExpectAnnotation + "\"}}{{\"\\n\"}}";
        var (exit, output, error) = Identity.IdentityTools.Run(
            "kubectl", "annotate", "--local", "-f", file, "decoded=true", "-o", "go-template={{if .items}}{{range .items}}" + Line + "{{end}}{{else}}" + Line + "{{end}}");
        Assert.True(exit == 0, $"kubectl rejected {file}: {error}");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.EndsWith("/" + id, StringComparison.Ordinal))
            .Select(l => l[..^(id.Length + 1)].Replace("<no value>", string.Empty, StringComparison.Ordinal))
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();
    }

    private static string? S(PSObject o, string name) => o.Properties[name]?.Value?.ToString();
}
