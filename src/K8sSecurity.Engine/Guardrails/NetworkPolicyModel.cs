using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>A metav1.LabelSelector: matchLabels AND every matchExpression. An empty selector matches everything.</summary>
public sealed class LabelSelectorModel
{
    public IReadOnlyDictionary<string, string> MatchLabels { get; init; } = new Dictionary<string, string>();

    public IReadOnlyList<SelectorExpression> MatchExpressions { get; init; } = Array.Empty<SelectorExpression>();

    public bool IsEmpty => MatchLabels.Count == 0 && MatchExpressions.Count == 0;

    public static LabelSelectorModel Everything { get; } = new();

    public static LabelSelectorModel? FromJson(JsonNode? node)
    {
        if (node is not JsonObject obj)
        {
            return null;
        }

        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (obj["matchLabels"] is JsonObject ml)
        {
            foreach (var (key, value) in ml)
            {
                labels[key] = value?.ToString() ?? string.Empty;
            }
        }

        var expressions = new List<SelectorExpression>();
        if (obj["matchExpressions"] is JsonArray me)
        {
            foreach (var e in me.OfType<JsonObject>())
            {
                expressions.Add(new SelectorExpression(
                    e["key"]?.ToString() ?? string.Empty,
                    e["operator"]?.ToString() ?? string.Empty,
                    (e["values"] as JsonArray)?.Select(v => v?.ToString() ?? string.Empty).ToArray() ?? Array.Empty<string>()));
            }
        }

        return new LabelSelectorModel { MatchLabels = labels, MatchExpressions = expressions };
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        foreach (var (key, value) in MatchLabels)
        {
            if (!labels.TryGetValue(key, out var actual) || actual != value)
            {
                return false;
            }
        }

        return MatchExpressions.All(e => e.Matches(labels));
    }

    public override string ToString()
    {
        if (IsEmpty)
        {
            return "<all>";
        }

        var parts = MatchLabels.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}")
            .Concat(MatchExpressions.Select(e => e.ToString()));
        return string.Join(",", parts);
    }
}

/// <summary>One matchExpressions entry (In, NotIn, Exists, DoesNotExist).</summary>
public sealed record SelectorExpression(string Key, string Operator, IReadOnlyList<string> Values)
{
    public bool Matches(IReadOnlyDictionary<string, string> labels)
    {
        bool has = labels.TryGetValue(Key, out var value);
        return Operator switch
        {
            "In" => has && Values.Contains(value!, StringComparer.Ordinal),
            "NotIn" => !has || !Values.Contains(value!, StringComparer.Ordinal), // a missing key is "not in"
            "Exists" => has,
            "DoesNotExist" => !has,
            _ => false, // the apiserver rejects unknown operators; never match them
        };
    }

    public override string ToString() => Operator switch
    {
        "Exists" => Key,
        "DoesNotExist" => "!" + Key,
        "NotIn" => $"{Key} notin ({string.Join(",", Values)})",
        _ => $"{Key} in ({string.Join(",", Values)})",
    };
}

/// <summary>A CIDR with its exceptions (networking.k8s.io/v1 IPBlock).</summary>
public sealed class IpBlockModel
{
    public required string Cidr { get; init; }

    public IReadOnlyList<string> Except { get; init; } = Array.Empty<string>();

    public bool Contains(IPAddress address) =>
        CidrContains(Cidr, address) && !Except.Any(e => CidrContains(e, address));

    public static bool CidrContains(string cidr, IPAddress address)
    {
        int slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var network)
            || !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix))
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (network.AddressFamily != address.AddressFamily)
        {
            return false;
        }

        byte[] a = network.GetAddressBytes();
        byte[] b = address.GetAddressBytes();
        if (prefix > a.Length * 8)
        {
            return false;
        }

        for (int bit = 0; bit < prefix; bit++)
        {
            int mask = 0x80 >> (bit % 8);
            if ((a[bit / 8] & mask) != (b[bit / 8] & mask))
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValidCidr(string cidr)
    {
        int slash = cidr.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(cidr.AsSpan(0, slash), out var network)
            || !int.TryParse(cidr.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int prefix))
        {
            return false;
        }

        return prefix <= (network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
    }

    public override string ToString() => Except.Count == 0 ? Cidr : $"{Cidr} except {string.Join(",", Except)}";
}

