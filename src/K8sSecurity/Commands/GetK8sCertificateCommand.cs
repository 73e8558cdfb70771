using System.Management.Automation;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Reads certificates from files and folders, kubeconfigs, or kubernetes.io/tls Secrets.</summary>
[Cmdlet(VerbsCommon.Get, "K8sCertificate", DefaultParameterSetName = KubeconfigSet, HelpUri = HelpLinks.Docs + "Get-K8sCertificate.md")]
[OutputType(typeof(K8sCertificate))]
public sealed class GetK8sCertificateCommand : K8sClusterCmdlet
{
    private const string PathSet = "Path";
    private const string KubeconfigSet = "Kubeconfig";
    private const string SecretSet = "Secret";

    /// <summary>Certificate files (PEM bundles or DER), kubeconfig files, or folders searched recursively.</summary>
    [Parameter(Mandatory = true, Position = 0, ParameterSetName = PathSet, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Read certificates from kubernetes.io/tls Secrets in the cluster.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SecretSet)]
    public SwitchParameter Secret { get; set; }

    [Parameter(ParameterSetName = SecretSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    public string? Namespace { get; set; }

    [Parameter(ParameterSetName = SecretSet)]
    public SwitchParameter AllNamespaces { get; set; }

    /// <summary>One Secret's name.</summary>
    [Parameter(ParameterSetName = SecretSet)]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    protected override void ProcessRecord()
    {
        switch (ParameterSetName)
        {
            case SecretSet:
                if (AllNamespaces && Name is not null)
                {
                    WriteEngineError(K8sOperationException.InvalidArgument("Name", Name, "-Name reads one Secret in one namespace; drop -AllNamespaces"));
                    return;
                }

                string? ns = AllNamespaces ? null : ResolveNamespace(Namespace);
                var read = RunOrThrow(ct => CertificateInventory.FromSecretsAsync(Cluster, ns, Name, ct));
                WriteObject(read.Certificates, enumerateCollection: true);
                foreach (var unreadable in read.Unreadable)
                {
                    WriteEngineError(unreadable);
                }

                break;
            case KubeconfigSet:
                IReadOnlyList<string> files;
                try
                {
                    files = Engine.Connection.KubeconfigSet.ResolvePaths(Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig));
                }
                catch (K8sOperationException ex)
                {
                    ThrowTerminating(ex);
                    return;
                }

                foreach (string file in files)
                {
                    IReadOnlyList<K8sCertificate> found = Array.Empty<K8sCertificate>();
                    if (TryInvoke(() => found = KubeconfigInspector.Certificates(file).ToArray()))
                    {
                        WriteObject(found, enumerateCollection: true);
                    }
                }

                break;
            default:
                foreach (string path in Path)
                {
                    IReadOnlyList<(string File, string Name)> files2 = Array.Empty<(string, string)>();
                    if (!TryInvoke(() => files2 = CertificateInventory.Expand(GetUnresolvedProviderPathFromPSPath(path))))
                    {
                        continue;
                    }

                    bool folder = Directory.Exists(GetUnresolvedProviderPathFromPSPath(path));
                    foreach (var (file, name) in files2)
                    {
                        try
                        {
                            WriteObject(CertificateInventory.ReadFile(file, name), enumerateCollection: true);
                        }
                        catch (K8sOperationException ex) when (folder && ex.Kind != K8sErrorKind.FileSystem)
                        {
                            // In a folder scan, files that hold no certificate are skipped, not errors.
                            WriteVerbose($"Skipped '{file}': {ex.Message}");
                        }
                        catch (K8sOperationException ex)
                        {
                            WriteEngineError(ex);
                        }
                    }
                }

                break;
        }
    }
}
