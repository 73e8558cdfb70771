using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Validation;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Creates a service account that does not mount its token into pods unless -AutomountToken. Idempotent.</summary>
[Cmdlet(VerbsCommon.New, "K8sServiceAccount", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "New-K8sServiceAccount.md")]
[OutputType(typeof(ServiceAccountInfo))]
public sealed class NewK8sServiceAccountCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Name { get; set; } = Array.Empty<string>();

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    /// <summary>Let pods mount the account's API token automatically (off by default: least privilege).</summary>
    [Parameter]
    public SwitchParameter AutomountToken { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    [Parameter]
    public SwitchParameter DryRun { get; set; }

    protected override void ProcessRecord()
    {
        string ns = ResolveNamespace(Namespace);
        foreach (string name in Name)
        {
            if (!TryInvoke(() =>
            {
                KubernetesNames.ValidateNamespace("Namespace", ns);
                KubernetesNames.ValidateObjectName("Name", name);
            }))
            {
                continue;
            }

            if (ShouldProcess($"ServiceAccount '{ns}:{name}'", $"Create (automountServiceAccountToken: {(AutomountToken ? "true" : "false")})")
                && TryRun(ct => ServiceAccounts.CreateAsync(Cluster, ns, name, AutomountToken, Force, DryRun, Log, ct), name, out var account))
            {
                WriteObject(account);
            }
        }
    }
}
