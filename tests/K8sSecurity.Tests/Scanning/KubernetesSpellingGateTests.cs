using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>
/// The spellings Kubernetes accepts cannot walk around the gates: every row of issue 11's table through the real
/// PowerShell engine. Expected verdicts are what a real kube-apiserver v1.32 did with each manifest (server-side
/// dry-run into a namespace enforcing the level); where kubectl is on the machine, the same verdict must also come
/// out of kubectl's own decoding of the file (`kubectl annotate --local -o json` piped into the cmdlet).
/// </summary>
public sealed class KubernetesSpellingGateTests : IDisposable
{
    /// <summary>
    /// A privileged Pod and a Deployment concatenated without "---": one YAML mapping with duplicate keys, which kubectl
    /// decodes as the Deployment only (last value of each key). Shared with the audit gate's tests.
    /// </summary>
    internal const string PodAndDeploymentWithoutSeparator = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: root-shell
          namespace: team
        spec:
          containers:
          - name: shell
            image: busybox:1.36
            securityContext: {privileged: true}
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: team
        spec:
          template:
            spec:
              containers:
              - name: web
                image: registry.example.com/web:1.0
        """;

    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    private static string Pod(string name, string podFields, string containerSecurityContext) => $$"""
        apiVersion: v1
        kind: Pod
        metadata:
          name: {{name}}
          namespace: team
        spec:
        {{podFields}}
          containers:
          - name: app
            image: registry.example.com/app:1.0
            securityContext:
        {{containerSecurityContext}}
        """;

    // What Restricted asks for apart from the fields under test.
    private const string RestrictedBase = "      seccompProfile: {type: RuntimeDefault}\n      capabilities: {drop: [ALL]}\n";

    [Fact]
    public void PrivilegedYesIsDeniedAtBaseline()
    {
        string file = Write("privileged.yaml", Pod("yes-privileged", "  hostNetwork: false", "      privileged: yes"));

        AssertViolates(file, "Baseline", "PSS-BASELINE-PRIVILEGED");
        var gate = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", file);
        Assert.StartsWith("K8sPodSecurityViolation,", gate.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        AssertSameVerdictOnKubectlJson(file, "Baseline");
    }

    [Fact]
    public void HostNetworkOnIsDeniedAtBaseline()
    {
        string file = Write("host-network.yaml", Pod("on-host", "  hostNetwork: on", "      privileged: off"));

        AssertViolates(file, "Baseline", "PSS-BASELINE-HOSTNAMESPACES");
        AssertSameVerdictOnKubectlJson(file, "Baseline");
    }

    [Fact]
    public void NoAndYesSpellingsAreAllowedAtRestricted()
    {
        string file = Write("restricted.yaml", Pod("spelled", "  hostNetwork: no", "      allowPrivilegeEscalation: no\n      runAsNonRoot: yes\n" + RestrictedBase));

        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Restricted -Profile PodSecurityStandards", file).AssertNoErrors();
        Assert.Equal(true, Assert.Single(result.Output).Properties["Compliant"].Value);
        session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Restricted -Profile PodSecurityStandards", file).AssertNoErrors();
        AssertSameVerdictOnKubectlJson(file, "Restricted");
    }

    [Theory]
    [InlineData("00")]
    [InlineData("+0")]
    [InlineData("0o0")]
    [InlineData("0_0")]
    [InlineData("0x0")]
    [InlineData("0.0")]
    public void EverySpellingOfUidZeroIsRoot(string uid)
    {
        string file = Write("uid.yaml", Pod("uid-" + uid.Replace('+', 'p').Replace('.', 'd'), string.Empty, $"      allowPrivilegeEscalation: false\n      runAsNonRoot: true\n      runAsUser: {uid}\n" + RestrictedBase));

        AssertViolates(file, "Restricted", "PSS-RESTRICTED-RUNASUSER", only: true);
        AssertSameVerdictOnKubectlJson(file, "Restricted");
    }

    // What kubectl keeps as a string, or as a number past int64, the API server refuses to decode into the typed field
    // (bool, int64): such a pod never runs, and the module says so with an error, never with Compliant.
    [Theory]
    [InlineData("privileged", "\"yes\"")]
    [InlineData("privileged", "'true'")]
    [InlineData("privileged", "!!str yes")]
    [InlineData("privileged", "! yes")]
    [InlineData("privileged", ">-\n        true")]
    [InlineData("runAsUser", "18446744073709551616")]
    [InlineData("runAsUser", "9223372036854775808")]
    [InlineData("runAsUser", "-9223372036854775809")]
    [InlineData("runAsUser", "1e19")]
    public void ASpellingKubectlKeepsAsTheWrongTypeIsAnErrorNotCompliant(string field, string value)
    {
        string file = Write("typed.yaml", Pod("wrong-type", string.Empty, $"      allowPrivilegeEscalation: false\n      runAsNonRoot: true\n      {field}: {value}\n" + RestrictedBase));

        if (KubectlOracle.Decode(file) is { } json)
        {
            var decoded = System.Text.Json.JsonDocument.Parse(json).RootElement.GetProperty("spec").GetProperty("containers")[0].GetProperty("securityContext").GetProperty(field);
            bool apiServerRefuses = field == "privileged"
                ? decoded.ValueKind == System.Text.Json.JsonValueKind.String
                : decoded.ValueKind == System.Text.Json.JsonValueKind.Number && !decoded.TryGetInt64(out _);
            Assert.True(apiServerRefuses, $"kubectl decoded {field}: {value} as {decoded.GetRawText()}");
            var fromKubectl = session.Invoke("$args[0] | Test-K8sPodSecurity -Level Restricted -Profile PodSecurityStandards", json);
            Assert.Empty(fromKubectl.Output);
            Assert.StartsWith("K8sInvalid,", Assert.Single(fromKubectl.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        }

        var scan = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Restricted -Profile PodSecurityStandards", file);
        Assert.Empty(scan.Output);
        var error = Assert.Single(scan.Errors);
        Assert.StartsWith("K8sInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains($"securityContext.{field} must be", error.Exception.Message, StringComparison.Ordinal);
        var gate = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Restricted -Profile PodSecurityStandards", file);
        Assert.StartsWith("K8sPodSecurityInputFailed,", gate.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void TheLargestInt64UidIsReadAsANumber()
    {
        string file = Write("uid-max.yaml", Pod("uid-max", string.Empty, "      allowPrivilegeEscalation: false\n      runAsNonRoot: true\n      runAsUser: 9223372036854775807\n" + RestrictedBase));

        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Restricted -Profile PodSecurityStandards", file).AssertNoErrors();
        Assert.Equal(true, Assert.Single(result.Output).Properties["Compliant"].Value);
        AssertSameVerdictOnKubectlJson(file, "Restricted");
    }

    [Fact]
    public void AnchorsAliasesAndMergeKeysAreResolvedAndLaterDocumentsStillRead()
    {
        string file = Write("anchors.yaml", """
            x-privileged: &sc
              privileged: true
            apiVersion: v1
            kind: Pod
            metadata: {name: aliased, namespace: team}
            spec:
              containers:
              - name: a
                image: registry.example.com/a:1
                securityContext: *sc
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: merged, namespace: team}
            spec:
              template:
                spec:
                  containers:
                  - name: b
                    image: registry.example.com/b:1
                    securityContext:
                      <<: &base {privileged: on, runAsNonRoot: true}
                      runAsUser: 1000
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: after, namespace: team}
            spec:
              containers: [{name: c, image: registry.example.com/c:1}]
            """);

        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", file).AssertNoErrors();
        var verdicts = result.Output.ToDictionary(o => (string)o.Properties["Name"].Value, o => (bool)o.Properties["Compliant"].Value);
        Assert.Equal(new Dictionary<string, bool> { ["aliased"] = false, ["merged"] = false, ["after"] = true }, verdicts);
        var gate = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", file);
        Assert.Contains("Pod/team/aliased", gate.TerminatingError?.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("Deployment/team/merged", gate.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        AssertSameVerdictOnKubectlJson(file, "Baseline");
    }

    [Fact]
    public void AnAliasBombIsAnErrorForThatFileTheNextFileIsReadAndTheGateFails()
    {
        // Ten to the ninth "lol"s: kubectl refuses it ("document contains excessive aliasing") in milliseconds.
        var bomb = new System.Text.StringBuilder("apiVersion: v1\nkind: Pod\nmetadata: {name: bomb, namespace: team}\nx0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 9; i++)
        {
            bomb.Append($"x{i}: &a{i} [").Append(string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))).Append("]\n");
        }

        bomb.Append("spec: {containers: [{name: c, image: registry.example.com/c:1, securityContext: {privileged: true}}]}\n");
        string file = Write("a-bomb.yaml", bomb.ToString());
        string next = Write("b-next.yaml", Pod("next", "  hostPID: yes", "      privileged: no"));
        string? decoded = null;
        var refusal = Record.Exception(() => decoded = KubectlOracle.Decode(file)); // null and no refusal: no kubectl here
        Assert.Null(decoded);
        Assert.Contains("excessive aliasing", refusal?.Message ?? "excessive aliasing", StringComparison.Ordinal);

        var scan = session.Invoke("Test-K8sPodSecurity -Path $args[0], $args[1] -Level Baseline -Profile PodSecurityStandards", file, next);
        Assert.Equal("next", (string)Assert.Single(scan.Output).Properties["Name"].Value);
        var error = Assert.Single(scan.Errors);
        Assert.StartsWith("K8sInvalid,", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("a-bomb.yaml", error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("excessive aliasing", error.Exception.Message, StringComparison.Ordinal);

        var gate = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", file);
        Assert.StartsWith("K8sPodSecurityInputFailed,", gate.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void TwoDocumentsWithoutSeparatorKeepTheLastValuesAreReportedAndFailTheGate()
    {
        string file = Write("concatenated.yaml", PodAndDeploymentWithoutSeparator);

        // kubectl keeps the last value of each key: one Deployment, web; the privileged Pod is gone.
        AssertSameVerdictOnKubectlJson(file, "Baseline");
        var result = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", file).AssertNoErrors();
        var only = Assert.Single(result.Output);
        Assert.Equal(("Deployment", "web"), ((string)only.Properties["Kind"].Value, (string)only.Properties["Name"].Value));
        Assert.Contains(result.Warnings, w => w.Contains("concatenated.yaml:11", StringComparison.Ordinal) && w.Contains("'apiVersion'", StringComparison.Ordinal)
            && w.Contains("were two documents concatenated without '---'?", StringComparison.Ordinal));
        Assert.Equal(4, result.Warnings.Count); // apiVersion, kind, metadata, spec

        var gate = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", file);
        Assert.StartsWith("K8sPodSecurityInputFailed,", gate.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("duplicate key", gate.TerminatingError!.Exception.Message, StringComparison.Ordinal);

        // Results piped in, verdicts or -Detailed rows, fail the gate the same way (the Deployment alone would pass).
        foreach (string shape in new[] { string.Empty, " -Detailed" })
        {
            var piped = session.Invoke($"Test-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards{shape} | Assert-K8sPodSecurity", file);
            Assert.StartsWith("K8sPodSecurityInputFailed,", piped.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("concatenated.yaml", piped.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        }

        var audit = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -Category PodSecurity -Summary", file);
        var summary = Assert.Single(audit.Output);
        Assert.Contains(audit.Warnings, w => w.Contains("were two documents concatenated", StringComparison.Ordinal));
        Assert.NotEmpty((System.Collections.IEnumerable)summary.Properties["InputProblems"].Value);
    }

    [Fact]
    public void TestResultsPipedIntoAssertAreGatedWithoutScanningAgain()
    {
        string bad = Write("bad.yaml", Pod("bad", "  hostPID: y", "      privileged: n"));
        string good = Write("good.yaml", Pod("good", "  hostPID: n", "      privileged: n"));

        var failing = session.Invoke("Test-K8sPodSecurity -Path $args[0], $args[1] -Level Baseline -Profile PodSecurityStandards | Assert-K8sPodSecurity", bad, good);
        Assert.Empty(failing.Errors); // no "Cannot scan the pipeline object"
        Assert.StartsWith("K8sPodSecurityViolation,", failing.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("Pod/team/bad", failing.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("PSS-BASELINE-HOSTNAMESPACES", failing.TerminatingError.Exception.Message, StringComparison.Ordinal);

        var passing = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards | Assert-K8sPodSecurity | ForEach-Object Name", good).AssertNoErrors();
        Assert.Equal("good", Assert.Single(passing.Output).ToString());

        var rows = session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards -Detailed | Assert-K8sPodSecurity", bad);
        Assert.StartsWith("K8sPodSecurityViolation,", rows.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInputTestCouldNotReadFailsTheGateItsResultsArePipedInto()
    {
        string good = Write("good.yaml", Pod("good", "  hostPID: n", "      privileged: n"));
        string broken = Write("broken.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n");

        var result = session.Invoke(
            "Test-K8sPodSecurity -Path $args[0], $args[1] -Level Baseline -Profile PodSecurityStandards -ErrorAction SilentlyContinue | Assert-K8sPodSecurity", good, broken);
        Assert.StartsWith("K8sPodSecurityInputFailed,", result.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("broken.yaml", result.TerminatingError!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptyInputsAreWarnedAboutAndTheGateFailsWhenNothingWasFound()
    {
        string empty = Write("empty.yaml", string.Empty);
        string comments = Write("comments.yaml", "# nothing here yet\n---\n# still nothing\n");

        var scan = session.Invoke("Test-K8sPodSecurity -Path $args[0], $args[1]", empty, comments).AssertNoErrors();
        Assert.Empty(scan.Output);
        Assert.Contains(scan.Warnings, w => w.Contains("empty.yaml", StringComparison.Ordinal) && w.Contains("no Kubernetes object", StringComparison.Ordinal));
        Assert.Contains(scan.Warnings, w => w.Contains("comments.yaml", StringComparison.Ordinal));

        var gate = session.Invoke("Assert-K8sPodSecurity -Path $args[0]", empty);
        Assert.StartsWith("K8sPodSecurityInputFailed,", gate.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("no Kubernetes object was found", gate.TerminatingError!.Exception.Message, StringComparison.Ordinal);

        var text = session.Invoke("'just some text', '# and a comment' | Test-K8sPodSecurity");
        Assert.Empty(text.Output);
        Assert.StartsWith("K8sInvalid,", Assert.Single(text.Errors).FullyQualifiedErrorId, StringComparison.Ordinal); // kubectl refuses a string document

        var comment = session.Invoke("'# only a comment' | Test-K8sPodSecurity").AssertNoErrors();
        Assert.Contains(comment.Warnings, w => w.Contains("'pipeline' contains no Kubernetes object", StringComparison.Ordinal));
    }

    [Fact]
    public void AnEmptyPipelineNeverScansTheCluster()
    {
        // A kubeconfig that points nowhere: a cluster scan would be an error, an input-only run is not.
        string kubeconfig = Write("kubeconfig", "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n");
        var test = session.Invoke("@() | Test-K8sPodSecurity -Kubeconfig $args[0]", kubeconfig).AssertNoErrors();
        Assert.Empty(test.Output);
        Assert.Contains(test.Warnings, w => w.Contains("No input arrived from the pipeline", StringComparison.Ordinal));

        var gate = session.Invoke("Get-ChildItem -Path $args[0] -Filter *.nothing | Assert-K8sPodSecurity -Kubeconfig $args[1]", directory, kubeconfig);
        Assert.StartsWith("K8sPodSecurityInputFailed,", gate.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.DoesNotContain("kubeconfig", gate.TerminatingError!.Exception.Message, StringComparison.OrdinalIgnoreCase);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }

    private void AssertViolates(string file, string level, string checkId, bool only = false)
    {
        var result = session.Invoke($"Test-K8sPodSecurity -Path $args[0] -Level {level} -Profile PodSecurityStandards | ForEach-Object {{ $_.Violations.CheckId }}", file).AssertNoErrors();
        var violations = result.Output.Select(o => o.ToString()).ToList();
        Assert.Contains(checkId, violations);
        if (only)
        {
            Assert.Equal(new[] { checkId }, violations);
        }
    }

    // kubectl's own decoding of the file, piped in as text, must get the same verdicts as the file itself.
    private void AssertSameVerdictOnKubectlJson(string file, string level)
    {
        if (KubectlOracle.Decode(file) is not { } json)
        {
            return;
        }

        string script = $"Test-K8sPodSecurity -Level {level} -Profile PodSecurityStandards | ForEach-Object {{ \"$($_.Kind)/$($_.Name) $($_.Compliant) $($_.Violations.CheckId -join ',')\" }}";
        var fromFile = session.Invoke($"Test-K8sPodSecurity -Path $args[0] -Level {level} -Profile PodSecurityStandards | ForEach-Object {{ \"$($_.Kind)/$($_.Name) $($_.Compliant) $($_.Violations.CheckId -join ',')\" }}", file);
        var fromKubectl = session.Invoke("$args[0] | " + script, json).AssertNoErrors();
        Assert.Equal(fromFile.Output.Select(o => o.ToString()), fromKubectl.Output.Select(o => o.ToString()));
    }
}
