using System.Management.Automation;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Lists the users of kubeconfig files: auth kind and, for certificates, who they are and when they expire.</summary>
[Cmdlet(VerbsCommon.Get, "K8sKubeconfig", HelpUri = HelpLinks.Docs + "Get-K8sKubeconfig.md")]
[OutputType(typeof(KubeconfigUser))]
public sealed class GetK8sKubeconfigCommand : K8sCmdlet
{
    /// <summary>Kubeconfig files; default the ones kubectl uses ($env:KUBECONFIG, ~/.kube/config).</summary>
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("KubeconfigPath", "FullName")]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    /// <summary>User entry names to show.</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        IReadOnlyList<string> files;
        try
        {
            files = Path is null ? KubeconfigSet.ResolvePaths(null) : Path.Select(GetUnresolvedProviderPathFromPSPath).ToArray();
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
            return;
        }

        var patterns = Name?.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToArray();
        foreach (string file in files)
        {
            IReadOnlyList<KubeconfigUser> users = Array.Empty<KubeconfigUser>();
            if (!TryInvoke(() => users = KubeconfigInspector.Inspect(file)))
            {
                continue;
            }

            WriteObject(users.Where(u => patterns is null || patterns.Any(p => p.IsMatch(u.Name))), enumerateCollection: true);
        }
    }
}
