using System.Management.Automation;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Health verdicts for certificates: expiry, validity, issuer, SANs, key strength, usages, kubeadm completeness.</summary>
[Cmdlet(VerbsDiagnostic.Test, "K8sCertificate", DefaultParameterSetName = PathSet, HelpUri = HelpLinks.Docs + "Test-K8sCertificate.md")]
[OutputType(typeof(CertificateHealth))]
public sealed class TestK8sCertificateCommand : K8sCmdlet
{
    private const string PathSet = "Path";
    private const string CertificateSet = "Certificate";
    private CertificateCheckOptions? options;

    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Certificates from Get-K8sCertificate, New-K8sCertificate or New-K8sCertificateAuthority.</summary>
    /// <remarks>Typed object: parameter types must load before the engine does (docs/DEVELOPING.md).</remarks>
    [Parameter(Mandatory = true, ParameterSetName = CertificateSet, ValueFromPipeline = true)]
    [ValidateNotNull]
    public object[] Certificate { get; set; } = Array.Empty<object>();

    /// <summary>Treat -Path as a kubeadm PKI folder: report missing certificates and check each against its kubeadm CA, usages and SANs.</summary>
    [Parameter(ParameterSetName = PathSet)]
    public SwitchParameter Kubeadm { get; set; }

    [Parameter]
    [Alias("CertificateAuthorityPath")]
    [ValidateNotNullOrEmpty]
    public string[]? CACertificatePath { get; set; }

    [Parameter]
    [ValidateRange(0, 3650)]
    public int WarningDays { get; set; } = 30;

    [Parameter]
    public string[] ExpectedDnsName { get; set; } = Array.Empty<string>();

    [Parameter]
    public string[] ExpectedIPAddress { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateSet("ServerAuth", "ClientAuth")]
    public string[] ExpectedUsage { get; set; } = Array.Empty<string>();

    protected override void BeginProcessing()
    {
        var authorities = new List<X509Certificate2>();
        try
        {
            foreach (string path in CACertificatePath ?? Array.Empty<string>())
            {
                authorities.Add(CertificateFiles.ReadSingle(GetUnresolvedProviderPathFromPSPath(path), "CACertificatePath"));
            }

            foreach (string ip in ExpectedIPAddress)
            {
                if (!System.Net.IPAddress.TryParse(ip, out _))
                {
                    throw K8sOperationException.InvalidArgument("ExpectedIPAddress", ip, "not a valid IP address");
                }
            }
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }

        options = new CertificateCheckOptions
        {
            WarningDays = WarningDays,
            Authorities = authorities,
            ExpectedDnsNames = ExpectedDnsName,
            ExpectedIPAddresses = ExpectedIPAddress,
            ExpectedUsages = ExpectedUsage,
        };
    }

    protected override void ProcessRecord()
    {
        if (ParameterSetName == CertificateSet)
        {
            foreach (object item in Certificate)
            {
                if ((item is PSObject wrapped ? wrapped.BaseObject : item) is K8sCertificate certificate)
                {
                    WriteObject(CertificateChecker.Check(certificate, options!));
                }
                else
                {
                    WriteEngineError(K8sOperationException.InvalidArgument(
                        "Certificate", item, "expected a certificate from Get-K8sCertificate, New-K8sCertificate or New-K8sCertificateAuthority; pass file paths with -Path"));
                }
            }

            return;
        }

        foreach (string path in Path)
        {
            string full = GetUnresolvedProviderPathFromPSPath(path);
            if (Kubeadm)
            {
                IReadOnlyList<CertificateHealth> results = Array.Empty<CertificateHealth>();
                if (TryInvoke(() => results = CertificateChecker.CheckKubeadmFolder(full, options!).ToArray()))
                {
                    WriteObject(results, enumerateCollection: true);
                }

                continue;
            }

            IReadOnlyList<(string File, string Name)> files = Array.Empty<(string, string)>();
            if (!TryInvoke(() => files = CertificateInventory.Expand(full)))
            {
                continue;
            }

            bool folder = Directory.Exists(full);
            foreach (var (file, name) in files)
            {
                IReadOnlyList<K8sCertificate> certificates = Array.Empty<K8sCertificate>();
                try
                {
                    certificates = CertificateInventory.ReadFile(file, name);
                }
                catch (K8sOperationException ex) when (folder && ex.Kind != K8sErrorKind.FileSystem)
                {
                    WriteVerbose($"Skipped '{file}': {ex.Message}");
                    continue;
                }
                catch (K8sOperationException ex)
                {
                    WriteEngineError(ex);
                    continue;
                }

                foreach (var certificate in certificates)
                {
                    WriteObject(CertificateChecker.Check(certificate, options!));
                }
            }
        }
    }
}
