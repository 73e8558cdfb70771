using System.Management.Automation;
using System.Security;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Writes a per-user kubeconfig (client certificate, token or OIDC login) for a cluster, 0600 and atomically.</summary>
[Cmdlet(VerbsCommon.New, "K8sKubeconfig", SupportsShouldProcess = true, DefaultParameterSetName = CertificateSet, HelpUri = HelpLinks.Docs + "New-K8sKubeconfig.md")]
[OutputType(typeof(KubeconfigUser))]
public sealed class NewK8sKubeconfigCommand : K8sCmdlet
{
    private const string CertificateSet = "ClientCertificate";
    private const string TokenSet = "Token";
    private const string OidcSet = "Oidc";

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ParameterSetName = CertificateSet, ValueFromPipelineByPropertyName = true)]
    [Alias("CertificatePath")]
    [ValidateNotNullOrEmpty]
    public string? ClientCertificatePath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = CertificateSet, ValueFromPipelineByPropertyName = true)]
    [Alias("KeyPath")]
    [ValidateNotNullOrEmpty]
    public string? ClientKeyPath { get; set; }

    /// <summary>A bearer token; New-K8sServiceAccountToken's output pipes in (Token, ServiceAccount, Namespace).</summary>
    [Parameter(Mandatory = true, ParameterSetName = TokenSet, ValueFromPipelineByPropertyName = true)]
    public SecureString? Token { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = OidcSet)]
    [ValidateNotNullOrEmpty]
    public string? OidcIssuerUrl { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = OidcSet)]
    [ValidateNotNullOrEmpty]
    public string? OidcClientId { get; set; }

    [Parameter(ParameterSetName = OidcSet)]
    public string[] OidcExtraScope { get; set; } = Array.Empty<string>();

    [Parameter(ParameterSetName = OidcSet)]
    public SecureString? OidcClientSecret { get; set; }

    /// <summary>The user entry name; default the certificate's CN.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string? UserName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ContextName { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ClusterName { get; set; }

    /// <summary>
    /// The context's namespace; a piped service account token brings its account's. Pipeline input only in the token
    /// set: PowerShell binds a piped object's properties to the default (certificate) set's parameters first, and a
    /// Namespace bound there would keep the token's Token from binding.
    /// </summary>
    [Parameter(ParameterSetName = TokenSet, ValueFromPipelineByPropertyName = true)]
    [Parameter(ParameterSetName = CertificateSet)]
    [Parameter(ParameterSetName = OidcSet)]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    /// <summary>API server URL; default the server of the -Kubeconfig/-Context cluster.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Server { get; set; }

    /// <summary>The CA certificate that signs the API server's certificate (one name for the CA file in every cmdlet).</summary>
    [Parameter]
    [Alias("CertificateAuthorityPath")]
    [ValidateNotNullOrEmpty]
    public string? CACertificatePath { get; set; }

    /// <summary>The kubeconfig to copy the cluster (server, CA) from.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string? Context { get; set; }

    [Parameter(ParameterSetName = CertificateSet)]
    public SwitchParameter ReferenceFiles { get; set; }

    [Parameter]
    public SwitchParameter Merge { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string path = GetUnresolvedProviderPathFromPSPath(Path);
        string what = Merge && File.Exists(path) ? "Add a context to the kubeconfig" : "Write a kubeconfig";
        if (!ShouldProcess(path, what))
        {
            return;
        }

        try
        {
            var cluster = KubeconfigClusterResolver.Create(this, Kubeconfig, Context, Server, CACertificatePath, ClusterName)();
            var spec = new KubeconfigSpec
            {
                Cluster = cluster,
                UserName = UserName,
                ContextName = ContextName,
                Namespace = Namespace,
                ClientCertificatePath = ClientCertificatePath is null ? null : GetUnresolvedProviderPathFromPSPath(ClientCertificatePath),
                ClientKeyPath = ClientKeyPath is null ? null : GetUnresolvedProviderPathFromPSPath(ClientKeyPath),
                Token = Token,
                OidcIssuerUrl = OidcIssuerUrl,
                OidcClientId = OidcClientId,
                OidcExtraScopes = OidcExtraScope,
                OidcClientSecret = OidcClientSecret,
                ReferenceFiles = ReferenceFiles,
            };
            WriteObject(KubeconfigWriter.Write(path, spec, Merge, Force, Log));
            FlushLog();
        }
        catch (K8sOperationException ex)
        {
            FlushLog();
            WriteEngineError(ex);
        }
    }
}
