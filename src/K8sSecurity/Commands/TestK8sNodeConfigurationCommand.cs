using System.Management.Automation;
using K8sSecurity.Engine.Hardening;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// CIS Kubernetes Benchmark checks of a node's files, offline: static pod manifests (API server, controller
/// manager, scheduler, etcd), kubelet unit, flags and config file, kubeconfigs and PKI modes and owners.
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "K8sNodeConfiguration", HelpUri = HelpLinks.Docs + "Test-K8sNodeConfiguration.md")]
[OutputType(typeof(HardeningCheckResult))]
public sealed class TestK8sNodeConfigurationCommand : K8sCmdlet
{
    /// <summary>The node's root folder ("/" on the node itself, or a copy with etc/kubernetes and var/lib/kubelet).</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    protected override void ProcessRecord()
    {
        foreach (string path in Path)
        {
            string full = GetUnresolvedProviderPathFromPSPath(path);
            IReadOnlyList<HardeningCheckResult> results = Array.Empty<HardeningCheckResult>();
            if (TryInvoke(() => results = NodeConfigurationChecker.Check(full).ToList()))
            {
                WriteObject(results, enumerateCollection: true);
            }
        }
    }
}
