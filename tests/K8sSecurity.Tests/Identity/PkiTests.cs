using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Tests.Infrastructure;
using Xunit;
using static K8sSecurity.Tests.Identity.IdentityTools;

namespace K8sSecurity.Tests.Identity;

/// <summary>Cluster PKI: CAs, kubeadm component certificates, reading certificates anywhere, health verdicts.</summary>
public sealed class PkiTests : IClassFixture<IdentityServerFixture>, IDisposable
{
    private readonly IdentityServerFixture fixture;
    private readonly PsSession session = new();
    private readonly string pki = TestPaths.NewTempDirectory();

    public PkiTests(IdentityServerFixture fixture)
    {
        this.fixture = fixture;
    }

    /// <summary>The kubeadm layout, built with the module's own cmdlets.</summary>
    private void BuildKubeadmPki() => BuildKubeadmPki(pki);

    private void BuildKubeadmPki(string folder)
    {
        session.Invoke(
            """
            $d = $args[0]
            New-K8sCertificateAuthority -OutputDirectory $d | Out-Null
            New-K8sCertificateAuthority -OutputDirectory $d -Name front-proxy-ca -CommonName front-proxy-ca | Out-Null
            New-K8sCertificateAuthority -OutputDirectory $d -Name etcd/ca -CommonName etcd-ca | Out-Null
            $ca = @{ CACertificatePath = "$d/ca.crt"; CAKeyPath = "$d/ca.key"; OutputDirectory = $d }
            $etcd = @{ CACertificatePath = "$d/etcd/ca.crt"; CAKeyPath = "$d/etcd/ca.key"; OutputDirectory = $d }
            $proxy = @{ CACertificatePath = "$d/front-proxy-ca.crt"; CAKeyPath = "$d/front-proxy-ca.key"; OutputDirectory = $d }
            New-K8sCertificate ApiServer -NodeName cp1 -IPAddress 192.168.1.10 @ca | Out-Null
            New-K8sCertificate ApiServerKubeletClient @ca | Out-Null
            New-K8sCertificate ApiServerEtcdClient @etcd | Out-Null
            New-K8sCertificate FrontProxyClient @proxy | Out-Null
            New-K8sCertificate EtcdServer -NodeName cp1 -IPAddress 192.168.1.10 @etcd | Out-Null
            New-K8sCertificate EtcdPeer -NodeName cp1 -IPAddress 192.168.1.10 @etcd | Out-Null
            New-K8sCertificate EtcdHealthcheckClient @etcd | Out-Null
            """,
            folder).AssertNoErrors();
    }

    [Fact]
    public void CaAndComponentCertificatesCarryKubeadmNamesSansAndUsagesThatOpensslVerifies()
    {
        var ca = Assert.Single(session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0] -KeyAlgorithm EcdsaP384 -ValidityDays 3650", pki).AssertNoErrors().Output);
        Assert.Equal(true, ca.Properties["IsCA"].Value);
        Assert.Equal(Path.Combine(pki, "ca.key"), ca.Properties["KeyPath"].Value);
        Assert.True(IsMode0600(Path.Combine(pki, "ca.key")));
        string caText = OpenSsl("x509", "-in", Path.Combine(pki, "ca.crt"), "-noout", "-text");
        Assert.Contains("CA:TRUE", caText);
        Assert.Contains("Certificate Sign", caText);

        string Issue(string arguments)
        {
            var result = session.Invoke($"New-K8sCertificate {arguments} -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2]", Path.Combine(pki, "ca.crt"), Path.Combine(pki, "ca.key"), pki).AssertNoErrors();
            string path = (string)Assert.Single(result.Output).Properties["Path"].Value;
            Assert.Contains("OK", OpenSsl("verify", "-CAfile", Path.Combine(pki, "ca.crt"), path));
            return OpenSsl("x509", "-in", path, "-noout", "-text", "-subject");
        }

        string apiserver = Issue("ApiServer -NodeName cp1 -IPAddress 192.168.1.10 -ServiceCidr 10.100.0.0/16 -ClusterDomain corp.local");
        Assert.Contains("DNS:cp1, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc, DNS:kubernetes.default.svc.corp.local", apiserver);
        Assert.Contains("IP Address:10.100.0.1, IP Address:192.168.1.10", apiserver);
        Assert.Contains("TLS Web Server Authentication", apiserver);
        Assert.Contains("subject=CN = kube-apiserver", apiserver);

        string kubelet = Issue("-Profile Kubelet -NodeName worker-1 -IPAddress 10.0.0.21");
        Assert.Contains("subject=CN = system:node:worker-1, O = system:nodes", kubelet);
        Assert.Contains("DNS:worker-1, IP Address:10.0.0.21", kubelet);
        Assert.Contains("TLS Web Server Authentication, TLS Web Client Authentication", kubelet);

        Assert.Contains("subject=CN = system:kube-scheduler", Issue("Scheduler"));
        Assert.Contains("subject=CN = system:kube-controller-manager", Issue("ControllerManager"));
        Assert.Contains("subject=CN = system:kube-proxy, O = system:node-proxier", Issue("KubeProxy"));
        string admin = Issue("Admin");
        Assert.Contains("subject=CN = kubernetes-admin, O = system:masters", admin);
        Assert.Contains("TLS Web Client Authentication", admin);
        Assert.DoesNotContain("TLS Web Server Authentication", admin);
        string peer = Issue("EtcdPeer -NodeName cp1 -IPAddress 192.168.1.10");
        Assert.Contains("DNS:cp1, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:192.168.1.10", peer);
        Assert.True(File.Exists(Path.Combine(pki, "etcd", "peer.crt")));
        Assert.Contains("subject=CN = jenkins, O = ci", Issue("-Profile Client -CommonName jenkins -Organization ci -Name ci/jenkins"));
    }

