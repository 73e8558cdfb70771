using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>
/// Issue 16 item 4: Invoke-K8sSecurityAudit, Test-K8sNetworkPolicy and Test-K8sAccess read manifests too. An input
/// they cannot read (or that the API server would refuse) is an error naming the file, every answer says it is
/// incomplete and lists what was skipped, and a script under -ErrorAction Stop fails; an alias or merge key (which
/// kubectl resolves) no longer turns an allowed request into "denied".
/// </summary>
public sealed class OfflineInputGateTests : IDisposable
{
    private const string Binding = """
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: pod-reader, namespace: team}
        rules:
        - &read {apiGroups: [""], resources: [pods], verbs: [get, list]}
        ---
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {name: dave-reads, namespace: team}
        subjects:
        - &dave {kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}
        roleRef: {kind: Role, name: pod-reader, apiGroup: rbac.authorization.k8s.io}
        """;

    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Fact]
    public void AnAliasedBindingGrantsWhatKubectlDecodes()
    {
        string rbac = Write("rbac/aliased.yaml", Binding.Replace("- &dave {kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}", "- &dave {kind: User, name: dave, apiGroup: rbac.authorization.k8s.io}\n- *dave", StringComparison.Ordinal));

        var fromFile = Assert.Single(session.Invoke("Test-K8sAccess -Path $args[0] -Verb get -Resource pods -Namespace team -User dave -ExcludeDefaultPolicy", rbac).AssertNoErrors().Output);
        Assert.Equal(true, fromFile.Properties["Allowed"].Value);

        // kubectl's decoding of the same file, as JSON, gets the same answer.
        if (KubectlOracle.Decode(rbac) is { } json)
        {
            string converted = Write("rbac-json/aliased.json", json);
            var fromKubectl = Assert.Single(session.Invoke("Test-K8sAccess -Path $args[0] -Verb get -Resource pods -Namespace team -User dave -ExcludeDefaultPolicy", converted).AssertNoErrors().Output);
            Assert.Equal(fromFile.Properties["Allowed"].Value, fromKubectl.Properties["Allowed"].Value);
        }
    }

    [Fact]
    public void TestAccessWritesAnErrorForAnUnreadableFileAndItsAnswerSaysItIsIncomplete()
    {
        string folder = Path.Combine(directory, "rbac");
        Write("rbac/binding.yaml", Binding);
        Write("rbac/broken.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: [unclosed\n");
        Write("rbac/refused.yaml", "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: wrong-type}\nsubjects: \"dave\"\nroleRef: {kind: ClusterRole, name: view, apiGroup: rbac.authorization.k8s.io}\n");

        var result = session.Invoke("Test-K8sAccess -Path $args[0] -Verb delete -Resource pods -Namespace team -User dave -ExcludeDefaultPolicy", folder);
        Assert.Equal(2, result.Errors.Count);
        Assert.Contains(result.Errors, e => e.Exception.Message.Contains("broken.yaml", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Exception.Message.Contains("refused.yaml", StringComparison.Ordinal) && e.Exception.Message.Contains("ClusterRoleBinding/wrong-type", StringComparison.Ordinal));

        var answer = Assert.Single(result.Output);
        Assert.Equal(false, answer.Properties["Allowed"].Value);
        Assert.StartsWith("INCOMPLETE: 2 input(s) could not be read", (string)answer.Properties["Reason"].Value, StringComparison.Ordinal);
        Assert.Equal(2, ((IEnumerable<string>)answer.Properties["SkippedInputs"].Value).Count());

        var stopped = session.Invoke("Test-K8sAccess -Path $args[0] -Verb delete -Resource pods -Namespace team -User dave -ErrorAction Stop", folder);
        Assert.NotNull(stopped.TerminatingError);
        Assert.Empty(stopped.Output);
    }

    [Fact]
    public void TestNetworkPolicyWritesAnErrorForAnUnreadableFileAndItsVerdictSaysItIsIncomplete()
    {
        string folder = Path.Combine(directory, "net");
        Write("net/app.yaml", """
            apiVersion: v1
            kind: Pod
            metadata: {name: api, namespace: shop, labels: {app: api}}
            spec: {containers: [{name: api, image: registry.example.com/api:1}]}
            """);
        // The deny-all policy of this file is what would have isolated the pod: it cannot be read.
        Write("net/deny.yaml", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress\n");

        var result = session.Invoke("Test-K8sNetworkPolicy -Path $args[0] -From @{app='client'} -FromNamespace shop -To 'shop/api' -Port 8080", folder);
        var error = Assert.Single(result.Errors);
        Assert.Contains("deny.yaml", error.Exception.Message, StringComparison.Ordinal);
        var verdict = Assert.Single(result.Output);
        Assert.StartsWith("INCOMPLETE: 1 input(s) could not be read", (string)verdict.Properties["Reason"].Value, StringComparison.Ordinal);
        Assert.Single((IEnumerable<string>)verdict.Properties["SkippedInputs"].Value);

        var stopped = session.Invoke("Test-K8sNetworkPolicy -Path $args[0] -Unisolated -ErrorAction Stop", folder);
        Assert.NotNull(stopped.TerminatingError);
    }

    [Fact]
    public void TheOfflineAuditWritesAnErrorListsTheInputInItsSummaryAndStopsUnderStop()
    {
        string folder = Path.Combine(directory, "dump");
        Write("dump/binding.yaml", Binding);
        Write("dump/broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n");

        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -Summary", folder);
        var error = Assert.Single(result.Errors);
        Assert.Contains("broken.yaml", error.Exception.Message, StringComparison.Ordinal);
        var summary = Assert.Single(result.Output);
        var problems = ((IEnumerable<string>)summary.Properties["InputProblems"].Value).ToList();
        Assert.Contains(problems, p => p.Contains("broken.yaml", StringComparison.Ordinal));

        // The compliance suites call the audit with -ErrorAction Stop: an unreadable dump fails them.
        var stopped = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -ErrorAction Stop", folder);
        Assert.NotNull(stopped.TerminatingError);
    }

    [Fact]
    public void TheOfflineAuditReportsAWorkloadTheApiServerWouldRefuseAndAuditsTheRest()
    {
        string folder = Path.Combine(directory, "shape");
        Write("shape/wrong.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: wrong, namespace: team}\nspec: {template: \"x\"}\n");
        Write("shape/privileged.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: root, namespace: team}\nspec: {containers: [{name: c, image: registry.example.com/c:1, securityContext: {privileged: yes}}]}\n");

        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -Category PodSecurity", folder);
        var error = Assert.Single(result.Errors);
        Assert.Contains("Deployment/wrong", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains(result.Output, o => o.Properties["Id"]?.Value?.ToString() == "PSS-BASELINE-PRIVILEGED");
        var summary = Assert.Single(result.Output, o => o.Properties["InputProblems"] is not null);
        Assert.Contains((IEnumerable<string>)summary.Properties["InputProblems"].Value, p => p.Contains("wrong.yaml", StringComparison.Ordinal));
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private string Write(string relative, string text)
    {
        string path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }
}
