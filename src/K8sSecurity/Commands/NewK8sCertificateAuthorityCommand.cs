using System.Management.Automation;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Creates a CA: private key (0600) and self-signed certificate, like kubeadm's ca, front-proxy-ca and etcd/ca.</summary>
[Cmdlet(VerbsCommon.New, "K8sCertificateAuthority", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "New-K8sCertificateAuthority.md")]
[OutputType(typeof(K8sCertificate))]
public sealed class NewK8sCertificateAuthorityCommand : K8sCmdlet
{
    [Parameter(Position = 0)]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    /// <summary>File base name: NAME.crt and NAME.key.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "ca";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string CommonName { get; set; } = "kubernetes";

    [Parameter]
    public string[] Organization { get; set; } = Array.Empty<string>();

    // Enum names as strings: value-type fields of engine types would load the engine before the module's
    // resolver is registered (Import-Module reflects over every cmdlet type first).
    [Parameter]
    [ValidateSet("Rsa2048", "Rsa3072", "Rsa4096", "EcdsaP256", "EcdsaP384")]
    public string KeyAlgorithm { get; set; } = "Rsa2048";

    [Parameter]
    [ValidateRange(1, 36500)]
    public int ValidityDays { get; set; } = 3650;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var request = new CertificateAuthorityRequest
        {
            CommonName = CommonName,
            Organizations = Organization,
            KeyAlgorithm = Enum.Parse<KeyAlgorithm>(KeyAlgorithm, ignoreCase: true),
            ValidityDays = ValidityDays,
            Name = Name,
            OutputDirectory = GetUnresolvedProviderPathFromPSPath(OutputDirectory ?? SessionState.Path.CurrentFileSystemLocation.Path),
            Force = Force,
        };
        var (certificatePath, keyPath) = PkiService.AuthorityPaths(request);
        if (!ShouldProcess($"{certificatePath} and {keyPath}", $"Create CA '{CommonName}' ({KeyAlgorithm}, {ValidityDays} days)"))
        {
            return;
        }

        K8sCertificate? result = null;
        if (TryInvoke(() => result = PkiService.NewAuthority(request, Log)))
        {
            WriteObject(result);
        }
    }
}
