using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Sets the pod-security.kubernetes.io/* labels of namespaces. -WhatIf runs a server dry-run of the label change and
/// returns the apiserver's warnings about existing pods that would violate the new enforce level.
/// </summary>
[Cmdlet(VerbsCommon.Set, "K8sNamespacePodSecurity", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "Set-K8sNamespacePodSecurity.md")]
[OutputType(typeof(NamespacePodSecurity))]
public sealed class SetK8sNamespacePodSecurityCommand : K8sClusterCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter]
    [ValidateSet("Privileged", "Baseline", "Restricted")]
    public string? Enforce { get; set; }

    [Parameter]
    [ValidateSet("Privileged", "Baseline", "Restricted")]
    public string? Audit { get; set; }

    [Parameter]
    [ValidateSet("Privileged", "Baseline", "Restricted")]
    public string? Warn { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Version { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string ns in Namespace ?? new[] { ResolveNamespace(null) })
        {
            var request = new PodSecurityRequest { Namespace = ns, Enforce = Enforce, Audit = Audit, Warn = Warn, Version = Version };
            if (!TryInvoke(() => PodSecurityService.Validate(request))
                || !TryRun(ct => PodSecurityService.PlanAsync(Cluster, request, ct), ns, out var plan))
            {
                continue;
            }

            bool apply = !plan.Changed || ShouldProcess($"Namespace {ns}", plan.Description);
            bool preview = !apply && MyInvocation.BoundParameters.ContainsKey("WhatIf");
            if (!apply && !preview)
            {
                continue; // declined at -Confirm
            }

            if (TryRun(ct => PodSecurityService.ApplyAsync(Cluster, request, dryRun: preview, Log, ct), ns, out var result))
            {
                WriteObject(result);
            }
        }
    }
}
