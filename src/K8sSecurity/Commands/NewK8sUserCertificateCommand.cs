using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Creates a user's private key and CSR, and optionally gets it signed (cluster CSR or local CA) and writes a kubeconfig.</summary>
[Cmdlet(VerbsCommon.New, "K8sUserCertificate", SupportsShouldProcess = true, DefaultParameterSetName = RequestOnlySet, HelpUri = HelpLinks.Docs + "New-K8sUserCertificate.md")]
[OutputType(typeof(UserCertificate))]
public sealed class NewK8sUserCertificateCommand : K8sClusterCmdlet
{
    private const string RequestOnlySet = "RequestOnly";
    private const string SubmitSet = "Submit";
    private const string LocalSet = "LocalCA";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UserName { get; set; } = string.Empty;

    [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
    [Alias("Groups", "Organization")]
    public string[] Group { get; set; } = Array.Empty<string>();

    // Enum names as strings: value-type fields of engine types would load the engine before the module's
    // resolver is registered (Import-Module reflects over every cmdlet type first).
    [Parameter]
    [ValidateSet("Rsa2048", "Rsa3072", "Rsa4096", "EcdsaP256", "EcdsaP384")]
    public string KeyAlgorithm { get; set; } = "Rsa4096";

    [Parameter]
    [ValidateRange(1, 3650)]
    public int ValidityDays { get; set; } = 365;

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputDirectory { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = SubmitSet)]
    public SwitchParameter Submit { get; set; }

    [Parameter(ParameterSetName = SubmitSet)]
    public SwitchParameter Approve { get; set; }

    [Parameter(ParameterSetName = SubmitSet)]
    public SwitchParameter Wait { get; set; }

    /// <summary>Seconds to wait for the signer with -Wait.</summary>
    [Parameter(ParameterSetName = SubmitSet)]
    [ValidateRange(1, 86400)]
    public int Timeout { get; set; } = 60;

    [Parameter(ParameterSetName = SubmitSet)]
    [ValidateNotNullOrEmpty]
    public string? RequestName { get; set; }

    [Parameter(ParameterSetName = SubmitSet)]
    [ValidateNotNullOrEmpty]
    public string SignerName { get; set; } = CertificateRequestService.KubeApiServerClientSigner;

    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    [Alias("CertificateAuthorityPath")]
    [ValidateNotNullOrEmpty]
    public string? CACertificatePath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public string? CAKeyPath { get; set; }

    [Parameter(ParameterSetName = SubmitSet)]
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public string? KubeconfigPath { get; set; }

    /// <summary>API server URL for the written kubeconfig, instead of the one from -Kubeconfig/-Context.</summary>
    [Parameter(ParameterSetName = SubmitSet)]
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public string? Server { get; set; }

    /// <summary>Namespace of the written kubeconfig's context.</summary>
    [Parameter(ParameterSetName = SubmitSet)]
    [Parameter(ParameterSetName = LocalSet)]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        var mode = ParameterSetName switch
        {
            SubmitSet => UserCertificateMode.Submit,
            LocalSet => UserCertificateMode.LocalCA,
            _ => UserCertificateMode.RequestOnly,
        };
        var request = new UserCertificateRequest
        {
            UserName = UserName,
            Groups = Group.Where(g => g is not null).Distinct(StringComparer.Ordinal).ToArray(),
            KeyAlgorithm = Enum.Parse<KeyAlgorithm>(KeyAlgorithm, ignoreCase: true),
            ValidityDays = ValidityDays,
            OutputDirectory = GetUnresolvedProviderPathFromPSPath(OutputDirectory ?? SessionState.Path.CurrentFileSystemLocation.Path),
            Force = Force,
            Mode = mode,
            CACertificatePath = CACertificatePath is null ? null : GetUnresolvedProviderPathFromPSPath(CACertificatePath),
            CAKeyPath = CAKeyPath is null ? null : GetUnresolvedProviderPathFromPSPath(CAKeyPath),
            RequestName = RequestName,
            SignerName = SignerName,
            Approve = Approve,
            Wait = Wait,
            Timeout = TimeSpan.FromSeconds(Timeout),
            KubeconfigPath = KubeconfigPath is null ? null : GetUnresolvedProviderPathFromPSPath(KubeconfigPath),
            KubeconfigNamespace = Namespace,
        };

        IReadOnlyList<string> files;
        try
        {
            UserCertificateService.Validate(request);
            files = UserCertificateService.PlannedFiles(request);
        }
        catch (K8sOperationException ex)
        {
            WriteEngineError(ex);
            return;
        }

        string action = mode switch
        {
            UserCertificateMode.Submit => $"Create key, CSR and CertificateSigningRequest '{request.RequestName ?? UserCertificateService.DefaultRequestName(UserName)}'{(Approve ? ", approve it" : string.Empty)}",
            UserCertificateMode.LocalCA => "Create key and CSR and sign a client certificate with the local CA",
            _ => "Create key and CSR",
        };
        if (!ShouldProcess($"user '{UserName}' (groups: {string.Join(", ", request.Groups)}; files: {string.Join(", ", files)})", action))
        {
            return;
        }

        var kubeconfigCluster = request.KubeconfigPath is null
            ? null
            : KubeconfigClusterResolver.Create(this, Kubeconfig, Context, Server, null, null);
        var cluster = mode == UserCertificateMode.Submit ? Cluster : null;
        if (TryRun(ct => UserCertificateService.NewAsync(request, cluster, kubeconfigCluster, Log, ct), UserName, out var result))
        {
            WriteObject(result);
        }
    }
}
