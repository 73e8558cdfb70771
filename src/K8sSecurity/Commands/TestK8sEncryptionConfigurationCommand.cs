using System.Management.Automation;
using K8sSecurity.Engine.Hardening;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Checks kube-apiserver EncryptionConfiguration files: loads like the API server, encrypts the required resources
/// (identity first or a missing resource means plain text in etcd), strong provider and keys, unique key names, 0600.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "K8sEncryptionConfiguration", HelpUri = HelpLinks.Docs + "Test-K8sEncryptionConfiguration.md")]
[OutputType(typeof(HardeningCheckResult))]
public sealed class TestK8sEncryptionConfigurationCommand : K8sCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>Resources that must be encrypted; secrets by default.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] Resource { get; set; } = { "secrets" };

    protected override void ProcessRecord()
    {
        foreach (string path in Path)
        {
            string full = GetUnresolvedProviderPathFromPSPath(path);
            IReadOnlyList<HardeningCheckResult> results = Array.Empty<HardeningCheckResult>();
            if (TryInvoke(() => results = EncryptionConfigurationChecker.Check(full, Resource).ToList()))
            {
                WriteObject(results, enumerateCollection: true);
            }
        }
    }
}
