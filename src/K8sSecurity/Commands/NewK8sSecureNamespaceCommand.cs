using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Creates a namespace with every guardrail, in order: Pod Security labels, ResourceQuota, LimitRange, default-deny
/// NetworkPolicy with DNS egress, a service account without token automount, and an owner admin RoleBinding.
/// Idempotent; -WhatIf lists every object it would create.
/// </summary>
[Cmdlet(VerbsCommon.New, "K8sSecureNamespace", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "New-K8sSecureNamespace.md")]
[OutputType(typeof(SecureNamespaceResult))]
public sealed class NewK8sSecureNamespaceCommand : K8sClusterCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [Alias("Namespace")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter]
    [ValidateSet("Privileged", "Baseline", "Restricted")]
    public string PodSecurity { get; set; } = "Restricted";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string PodSecurityVersion { get; set; } = "latest";

    /// <summary>Quota resources: @{ pods = 20; 'requests.cpu' = '4'; 'limits.memory' = '16Gi' }.</summary>
    [Parameter]
    public Hashtable? Quota { get; set; }

    /// <summary>Container limits: @{ Max = @{cpu='2'}; Min = @{cpu='50m'}; Default = @{...}; DefaultRequest = @{...}; MaxLimitRequestRatio = @{...} }.</summary>
    [Parameter]
    public Hashtable? LimitRange { get; set; }

    [Parameter]
    [ValidateSet("All", "Ingress", "Egress", "None")]
    public string DefaultDeny { get; set; } = "All";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string ServiceAccountName { get; set; } = "workload";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Owner { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        SecureNamespaceRequest? request = null;
        if (!TryInvoke(() => request = BuildRequest())
            || !TryRun(ct => SecureNamespaceService.PlanAsync(Cluster, request!, Log, ct), Name, out var result))
        {
            return;
        }

        foreach (var step in result.Steps)
        {
            if (step.Action != ChangeAction.Unchanged && !ShouldProcess(step.Target, step.Description))
            {
                continue;
            }

            if (!TryRun(async ct => { await SecureNamespaceService.ApplyStepAsync(step, ct).ConfigureAwait(false); return true; }, step.Target, out _))
            {
                break; // later objects depend on earlier ones
            }
        }

        WriteObject(result);
    }

    private SecureNamespaceRequest BuildRequest()
    {
        LimitRangeRequest? limits = null;
        if (LimitRange is not null)
        {
            IDictionary? Part(string key) => LimitRange[key] is PSObject p ? p.BaseObject as IDictionary : LimitRange[key] as IDictionary;
            foreach (var key in LimitRange.Keys.Cast<object>().Select(k => GuardrailArguments.Text(k) ?? string.Empty))
            {
                if (key is not ("Max" or "Min" or "Default" or "DefaultRequest" or "MaxLimitRequestRatio"))
                {
                    throw Engine.Errors.K8sOperationException.InvalidArgument(nameof(LimitRange), key, "keys must be Max, Min, Default, DefaultRequest or MaxLimitRequestRatio, each a hashtable of resource = quantity");
                }
            }

            limits = new LimitRangeRequest
            {
                Namespace = Name,
                Type = "Container",
                Max = GuardrailArguments.ToMap(Part("Max"), "Max") ?? new Dictionary<string, string>(),
                Min = GuardrailArguments.ToMap(Part("Min"), "Min") ?? new Dictionary<string, string>(),
                Default = GuardrailArguments.ToMap(Part("Default"), "Default") ?? new Dictionary<string, string>(),
                DefaultRequest = GuardrailArguments.ToMap(Part("DefaultRequest"), "DefaultRequest") ?? new Dictionary<string, string>(),
                MaxLimitRequestRatio = GuardrailArguments.ToMap(Part("MaxLimitRequestRatio"), "MaxLimitRequestRatio") ?? new Dictionary<string, string>(),
            };
        }

        return new SecureNamespaceRequest
        {
            Name = Name,
            PodSecurity = PodSecurity,
            PodSecurityVersion = PodSecurityVersion,
            Quota = GuardrailArguments.ToMap(Quota, nameof(Quota)),
            LimitRange = limits,
            DefaultDeny = DefaultDeny,
            ServiceAccountName = ServiceAccountName,
            Owner = Owner,
            Force = Force,
        };
    }
}
