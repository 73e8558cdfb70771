using System.Globalization;
using System.Text;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Tests.Identity;
using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Fixtures;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

/// <summary>
/// The -FailOn gate fails closed on certificate data: a kubernetes.io/tls Secret whose tls.crt cannot be read is a read
/// failure of the Certificates category (naming the Secret and the key, never the data), offline and live. What counts as
/// readable is what `openssl x509 -in` (OpenSSL 3) loads from the decoded bytes: each case is checked against openssl.
/// The API server stores such Secrets: for type kubernetes.io/tls it only requires the keys tls.crt and tls.key to exist
/// (ValidateSecret), and merges stringData into data before that.
/// </summary>
public sealed class CertificateReadFailureTests : IDisposable
{
    private const string Canary = "CANARY-tls-data-7f3e";
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private static readonly string Leaf = FlawedClusterFixture.CertificatePem("web.team.example.com", Now.AddDays(-80), Now.AddDays(10)) + "\n";
    private readonly string root = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));

    public CertificateReadFailureTests() => Directory.CreateDirectory(root);

    /// <summary>tls.crt values (the text in the manifest) that hold no certificate, and the reason the failure gives.</summary>
    public static TheoryData<string, string, string> Unreadable() => new()
    {
        { "text that is not a certificate", B64($"{Canary} is not a certificate\n"), "holds no certificate openssl x509 could load" },
        { "PEM block whose content is not DER", B64($"-----BEGIN CERTIFICATE-----\n{B64(Canary)}\n-----END CERTIFICATE-----\n"), "holds no certificate openssl x509 could load" },
        { "PEM block that is not base64", B64($"-----BEGIN CERTIFICATE-----\n!!{Canary}!!\n-----END CERTIFICATE-----\n"), "holds no certificate openssl x509 could load" },
        { "a private key only", B64($"-----BEGIN PRIVATE KEY-----\n{B64(Canary)}\n-----END PRIVATE KEY-----\n"), "holds no certificate openssl x509 could load" },
        { "a truncated PEM certificate", B64(Leaf[..(Leaf.Length / 2)]), "holds no certificate openssl x509 could load" },
        { "a certificate glued to the next block without a line break", B64(Leaf.TrimEnd('\n') + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "holds no certificate openssl x509 could load" },
        { "an empty value", string.Empty, "the value is empty" },
        { "a value that is not base64", $"{Canary}!!", "the value is not base64" },
    };

    /// <summary>tls.crt values openssl x509 reads: the certificate the audit checks is the one openssl prints.</summary>
    public static TheoryData<string, string> Readable() => new()
    {
        { "a PEM certificate", B64(Leaf) },
        { "text before the PEM block", B64("subject=web.team.example.com\n" + Leaf) },
        { "a broken block after the certificate", B64(Leaf + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n") },
        { "a block that is not base64 before the certificate", B64("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n" + Leaf) },
        { "a key before the certificate", B64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n" + Leaf) },
        { "DER", Convert.ToBase64String(PemToDer(Leaf)) },
    };

    [Theory]
    [MemberData(nameof(Unreadable))]
    public async Task AnUnreadableTlsCrtIsAReadFailureThatFailsTheGateWithoutItsData(string what, string value, string reason)
    {
        string manifest = Manifest("bad", $"data:\n  tls.crt: \"{value}\"\n  tls.key: \"\"\n");
        var result = await AuditOfflineAsync(manifest);

        var certificates = Assert.Single(result.Summary.Categories);
        string failure = Assert.Single(certificates.ReadFailures);
        Assert.StartsWith($"secret team/web-tls key tls.crt ({manifest}:1): ", failure, StringComparison.Ordinal);
        Assert.Contains(reason, failure, StringComparison.Ordinal);
        Assert.Equal(0, certificates.Checked);
        Assert.Null(certificates.NothingToCheck);

        var gate = AuditGate.Evaluate(FindingSeverity.Critical, Array.Empty<AuditCategory>(), new[] { result }, Array.Empty<AuditFailure>());
        Assert.False(gate.Passed, what);
        Assert.True(gate.InputsFailed);
        Assert.Contains($"offline: Certificates could not read {failure}", gate.IncompleteCategories);
        string everything = gate.Message() + string.Join("\n", gate.Reasons) + new AuditReport { Findings = result.Findings, Summaries = new[] { result.Summary } }.ToJson();
        Assert.DoesNotContain(Canary, everything, StringComparison.Ordinal);
        if (value.Length > 0)
        {
            Assert.DoesNotContain(value, everything, StringComparison.Ordinal);
        }

        // openssl cannot load a certificate from these bytes either.
        if (TryDecode(value) is { Length: > 0 } bytes)
        {
            string file = Path.Combine(root, "tls.crt");
            await File.WriteAllBytesAsync(file, bytes);
            Assert.NotEqual(0, Tools.Run("openssl", "x509", "-in", file, "-noout", "-enddate").Exit);
        }
    }

    [Theory]
    [MemberData(nameof(Readable))]
    public async Task WhatOpensslReadsIsChecked(string what, string value)
    {
        string manifest = Manifest("good", $"data:\n  tls.crt: \"{value}\"\n  tls.key: \"\"\n");
        var result = await AuditOfflineAsync(manifest);

        var certificates = Assert.Single(result.Summary.Categories);
        Assert.Empty(certificates.ReadFailures);
        Assert.Equal(1, certificates.Checked);
        var finding = Assert.Single(result.Findings);
        Assert.Equal("CERT-EXPIRING", finding.Id);
        Assert.Equal("Secret", finding.ResourceKind);

        // The certificate checked is the one openssl x509 loads from the same bytes.
        string file = Path.Combine(root, "tls.crt");
        await File.WriteAllBytesAsync(file, Convert.FromBase64String(value));
        string enddate = Tools.OpenSsl("x509", "-in", file, "-noout", "-enddate").Trim();
        var notAfter = DateTimeOffset.ParseExact(
            System.Text.RegularExpressions.Regex.Replace(enddate["notAfter=".Length..], @"\s+", " ").Replace(" GMT", string.Empty, StringComparison.Ordinal),
            "MMM d HH:mm:ss yyyy", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
        Assert.Equal(notAfter, DateTimeOffset.Parse(finding.Evidence["notAfter"], CultureInfo.InvariantCulture));
        Assert.True(AuditGate.Evaluate(FindingSeverity.Critical, new[] { AuditCategory.Certificates }, new[] { result }, Array.Empty<AuditFailure>()).Passed, what);
    }

    [Fact]
    public async Task StringDataIsReadAsTheApiServerMergesItIntoData()
    {
        // A stringData value wins over data: the API server merges stringData into data before it stores the Secret.
        string indented = string.Join("\n", Leaf.TrimEnd('\n').Split('\n').Select(l => "    " + l));
        string manifest = Manifest("string-data", $"data:\n  tls.crt: \"{B64(Canary)}\"\n  tls.key: \"\"\nstringData:\n  tls.crt: |\n{indented}\n");
        var result = await AuditOfflineAsync(manifest);
        Assert.Empty(Assert.Single(result.Summary.Categories).ReadFailures);
        Assert.Equal("CERT-EXPIRING", Assert.Single(result.Findings).Id);

        // Garbage in stringData is as unreadable as garbage in data.
        string garbage = Manifest("string-garbage", $"stringData:\n  tls.crt: \"{Canary}\"\n  tls.key: \"\"\n");
        var failed = await AuditOfflineAsync(garbage);
        string failure = Assert.Single(Assert.Single(failed.Summary.Categories).ReadFailures);
        Assert.Contains("holds no certificate openssl x509 could load", failure, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, failure, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ATlsSecretWithoutTlsCrtOrWithANonStringValueIsAReadFailure()
    {
        string missing = Manifest("missing", "data:\n  tls.key: \"\"\n");
        Assert.Contains("the key is missing", Assert.Single(Assert.Single((await AuditOfflineAsync(missing)).Summary.Categories).ReadFailures), StringComparison.Ordinal);
        string number = Manifest("number", "data:\n  tls.crt: 12\n  tls.key: \"\"\n");
        Assert.Contains("the value is not a string", Assert.Single(Assert.Single((await AuditOfflineAsync(number)).Summary.Categories).ReadFailures), StringComparison.Ordinal);

        // Other Secret types are not the category's business.
        string opaque = Manifest("opaque", $"data:\n  tls.crt: \"{B64(Canary)}\"\n", type: "Opaque");
        var result = await AuditOfflineAsync(opaque);
        Assert.Empty(Assert.Single(result.Summary.Categories).ReadFailures);
    }

    [Fact]
    public async Task ALiveClusterSecretWithAnEmptyOrGarbageTlsCrtIsAReadFailure()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        server.Store.CreateJson($$$"""{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"empty-tls","namespace":"team"},"data":{"tls.crt":"","tls.key":""}}""");
        server.Store.CreateJson($$$"""{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"junk-tls","namespace":"team"},"data":{"tls.crt":"{{{B64(Canary)}}}","tls.key":"{{{B64(Canary)}}}"}}""");
        server.Store.CreateJson($$$"""{"apiVersion":"v1","kind":"Secret","type":"kubernetes.io/tls","metadata":{"name":"web-tls","namespace":"team"},"data":{"tls.crt":"{{{B64(Leaf)}}}","tls.key":""}}""");
        string kubeconfig = server.WriteKubeconfig(Path.Combine(root, "config"));
        using var cluster = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });
        var options = new AuditOptions { Categories = new[] { AuditCategory.Certificates } };
        var result = await new SecurityAuditor().AuditClusterAsync(cluster, options, EngineLog.None, CancellationToken.None);

        var certificates = Assert.Single(result.Summary.Categories);
        Assert.Equal(
            new[] { "secret team/empty-tls key tls.crt: the value is empty: there is no certificate to check", "secret team/junk-tls key tls.crt: it holds no certificate openssl x509 could load (no PEM CERTIFICATE block or DER certificate that parses)" },
            certificates.ReadFailures.Order(StringComparer.Ordinal));
        Assert.Contains(result.Findings, f => f.Id == "CERT-EXPIRING" && f.ResourceName == "web-tls");
        var gate = AuditGate.Evaluate(FindingSeverity.Critical, options.Categories, new[] { result }, Array.Empty<AuditFailure>());
        Assert.True(gate.InputsFailed);
        Assert.DoesNotContain(Canary, gate.Message(), StringComparison.Ordinal);
        Assert.DoesNotContain(B64(Canary), gate.Message(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task KubeconfigDataWithoutACertificateIsAReadFailure()
    {
        string kubeconfig = Path.Combine(root, "config");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:6443
                certificate-authority-data: {B64(Leaf)}
            contexts:
            - name: ctx
              context: {"{"}cluster: c, user: jane{"}"}
            current-context: ctx
            users:
            - name: jane
              user:
                client-certificate-data: {B64(Canary + " is no certificate")}
                client-key-data: {B64(Canary)}
            """);
        string manifests = Path.Combine(root, "empty-dump");
        Directory.CreateDirectory(manifests);
        await File.WriteAllTextAsync(Path.Combine(manifests, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: team}\n");
        var result = await new SecurityAuditor().AuditOfflineAsync(
            new[] { manifests }, new AuditOptions { Categories = new[] { AuditCategory.Certificates }, Now = Now }, kubeconfig, EngineLog.None, CancellationToken.None);

        var certificates = Assert.Single(result.Summary.Categories);
        Assert.Equal($"kubeconfig '{kubeconfig}' (user jane): the certificate data holds no certificate openssl x509 could load", Assert.Single(certificates.ReadFailures));
        Assert.Equal(1, certificates.Checked); // the cluster CA
        Assert.DoesNotContain(Canary, string.Join("\n", certificates.ReadFailures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ANamedCategoryWithNothingToCheckFailsTheGateAndAnUnnamedOneDoesNot()
    {
        string manifest = Manifest("nothing", $"data:\n  a: \"{B64("x")}\"\n", type: "Opaque");
        var options = new AuditOptions { Now = Now };
        var result = await new SecurityAuditor().AuditOfflineAsync(new[] { manifest }, options, null, EngineLog.None, CancellationToken.None);

        var certificates = result.Summary.Categories.Single(c => c.Category == AuditCategory.Certificates);
        Assert.Equal("no client certificate or CA in a kubeconfig; no kubernetes.io/tls Secret; no -PkiPath", certificates.NothingToCheck);
        Assert.Equal(100, certificates.Score);
        Assert.Equal("no Namespace was found in the input", result.Summary.Categories.Single(c => c.Category == AuditCategory.Namespaces).NothingToCheck);
        Assert.Equal(
            "no CronJob, DaemonSet, Deployment, Job, Pod, ReplicaSet, StatefulSet was found in the input",
            result.Summary.Categories.Single(c => c.Category == AuditCategory.PodSecurity).NothingToCheck);
        Assert.Null(result.Summary.Categories.Single(c => c.Category == AuditCategory.DeprecatedApis).NothingToCheck);

        // Not named: informational; named: the user asked for it and nothing was checked.
        Assert.True(AuditGate.Evaluate(FindingSeverity.Critical, Array.Empty<AuditCategory>(), new[] { result }, Array.Empty<AuditFailure>()).Passed);
        var named = AuditGate.Evaluate(FindingSeverity.Critical, new[] { AuditCategory.Certificates, AuditCategory.DeprecatedApis }, new[] { result }, Array.Empty<AuditFailure>());
        Assert.False(named.Passed);
        Assert.True(named.InputsFailed);
        Assert.Equal(
            "offline: Certificates was asked for (-Category) but had nothing to check: no client certificate or CA in a kubeconfig; no kubernetes.io/tls Secret; no -PkiPath",
            Assert.Single(named.IncompleteCategories));

        // A -PkiPath with no certificate file is nothing to check too.
        string pki = Path.Combine(root, "pki");
        Directory.CreateDirectory(pki);
        var withPki = await new SecurityAuditor().AuditOfflineAsync(
            new[] { manifest }, new AuditOptions { Categories = new[] { AuditCategory.Certificates }, PkiPath = pki }, null, EngineLog.None, CancellationToken.None);
        Assert.EndsWith($"no certificate file under -PkiPath '{pki}'", Assert.Single(withPki.Summary.Categories).NothingToCheck, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ObjectsACategoryLookedAtAndPassedOverAreSomethingToCheck()
    {
        // Workloads only in an excluded namespace: PodSecurity saw them (the summary lists the exclusion); it does not
        // claim there was nothing.
        string manifest = Path.Combine(root, "system.yaml");
        await File.WriteAllTextAsync(manifest, "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: kube-system}\nspec:\n  containers: [{name: c, image: registry.example.com/c:1}]\n");
        var result = await new SecurityAuditor().AuditOfflineAsync(
            new[] { manifest }, new AuditOptions { Categories = new[] { AuditCategory.PodSecurity } }, null, EngineLog.None, CancellationToken.None);
        var score = Assert.Single(result.Summary.Categories);
        Assert.Equal(0, score.Checked);
        Assert.Null(score.NothingToCheck);
    }

    [Fact]
    public void AResultsFileThatWasNotWrittenFailsTheGate()
    {
        var result = new AuditResult { Summary = new AuditSummary { Cluster = "test" }, Findings = Array.Empty<AuditFinding>(), ObjectsRead = 1 };
        var gate = AuditGate.Evaluate(FindingSeverity.Critical, Array.Empty<AuditCategory>(), new[] { result }, Array.Empty<AuditFailure>(), new[] { "Cannot write '/r/audit.json': it is a folder." });
        Assert.False(gate.Passed);
        Assert.True(gate.InputsFailed);
        Assert.Equal("the results file (-OutputPath) was not written", Assert.Single(gate.Reasons));
        Assert.Contains("the results file (-OutputPath) was not written, so the report this run should leave is missing:\n  Cannot write '/r/audit.json': it is a folder.", gate.Message(), StringComparison.Ordinal);
        Assert.True(AuditGate.Evaluate(FindingSeverity.Critical, Array.Empty<AuditCategory>(), new[] { result }, Array.Empty<AuditFailure>(), Array.Empty<string>()).Passed);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private static string B64(string text) => Convert.ToBase64String(Encoding.ASCII.GetBytes(text));

    private static byte[]? TryDecode(string value)
    {
        try
        {
            return Convert.FromBase64String(value);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static byte[] PemToDer(string pem) =>
        Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => l.Length > 0 && !l.StartsWith("-----", StringComparison.Ordinal))));

    private string Manifest(string name, string body, string type = "kubernetes.io/tls")
    {
        string file = Path.Combine(root, name + ".yaml");
        File.WriteAllText(file, $"apiVersion: v1\nkind: Secret\nmetadata: {{name: web-tls, namespace: team}}\ntype: {type}\n{body}");
        return file;
    }

    private static Task<AuditResult> AuditOfflineAsync(string manifest) =>
        new SecurityAuditor().AuditOfflineAsync(
            new[] { manifest }, new AuditOptions { Categories = new[] { AuditCategory.Certificates }, Now = Now }, null, EngineLog.None, CancellationToken.None);
}
