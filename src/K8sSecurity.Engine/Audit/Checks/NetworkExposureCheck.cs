using System.Text.Json.Nodes;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// What is reachable from outside the pod network and what no NetworkPolicy guards: NodePort Services, LoadBalancer
/// Services open to every address, Ingresses (or hosts of one) without TLS, workloads no NetworkPolicy selects
/// (kube-score pod-networkpolicy) and NetworkPolicies whose selector matches no workload (networkpolicy-targets-pod).
/// Selectors are evaluated with the guardrails engine's NetworkPolicy model, on the pod template labels.
/// </summary>
public sealed class NetworkExposureCheck : IAuditCheck
{
    /// <summary>Annotations that make a cloud load balancer internal (no public address).</summary>
    public static IReadOnlyDictionary<string, string> InternalLoadBalancerAnnotations { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["service.beta.kubernetes.io/aws-load-balancer-internal"] = "true",
        ["service.beta.kubernetes.io/aws-load-balancer-scheme"] = "internal",
        ["service.beta.kubernetes.io/azure-load-balancer-internal"] = "true",
        ["networking.gke.io/load-balancer-type"] = "Internal",
        ["cloud.google.com/load-balancer-type"] = "Internal",
        ["service.beta.kubernetes.io/oci-load-balancer-internal"] = "true",
    };

