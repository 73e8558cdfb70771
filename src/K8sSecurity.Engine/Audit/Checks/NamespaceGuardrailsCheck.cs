using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Namespaces without the four guardrails every tenant namespace needs: a ResourceQuota, a LimitRange, a Pod
/// Security `enforce` label stricter than privileged, and a default-deny ingress NetworkPolicy (judged by the
/// guardrails engine's network policy model). Works on the shared inventory: no request per namespace. The `default`
/// namespace Kubernetes creates is only judged once something runs in it (a fresh cluster's is empty).
/// </summary>
public sealed class NamespaceGuardrailsCheck : IAuditCheck
{
    public const string EnforceLabel = "pod-security.kubernetes.io/enforce";

    public AuditCategory Category => AuditCategory.Namespaces;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.Namespace, AuditKind.ResourceQuota, AuditKind.LimitRange, AuditKind.NetworkPolicy }.Concat(AuditContext.WorkloadKinds).ToArray();

    public IReadOnlyCollection<AuditKind> EvaluatedKinds { get; } = new[] { AuditKind.Namespace };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var inventory = context.Inventory;
        var withQuota = NamespacesOf(inventory, AuditKind.ResourceQuota);
        var withLimits = NamespacesOf(inventory, AuditKind.LimitRange);
        var withDefaultDeny = inventory.Of(AuditKind.NetworkPolicy)
            .Where(p => IsDefaultDenyIngress(p.Body))
            .Select(p => p.Namespace ?? "default")
            .ToHashSet(StringComparer.Ordinal);

        var findings = new List<AuditFinding>();
        var excludedDefaults = new List<string>();
        int evaluated = 0;
        foreach (var ns in inventory.Of(AuditKind.Namespace))
        {
            string name = ns.Name ?? string.Empty;
            if (context.Options.IsExcluded(name))
            {
                continue;
            }

            if (name == "default" && !context.HasWorkloads(name))
            {
                excludedDefaults.Add("namespace default (created by Kubernetes; nothing runs in it)");
                continue;
            }

            evaluated++;
            if (!withQuota.Contains(name))
            {
                findings.Add(context.Finding(ns, Category, "NS-NO-QUOTA", FindingSeverity.Medium, "Namespace has no ResourceQuota",
                    $"Namespace '{name}' has no ResourceQuota: one tenant can exhaust the cluster's CPU, memory or object counts.",
                    $"Create a ResourceQuota in '{name}' (New-K8sResourceQuota or kubectl create quota)."));
            }

            if (!withLimits.Contains(name))
            {
                findings.Add(context.Finding(ns, Category, "NS-NO-LIMITRANGE", FindingSeverity.Low, "Namespace has no LimitRange",
                    $"Namespace '{name}' has no LimitRange: containers without requests/limits get no defaults.",
                    $"Create a LimitRange with default requests and limits in '{name}'."));
            }

            string? enforce = ns.Body.Str("metadata", "labels", EnforceLabel);
            if (enforce is null or "privileged")
            {
                findings.Add(context.Finding(ns, Category, "NS-NO-PSA-ENFORCE", FindingSeverity.Medium, "Namespace does not enforce Pod Security",
                    enforce is null
                        ? $"Namespace '{name}' has no '{EnforceLabel}' label: Pod Security admission allows privileged pods."
                        : $"Namespace '{name}' enforces the 'privileged' Pod Security level: anything is admitted.",
                    $"Label '{name}' with {EnforceLabel}=baseline (or restricted).",
                    new Dictionary<string, string> { [$"metadata.labels[{EnforceLabel}]"] = enforce ?? "(not set)" }));
            }

            if (!withDefaultDeny.Contains(name))
            {
                findings.Add(context.Finding(ns, Category, "NS-NO-DEFAULT-DENY", FindingSeverity.Medium, "Namespace has no default-deny NetworkPolicy",
                    $"Namespace '{name}' has no default-deny ingress NetworkPolicy: every pod accepts traffic from anywhere in the cluster.",
                    $"Add a NetworkPolicy with an empty podSelector and policyTypes [Ingress] (no ingress rules) in '{name}'."));
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated, ExcludedDefaults = excludedDefaults });
    }

    /// <summary>
    /// Default-deny ingress as the guardrails engine defines it (Get-K8sNetworkPolicy's DefaultDenyIngress): the policy
    /// selects every pod of its namespace, affects ingress and allows nothing.
    /// </summary>
    public static bool IsDefaultDenyIngress(System.Text.Json.Nodes.JsonObject policy) =>
        NetworkPolicyService.IsDefaultDeny(NetworkPolicyModel.FromJson(policy, policy.Str("metadata", "namespace") ?? "default"), egress: false);

    private static HashSet<string> NamespacesOf(AuditInventory inventory, AuditKind kind) =>
        inventory.Of(kind).Select(o => o.Namespace ?? "default").ToHashSet(StringComparer.Ordinal);
}
