using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Creates or updates the item of one type (Container, Pod, PersistentVolumeClaim) in a LimitRange.</summary>
[Cmdlet(VerbsCommon.Set, "K8sLimitRange", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = HelpLinks.Docs + "Set-K8sLimitRange.md")]
[OutputType(typeof(LimitRangeRow))]
public sealed class SetK8sLimitRangeCommand : K8sClusterCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string[]? Namespace { get; set; }

    [Parameter]
    [Alias("LimitRange")]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = LimitRangeService.DefaultName;

    [Parameter]
    [ValidateSet("Container", "Pod", "PersistentVolumeClaim")]
    public string Type { get; set; } = "Container";

    [Parameter]
    public Hashtable? Max { get; set; }

    [Parameter]
    public Hashtable? Min { get; set; }

    [Parameter]
    public Hashtable? Default { get; set; }

    [Parameter]
    public Hashtable? DefaultRequest { get; set; }

    [Parameter]
    public Hashtable? MaxLimitRequestRatio { get; set; }

    [Parameter]
    public string? MaxCpu { get; set; }

    [Parameter]
    public string? MaxMemory { get; set; }

    [Parameter]
    public string? MinCpu { get; set; }

    [Parameter]
    public string? MinMemory { get; set; }

    [Parameter]
    public string? DefaultCpu { get; set; }

    [Parameter]
    public string? DefaultMemory { get; set; }

    [Parameter]
    public string? DefaultRequestCpu { get; set; }

    [Parameter]
    public string? DefaultRequestMemory { get; set; }

    [Parameter]
    public string? MaxStorage { get; set; }

    [Parameter]
    public string? MinStorage { get; set; }

    [Parameter]
    public SwitchParameter Replace { get; set; }

    protected override void ProcessRecord()
    {
        foreach (string ns in Namespace ?? new[] { ResolveNamespace(null) })
        {
            LimitRangeRequest? request = null;
            if (!TryInvoke(() =>
                {
                    request = Build(ns);
                    LimitRangeService.Validate(request);
                })
                || !TryRun(ct => LimitRangeService.PlanAsync(Cluster, request!, Log, ct), ns, out var plan))
            {
                continue;
            }

            if (plan.Action != ChangeAction.Unchanged && !ShouldProcess(plan.Target, plan.Description))
            {
                continue;
            }

            if (TryRun(ct => LimitRangeService.ApplyAsync(Cluster, plan, ct), ns, out var rows))
            {
                WriteObject(rows, enumerateCollection: true);
            }
        }
    }

    private LimitRangeRequest Build(string ns)
    {
        var max = GuardrailArguments.ToMap(Max, nameof(Max)) ?? new Dictionary<string, string>();
        var min = GuardrailArguments.ToMap(Min, nameof(Min)) ?? new Dictionary<string, string>();
        var def = GuardrailArguments.ToMap(Default, nameof(Default)) ?? new Dictionary<string, string>();
        var request = GuardrailArguments.ToMap(DefaultRequest, nameof(DefaultRequest)) ?? new Dictionary<string, string>();
        var ratio = GuardrailArguments.ToMap(MaxLimitRequestRatio, nameof(MaxLimitRequestRatio)) ?? new Dictionary<string, string>();
        GuardrailArguments.AddShortcut(max, "cpu", MaxCpu, nameof(MaxCpu), nameof(Max));
        GuardrailArguments.AddShortcut(max, "memory", MaxMemory, nameof(MaxMemory), nameof(Max));
        GuardrailArguments.AddShortcut(max, "storage", MaxStorage, nameof(MaxStorage), nameof(Max));
        GuardrailArguments.AddShortcut(min, "cpu", MinCpu, nameof(MinCpu), nameof(Min));
        GuardrailArguments.AddShortcut(min, "memory", MinMemory, nameof(MinMemory), nameof(Min));
        GuardrailArguments.AddShortcut(min, "storage", MinStorage, nameof(MinStorage), nameof(Min));
        GuardrailArguments.AddShortcut(def, "cpu", DefaultCpu, nameof(DefaultCpu), nameof(Default));
        GuardrailArguments.AddShortcut(def, "memory", DefaultMemory, nameof(DefaultMemory), nameof(Default));
        GuardrailArguments.AddShortcut(request, "cpu", DefaultRequestCpu, nameof(DefaultRequestCpu), nameof(DefaultRequest));
        GuardrailArguments.AddShortcut(request, "memory", DefaultRequestMemory, nameof(DefaultRequestMemory), nameof(DefaultRequest));
        return new LimitRangeRequest
        {
            Namespace = ns, Name = Name, Type = Type, Max = max, Min = min, Default = def, DefaultRequest = request, MaxLimitRequestRatio = ratio, Replace = Replace,
        };
    }
}