    public AuditCategory Category => AuditCategory.Network;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.Service, AuditKind.Ingress, AuditKind.NetworkPolicy }.Concat(AuditContext.WorkloadKinds).ToArray();

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        int evaluated = 0;
        foreach (var service in context.Inventory.Of(AuditKind.Service).Where(s => !context.Options.IsExcluded(s.Namespace)))
        {
            evaluated++;
            if (ServiceFinding(context, service) is { } finding)
            {
                findings.Add(finding);
            }
        }

        foreach (var ingress in context.Inventory.Of(AuditKind.Ingress).Where(i => !context.Options.IsExcluded(i.Namespace)))
        {
            evaluated++;
            if (IngressFinding(context, ingress) is { } finding)
            {
                findings.Add(finding);
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var workloads = TopLevelWorkloads(context).ToList();
        var policies = context.Inventory.Of(AuditKind.NetworkPolicy)
            .Where(p => !context.Options.IsExcluded(p.Namespace))
            .Select(p => (Object: p, Model: NetworkPolicyModel.FromJson(p.Body, p.Namespace ?? "default")))
            .ToList();
        var targeted = new HashSet<NetworkPolicyModel>();
        foreach (var (workload, labels) in workloads)
        {
            evaluated++;
            string ns = workload.Namespace ?? "default";
            var selecting = policies.Where(p => p.Model.Namespace == ns && p.Model.PodSelector.Matches(labels)).Select(p => p.Model).ToList();
            targeted.UnionWith(selecting);
            if (selecting.Count == 0)
            {
                findings.Add(context.Finding(workload, Category, "NETPOL-POD-UNSELECTED", FindingSeverity.Medium, "Pods selected by no NetworkPolicy",
                    $"{workload.Kind} '{ns}/{workload.Name}': no NetworkPolicy in '{ns}' selects its pods, so they accept traffic from every pod in the cluster and reach anywhere.",
                    $"Add a default-deny NetworkPolicy to '{ns}' and policies that allow only the traffic the workload needs (New-K8sNetworkPolicy).",
                    new Dictionary<string, string> { ["podLabels"] = FormatLabels(labels) }));
            }
        }

        foreach (var (policy, model) in policies)
        {
            evaluated++;
            // An empty selector selects every pod of its namespace, including the ones deployed later: never dead. A
            // namespace that runs nothing yet has no labels to mistype: its policies wait for their workloads.
            if (!model.PodSelector.IsEmpty && !targeted.Contains(model) && context.HasWorkloads(model.Namespace))
            {
                findings.Add(context.Finding(policy, Category, "NETPOL-NO-TARGET", FindingSeverity.Low, "NetworkPolicy selects no pod",
                    $"NetworkPolicy '{model.FullName}': its podSelector {model.PodSelector} matches no workload in '{model.Namespace}', so it protects nothing (a typo in a label is the usual cause).",
                    "Correct spec.podSelector to the labels of the pods the policy is meant for, or delete the policy.",
                    new Dictionary<string, string> { ["spec.podSelector"] = model.PodSelector.ToString() }));
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }

    private AuditFinding? ServiceFinding(AuditContext context, ManifestObject service)
    {
        string type = service.Body.Str("spec", "type") ?? "ClusterIP";
        string name = $"{service.Namespace ?? "default"}/{service.Name}";
        var ports = service.Body.Objects("spec", "ports")
            .Select(p => p.Long("nodePort") is { } nodePort ? $"{p.Long("port")}->{nodePort}" : $"{p.Long("port")}")
            .ToList();
        if (type == "NodePort")
        {
            return context.Finding(service, Category, "SVC-NODEPORT", FindingSeverity.Medium, "Service of type NodePort",
                $"Service '{name}' is of type NodePort: port(s) {string.Join(", ", ports)} open on every node's address, bypassing the Ingress and most firewalls in front of it.",
                "Use type ClusterIP behind an Ingress (or a LoadBalancer with loadBalancerSourceRanges) instead of NodePort.",
                new Dictionary<string, string> { ["spec.type"] = type, ["ports"] = string.Join(", ", ports) });
        }

        if (type != "LoadBalancer")
        {
            return null;
        }

        var annotations = service.Body.StringMap("metadata", "annotations").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        if (InternalLoadBalancerAnnotations.Any(a => annotations.TryGetValue(a.Key, out var v) && string.Equals(v, a.Value, StringComparison.OrdinalIgnoreCase)))
        {
            return null;
        }

        var ranges = service.Body.Strings("spec", "loadBalancerSourceRanges").Select(r => r.Trim()).ToList();
        var open = ranges.Where(r => r is "0.0.0.0/0" or "::/0").ToList();
        if (ranges.Count > 0 && open.Count == 0)
        {
            return null;
        }

        return context.Finding(service, Category, "SVC-LOADBALANCER", FindingSeverity.Medium, "LoadBalancer Service open to every address",
            ranges.Count == 0
                ? $"Service '{name}' is of type LoadBalancer without loadBalancerSourceRanges: port(s) {string.Join(", ", ports)} accept connections from any address (the internet for a public load balancer)."
                : $"Service '{name}' is of type LoadBalancer and its loadBalancerSourceRanges include {string.Join(", ", open)}: every address may connect.",
            "Set spec.loadBalancerSourceRanges to the client networks, or make the load balancer internal (cloud annotation), or expose the service through an Ingress with TLS.",
            new Dictionary<string, string> { ["spec.type"] = type, ["spec.loadBalancerSourceRanges"] = ranges.Count == 0 ? "(not set)" : string.Join(", ", ranges) });
    }

    private AuditFinding? IngressFinding(AuditContext context, ManifestObject ingress)
    {
        string name = $"{ingress.Namespace ?? "default"}/{ingress.Name}";
        var tls = ingress.Body.Objects("spec", "tls").ToList();
        var hosts = ingress.Body.Objects("spec", "rules").Select(r => r.Str("host")).OfType<string>().Where(h => h.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (tls.Count == 0)
        {
            return context.Finding(ingress, Category, "ING-NO-TLS", FindingSeverity.Medium, "Ingress without TLS",
                $"Ingress '{name}' has no spec.tls: {(hosts.Count == 0 ? "its traffic" : "traffic for " + string.Join(", ", hosts))} is served over plain HTTP, credentials and cookies included.",
                "Add spec.tls with the hosts and a TLS Secret (e.g. from cert-manager), and redirect HTTP to HTTPS in the ingress controller.",
                new Dictionary<string, string> { ["spec.tls"] = "(not set)" });
        }

        // A tls entry without hosts takes the controller's default certificate for every host.
        if (tls.Any(t => !t.Strings("hosts").Any()))
        {
            return null;
        }

        var covered = tls.SelectMany(t => t.Strings("hosts")).ToList();
        var uncovered = hosts.Where(h => !covered.Any(c => HostMatches(c, h))).ToList();
        if (uncovered.Count == 0)
        {
            return null;
        }

        return context.Finding(ingress, Category, "ING-NO-TLS", FindingSeverity.Medium, "Ingress without TLS",
            $"Ingress '{name}' has no TLS for host(s) {string.Join(", ", uncovered)}: their traffic is served over plain HTTP.",
            "List every rule's host under spec.tls[].hosts with a certificate that covers it.",
            new Dictionary<string, string> { ["spec.tls.hosts"] = string.Join(", ", covered), ["uncovered"] = string.Join(", ", uncovered) });
    }

    /// <summary>A TLS host covers a rule host when equal, or as a wildcard for exactly one leading label.</summary>
    internal static bool HostMatches(string tlsHost, string host)
    {
        if (string.Equals(tlsHost, host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        if (!tlsHost.StartsWith("*.", StringComparison.Ordinal))
        {
            return false;
        }

        int dot = host.IndexOf('.', StringComparison.Ordinal);
        return dot > 0 && string.Equals(host[(dot + 1)..], tlsHost[2..], StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Workloads with their pod template labels, each reported once: pods and ReplicaSets whose controller was read are skipped.</summary>
    private static IEnumerable<(ManifestObject Workload, IReadOnlyDictionary<string, string> Labels)> TopLevelWorkloads(AuditContext context)
    {
        var all = AuditContext.WorkloadKinds.SelectMany(k => context.Inventory.Of(k)).Where(o => !context.Options.IsExcluded(o.Namespace)).ToList();
        var controllers = all.Where(o => o.Kind is not null && WorkloadScanner.ControllerKinds.Contains(o.Kind))
            .Select(o => (o.Kind!, o.Namespace ?? "default", o.Name ?? string.Empty))
            .ToHashSet();
        foreach (var item in all)
        {
            if (WorkloadScanner.ControllerOf(item.Body) is { } owner && controllers.Contains((owner.Kind, item.Namespace ?? "default", owner.Name)))
            {
                continue;
            }

            if (WorkloadScanner.TryGetPodTemplate(item.Body, out var pod))
            {
                yield return (item, pod.Metadata.StringMap("labels").ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
            }
        }
    }

    private static string FormatLabels(IReadOnlyDictionary<string, string> labels) =>
        labels.Count == 0 ? "(none)" : string.Join(",", labels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));
}
