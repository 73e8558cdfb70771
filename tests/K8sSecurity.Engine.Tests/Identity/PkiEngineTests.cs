using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using Xunit;
using static K8sSecurity.Engine.Tests.Identity.Tools;

namespace K8sSecurity.Engine.Tests.Identity;

public sealed class PkiEngineTests : IDisposable
{
    private readonly string directory = TempDirectory();

    [Theory]
    [InlineData("10.96.0.0/12", "10.96.0.1")]
    [InlineData("10.100.7.0/16", "10.100.0.1")]
    [InlineData("172.16.0.0/24", "172.16.0.1")]
    [InlineData("fd00:10:96::/108", "fd00:10:96::1")]
    public void FirstServiceIpIsTheNetworkAddressPlusOne(string cidr, string expected) =>
        Assert.Equal(expected, PkiService.FirstServiceIp(cidr).ToString());

    [Theory]
    [InlineData("10.96.0.0")]
    [InlineData("10.96.0.0/33")]
    [InlineData("banana/12")]
    public void BadServiceCidrsAreRejected(string cidr) =>
        Assert.Equal(K8sErrorKind.InvalidArgument, Assert.Throws<K8sOperationException>(() => PkiService.FirstServiceIp(cidr)).Kind);

    [Fact]
    public void SignatureCheckAgreesWithOpensslOnAnOpensslBuiltChain()
    {
        // CA and leaf made entirely by openssl; the module must see the signature as valid, another CA's as not.
        string ca = Path.Combine(directory, "ca");
        OpenSsl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt", "-subj", "/CN=openssl-ca", "-days", "30");
        OpenSsl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", Path.Combine(directory, "leaf.key"), "-out", Path.Combine(directory, "leaf.csr"), "-subj", "/CN=leaf/O=g1");
        OpenSsl("x509", "-req", "-in", Path.Combine(directory, "leaf.csr"), "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial", "-out", Path.Combine(directory, "leaf.crt"), "-days", "10");
        string other = Path.Combine(directory, "other");
        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", other + ".key", "-out", other + ".crt", "-subj", "/CN=openssl-ca", "-days", "30");

        var leaf = CertificateFiles.ReadSingle(Path.Combine(directory, "leaf.crt"), "Path");
        Assert.True(K8sCertificate.SignedBy(leaf, CertificateFiles.ReadSingle(ca + ".crt", "Path")));
        Assert.False(K8sCertificate.SignedBy(leaf, CertificateFiles.ReadSingle(other + ".crt", "Path")));

        // And the module's local signer accepts openssl's CA key (PKCS#8 from req -nodes) and CSR.
        using var authority = CertificateAuthorityKeyPair.Load(ca + ".crt", ca + ".key");
        var signed = CertificateIssuer.SignRequest(File.ReadAllText(Path.Combine(directory, "leaf.csr")), authority, 5, EngineLog.None);
        File.WriteAllText(Path.Combine(directory, "module-signed.crt"), CertificateFiles.ToPem(signed));
        Assert.Contains("OK", OpenSsl("verify", "-CAfile", ca + ".crt", Path.Combine(directory, "module-signed.crt")));
        Assert.Equal(new[] { "g1" }, DistinguishedNames.Organizations(signed.SubjectName));
    }