    [Fact]
    public void BadCertificateInputIsRefusedBeforeAnyFileIsWritten()
    {
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0]", pki).AssertNoErrors();
        string script = "New-K8sCertificate {0} -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2]";
        object[] args = { Path.Combine(pki, "ca.crt"), Path.Combine(pki, "ca.key"), pki };
        foreach (var (arguments, bad) in new[]
        {
            ("-Profile Server -CommonName web", "DnsName"),
            ("-Profile Client -CommonName web -DnsName 'bad name'", "bad name"),
            ("-Profile Server -CommonName web -IPAddress 300.1.1.1", "300.1.1.1"),
            ("ApiServer -ServiceCidr 10.96.0.0/40", "10.96.0.0/40"),
            ("EtcdServer", "NodeName"),
            ("ApiServer -Profile Client", "Profile"),
        })
        {
            var result = session.Invoke(string.Format(System.Globalization.CultureInfo.InvariantCulture, script, arguments), args);
            var error = Assert.Single(result.Errors);
            Assert.StartsWith("K8sInvalidArgument,", error.FullyQualifiedErrorId);
            Assert.Contains(bad, error.Exception.Message);
        }

        Assert.Equal(new[] { "ca.crt", "ca.key" }, Directory.GetFiles(pki).Select(Path.GetFileName).Order().ToArray());
        session.Invoke("New-K8sCertificate Admin -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2] -WhatIf", args).AssertNoErrors();
        Assert.False(File.Exists(Path.Combine(pki, "admin.crt")));
        session.Invoke("New-K8sCertificate Admin -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2]", args).AssertNoErrors();
        byte[] before = File.ReadAllBytes(Path.Combine(pki, "admin.key"));
        var again = session.Invoke("New-K8sCertificate Admin -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2]", args);
        Assert.StartsWith("K8sFileSystem,", Assert.Single(again.Errors).FullyQualifiedErrorId);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(pki, "admin.key")));
        AssertNoSecretLines(File.ReadAllText(Path.Combine(pki, "ca.key")) + File.ReadAllText(Path.Combine(pki, "admin.key")), again.AllText());
    }

    [Fact]
    public void GetK8sCertificateReadsAKubeadmFolderKubeconfigsAndTlsSecrets()
    {
        BuildKubeadmPki();
        var fromFolder = session.Invoke("Get-K8sCertificate -Path $args[0]", pki).AssertNoErrors().Output;
        var names = fromFolder.Select(c => (string)c.Properties["Name"].Value).Order().ToArray();
        Assert.Equal(
            new[] { "apiserver", "apiserver-etcd-client", "apiserver-kubelet-client", "ca", "etcd/ca", "etcd/healthcheck-client", "etcd/peer", "etcd/server", "front-proxy-ca", "front-proxy-client" },
            names);
        var apiserver = fromFolder.Single(c => (string)c.Properties["Name"].Value == "apiserver");
        Assert.Contains("kubernetes.default.svc.cluster.local", (IEnumerable<string>)apiserver.Properties["DnsNames"].Value);
        Assert.Contains("10.96.0.1", (IEnumerable<string>)apiserver.Properties["IPAddresses"].Value);
        Assert.Equal("RSA", apiserver.Properties["KeyAlgorithm"].Value);
        Assert.Equal(2048, apiserver.Properties["KeySize"].Value);
        Assert.Equal(new[] { "ServerAuth" }, (IEnumerable<string>)apiserver.Properties["ExtendedKeyUsages"].Value);
        var kubeletClient = fromFolder.Single(c => (string)c.Properties["Name"].Value == "apiserver-kubelet-client");
        Assert.Equal(new[] { "kubeadm:cluster-admins" }, (IEnumerable<string>)kubeletClient.Properties["Organizations"].Value);

        // Kubeconfigs: the cluster CA and the embedded client certificate.
        var fromKubeconfig = session.Invoke("Get-K8sCertificate -Kubeconfig $args[0]", fixture.AdminKubeconfig).AssertNoErrors().Output;
        Assert.Equal(2, fromKubeconfig.Count);
        Assert.Contains(fromKubeconfig, c => (string)c.Properties["CommonName"].Value == "admin" && c.Properties["SourceKind"].Value.ToString() == "Kubeconfig");
        Assert.Contains(fromKubeconfig, c => (bool)c.Properties["IsCA"].Value);

        // kubernetes.io/tls Secrets, created with kubectl against the test server.
        // (kubectl's typed create speaks protobuf; create -f sends JSON, which the test server reads.)
        string ns = "tls-" + Guid.NewGuid().ToString("N")[..6];
        string manifest = Path.Combine(pki, "secret.yaml");
        var rendered = Run("kubectl", "create", "secret", "tls", "web-tls", "-n", ns, "--dry-run=client", "-o", "yaml",
            "--cert", Path.Combine(pki, "apiserver.crt"), "--key", Path.Combine(pki, "apiserver.key"));
        Assert.True(rendered.Exit == 0, rendered.Err);
        File.WriteAllText(manifest, $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n---\n" + rendered.Out);
        var created = Run("kubectl", "--kubeconfig", fixture.AdminKubeconfig, "create", "--validate=false", "-f", manifest);
        Assert.True(created.Exit == 0, created.Err);
        var fromSecret = session.Invoke("Get-K8sCertificate -Secret -Namespace $args[0] -Kubeconfig $args[1]", ns, fixture.AdminKubeconfig).AssertNoErrors();
        var secretCertificate = Assert.Single(fromSecret.Output);
        Assert.Equal($"{ns}/web-tls", secretCertificate.Properties["Name"].Value);
        Assert.Equal($"secret {ns}/web-tls (tls.crt)", secretCertificate.Properties["Source"].Value);
        Assert.Equal(apiserver.Properties["Thumbprint"].Value, secretCertificate.Properties["Thumbprint"].Value);
        var all = session.Invoke("Get-K8sCertificate -Secret -AllNamespaces -Kubeconfig $args[0]", fixture.AdminKubeconfig).AssertNoErrors();
        Assert.Contains(all.Output, c => (string)c.Properties["Name"].Value == $"{ns}/web-tls");
        AssertNoSecretLines(File.ReadAllText(Path.Combine(pki, "apiserver.key")), fromSecret.AllText() + all.AllText());

        var missing = session.Invoke("Get-K8sCertificate -Path $args[0]", Path.Combine(pki, "nope.crt"));
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(missing.Errors).FullyQualifiedErrorId);
        var key = session.Invoke("Get-K8sCertificate -Path $args[0]", Path.Combine(pki, "ca.key"));
        Assert.Contains("private key", Assert.Single(key.Errors).Exception.Message);
    }

    /// <summary>
    /// A kubernetes.io/tls Secret whose tls.crt (or ca.crt) holds no certificate is one non-terminating error naming the
    /// Secret and key (never its bytes); before, it was passed over and a compliance suite saw nothing. What holds a
    /// certificate is decided by `openssl x509` on the same bytes (OpenSSL 3 skips a PEM block it cannot load).
    /// </summary>
    [Fact]
    public void SecretsWhoseCertificateCannotBeReadAreErrorsNotSilence()
    {
        BuildKubeadmPki();
        string good = File.ReadAllText(Path.Combine(pki, "apiserver.crt"));
        string brokenThenGood = "-----BEGIN CERTIFICATE-----\nTUlJQ0FOT1RBQ0VSVA==\n-----END CERTIFICATE-----\n" + good;
        string garbage = "CANARY-not-a-certificate\n";
        var values = new[] { ("garbage", garbage), ("broken-then-good", brokenThenGood), ("good", good) };
        var opensslLoads = values.ToDictionary(v => v.Item1, v =>
        {
            string file = Path.Combine(pki, v.Item1 + ".pem");
            File.WriteAllText(file, v.Item2);
            return Run("openssl", "x509", "-in", file, "-noout").Exit == 0;
        });
        Assert.Equal(new Dictionary<string, bool> { ["garbage"] = false, ["broken-then-good"] = true, ["good"] = true }, opensslLoads);

        string ns = "tlsbad-" + Guid.NewGuid().ToString("N")[..6];
        fixture.Server.Store.Create(System.Text.Json.Nodes.JsonNode.Parse($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{ns}}}"}}""")!.AsObject());
        string B64(string text) => Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(text));
        void Secret(string name, string? crt, string? ca = null)
        {
            var data = new System.Text.Json.Nodes.JsonObject { ["tls.key"] = B64("CANARY-KEY") };
            if (crt is not null)
            {
                data["tls.crt"] = crt;
            }

            if (ca is not null)
            {
                data["ca.crt"] = ca;
            }

            fixture.Server.Store.Create(new System.Text.Json.Nodes.JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Secret",
                ["type"] = "kubernetes.io/tls",
                ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = name, ["namespace"] = ns },
                ["data"] = data,
            });
        }

        Secret("a-garbage", B64(garbage));
        Secret("b-empty", string.Empty);
        Secret("c-broken-then-good", B64(brokenThenGood));
        Secret("d-bad-ca", B64(good), B64(garbage));
        Secret("e-good", B64(good));

        var result = session.Invoke("Get-K8sCertificate -Secret -Namespace $args[0] -Kubeconfig $args[1]", ns, fixture.AdminKubeconfig);
        Assert.Null(result.TerminatingError);
        Assert.Equal(
            new[] { $"{ns}/c-broken-then-good", $"{ns}/d-bad-ca", $"{ns}/e-good" },
            result.Output.Select(c => (string)c.Properties["Name"].Value).ToArray());
        Assert.Equal(
            new[]
            {
                $"Cannot read the certificate in secret '{ns}/a-garbage' key tls.crt: it holds no certificate openssl x509 could load.",
                $"Cannot read the certificate in secret '{ns}/b-empty' key tls.crt: the value is empty.",
                $"Cannot read the certificate in secret '{ns}/d-bad-ca' key ca.crt: it holds no certificate openssl x509 could load.",
            },
            result.Errors.Select(e => e.Exception.Message).ToArray());
        Assert.All(result.Errors, e => Assert.StartsWith("K8sInvalid,", e.FullyQualifiedErrorId, StringComparison.Ordinal));
        Assert.DoesNotContain("CANARY", result.AllText(), StringComparison.Ordinal);

        // In a compliance suite under Stop, the first unreadable Secret ends the statement instead of a quiet pass.
        var stopped = session.Invoke("$ErrorActionPreference = 'Stop'; Get-K8sCertificate -Secret -Namespace $args[0] -Kubeconfig $args[1] | Test-K8sCertificate", ns, fixture.AdminKubeconfig);
        Assert.NotNull(stopped.TerminatingError);
        Assert.Contains($"'{ns}/a-garbage'", stopped.TerminatingError!.Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KubeadmFolderCheckFlagsMissingCertificatesAndWrongIssuers()
    {
        BuildKubeadmPki();
        var healthy = session.Invoke("Test-K8sCertificate -Path $args[0] -Kubeadm", pki).AssertNoErrors().Output;
        Assert.Equal(10, healthy.Count);
        Assert.All(healthy, h => Assert.Equal("Healthy", h.Properties["Status"].Value.ToString()));

        File.Delete(Path.Combine(pki, "etcd", "peer.crt"));
        // apiserver re-issued by the etcd CA: kubeadm expects the cluster CA.
        session.Invoke("New-K8sCertificate ApiServer -NodeName cp1 -CACertificatePath $args[0] -CAKeyPath $args[1] -OutputDirectory $args[2] -Force",
            Path.Combine(pki, "etcd", "ca.crt"), Path.Combine(pki, "etcd", "ca.key"), pki).AssertNoErrors();
        var results = session.Invoke("Test-K8sCertificate -Path $args[0] -Kubeadm", pki).AssertNoErrors().Output;
        var peer = results.Single(r => (string)r.Properties["Name"].Value == "etcd/peer");
        Assert.Equal("Missing", peer.Properties["Status"].Value.ToString());
        Assert.Contains(Path.Combine(pki, "etcd", "peer.crt"), string.Join(' ', (IEnumerable<string>)peer.Properties["Problems"].Value));
        var apiserver = results.Single(r => (string)r.Properties["Name"].Value == "apiserver");
        Assert.Equal("IssuerMismatch", apiserver.Properties["Status"].Value.ToString());
        Assert.Equal(8, results.Count(r => r.Properties["Status"].Value.ToString() == "Healthy"));

        string text = session.Render("Test-K8sCertificate -Path $args[0] -Kubeadm", pki);
        Assert.Matches(@"Status\s+Name\s+NotAfter\s+Days\s+Problems", text);
        Assert.Matches(@"Missing\s+etcd/peer", text);
        Assert.Matches(@"IssuerMismatch\s+apiserver\s+\d{4}-\d{2}-\d{2}\s+36\d\s+not signed by", text);
    }

    [Fact]
    public void KubeadmCheckIncludesTheClientCertificatesOfKubeadmsKubeconfigs()
    {
        // The /etc/kubernetes layout: pki/ with admin.conf, controller-manager.conf & co beside it.
        string etc = Path.Combine(pki, "etc-kubernetes");
        string etcPki = Path.Combine(etc, "pki");
        BuildKubeadmPki(etcPki);
        session.Invoke(
            """
            $d = $args[0]; $etc = $args[1]
            New-K8sCertificate Admin -CACertificatePath "$d/ca.crt" -CAKeyPath "$d/ca.key" -OutputDirectory $etc | Out-Null
            New-K8sKubeconfig "$etc/admin.conf" -ClientCertificatePath "$etc/admin.crt" -ClientKeyPath "$etc/admin.key" -UserName kubernetes-admin -Server https://cp1:6443 -CACertificatePath "$d/ca.crt" | Out-Null
            # A scheduler certificate issued by the etcd CA: the API server would reject it.
            New-K8sCertificate Scheduler -CACertificatePath "$d/etcd/ca.crt" -CAKeyPath "$d/etcd/ca.key" -OutputDirectory $etc | Out-Null
            New-K8sKubeconfig "$etc/scheduler.conf" -ClientCertificatePath "$etc/scheduler.crt" -ClientKeyPath "$etc/scheduler.key" -UserName system:kube-scheduler -Server https://cp1:6443 -CACertificatePath "$d/ca.crt" | Out-Null
            """,
            etcPki,
            etc).AssertNoErrors();
        File.WriteAllText(Path.Combine(etc, "controller-manager.conf"), "apiVersion: v1\nkind: Config\nusers:\n- name: cm\n  user: {token: not-a-certificate}\n");

        var results = session.Invoke("Test-K8sCertificate -Path $args[0] -Kubeadm", etcPki).AssertNoErrors().Output;
        var byName = results.ToDictionary(r => (string)r.Properties["Name"].Value);

        Assert.Equal(13, results.Count); // 10 PKI certificates + the 3 kubeconfigs that exist (no super-admin.conf here)
        Assert.DoesNotContain("super-admin.conf", byName.Keys);
        Assert.Equal("Healthy", byName["admin.conf"].Properties["Status"].Value.ToString());
        Assert.Equal("kubernetes-admin", byName["admin.conf"].Properties["CommonName"].Value);
        Assert.StartsWith(Path.Combine(etc, "admin.conf"), (string)byName["admin.conf"].Properties["Source"].Value, StringComparison.Ordinal);
        Assert.Equal("IssuerMismatch", byName["scheduler.conf"].Properties["Status"].Value.ToString());
        Assert.Contains("not signed by", string.Join(' ', (IEnumerable<string>)byName["scheduler.conf"].Properties["Problems"].Value), StringComparison.Ordinal);
        Assert.Equal("Missing", byName["controller-manager.conf"].Properties["Status"].Value.ToString());
        Assert.Contains("has no client certificate", string.Join(' ', (IEnumerable<string>)byName["controller-manager.conf"].Properties["Problems"].Value), StringComparison.Ordinal);
    }

    [Fact]
    public void EveryVerdictIsReportedForCertificatesThatEarnIt()
    {
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0]", pki).AssertNoErrors();
        using var caCert = X509Certificate2.CreateFromPemFile(Path.Combine(pki, "ca.crt"), Path.Combine(pki, "ca.key"));
        var now = DateTimeOffset.UtcNow;
        string Write(string name, DateTimeOffset notBefore, DateTimeOffset notAfter, int rsaBits = 2048, string? eku = null, string? dns = null)
        {
            using var key = RSA.Create(rsaBits);
            var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            if (eku is not null)
            {
                request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid(eku) }, false));
            }

            if (dns is not null)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddDnsName(dns);
                request.CertificateExtensions.Add(san.Build());
            }

            // The generator overload: test certificates may start before the CA does.
            using var caKey = caCert.GetRSAPrivateKey()!;
            using var certificate = request.Create(caCert.SubjectName, X509SignatureGenerator.CreateForRSA(caKey, RSASignaturePadding.Pkcs1), notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
            string path = Path.Combine(pki, "checks", name + ".crt");
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, certificate.ExportCertificatePem());
            return path;
        }

        string Verdicts(string path, string extra = "")
        {
            var health = Assert.Single(session.Invoke($"Test-K8sCertificate -Path $args[0] -CACertificatePath $args[1] {extra}", path, Path.Combine(pki, "ca.crt")).AssertNoErrors().Output);
            return string.Join(",", ((System.Collections.IEnumerable)health.Properties["Verdicts"].Value).Cast<object>());
        }

        Assert.Equal(string.Empty, Verdicts(Write("fine", now.AddDays(-1), now.AddDays(200))));
        Assert.Equal("Expired", Verdicts(Write("old", now.AddDays(-400), now.AddDays(-1))));
        string soon = Write("soon", now.AddDays(-1), now.AddDays(10).AddHours(-1));
        Assert.Equal("ExpiringSoon", Verdicts(soon));
        // The message counts whole days left like the DaysRemaining column (9 days and 23 hours is 9 days, not 10).
        var soonHealth = Assert.Single(session.Invoke("Test-K8sCertificate -Path $args[0]", soon).AssertNoErrors().Output);
        Assert.Equal(9, soonHealth.Properties["DaysRemaining"].Value);
        Assert.Contains("(in 9 days, warning threshold 30)", Assert.Single((IEnumerable<string>)soonHealth.Properties["Problems"].Value), StringComparison.Ordinal);
        Assert.Equal(string.Empty, Verdicts(Write("soon-ok", now.AddDays(-1), now.AddDays(10)), "-WarningDays 5"));
        Assert.Equal("NotYetValid", Verdicts(Write("future", now.AddDays(2), now.AddDays(300))));
        Assert.Equal("WeakKey", Verdicts(Write("weak", now.AddDays(-1), now.AddDays(300), rsaBits: 1024)));
        Assert.Equal("WrongUsage", Verdicts(Write("client-only", now.AddDays(-1), now.AddDays(300), eku: "1.3.6.1.5.5.7.3.2"), "-ExpectedUsage ServerAuth"));
        string web = Write("web", now.AddDays(-1), now.AddDays(300), eku: "1.3.6.1.5.5.7.3.1", dns: "web.example.com");
        Assert.Equal(string.Empty, Verdicts(web, "-ExpectedDnsName web.example.com"));
        Assert.Equal("MissingSan", Verdicts(web, "-ExpectedDnsName api.example.com -ExpectedIPAddress 10.0.0.1"));

        // Another CA's signature is an issuer mismatch.
        string other = TestPaths.NewTempDirectory();
        session.Invoke("New-K8sCertificateAuthority -OutputDirectory $args[0]", other).AssertNoErrors();
        var mismatch = Assert.Single(session.Invoke("Test-K8sCertificate -Path $args[0] -CACertificatePath $args[1]", web, Path.Combine(other, "ca.crt")).AssertNoErrors().Output);
        Assert.Equal("IssuerMismatch", mismatch.Properties["Status"].Value.ToString());

        // Worst verdict wins; the pipeline from Get-K8sCertificate works by value.
        var folder = session.Invoke("Get-K8sCertificate -Path $args[0] | Test-K8sCertificate | Where-Object { -not $_.IsHealthy } | ForEach-Object Name", Path.Combine(pki, "checks")).AssertNoErrors();
        var byPath = Assert.Single(session.Invoke("$args[0] | Test-K8sCertificate", web).AssertNoErrors().Output);
        Assert.Equal("web", byPath.Properties["Name"].Value);
        var notACertificate = session.Invoke("Test-K8sCertificate -Certificate ([datetime]::UtcNow)");
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(notACertificate.Errors).FullyQualifiedErrorId);
        Assert.Equal(new[] { "future", "old", "soon", "soon-ok", "weak" }, folder.Output.Select(o => o.ToString()).Order().ToArray());
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(pki, recursive: true);
    }
}
