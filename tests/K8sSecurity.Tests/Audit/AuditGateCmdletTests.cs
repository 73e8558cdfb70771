using System.Text.Json.Nodes;
using K8sSecurity.Tests.Infrastructure;
using Xunit;
using static K8sSecurity.Tests.Audit.InvokeK8sSecurityAuditTests;

namespace K8sSecurity.Tests.Audit;

/// <summary>
/// Issue 11 item 4: Invoke-K8sSecurityAudit -FailOn is a CI gate that fails closed. Each reason on its own ends the
/// command with one error (K8sAuditViolation for findings, K8sAuditInputFailed when something could not be audited)
/// after every finding, summary and the -OutputPath file were written; a clean input passes with all output.
/// </summary>
public sealed class AuditGateCmdletTests : IClassFixture<AuditServer>, IDisposable
{
    private const string Violation = "K8sAuditViolation,K8sSecurity.Commands.InvokeK8sSecurityAuditCommand";
    private const string InputFailed = "K8sAuditInputFailed,K8sSecurity.Commands.InvokeK8sSecurityAuditCommand";

    // Test-K8sPodSecurity's duplicate-key fixture: kubectl keeps the Deployment only.
    private const string Concatenated = Scanning.KubernetesSpellingGateTests.PodAndDeploymentWithoutSeparator;

    private const string CleanDeployment = """
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: team}
        spec:
          template:
            spec:
              containers:
              - name: web
                image: registry.example.com/web:1.0
        """;

    private readonly AuditServer fixture;
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    public AuditGateCmdletTests(AuditServer fixture) => this.fixture = fixture;

    [Fact]
    public void ACleanInputWithEveryFindingBelowTheThresholdPassesAndWritesEverything()
    {
        string file = Write("clean/web.yaml", CleanDeployment);
        var plain = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0]", file).AssertNoErrors();
        var findings = Findings(plain).ToList();
        Assert.NotEmpty(findings);
        Assert.DoesNotContain(findings, f => S(f, "Severity") is "High" or "Critical");

