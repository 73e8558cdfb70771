using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Creates a default-deny and/or allow NetworkPolicy; re-running with the same rules changes nothing.</summary>
[Cmdlet(VerbsCommon.New, "K8sNetworkPolicy", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "New-K8sNetworkPolicy.md")]
[OutputType(typeof(NetworkPolicyInfo))]
public sealed class NewK8sNetworkPolicyCommand : K8sClusterCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? Name { get; set; }

    [Parameter]
    [ValidateSet("Ingress", "Egress", "All")]
    public string? DefaultDeny { get; set; }

    [Parameter]
    public SwitchParameter AllowDns { get; set; }

    [Parameter]
    public Hashtable? PodSelector { get; set; }

    [Parameter]
    public Hashtable? AllowFromPod { get; set; }

    [Parameter]
    public Hashtable? AllowFromNamespace { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowFromCidr { get; set; }

    [Parameter]
    public Hashtable? AllowToPod { get; set; }

    [Parameter]
    public Hashtable? AllowToNamespace { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? AllowToCidr { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? ExceptCidr { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Port { get; set; }

    [Parameter]
    [ValidateSet("TCP", "UDP", "SCTP")]
    public string Protocol { get; set; } = "TCP";

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string ns in Namespace ?? new[] { ResolveNamespace(null) })
        {
            NetworkPolicyRequest? request = null;
            if (!TryInvoke(() =>
                {
                    request = new NetworkPolicyRequest
                    {
                        Namespace = ns,
                        Name = Name,
                        DefaultDeny = DefaultDeny,
                        AllowDns = AllowDns,
                        PodSelector = GuardrailArguments.ToMap(PodSelector, nameof(PodSelector)),
                        AllowFromPod = GuardrailArguments.ToMap(AllowFromPod, nameof(AllowFromPod)),
                        AllowFromNamespace = GuardrailArguments.ToMap(AllowFromNamespace, nameof(AllowFromNamespace)),
                        AllowFromCidr = AllowFromCidr ?? Array.Empty<string>(),
                        AllowToPod = GuardrailArguments.ToMap(AllowToPod, nameof(AllowToPod)),
                        AllowToNamespace = GuardrailArguments.ToMap(AllowToNamespace, nameof(AllowToNamespace)),
                        AllowToCidr = AllowToCidr ?? Array.Empty<string>(),
                        ExceptCidr = ExceptCidr ?? Array.Empty<string>(),
                        Port = Port ?? Array.Empty<string>(),
                        Protocol = Protocol,
                        Force = Force,
                    };
                    NetworkPolicyService.Validate(request);
                })
                || !TryRun(ct => NetworkPolicyService.PlanAsync(Cluster, request!, Log, ct), ns, out var plan))
            {
                continue;
            }

            if (plan.Action != ChangeAction.Unchanged && !ShouldProcess(plan.Target, plan.Description))
            {
                continue;
            }

            if (TryRun(ct => NetworkPolicyService.ApplyAsync(Cluster, plan, ct), ns, out var info))
            {
                WriteObject(info);
            }
        }
    }
}
