using System.Text;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.TestServer.Fixtures;
using Xunit;

namespace K8sSecurity.Engine.Tests.Audit;

public sealed class CertificateAuditTests
{
    [Fact]
    public async Task PkiFolderAndKubeconfigCertificatesAreCheckedAndKeysNeverRead()
    {
        var now = DateTimeOffset.UtcNow;
        string root = Path.Combine(Path.GetTempPath(), "k8ssec-audit-tests", Guid.NewGuid().ToString("N"));
        string pki = Path.Combine(root, "pki");
        Directory.CreateDirectory(Path.Combine(pki, "etcd"));
        await File.WriteAllTextAsync(Path.Combine(pki, "ca.crt"), FlawedClusterFixture.CertificatePem("kubernetes", now.AddYears(-1), now.AddYears(9)));
        await File.WriteAllTextAsync(Path.Combine(pki, "apiserver.crt"), FlawedClusterFixture.CertificatePem("kube-apiserver", now.AddDays(-360), now.AddDays(5)));
        await File.WriteAllTextAsync(Path.Combine(pki, "etcd", "server.crt"), FlawedClusterFixture.CertificatePem("etcd", now.AddDays(-400), now.AddDays(-1)));
        await File.WriteAllTextAsync(Path.Combine(pki, "apiserver.key"), "-----BEGIN PRIVATE KEY-----\nCANARY-pki-key\n-----END PRIVATE KEY-----\n");

        string expiredClient = Convert.ToBase64String(Encoding.ASCII.GetBytes(FlawedClusterFixture.CertificatePem("jane", now.AddDays(-100), now.AddDays(-2))));
        string kubeconfig = Path.Combine(root, "config");
        await File.WriteAllTextAsync(kubeconfig, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: c
              cluster:
                server: https://127.0.0.1:6443
            contexts:
            - name: ctx
              context:
                cluster: c
                user: jane
            current-context: ctx
            users:
            - name: jane
              user:
                client-certificate-data: {expiredClient}
                client-key-data: {Convert.ToBase64String(Encoding.ASCII.GetBytes("CANARY-client-key"))}
            """);
        string manifests = Path.Combine(root, "manifests");
        Directory.CreateDirectory(manifests);

        var options = new AuditOptions { Categories = new[] { AuditCategory.Certificates }, PkiPath = pki, CertificateWarningDays = 30 };
        var result = await new SecurityAuditor().AuditOfflineAsync(new[] { manifests }, options, kubeconfig, EngineLog.None, CancellationToken.None);

        var byId = result.Findings.GroupBy(f => f.Id).ToDictionary(g => g.Key, g => g.ToList());
        var expiring = Assert.Single(byId["CERT-EXPIRING"]);
        Assert.Equal("File", expiring.ResourceKind);
        Assert.Contains("apiserver", expiring.ResourceName, StringComparison.Ordinal);
        Assert.Equal(FindingSeverity.High, expiring.Severity);
        Assert.Equal(2, byId["CERT-EXPIRED"].Count);
        Assert.Contains(byId["CERT-EXPIRED"], f => f.ResourceKind == "KubeconfigUser" && f.ResourceName == "user jane");
        Assert.Contains(byId["CERT-EXPIRED"], f => f.ResourceKind == "File" && f.ResourceName.Contains("server", StringComparison.Ordinal));
        Assert.Equal(4, result.Summary.Categories.Single().Checked);
        Assert.DoesNotContain("CANARY", new AuditReport { Findings = result.Findings, Summaries = new[] { result.Summary } }.ToJson(), StringComparison.Ordinal);
    }
}
