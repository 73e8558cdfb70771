using System.Management.Automation;
using K8sSecurity.Engine.Hardening;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Checks kube-apiserver audit policies with the API server's first-match semantics: rules that would log Secret,
/// ConfigMap or token bodies, unaudited RBAC changes and pod exec, a missing catch-all, ignored (misspelt) fields.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "K8sAuditPolicy", HelpUri = HelpLinks.Docs + "Test-K8sAuditPolicy.md")]
[OutputType(typeof(HardeningCheckResult))]
public sealed class TestK8sAuditPolicyCommand : K8sCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    /// <summary>More resources whose bodies must stay out of the log, e.g. sealedsecrets.bitnami.com.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] SensitiveResource { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (string path in Path)
        {
            string full = GetUnresolvedProviderPathFromPSPath(path);
            IReadOnlyList<HardeningCheckResult> results = Array.Empty<HardeningCheckResult>();
            if (TryInvoke(() => results = AuditPolicyChecker.Check(full, SensitiveResource).ToList()))
            {
                WriteObject(results, enumerateCollection: true);
            }
        }
    }
}
