using System.Globalization;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>The answer of Test-K8sNetworkPolicy for one connection.</summary>
public sealed class NetworkPolicyVerdict
{
    public required string From { get; init; }

    public required string To { get; init; }

    public required string Port { get; init; }

    public required string Protocol { get; init; }

    /// <summary>True only when the source may send (egress) AND the destination may receive (ingress).</summary>
    public bool Allowed { get; init; }

    public bool EgressAllowed { get; init; }

    public bool IngressAllowed { get; init; }

    /// <summary>True when at least one Egress policy selects the source pod.</summary>
    public bool SourceIsolated { get; init; }

    /// <summary>True when at least one Ingress policy selects the destination pod.</summary>
    public bool DestinationIsolated { get; init; }

    /// <summary>Policies that decide: the ones allowing the traffic, or, when denied, the isolating ones without a matching rule.</summary>
    public IReadOnlyList<string> DecidingPolicies { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> EgressPolicies { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> IngressPolicies { get; init; } = Array.Empty<string>();

    public required string Reason { get; init; }

    /// <summary>Offline: inputs that could not be read ("file:line: why"); when any, the verdict may be wrong.</summary>
    public IReadOnlyList<string> SkippedInputs { get; init; } = Array.Empty<string>();
}

/// <summary>Which policies select one pod, per direction; a pod no policy selects is not isolated at all.</summary>
public sealed class NetworkPolicyCoverage
{
    public required string Namespace { get; init; }

    public required string Pod { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public bool IngressIsolated => IngressPolicies.Count > 0;

    public bool EgressIsolated => EgressPolicies.Count > 0;

    public IReadOnlyList<string> IngressPolicies { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> EgressPolicies { get; init; } = Array.Empty<string>();

    /// <summary>Offline: inputs that could not be read ("file:line: why"); when any, the coverage may be wrong.</summary>
    public IReadOnlyList<string> SkippedInputs { get; init; } = Array.Empty<string>();
}

/// <summary>
/// NetworkPolicy semantics of the Kubernetes API reference: a pod is isolated for a direction only when some
/// policy of that type selects it; then traffic is allowed when ANY selecting policy has a rule whose peers and
/// ports match (allows are a union, there are no denies); a connection needs egress from the source AND ingress
/// to the destination.
/// </summary>
public sealed class NetworkPolicyEvaluator
{
    private readonly IReadOnlyList<NetworkPolicyModel> policies;
    private readonly Func<string, IReadOnlyDictionary<string, string>> namespaceLabels;

    public NetworkPolicyEvaluator(IEnumerable<NetworkPolicyModel> policies, Func<string, IReadOnlyDictionary<string, string>> namespaceLabels, IReadOnlyList<string>? skippedInputs = null)
    {
        this.policies = policies.ToList();
        this.namespaceLabels = namespaceLabels;
        SkippedInputs = skippedInputs ?? Array.Empty<string>();
    }

    /// <summary>Inputs that could not be read; every verdict carries them and says it may be wrong.</summary>
    public IReadOnlyList<string> SkippedInputs { get; }

    /// <summary>Namespace labels as the apiserver sets them at least: kubernetes.io/metadata.name.</summary>
    public static IReadOnlyDictionary<string, string> WithNameLabel(string ns, IReadOnlyDictionary<string, string>? labels)
    {
        var result = new Dictionary<string, string>(labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
        {
            ["kubernetes.io/metadata.name"] = ns,
        };
        return result;
    }

    public NetworkPolicyVerdict Evaluate(EndpointModel from, EndpointModel to, string port, string protocol = "TCP")
    {
        var requested = ResolvePort(port, to);
        var egressSelecting = from.IsPod ? Selecting(from, egress: true) : new List<NetworkPolicyModel>();
        var ingressSelecting = to.IsPod ? Selecting(to, egress: false) : new List<NetworkPolicyModel>();

        var egressAllowing = egressSelecting.Where(p => p.Egress.Any(r => RuleMatches(r, p.Namespace, to, requested, protocol, to))).ToList();
        var ingressAllowing = ingressSelecting.Where(p => p.Ingress.Any(r => RuleMatches(r, p.Namespace, from, requested, protocol, to))).ToList();

        bool egressAllowed = egressSelecting.Count == 0 || egressAllowing.Count > 0;
        bool ingressAllowed = ingressSelecting.Count == 0 || ingressAllowing.Count > 0;
        bool allowed = egressAllowed && ingressAllowed;

        var deciding = new List<string>();
        var reasons = new List<string>();
        if (!from.IsPod)
        {
            reasons.Add("source is outside the cluster: no egress policy applies");
        }
        else if (egressSelecting.Count == 0)
        {
            reasons.Add($"no Egress policy selects {from}: egress not isolated");
        }
        else if (egressAllowed)
        {
            deciding.AddRange(egressAllowing.Select(p => p.FullName));
            reasons.Add("egress allowed by " + string.Join(", ", egressAllowing.Select(p => p.FullName)));
        }
        else
        {
            deciding.AddRange(egressSelecting.Select(p => p.FullName));
            reasons.Add("egress isolated by " + string.Join(", ", egressSelecting.Select(p => p.FullName)) + " and no egress rule matches");
        }

        if (!to.IsPod)
        {
            reasons.Add("destination is outside the cluster: no ingress policy applies");
        }
        else if (ingressSelecting.Count == 0)
        {
            reasons.Add($"no Ingress policy selects {to}: ingress not isolated");
        }
        else if (ingressAllowed)
        {
            deciding.AddRange(ingressAllowing.Select(p => p.FullName));
            reasons.Add("ingress allowed by " + string.Join(", ", ingressAllowing.Select(p => p.FullName)));
        }
        else
        {
            deciding.AddRange(ingressSelecting.Select(p => p.FullName));
            reasons.Add("ingress isolated by " + string.Join(", ", ingressSelecting.Select(p => p.FullName)) + " and no ingress rule matches");
        }

        return new NetworkPolicyVerdict
        {
            From = from.ToString(),
            To = to.ToString(),
            Port = port,
            Protocol = protocol,
            Allowed = allowed,
            EgressAllowed = egressAllowed,
            IngressAllowed = ingressAllowed,
            SourceIsolated = egressSelecting.Count > 0,
            DestinationIsolated = ingressSelecting.Count > 0,
            DecidingPolicies = deciding.Distinct(StringComparer.Ordinal).ToArray(),
            EgressPolicies = egressSelecting.Select(p => p.FullName).ToArray(),
            IngressPolicies = ingressSelecting.Select(p => p.FullName).ToArray(),
            Reason = (SkippedInputs.Count > 0 ? $"INCOMPLETE: {SkippedInputs.Count} input(s) could not be read, so this verdict may be wrong. " : string.Empty)
                + string.Join("; ", reasons),
            SkippedInputs = SkippedInputs,
        };
    }

    public NetworkPolicyCoverage Coverage(EndpointModel pod) => new()
    {
        Namespace = pod.Namespace ?? string.Empty,
        Pod = pod.Name ?? string.Empty,
        Labels = pod.Labels,
        IngressPolicies = Selecting(pod, egress: false).Select(p => p.FullName).ToArray(),
        EgressPolicies = Selecting(pod, egress: true).Select(p => p.FullName).ToArray(),
        SkippedInputs = SkippedInputs,
    };

    private List<NetworkPolicyModel> Selecting(EndpointModel pod, bool egress) =>
        policies.Where(p => p.Namespace == pod.Namespace
                            && (egress ? p.AffectsEgress : p.AffectsIngress)
                            && p.PodSelector.Matches(pod.Labels))
            .ToList();

    private bool RuleMatches(RuleModel rule, string policyNamespace, EndpointModel peer, RequestedPort port, string protocol, EndpointModel destination) =>
        (rule.Peers.Count == 0 || rule.Peers.Any(p => PeerMatches(p, policyNamespace, peer)))
        && (rule.Ports.Count == 0 || rule.Ports.Any(p => PortMatches(p, port, protocol, destination)));

    private bool PeerMatches(PeerModel peer, string policyNamespace, EndpointModel endpoint)
    {
        if (peer.IpBlock is not null)
        {
            return endpoint.Address is not null && peer.IpBlock.Contains(endpoint.Address);
        }

        if (!endpoint.IsPod)
        {
            return false; // selectors only ever select pods
        }

        if (peer.NamespaceSelector is not null)
        {
            if (!peer.NamespaceSelector.Matches(namespaceLabels(endpoint.Namespace!)))
            {
                return false;
            }
        }
        else if (endpoint.Namespace != policyNamespace)
        {
            return false; // podSelector alone means the policy's own namespace
        }

        return peer.PodSelector is null || peer.PodSelector.Matches(endpoint.Labels);
    }

    private static bool PortMatches(PortModel rulePort, RequestedPort port, string protocol, EndpointModel destination)
    {
        if (!string.Equals(rulePort.Protocol, protocol, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (rulePort.Number is null && rulePort.Name is null)
        {
            return true; // protocol only: every port
        }

        if (rulePort.Name is not null)
        {
            // A named port is looked up on the destination pod's containers.
            if (port.Name is not null && string.Equals(port.Name, rulePort.Name, StringComparison.Ordinal))
            {
                return true;
            }

            var named = destination.Ports.FirstOrDefault(p => p.Name == rulePort.Name && string.Equals(p.Protocol, protocol, StringComparison.OrdinalIgnoreCase));
            return named is not null && port.Number == named.Number;
        }

        if (port.Number is null)
        {
            return false;
        }

        return rulePort.EndPort is null
            ? port.Number == rulePort.Number
            : port.Number >= rulePort.Number && port.Number <= rulePort.EndPort;
    }

    private static RequestedPort ResolvePort(string port, EndpointModel destination)
    {
        if (int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int number))
        {
            return new RequestedPort(number, destination.Ports.FirstOrDefault(p => p.Number == number)?.Name);
        }

        return new RequestedPort(destination.Ports.FirstOrDefault(p => p.Name == port)?.Number, port);
    }

    private readonly record struct RequestedPort(int? Number, string? Name);
}