        string json = Path.Combine(directory, "clean.json");
        var gated = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn High -OutputPath $args[1] -Verbose", file, json).AssertNoErrors();
        Assert.Null(gated.TerminatingError);
        Assert.Equal(findings.Select(f => S(f, "Id")), Findings(gated).Select(f => S(f, "Id")));
        Assert.Single(Summaries(gated));
        Assert.Contains(gated.Verbose, v => v.StartsWith("Audit gate passed", StringComparison.Ordinal));
        Assert.Equal(findings.Count, JsonNode.Parse(File.ReadAllText(json))!["findings"]!.AsArray().Count);
    }

    [Fact]
    public void AHighFindingFailsAfterFindingsSummaryAndTheResultsFileWereWritten()
    {
        string file = Write("high/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: root, namespace: team}\nspec:\n  hostPID: true\n  containers: [{name: c, image: registry.example.com/c:1}]\n");
        string json = Path.Combine(directory, "high.json");
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn High -OutputPath $args[1]", file, json);
        Assert.Empty(result.Errors);
        Assert.Equal(Violation, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.SecurityError, result.TerminatingError!.CategoryInfo.Category);
        string message = result.TerminatingError.Exception.Message;
        var blocking = Findings(result).Where(f => S(f, "Severity") is "High" or "Critical").ToList();
        Assert.NotEmpty(blocking);
        Assert.Contains($"{blocking.Count} finding(s) at or above High (Critical {blocking.Count(f => S(f, "Severity") == "Critical")}, High {blocking.Count(f => S(f, "Severity") == "High")}):", message, StringComparison.Ordinal);
        Assert.Contains("PSS-BASELINE-HOSTNAMESPACES Pod/team/root", message, StringComparison.Ordinal);
        Assert.Single(Summaries(result));
        Assert.True(File.Exists(json));

        // -Summary writes only the summary, and the gate still fails on the findings it did not write.
        var summary = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn High -Summary", file);
        Assert.Equal(Violation, summary.TerminatingError?.FullyQualifiedErrorId);
        Assert.Single(summary.Output);

        // A threshold above every finding passes (a category named must have something to check: the Namespace is
        // given); without -FailOn nothing fails, as before.
        string ns = Write("high-ns/team.yaml", "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n");
        session.Invoke("Invoke-K8sSecurityAudit -Path $args[0], $args[1] -FailOn Critical -Category Namespaces", file, ns).AssertNoErrors();
        Assert.Null(session.Invoke("Invoke-K8sSecurityAudit -Path $args[0]", file).AssertNoErrors().TerminatingError);
    }

    [Fact]
    public void AnUnreadableFileFailsTheGateAfterTheRestWasAudited()
    {
        Write("broken/good.yaml", CleanDeployment);
        Write("broken/bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n");
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn Critical", Path.Combine(directory, "broken"));
        Assert.Contains("bad.yaml", Assert.Single(result.Errors).Exception.Message, StringComparison.Ordinal);
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.InvalidData, result.TerminatingError!.CategoryInfo.Category);
        Assert.Contains("1 input(s) could not be read", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("bad.yaml", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.NotEmpty(Findings(result));
        Assert.Single(Summaries(result));

        // A path that does not exist is an unreadable input too.
        var missing = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn Critical -ErrorAction SilentlyContinue", Path.Combine(directory, "no-such-folder"));
        Assert.Equal(InputFailed, missing.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("no-such-folder", missing.TerminatingError!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DuplicateKeysFailTheGateThoughKubectlsDecodingAlonePasses()
    {
        string file = Write("dup/concatenated.yaml", Concatenated);

        // kubectl keeps the last value of each key: one Deployment, web; the privileged Pod is gone.
        if (KubectlOracle.Decode(file) is { } decoded)
        {
            var kubectl = JsonNode.Parse(decoded)!;
            Assert.Equal(("Deployment", "web"), (kubectl["kind"]!.GetValue<string>(), kubectl["metadata"]!["name"]!.GetValue<string>()));
            string converted = Write("dup-json/decoded.json", decoded);
            session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn High", converted).AssertNoErrors();
        }

        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn High", file);
        Assert.Empty(result.Errors);
        Assert.Equal(new[] { "Deployment/web" }, Findings(result).Where(f => S(f, "Category") == "PodSecurity" || S(f, "Category") == "Workloads").Select(f => S(f, "Resource")).Distinct());
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        string message = result.TerminatingError!.Exception.Message;
        Assert.Contains("4 duplicate key(s): kubectl would apply only the last value; were two documents concatenated without '---'?", message, StringComparison.Ordinal);
        Assert.Contains("concatenated.yaml:11", message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnEmptyFileFailsAndSoDoesAnInputWithNoObjectAtAll()
    {
        Write("empty/web.yaml", CleanDeployment);
        string empty = Write("empty/empty.yaml", string.Empty);
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn Critical", Path.Combine(directory, "empty"));
        Assert.Empty(result.Errors);
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("1 input(s) contain no Kubernetes object:\n  " + empty, result.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("no Kubernetes object was found", result.TerminatingError.Exception.Message, StringComparison.Ordinal);

        string comments = Write("nothing/comments.yaml", "# nothing here\n---\n");
        var nothing = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0], $args[1] -FailOn Critical", empty, comments);
        Assert.Equal(InputFailed, nothing.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("no Kubernetes object was found in the input, so nothing was audited.", nothing.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.Single(Summaries(nothing));
    }

    [Fact]
    public void ACategoryAskedForThatIsSkippedFailsAndOneThatDoesNotApplyDoesNot()
    {
        string file = Write("categories/web.yaml", CleanDeployment);

        // The default set skips ServerVersion offline: it does not apply, the gate passes.
        var byDefault = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn High -Summary", file).AssertNoErrors();
        Assert.Contains(Categories(Assert.Single(byDefault.Output)), c => S(c, "Category") == "ServerVersion" && S(c, "SkippedReason") is not null);

        foreach (string category in new[] { "ServerVersion", "NodeConfiguration" })
        {
            var named = session.Invoke($"Invoke-K8sSecurityAudit -Path $args[0] -Category PodSecurity, {category} -FailOn High -Summary", file);
            Assert.Equal(InputFailed, named.TerminatingError?.FullyQualifiedErrorId);
            Assert.Contains($"offline: {category} was asked for (-Category) but skipped:", named.TerminatingError!.Exception.Message, StringComparison.Ordinal);
            Assert.Single(named.Output);
        }
    }

    [Fact]
    public void AnUnreadablePkiFileOrKubeconfigFailsTheCertificatesCategory()
    {
        string file = Write("pki-run/web.yaml", CleanDeployment);
        Write("pki/broken.crt", "not a certificate");
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -PkiPath $args[1] -FailOn Critical -Summary", file, Path.Combine(directory, "pki"));
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("offline: Certificates could not read '", result.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("broken.crt", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        var summary = Assert.Single(result.Output);
        Assert.Single((IEnumerable<string>)Categories(summary).Single(c => S(c, "Category") == "Certificates").Properties["ReadFailures"].Value);

        var kubeconfig = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -Kubeconfig $args[1] -FailOn Critical -Summary", file, Path.Combine(directory, "no-such-kubeconfig"));
        Assert.Equal(InputFailed, kubeconfig.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("no-such-kubeconfig': the file does not exist", kubeconfig.TerminatingError!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AFleetMemberThatCannotBeAuditedFailsTheGateAfterTheOthersAreWritten()
    {
        var result = session.Invoke(
            "Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Context test, down -Category Namespaces -FailOn Critical",
            fixture.FleetKubeconfig);
        Assert.StartsWith("K8sConnectionFailed", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("1 audit(s) could not be done; their clusters or inputs were not audited:\n  down: ", result.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("cannot reach the API server", result.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "test" }, Summaries(result).Select(s => S(s, "Cluster")));
        Assert.Equal(fixture.Cluster.FlawedNamespaces.Count, Findings(result).Count());

        // Only reachable clusters whose findings are below the threshold: the gate passes.
        session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Context test, test2 -Category Namespaces -FailOn High", fixture.FleetKubeconfig).AssertNoErrors();

        // The cluster's Critical findings fail it, with counts per severity.
        var critical = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Category Rbac -FailOn Critical -Summary", fixture.Kubeconfig);
        Assert.Equal(Violation, critical.TerminatingError?.FullyQualifiedErrorId);
        int count = (int)Assert.Single(critical.Output).Properties["Critical"].Value;
        Assert.Contains($"{count} finding(s) at or above Critical (Critical {count}):", critical.TerminatingError!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoClusterAuditedAtAllFailsTheGate()
    {
        var result = session.Invoke("Invoke-K8sSecurityAudit -Kubeconfig $args[0] -Context down -Category Namespaces -FailOn Critical", fixture.FleetKubeconfig);
        Assert.Single(result.Errors);
        Assert.Empty(result.Output);
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("'down'", result.TerminatingError!.Exception.Message, StringComparison.Ordinal);

        // The session's cluster (Connect-K8sCluster) is gated the same way.
        var connected = session.Invoke(
            "Connect-K8sCluster -Kubeconfig $args[0] | Out-Null; Invoke-K8sSecurityAudit -Category Namespaces -FailOn Critical -Summary; Invoke-K8sSecurityAudit -Category Namespaces -FailOn Medium -Summary",
            fixture.Kubeconfig);
        Assert.Equal(2, Summaries(connected).Count());
        Assert.Equal(Violation, connected.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("finding(s) at or above Medium", connected.TerminatingError!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATlsSecretWhoseCertificateCannotBeReadFailsTheGateWithoutItsData()
    {
        const string canary = "CANARY-audit-gate-tls";
        string garbage = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes($"-----BEGIN CERTIFICATE-----\n{canary}\n-----END CERTIFICATE-----\n"));
        string file = Write("tls/secret.yaml", $"apiVersion: v1\nkind: Secret\nmetadata: {{name: web-tls, namespace: team}}\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {garbage}\n  tls.key: \"\"\n");
        var result = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn Critical -Summary -Verbose", file);
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains($"offline: Certificates could not read secret team/web-tls key tls.crt ({file}:1): it holds no certificate openssl x509 could load", result.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        var certificates = Categories(Assert.Single(result.Output)).Single(c => S(c, "Category") == "Certificates");
        Assert.Single((IEnumerable<string>)certificates.Properties["ReadFailures"].Value);
        Assert.DoesNotContain(canary, result.AllText(), StringComparison.Ordinal);
        Assert.DoesNotContain(garbage, result.AllText(), StringComparison.Ordinal);

        // Without -FailOn the summary says so and nothing fails; the category table's Note shows it, and which
        // categories had nothing to check.
        var plain = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -Summary", file).AssertNoErrors();
        Assert.NotEmpty((IEnumerable<string>)Categories(Assert.Single(plain.Output)).Single(c => S(c, "Category") == "Certificates").Properties["ReadFailures"].Value);
        string table = session.Render("(Invoke-K8sSecurityAudit -Path $args[0] -Summary).Categories", file);
        Assert.Contains("could not read 1: secret team/web-tls key tls.crt", table, StringComparison.Ordinal);
        Assert.Contains("nothing to check: no Namespace was found in the input", table, StringComparison.Ordinal);
        Assert.DoesNotContain(canary, table, StringComparison.Ordinal);
    }

    [Fact]
    public void ACategoryAskedForThatHadNothingToCheckFailsAndOneNotAskedForDoesNot()
    {
        string file = Write("nothing/web.yaml", CleanDeployment);
        var byDefault = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -FailOn High -Summary", file).AssertNoErrors();
        Assert.Equal(
            "no client certificate or CA in a kubeconfig; no kubernetes.io/tls Secret; no -PkiPath",
            S(Categories(Assert.Single(byDefault.Output)).Single(c => S(c, "Category") == "Certificates"), "NothingToCheck"));

        var named = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -Category PodSecurity, Certificates, Namespaces -FailOn High -Summary", file);
        Assert.Equal(InputFailed, named.TerminatingError?.FullyQualifiedErrorId);
        string message = named.TerminatingError!.Exception.Message;
        Assert.Contains("offline: Certificates was asked for (-Category) but had nothing to check: no client certificate or CA in a kubeconfig; no kubernetes.io/tls Secret; no -PkiPath", message, StringComparison.Ordinal);
        Assert.Contains("offline: Namespaces was asked for (-Category) but had nothing to check: no Namespace was found in the input", message, StringComparison.Ordinal);
        Assert.DoesNotContain("PodSecurity was asked for", message, StringComparison.Ordinal);
        Assert.Single(named.Output);
    }

    [Fact]
    public void AResultsFileThatCannotBeWrittenFailsTheGate()
    {
        string file = Write("out/web.yaml", CleanDeployment);

        // Refused before anything is read (a file where the folder should be): with -FailOn the gate's error.
        string blocked = Write("out/blocker", "a file, not a folder");
        var refused = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -OutputPath $args[1] -FailOn High", file, Path.Combine(blocked, "audit.json"));
        Assert.Equal(InputFailed, refused.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("Security audit gate failed (-FailOn High):\nThe audit could not be completed, so it proves nothing: Cannot write '", refused.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.Contains("is a file, not a folder", refused.TerminatingError.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(refused.Output);
        var ordinary = session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -OutputPath $args[1]", file, Path.Combine(blocked, "audit.json"));
        Assert.StartsWith("K8sFileSystem", ordinary.TerminatingError?.FullyQualifiedErrorId, StringComparison.Ordinal);

        // Fails at the end (a folder appears where the file goes while the audit runs): the results are written, the
        // write fails as an error, and the gate fails on it; no temporary file is left behind.
        string reports = Path.Combine(directory, "reports");
        Directory.CreateDirectory(reports);
        string target = Path.Combine(reports, "audit.json");
        const string Racing = "$target = $args[1]; $kubeconfig = $args[2]; & { [pscustomobject]@{ Kubeconfig = $kubeconfig }; New-Item -ItemType Directory -Path $target | Out-Null } | Invoke-K8sSecurityAudit -Path $args[0] -OutputPath $target -Category PodSecurity";
        var failed = session.Invoke(Racing + " -FailOn Critical", file, target, fixture.Kubeconfig);
        Assert.Equal(InputFailed, failed.TerminatingError?.FullyQualifiedErrorId);
        Assert.StartsWith("K8sFileSystem", Assert.Single(failed.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        string message = failed.TerminatingError!.Exception.Message;
        Assert.Contains("the results file (-OutputPath) was not written, so the report this run should leave is missing:\n  Cannot write '" + target + "': it is a folder.", message, StringComparison.Ordinal);
        Assert.Single(Summaries(failed));
        Assert.True(Directory.Exists(target));
        Assert.Equal(new[] { target }, Directory.EnumerateFileSystemEntries(reports));

        // Without -FailOn it stays an ordinary error.
        Directory.Delete(target);
        var plain = session.Invoke(Racing, file, target, fixture.Kubeconfig);
        Assert.Null(plain.TerminatingError);
        Assert.StartsWith("K8sFileSystem", Assert.Single(plain.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("$ErrorActionPreference = 'Stop'; ")]
    [InlineData("")]
    public void UnderStopAnUnreadableInputDoesNotEndTheGateBeforeTheReportIsWritten(string preference)
    {
        Write("stop/good.yaml", CleanDeployment);
        string bad = Write("stop/bad.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: [unclosed\n");
        string json = Path.Combine(directory, $"stop-{preference.Length}.json");
        string stop = preference.Length == 0 ? " -ErrorAction Stop" : string.Empty;
        var result = session.Invoke($"{preference}Invoke-K8sSecurityAudit -Path $args[0] -FailOn Critical -OutputPath $args[1]{stop}; 'not reached'", Path.Combine(directory, "stop"), json);

        // One terminating error, the gate's, listing the file; the read error was a warning; everything was written.
        Assert.Equal(InputFailed, result.TerminatingError?.FullyQualifiedErrorId);
        Assert.Contains("1 input(s) could not be read, or the API server would refuse them; they were not audited:\n  " + bad, result.TerminatingError!.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(result.Errors);
        Assert.Contains(result.Warnings, w => w.Contains(bad, StringComparison.Ordinal));
        Assert.Single(Summaries(result));
        Assert.NotEmpty(Findings(result));
        Assert.DoesNotContain(result.Output, o => o.BaseObject is "not reached");
        var report = JsonNode.Parse(File.ReadAllText(json))!;
        Assert.Contains(report["summaries"]![0]!["inputProblems"]!.AsArray(), p => p!.GetValue<string>().Contains(bad, StringComparison.Ordinal));

        // Without -FailOn, Stop keeps its meaning: the first error ends the command, before any report.
        string ungated = Path.Combine(directory, $"ungated-{preference.Length}.json");
        var plain = session.Invoke($"{preference}Invoke-K8sSecurityAudit -Path $args[0] -OutputPath $args[1]{stop}", Path.Combine(directory, "stop"), ungated);
        Assert.NotNull(plain.TerminatingError);
        Assert.DoesNotContain("K8sAudit", plain.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.False(File.Exists(ungated));
    }

    public void Dispose()
    {
        session.Invoke("Disconnect-K8sCluster");
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