/// <summary>
/// One peer of a rule. The fields combine like the API reference says: podSelector alone = pods of the policy's
/// namespace; namespaceSelector alone = every pod of the matching namespaces; both in ONE peer = pods matching
/// podSelector inside namespaces matching namespaceSelector (AND); ipBlock = addresses.
/// </summary>
public sealed class PeerModel
{
    public LabelSelectorModel? PodSelector { get; init; }

    public LabelSelectorModel? NamespaceSelector { get; init; }

    public IpBlockModel? IpBlock { get; init; }

    public static PeerModel FromJson(JsonObject obj)
    {
        IpBlockModel? block = null;
        if (obj["ipBlock"] is JsonObject ip)
        {
            block = new IpBlockModel
            {
                Cidr = ip["cidr"]?.ToString() ?? string.Empty,
                Except = (ip["except"] as JsonArray)?.Select(e => e?.ToString() ?? string.Empty).ToArray() ?? Array.Empty<string>(),
            };
        }

        return new PeerModel
        {
            PodSelector = LabelSelectorModel.FromJson(obj["podSelector"]),
            NamespaceSelector = LabelSelectorModel.FromJson(obj["namespaceSelector"]),
            IpBlock = block,
        };
    }

    public override string ToString()
    {
        if (IpBlock is not null)
        {
            return "ipBlock " + IpBlock;
        }

        var parts = new List<string>();
        if (NamespaceSelector is not null)
        {
            parts.Add("namespaces " + NamespaceSelector);
        }

        if (PodSelector is not null)
        {
            parts.Add("pods " + PodSelector);
        }

        return string.Join(" AND ", parts);
    }
}

/// <summary>A NetworkPolicyPort: protocol (TCP by default), a number or a named port (or any), optional endPort.</summary>
public sealed class PortModel
{
    public string Protocol { get; init; } = "TCP";

    /// <summary>Null: every port of <see cref="Protocol"/>.</summary>
    public int? Number { get; init; }

    /// <summary>A named container port of the destination pod.</summary>
    public string? Name { get; init; }

    public int? EndPort { get; init; }

    public static PortModel FromJson(JsonObject obj)
    {
        var port = obj["port"];
        int? number = null;
        string? name = null;
        if (port is JsonValue value)
        {
            if (value.TryGetValue<int>(out int n))
            {
                number = n;
            }
            else if (value.TryGetValue<long>(out long l))
            {
                number = (int)l;
            }
            else
            {
                string text = value.ToString();
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed))
                {
                    number = parsed;
                }
                else
                {
                    name = text;
                }
            }
        }

        int? endPort = JsonNumbers.TryInt(obj["endPort"], out int e) ? e : null;
        return new PortModel { Protocol = obj["protocol"]?.ToString() ?? "TCP", Number = number, Name = name, EndPort = endPort };
    }

    public override string ToString()
    {
        string port = Name ?? (Number is null ? "*" : EndPort is null ? Number.Value.ToString(CultureInfo.InvariantCulture) : $"{Number}-{EndPort}");
        return $"{port}/{Protocol}";
    }
}

/// <summary>One ingress or egress rule: peers (missing or empty = everyone) and ports (missing or empty = all).</summary>
public sealed class RuleModel
{
    public IReadOnlyList<PeerModel> Peers { get; init; } = Array.Empty<PeerModel>();

    public IReadOnlyList<PortModel> Ports { get; init; } = Array.Empty<PortModel>();

    public static RuleModel FromJson(JsonObject obj, string peersField) => new()
    {
        Peers = (obj[peersField] as JsonArray)?.OfType<JsonObject>().Select(PeerModel.FromJson).ToArray() ?? Array.Empty<PeerModel>(),
        Ports = (obj["ports"] as JsonArray)?.OfType<JsonObject>().Select(PortModel.FromJson).ToArray() ?? Array.Empty<PortModel>(),
    };

