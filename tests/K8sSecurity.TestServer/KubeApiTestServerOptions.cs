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
    /// Background controller work (the delayed signer, the delayed namespace finalization) waits for this task as well
    /// as its delay. Tests hold it open to look at the state in between without racing a timer on a loaded machine.
    /// </summary>
    public Task BackgroundControllersReleased { get; set; } = Task.CompletedTask;

    /// <summary>
    /// The serving certificate, issued by the server's CA (the one kubeconfigs pin). Null: the usual one for
    /// 127.0.0.1, localhost and the kubernetes.default names. Tests of client-side TLS checks set other names or usages.
    /// </summary>
    public Func<CertificateAuthority, X509Certificate2>? ServerCertificate { get; set; }

    /// <summary>What the serviceaccount and root-ca-cert-publisher controllers do: a new namespace gets its
    /// <c>default</c> ServiceAccount and the <c>kube-root-ca.crt</c> ConfigMap. Off: neither appears.</summary>
    public bool ServiceAccountController { get; set; } = true;

    /// <summary>What the namespace controller does with a deleted (Terminating) namespace: remove its contents, then the
    /// namespace, after <see cref="NamespaceFinalizationDelay"/>. Off: the namespace stays Terminating.</summary>
    public bool NamespaceController { get; set; } = true;

    /// <summary>Zero: the namespace is finalized as part of the DELETE (its answer still says Terminating). Otherwise in
    /// the background after this delay, so GET shows Terminating and creates in it are refused meanwhile.</summary>
    public TimeSpan NamespaceFinalizationDelay { get; set; } = TimeSpan.Zero;

    /// <summary>How often a watch with allowWatchBookmarks=true gets a BOOKMARK event (the real watch cache: about a minute).</summary>
    public TimeSpan WatchBookmarkInterval { get; set; } = TimeSpan.FromSeconds(60);
}
