using System.Security.Cryptography.X509Certificates;

namespace K8sSecurity.TestServer;

public sealed class KubeApiTestServerOptions
{
    /// <summary>What /version reports (major/minor are derived from it).</summary>
    public string GitVersion { get; set; } = "v1.32.13";

    /// <summary>Seed cluster-admin, admin/edit/view (aggregated), system:basic-user, system:discovery, system:public-info-viewer and bindings.</summary>
    public bool SeedDefaultRbac { get; set; } = true;

    /// <summary>Sign approved kubernetes.io/kube-apiserver-client CSRs (the kube-controller-manager signer).</summary>
    public bool EnableSigner { get; set; } = true;

    /// <summary>Zero: sign synchronously right after the approval is stored. Otherwise sign in the background after this delay.</summary>
    public TimeSpan SignerDelay { get; set; } = TimeSpan.Zero;

    /// <summary>
    /// The serving certificate, issued by the server's CA (the one kubeconfigs pin). Null: the usual one for
    /// 127.0.0.1, localhost and the kubernetes.default names. Tests of client-side TLS checks set other names or usages.
    /// </summary>
    public Func<CertificateAuthority, X509Certificate2>? ServerCertificate { get; set; }
}