    public override string ToString()
    {
        string peers = Peers.Count == 0 ? "any peer" : string.Join(" OR ", Peers.Select(p => "(" + p + ")"));
        string ports = Ports.Count == 0 ? "any port" : string.Join(",", Ports);
        return $"{peers} on {ports}";
    }
}

/// <summary>A NetworkPolicy reduced to what decides traffic, with policyTypes inferred like the apiserver defaults them.</summary>
public sealed class NetworkPolicyModel
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required LabelSelectorModel PodSelector { get; init; }

    public bool AffectsIngress { get; init; }

    public bool AffectsEgress { get; init; }

    public IReadOnlyList<RuleModel> Ingress { get; init; } = Array.Empty<RuleModel>();

    public IReadOnlyList<RuleModel> Egress { get; init; } = Array.Empty<RuleModel>();

    public string Source { get; init; } = "cluster";

    public string FullName => $"{Namespace}/{Name}";

    /// <summary>Reads a NetworkPolicy object (from a manifest or the cluster, as JSON).</summary>
    public static NetworkPolicyModel FromJson(JsonObject body, string defaultNamespace, string source = "cluster")
    {
        var metadata = body["metadata"] as JsonObject;
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        var ingress = (spec["ingress"] as JsonArray)?.OfType<JsonObject>().Select(r => RuleModel.FromJson(r, "from")).ToArray() ?? Array.Empty<RuleModel>();
        var egress = (spec["egress"] as JsonArray)?.OfType<JsonObject>().Select(r => RuleModel.FromJson(r, "to")).ToArray() ?? Array.Empty<RuleModel>();
        var types = (spec["policyTypes"] as JsonArray)?.Select(t => t?.ToString() ?? string.Empty).ToArray() ?? Array.Empty<string>();
        bool affectsIngress;
        bool affectsEgress;
        if (types.Length == 0)
        {
            // Defaulting of networking/v1: Ingress always; Egress only when egress rules exist.
            affectsIngress = true;
            affectsEgress = egress.Length > 0;
        }
        else
        {
            affectsIngress = types.Contains("Ingress", StringComparer.Ordinal);
            affectsEgress = types.Contains("Egress", StringComparer.Ordinal);
        }

        return new NetworkPolicyModel
        {
            Namespace = metadata?["namespace"]?.ToString() ?? defaultNamespace,
            Name = metadata?["name"]?.ToString() ?? string.Empty,
            PodSelector = LabelSelectorModel.FromJson(spec["podSelector"]) ?? LabelSelectorModel.Everything,
            AffectsIngress = affectsIngress,
            AffectsEgress = affectsEgress,
            Ingress = ingress,
            Egress = egress,
            Source = source,
        };
    }
}

/// <summary>Integers from JSON whatever the reader made of them (int, long from YAML, numeric text).</summary>
internal static class JsonNumbers
{
    public static bool TryInt(JsonNode? node, out int value)
    {
        value = 0;
        if (node is not JsonValue v)
        {
            return false;
        }

        if (v.TryGetValue<int>(out value))
        {
            return true;
        }

        if (v.TryGetValue<long>(out long l) && l is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)l;
            return true;
        }

        if (v.TryGetValue<double>(out double d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)d;
            return true;
        }

        return false;
    }
}

/// <summary>A named container port of a pod, for named-port rules.</summary>
public sealed record ContainerPortModel(string? Name, int Number, string Protocol);

/// <summary>One end of a connection: a pod (labels, namespace, optional IP and ports) or an address outside the cluster.</summary>
public sealed class EndpointModel
{
    /// <summary>Null for an address outside the cluster.</summary>
    public string? Namespace { get; init; }

    public string? Name { get; init; }

    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public IPAddress? Address { get; init; }

    public IReadOnlyList<ContainerPortModel> Ports { get; init; } = Array.Empty<ContainerPortModel>();

    public bool IsPod => Namespace is not null;

    public override string ToString()
    {
        if (!IsPod)
        {
            return Address?.ToString() ?? "<external>";
        }

        string who = Name ?? (Labels.Count == 0 ? "<any pod>" : "{" + string.Join(",", Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")) + "}");
        return $"{Namespace}/{who}";
    }
}