    [Fact]
    public void TheGoldenClusterCsrParsesToTheRequestedUserAndGroups()
    {
        string golden = SharedFile("k8s-api-golden", "37-csr-create.json");
        Assert.True(File.Exists(golden), $"shared reference material missing: {golden}");
        using var doc = JsonDocument.Parse(File.ReadAllText(golden));
        string pem = Encoding.ASCII.GetString(Convert.FromBase64String(doc.RootElement.GetProperty("request").GetProperty("body").GetProperty("spec").GetProperty("request").GetString()!));
        var content = SigningRequests.Parse(pem);
        Assert.Equal("sammy", content.UserName);
        Assert.Equal(new[] { "developers" }, content.Groups);
        Assert.True(content.SignatureValid);
        Assert.Equal("ECDSA P-256", content.KeyAlgorithm);

        // A request whose body was altered after signing is flagged, not trusted.
        byte[] der = Convert.FromBase64String(string.Concat(pem.Split('\n').Where(l => !l.StartsWith("-----", StringComparison.Ordinal))));
        int at = Encoding.ASCII.GetString(der).IndexOf("sammy", StringComparison.Ordinal);
        der[at] = (byte)'t';
        var tampered = SigningRequests.Parse(new string(System.Security.Cryptography.PemEncoding.Write("CERTIFICATE REQUEST", der)));
        Assert.Equal("tammy", tampered.UserName);
        Assert.False(tampered.SignatureValid);
    }

    [Fact]
    public void KubeadmPresetsResolveToKubeadmNames()
    {
        LeafCertificateRequest Request(KubeadmComponent component, string? node = null) => new()
        {
            Component = component,
            NodeName = node,
            OutputDirectory = directory,
            CACertificatePath = "ca.crt",
            CAKeyPath = "ca.key",
        };

        var (apiserver, apiserverFile) = PkiService.Resolve(Request(KubeadmComponent.ApiServer, "cp1"));
        Assert.Equal("apiserver", apiserverFile);
        Assert.Equal(CertificateProfile.Server, apiserver.Profile);
        Assert.Contains("kubernetes.default.svc.cluster.local", apiserver.DnsNames);
        Assert.Equal("10.96.0.1", apiserver.IPAddresses[0].ToString());

        var (kubelet, kubeletFile) = PkiService.Resolve(Request(KubeadmComponent.Kubelet, "worker-1"));
        Assert.Equal(("system:node:worker-1", "kubelet"), (kubelet.CommonName, kubeletFile));
        Assert.Equal(new[] { "system:nodes" }, kubelet.Organizations);

        var (peer, peerFile) = PkiService.Resolve(Request(KubeadmComponent.EtcdPeer, "cp1"));
        Assert.Equal("etcd/peer", peerFile);
        Assert.Equal(new[] { "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2" }, CertificateIssuer.ExtendedUsageOids(peer.Profile));
        Assert.Equal(("system:kube-scheduler", "scheduler"), (PkiService.Resolve(Request(KubeadmComponent.Scheduler)).Spec.CommonName, PkiService.Resolve(Request(KubeadmComponent.Scheduler)).FileName));
    }

    [Fact]
    public void CertificatesNeverOutliveTheirCa()
    {
        using var caKey = KeyMaterial.Generate(KeyAlgorithm.EcdsaP256);
        var ca = CertificateIssuer.CreateAuthority("short-ca", Array.Empty<string>(), caKey, 10);
        File.WriteAllText(Path.Combine(directory, "ca.crt"), CertificateFiles.ToPem(ca));
        File.WriteAllText(Path.Combine(directory, "ca.key"), KeyMaterial.ExportPkcs8Pem(caKey));
        using var authority = CertificateAuthorityKeyPair.Load(Path.Combine(directory, "ca.crt"), Path.Combine(directory, "ca.key"));
        using var key = KeyMaterial.Generate(KeyAlgorithm.EcdsaP256);
        var log = new EngineLog();
        var leaf = CertificateIssuer.Issue(new LeafCertificateSpec { CommonName = "x", ValidityDays = 365 }, key, authority, log);
        Assert.Equal(ca.NotAfter, leaf.NotAfter);
        Assert.True(log.TryTake(out var warning));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("short-ca", warning.Message);
    }

    /// <summary>../shared next to the repository (a worktree may sit one level deeper).</summary>
    private static string SharedFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(RepoRoot()); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(new[] { dir.FullName, "shared" }.Concat(parts).ToArray());
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(new[] { RepoRoot(), "..", "shared" }.Concat(parts).ToArray());
    }

    private static string RepoRoot() => typeof(PkiEngineTests).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
        .Cast<System.Reflection.AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
