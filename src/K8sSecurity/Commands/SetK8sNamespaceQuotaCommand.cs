using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Creates or updates a ResourceQuota in one or more namespaces; keeps resources not given unless -Replace.</summary>
[Cmdlet(VerbsCommon.Set, "K8sNamespaceQuota", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "Set-K8sNamespaceQuota.md")]
[OutputType(typeof(NamespaceQuotaRow))]
public sealed class SetK8sNamespaceQuotaCommand : K8sClusterCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter]
    [Alias("Quota")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = QuotaService.DefaultName;

    [Parameter]
    public string? Pods { get; set; }

    [Parameter]
    public string? RequestsCpu { get; set; }

    [Parameter]
    public string? RequestsMemory { get; set; }

    [Parameter]
    public string? LimitsCpu { get; set; }

    [Parameter]
    public string? LimitsMemory { get; set; }

    [Parameter]
    public string? ConfigMaps { get; set; }

    [Parameter]
    public string? PersistentVolumeClaims { get; set; }

    [Parameter]
    public string? ReplicationControllers { get; set; }

    [Parameter]
    public string? Secrets { get; set; }

    [Parameter]
    public string? Services { get; set; }

    [Parameter]
    public string? LoadBalancers { get; set; }

    [Parameter]
    public string? NodePorts { get; set; }

    [Parameter]
    public string? RequestsStorage { get; set; }

    /// <summary>Any quota resource: @{ 'requests.nvidia.com/gpu' = 1; 'count/deployments.apps' = 10 }.</summary>
    [Parameter]
    public Hashtable? Hard { get; set; }

    [Parameter]
    [ValidateSet("Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass")]
    public string[]? Scope { get; set; }

    /// <summary>Scope selector terms: @{ ScopeName = 'PriorityClass'; Operator = 'In'; Values = 'high' }.</summary>
    [Parameter]
    public Hashtable[]? ScopeSelector { get; set; }

    [Parameter]
    public SwitchParameter Replace { get; set; }

    protected override void ProcessRecord()
    {
        QuotaRequest? template = null;
        if (!TryInvoke(() => template = BuildTemplate()))
        {
            return;
        }

        foreach (string ns in Namespace ?? new[] { ResolveNamespace(null) })
        {
            var request = new QuotaRequest
            {
                Namespace = ns, Name = Name, Hard = template!.Hard, Scopes = template.Scopes, ScopeSelector = template.ScopeSelector, Replace = Replace,
            };
            if (!TryInvoke(() => QuotaService.Validate(request))
                || !TryRun(ct => QuotaService.PlanAsync(Cluster, request, Log, ct), ns, out var plan))
            {
                continue;
            }

            if (plan.Action != ChangeAction.Unchanged && !ShouldProcess(plan.Target, plan.Description))
            {
                continue;
            }

            if (TryRun(ct => QuotaService.ApplyAsync(Cluster, plan, ct), ns, out var rows))
            {
                WriteObject(rows, enumerateCollection: true);
            }
        }
    }

    private QuotaRequest BuildTemplate()
    {
        var hard = GuardrailArguments.ToMap(Hard, nameof(Hard)) ?? new Dictionary<string, string>();
        GuardrailArguments.AddShortcut(hard, "pods", Pods, nameof(Pods), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "requests.cpu", RequestsCpu, nameof(RequestsCpu), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "requests.memory", RequestsMemory, nameof(RequestsMemory), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "limits.cpu", LimitsCpu, nameof(LimitsCpu), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "limits.memory", LimitsMemory, nameof(LimitsMemory), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "configmaps", ConfigMaps, nameof(ConfigMaps), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "persistentvolumeclaims", PersistentVolumeClaims, nameof(PersistentVolumeClaims), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "replicationcontrollers", ReplicationControllers, nameof(ReplicationControllers), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "secrets", Secrets, nameof(Secrets), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "services", Services, nameof(Services), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "services.loadbalancers", LoadBalancers, nameof(LoadBalancers), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "services.nodeports", NodePorts, nameof(NodePorts), nameof(Hard));
        GuardrailArguments.AddShortcut(hard, "requests.storage", RequestsStorage, nameof(RequestsStorage), nameof(Hard));

        List<ScopeRequirement>? selector = null;
        if (ScopeSelector is not null)
        {
            selector = new List<ScopeRequirement>();
            foreach (var term in ScopeSelector)
            {
                string? scopeName = GuardrailArguments.Text(term["ScopeName"]);
                string op = GuardrailArguments.Text(term["Operator"]) ?? "In";
                var values = term["Values"] switch
                {
                    null => Array.Empty<string>(),
                    string s => new[] { s },
                    IEnumerable e => e.Cast<object?>().Select(GuardrailArguments.Text).OfType<string>().ToArray(),
                    var other => new[] { GuardrailArguments.Text(other)! },
                };
                if (scopeName is null)
                {
                    throw K8sOperationException.InvalidArgument(nameof(ScopeSelector), term, "each term needs ScopeName (and Operator, Values)");
                }

                selector.Add(new ScopeRequirement(scopeName, op, values));
            }
        }

        return new QuotaRequest { Namespace = "placeholder", Name = Name, Hard = hard, Scopes = Scope, ScopeSelector = selector, Replace = Replace };
    }
}
