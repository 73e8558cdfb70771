using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Issues a component certificate signed by a local CA, with kubeadm's names, SANs and usages.</summary>
[Cmdlet(VerbsCommon.New, "K8sCertificate", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "New-K8sCertificate.md")]
[OutputType(typeof(K8sCertificate))]
public sealed class NewK8sCertificateCommand : K8sCmdlet
{
    /// <summary>A kubeadm preset that fills in profile, names, SANs and file name.</summary>
    [Parameter(Position = 0)]
    [ValidateSet("ApiServer", "ApiServerKubeletClient", "ApiServerEtcdClient", "FrontProxyClient", "EtcdServer", "EtcdPeer", "EtcdHealthcheckClient", "Admin", "ControllerManager", "Scheduler", "KubeProxy", "Kubelet")]
    public string? Component { get; set; }

    [Parameter]
    [ValidateSet("Client", "Server", "Peer", "Kubelet")]
    public string? Profile { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? CommonName { get; set; }

    [Parameter]
    public string[]? Organization { get; set; }

    [Parameter]
    public string[] DnsName { get; set; } = Array.Empty<string>();

    [Parameter]
    public string[] IPAddress { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NodeName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ClusterDomain { get; set; } = "cluster.local";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ServiceCidr { get; set; } = "10.96.0.0/12";

    /// <summary>File base name (may include a folder, e.g. etcd/server); default the preset's kubeadm name or the CN.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    [Parameter(Mandatory = true)]
    [Alias("CertificateAuthorityPath")]
    [ValidateNotNullOrEmpty]
    public string CACertificatePath { get; set; } = string.Empty;

    [Parameter(Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string CAKeyPath { get; set; } = string.Empty;

    // Enum names as strings: value-type fields of engine types would load the engine before the module's
    // resolver is registered (Import-Module reflects over every cmdlet type first).
    [Parameter]
    [ValidateSet("Rsa2048", "Rsa3072", "Rsa4096", "EcdsaP256", "EcdsaP384")]
    public string KeyAlgorithm { get; set; } = "Rsa2048";

    [Parameter]
    [ValidateRange(1, 3650)]
    public int ValidityDays { get; set; } = 365;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var request = new LeafCertificateRequest
        {
            Component = Component is null ? KubeadmComponent.None : Enum.Parse<KubeadmComponent>(Component, ignoreCase: true),
            Profile = Profile is null ? null : Enum.Parse<CertificateProfile>(Profile, ignoreCase: true),
            CommonName = CommonName,
            Organizations = Organization,
            DnsNames = DnsName,
            IPAddresses = IPAddress,
            NodeName = NodeName,
            ClusterDomain = ClusterDomain,
            ServiceCidr = ServiceCidr,
            Name = Name,
            OutputDirectory = GetUnresolvedProviderPathFromPSPath(OutputDirectory ?? SessionState.Path.CurrentFileSystemLocation.Path),
            CACertificatePath = GetUnresolvedProviderPathFromPSPath(CACertificatePath),
            CAKeyPath = GetUnresolvedProviderPathFromPSPath(CAKeyPath),
            KeyAlgorithm = Enum.Parse<KeyAlgorithm>(KeyAlgorithm, ignoreCase: true),
            ValidityDays = ValidityDays,
            Force = Force,
        };

        LeafCertificateSpec spec;
        string certificatePath;
        try
        {
            string fileName;
            (spec, fileName) = PkiService.Resolve(request);
            certificatePath = PkiService.LeafPaths(request, fileName).CertificatePath;
        }
        catch (K8sOperationException ex)
        {
            WriteEngineError(ex);
            return;
        }

        string sans = string.Join(", ", spec.DnsNames.Concat(spec.IPAddresses.Select(ip => ip.ToString())));
        if (!ShouldProcess(certificatePath, $"Issue {spec.Profile} certificate CN={spec.CommonName}{(spec.Organizations.Count > 0 ? ", O=" + string.Join(", O=", spec.Organizations) : string.Empty)}{(sans.Length > 0 ? " SANs " + sans : string.Empty)}"))
        {
            return;
        }

        K8sCertificate? result = null;
        if (TryInvoke(() => result = PkiService.NewCertificate(request, Log)))
        {
            WriteObject(result);
        }
    }
}
