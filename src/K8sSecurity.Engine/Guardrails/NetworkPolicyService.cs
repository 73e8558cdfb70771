using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>What New-K8sNetworkPolicy builds: a default deny, allow rules, or both in one policy.</summary>
public sealed class NetworkPolicyRequest
{
    public required string Namespace { get; init; }

    public string? Name { get; init; }

    /// <summary>None, Ingress, Egress or All.</summary>
    public string? DefaultDeny { get; init; }

    public bool AllowDns { get; init; }

    public IReadOnlyDictionary<string, string>? PodSelector { get; init; }

    public IReadOnlyDictionary<string, string>? AllowFromPod { get; init; }

    public IReadOnlyDictionary<string, string>? AllowFromNamespace { get; init; }

    public IReadOnlyList<string> AllowFromCidr { get; init; } = Array.Empty<string>();

    public IReadOnlyDictionary<string, string>? AllowToPod { get; init; }

    public IReadOnlyDictionary<string, string>? AllowToNamespace { get; init; }

    public IReadOnlyList<string> AllowToCidr { get; init; } = Array.Empty<string>();

    /// <summary>CIDRs carved out of every -AllowFromCidr/-AllowToCidr block.</summary>
    public IReadOnlyList<string> ExceptCidr { get; init; } = Array.Empty<string>();

    /// <summary>Numbers, ranges "8000-8080" or named ports.</summary>
    public IReadOnlyList<string> Port { get; init; } = Array.Empty<string>();

    public string Protocol { get; init; } = "TCP";

    /// <summary>Overwrite a policy of the same name whose spec differs.</summary>
    public bool Force { get; init; }
}

/// <summary>A NetworkPolicy as the module shows it.</summary>
public sealed class NetworkPolicyInfo
{
    public required string Namespace { get; init; }

    public required string Name { get; init; }

    public required string PodSelector { get; init; }

    public IReadOnlyList<string> PolicyTypes { get; init; } = Array.Empty<string>();

    /// <summary>One line per ingress rule ("from (pods app=api) on 3306/TCP"); empty with Ingress in PolicyTypes = deny all.</summary>
    public IReadOnlyList<string> Ingress { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> Egress { get; init; } = Array.Empty<string>();

    public bool DefaultDenyIngress { get; init; }

    public bool DefaultDenyEgress { get; init; }

    public DateTimeOffset? Created { get; init; }
}

/// <summary>NetworkPolicy create/read/delete plus the live and offline inputs of Test-K8sNetworkPolicy.</summary>
public static class NetworkPolicyService
{
    private static readonly string[] Protocols = { "TCP", "UDP", "SCTP" };

    /// <summary>Checks a request without building anything the cmdlet layer would have to load.</summary>
    public static void Validate(NetworkPolicyRequest request) => Build(request);

    internal static V1NetworkPolicy Build(NetworkPolicyRequest request)
    {
        KubernetesNames.ValidateNamespace("Namespace", request.Namespace);
        string deny = request.DefaultDeny ?? "None";
        if (deny is not ("None" or "Ingress" or "Egress" or "All"))
        {
            throw K8sOperationException.InvalidArgument("DefaultDeny", deny, "must be Ingress, Egress or All");
        }

        if (!Protocols.Contains(request.Protocol, StringComparer.Ordinal))
        {
            throw K8sOperationException.InvalidArgument("Protocol", request.Protocol, "must be TCP, UDP or SCTP");
        }

        bool hasIngressAllow = request.AllowFromPod is not null || request.AllowFromNamespace is not null || request.AllowFromCidr.Count > 0;
        bool hasEgressAllow = request.AllowToPod is not null || request.AllowToNamespace is not null || request.AllowToCidr.Count > 0;
        if (deny == "None" && !hasIngressAllow && !hasEgressAllow)
        {
            throw K8sOperationException.InvalidArgument("DefaultDeny", request.Name, "give -DefaultDeny or at least one allow rule (-AllowFromPod, -AllowFromNamespace, -AllowFromCidr, -AllowToPod, -AllowToNamespace, -AllowToCidr)");
        }

        if (request.AllowDns && deny is not ("Egress" or "All") && !hasEgressAllow)
        {
            throw K8sOperationException.InvalidArgument("AllowDns", true, "only makes sense with -DefaultDeny Egress|All or egress allow rules");
        }

        string name = request.Name ?? (deny != "None" ? "default-deny-" + deny.ToLowerInvariant() : throw K8sOperationException.InvalidArgument("Name", null, "a policy with allow rules needs -Name"));
        KubernetesNames.ValidateObjectName("Name", name);

        var ports = request.Port.Select(p => ParsePort(p, request.Protocol)).ToList();
        foreach (string cidr in request.AllowFromCidr.Concat(request.AllowToCidr).Concat(request.ExceptCidr))
        {
            if (!IpBlockModel.IsValidCidr(cidr))
            {
                throw K8sOperationException.InvalidArgument(request.ExceptCidr.Contains(cidr) ? "ExceptCidr" : request.AllowFromCidr.Contains(cidr) ? "AllowFromCidr" : "AllowToCidr", cidr, "must be a valid CIDR such as 10.0.0.0/8");
            }
        }

        // The API server refuses an except that is not a strict subset of its ipBlock's cidr; one inside no allowed
        // range would be dropped from the policy without a word, leaving the subnet it was meant to exclude allowed.
        foreach (string except in request.ExceptCidr)
        {
            if (!request.AllowFromCidr.Concat(request.AllowToCidr).Any(cidr => IsStrictSubset(except, cidr)))
            {
                throw K8sOperationException.InvalidArgument("ExceptCidr", except,
                    "must be a strict subset of one of the -AllowFromCidr/-AllowToCidr ranges (the API server's rule for ipBlock.except); it would exclude nothing otherwise");
            }
        }

        foreach (var (parameter, selector) in new[]
        {
            ("PodSelector", request.PodSelector), ("AllowFromPod", request.AllowFromPod), ("AllowFromNamespace", request.AllowFromNamespace),
            ("AllowToPod", request.AllowToPod), ("AllowToNamespace", request.AllowToNamespace),
        })
        {
            KubernetesNames.ValidateLabels(parameter, selector);
        }

        var types = new List<string>();
        if (deny is "Ingress" or "All" || hasIngressAllow)
        {
            types.Add("Ingress");
        }

        if (deny is "Egress" or "All" || hasEgressAllow)
        {
            types.Add("Egress");
        }

        List<V1NetworkPolicyIngressRule>? ingress = null;
        if (hasIngressAllow)
        {
            ingress = new List<V1NetworkPolicyIngressRule>
            {
                new() { FromProperty = Peers(request.AllowFromPod, request.AllowFromNamespace, request.AllowFromCidr, request.ExceptCidr), Ports = ports.Count == 0 ? null : ports },
            };
        }

        List<V1NetworkPolicyEgressRule>? egress = null;
        if (hasEgressAllow)
        {
            egress = new List<V1NetworkPolicyEgressRule>
            {
                new() { To = Peers(request.AllowToPod, request.AllowToNamespace, request.AllowToCidr, request.ExceptCidr), Ports = ports.Count == 0 ? null : ports },
            };
        }

        if (request.AllowDns)
        {
            egress ??= new List<V1NetworkPolicyEgressRule>();
            egress.Add(DnsRule());
        }

        return new V1NetworkPolicy
        {
            ApiVersion = "networking.k8s.io/v1",
            Kind = "NetworkPolicy",
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = request.Namespace },
            Spec = new V1NetworkPolicySpec
            {
                PodSelector = Selector(request.PodSelector) ?? new V1LabelSelector(),
                PolicyTypes = types,
                Ingress = ingress,
                Egress = egress,
            },
        };
    }

    /// <summary>DNS to kube-dns in kube-system on 53/UDP and 53/TCP: what a default-deny-egress namespace still needs.</summary>
    internal static V1NetworkPolicyEgressRule DnsRule() => new()
    {
        To = new List<V1NetworkPolicyPeer>
        {
            new()
            {
                NamespaceSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = "kube-system" } },
                PodSelector = new V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["k8s-app"] = "kube-dns" } },
            },
        },
        Ports = new List<V1NetworkPolicyPort>
        {
            new() { Protocol = "UDP", Port = (IntOrString)53 },
            new() { Protocol = "TCP", Port = (IntOrString)53 },
        },
    };

    public static async Task<PlannedChange> PlanAsync(ClusterClient cluster, NetworkPolicyRequest request, EngineLog log, CancellationToken cancellationToken)
    {
        var desired = Build(request);
        return await PlanAsync(cluster, desired, request.Force, log, cancellationToken).ConfigureAwait(false);
    }

    internal static async Task<PlannedChange> PlanAsync(ClusterClient cluster, V1NetworkPolicy desired, bool force, EngineLog log, CancellationToken cancellationToken)
    {
        string ns = desired.Metadata.NamespaceProperty;
        string name = desired.Metadata.Name;
        var existing = await GuardrailApi.GetOrNullAsync(
            () => cluster.Api.NetworkingV1.ReadNamespacedNetworkPolicyAsync(name, ns, cancellationToken: cancellationToken),
            $"Reading NetworkPolicy {ns}/{name}", name).ConfigureAwait(false);
        var desiredInfo = ToInfo(desired);
        ChangeAction action;
        string description;
        if (existing is null)
        {
            action = ChangeAction.Create;
            description = "create " + Summary(desiredInfo);
        }
        else if (SameSpec(existing, desired))
        {
            action = ChangeAction.Unchanged;
            description = "already as requested";
        }
        else if (!force)
        {
            throw new K8sOperationException(
                K8sErrorKind.AlreadyExists,
                $"NetworkPolicy {ns}/{name} already exists with different rules ({Summary(ToInfo(existing))}); use -Force to replace it or choose another -Name.",
                name);
        }
        else
        {
            action = ChangeAction.Update;
            desired.Metadata.ResourceVersion = existing.Metadata.ResourceVersion;
            description = $"replace [{Summary(ToInfo(existing))}] with [{Summary(desiredInfo)}]";
        }

        log.Verbose($"NetworkPolicy {ns}/{name}: {description}");
        return new PlannedChange
        {
            Action = action, Kind = "NetworkPolicy", Namespace = ns, Name = name, Description = description, Desired = desired,
            Replan = ct => PlanAsync(cluster, desired, force, log, ct), Log = log,
        };
    }

    /// <summary>Sends the planned change with the read resourceVersion; planned again from a fresh read when another writer was first.</summary>
    public static async Task<NetworkPolicyInfo> ApplyAsync(ClusterClient cluster, PlannedChange plan, CancellationToken cancellationToken)
    {
        var result = await GuardrailApi.ApplyAsync(plan, current => current.Action switch
        {
            ChangeAction.Create => ReadModifyWrite.WriteAsync(WriteKind.Create,
                () => cluster.Api.NetworkingV1.CreateNamespacedNetworkPolicyAsync((V1NetworkPolicy)current.Desired!, current.Namespace, cancellationToken: cancellationToken),
                $"Creating NetworkPolicy {current.Namespace}/{current.Name}", current.Name),
            ChangeAction.Update => ReadModifyWrite.WriteAsync(WriteKind.Update,
                () => cluster.Api.NetworkingV1.ReplaceNamespacedNetworkPolicyAsync((V1NetworkPolicy)current.Desired!, current.Name, current.Namespace, cancellationToken: cancellationToken),
                $"Replacing NetworkPolicy {current.Namespace}/{current.Name}", current.Name),
            _ => ApiErrorTranslator.CallAsync(
                () => cluster.Api.NetworkingV1.ReadNamespacedNetworkPolicyAsync(current.Name, current.Namespace, cancellationToken: cancellationToken),
                $"Reading NetworkPolicy {current.Namespace}/{current.Name}", current.Name),
        }, cancellationToken).ConfigureAwait(false);
        return ToInfo(result);
    }

    public static async Task<IReadOnlyList<NetworkPolicyInfo>> GetAsync(ClusterClient cluster, string? ns, string? name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns, optional: true);
        var list = await ListAsync(cluster, ns, cancellationToken).ConfigureAwait(false);
        return list.Where(p => name is null || GuardrailNames.Matches(name, p.Metadata.Name))
            .OrderBy(p => p.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(p => p.Metadata.Name, StringComparer.Ordinal)
            .Select(ToInfo).ToList();
    }

    public static Task RemoveAsync(ClusterClient cluster, string ns, string name, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("Name", name);
        return ApiErrorTranslator.CallAsync(
            () => cluster.Api.NetworkingV1.DeleteNamespacedNetworkPolicyAsync(name, ns, cancellationToken: cancellationToken),
            $"Deleting NetworkPolicy {ns}/{name}", name);
    }

    internal static async Task<IList<V1NetworkPolicy>> ListAsync(ClusterClient cluster, string? ns, CancellationToken cancellationToken)
    {
        var list = ns is null
            ? await ApiErrorTranslator.CallAsync(() => cluster.Api.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing network policies").ConfigureAwait(false)
            : await ApiErrorTranslator.CallAsync(() => cluster.Api.NetworkingV1.ListNamespacedNetworkPolicyAsync(ns, cancellationToken: cancellationToken), $"Listing network policies in {ns}", ns).ConfigureAwait(false);
        return list.Items;
    }

    internal static NetworkPolicyInfo ToInfo(V1NetworkPolicy policy) => ToInfo(ToModel(policy), policy.Metadata.CreationTimestamp);

    public static NetworkPolicyInfo ToInfo(NetworkPolicyModel model, DateTime? created = null)
    {
        var types = new List<string>();
        if (model.AffectsIngress)
        {
            types.Add("Ingress");
        }

        if (model.AffectsEgress)
        {
            types.Add("Egress");
        }

        return new NetworkPolicyInfo
        {
            Namespace = model.Namespace,
            Name = model.Name,
            PodSelector = model.PodSelector.ToString(),
            PolicyTypes = types,
            Ingress = model.Ingress.Select(r => "from " + r).ToArray(),
            Egress = model.Egress.Select(r => "to " + r).ToArray(),
            DefaultDenyIngress = IsDefaultDeny(model, egress: false),
            DefaultDenyEgress = IsDefaultDeny(model, egress: true),
            Created = created is null ? null : new DateTimeOffset(DateTime.SpecifyKind(created.Value, DateTimeKind.Utc)),
        };
    }

    /// <summary>Selects every pod of its namespace and allows nothing for the direction (DNS-only egress still counts).</summary>
    public static bool IsDefaultDeny(NetworkPolicyModel model, bool egress)
    {
        if (!model.PodSelector.IsEmpty || !(egress ? model.AffectsEgress : model.AffectsIngress))
        {
            return false;
        }

        var rules = egress ? model.Egress : model.Ingress;
        return rules.All(r => egress && r.Ports.Count > 0 && r.Ports.All(p => p.Number == 53 && p.EndPort is null));
    }

    internal static NetworkPolicyModel ToModel(V1NetworkPolicy policy) =>
        NetworkPolicyModel.FromJson(ToJson(policy), policy.Metadata.NamespaceProperty ?? "default");

    internal static JsonObject ToJson(object value) => (JsonObject)JsonManifestReader.Parse(KubernetesJson.Serialize(value))!;

    /// <summary>Pods of the cluster (one list call) as endpoints, with labels, IP and named ports.</summary>
    public static async Task<(IReadOnlyList<NetworkPolicyModel> Policies, IReadOnlyList<EndpointModel> Pods, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Namespaces)> LoadLiveAsync(
        ClusterClient cluster, CancellationToken cancellationToken)
    {
        var policies = await ListAsync(cluster, null, cancellationToken).ConfigureAwait(false);
        var pods = await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing pods").ConfigureAwait(false);
        var namespaces = await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListNamespaceAsync(cancellationToken: cancellationToken), "Listing namespaces").ConfigureAwait(false);
        var nsLabels = namespaces.Items.ToDictionary(
            n => n.Metadata.Name,
            n => NetworkPolicyEvaluator.WithNameLabel(n.Metadata.Name, n.Metadata.Labels?.ToDictionary(p => p.Key, p => p.Value)),
            StringComparer.Ordinal);
        return (policies.Select(ToModel).ToList(), pods.Items.Select(p => PodEndpoint(ToJson(p), "cluster")).ToList(), nsLabels);
    }

    /// <summary>NetworkPolicies, pods (also pod templates of workloads) and namespaces from manifest files.</summary>
    public static (IReadOnlyList<NetworkPolicyModel> Policies, IReadOnlyList<EndpointModel> Pods, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Namespaces) LoadManifests(
        IEnumerable<string> paths, string defaultNamespace, EngineLog log)
        => LoadManifests(paths, defaultNamespace, issue => log.Warning(issue.ToString()), CancellationToken.None);

    /// <summary>The same, with what cannot be read reported to <paramref name="onIssue"/>; Ctrl+C stops it between documents.</summary>
    public static (IReadOnlyList<NetworkPolicyModel> Policies, IReadOnlyList<EndpointModel> Pods, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Namespaces) LoadManifests(
        IEnumerable<string> paths, string defaultNamespace, Action<ManifestParseError> onIssue, CancellationToken cancellationToken)
    {
        var policies = new List<NetworkPolicyModel>();
        var pods = new List<EndpointModel>();
        var namespaces = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        foreach (string file in ManifestReader.ExpandPaths(paths, onIssue, cancellationToken))
        {
            foreach (var obj in ManifestReader.ReadFile(file, onIssue, ManifestLimits.DefaultMaxFileBytes, cancellationToken))
            {
                try
                {
                    string ns = obj.Namespace ?? defaultNamespace;
                    switch (obj.Kind)
                    {
                        case "NetworkPolicy":
                            policies.Add(NetworkPolicyModel.FromJson(obj.Body, defaultNamespace, obj.Location));
                            break;
                        case "Namespace" when obj.Name is not null:
                            namespaces[obj.Name] = NetworkPolicyEvaluator.WithNameLabel(obj.Name, Labels(obj.Body["metadata"]?["labels"]));
                            break;
                        case "Pod":
                            pods.Add(PodEndpoint(obj.Body, obj.Location, defaultNamespace));
                            break;
                        case "Deployment" or "StatefulSet" or "DaemonSet" or "ReplicaSet" or "Job" or "ReplicationController" or "CronJob":
                            var template = obj.Kind == "CronJob" ? obj.Body["spec"]?["jobTemplate"]?["spec"]?["template"] : obj.Body["spec"]?["template"];
                            if (template is JsonObject t)
                            {
                                var body = new JsonObject
                                {
                                    ["metadata"] = new JsonObject { ["name"] = $"{obj.Name} ({obj.Kind})", ["namespace"] = ns, ["labels"] = t["metadata"]?["labels"]?.DeepClone() },
                                    ["spec"] = t["spec"]?.DeepClone(),
                                };
                                pods.Add(PodEndpoint(body, obj.Location, defaultNamespace));
                            }

                            break;
                    }
                }
                catch (Exception ex) when (ex is InvalidOperationException or FormatException or System.Text.Json.JsonException or ArgumentException or KeyNotFoundException)
                {
                    // A field of the wrong type: the API server would refuse the object, so it decides nothing here.
                    onIssue(new ManifestParseError(obj.Source, obj.Line, $"{obj.Kind}/{obj.Name} is not a valid {obj.Kind}: {ex.Message}"));
                }
            }
        }

        return (policies, pods, namespaces);
    }

    internal static EndpointModel PodEndpoint(JsonObject body, string source, string defaultNamespace = "default")
    {
        var ports = new List<ContainerPortModel>();
        foreach (var container in (body["spec"]?["containers"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
        {
            foreach (var port in (container["ports"] as JsonArray ?? new JsonArray()).OfType<JsonObject>())
            {
                if (JsonNumbers.TryInt(port["containerPort"], out int number))
                {
                    ports.Add(new ContainerPortModel(port["name"]?.ToString(), number, port["protocol"]?.ToString() ?? "TCP"));
                }
            }
        }

        IPAddress? address = IPAddress.TryParse(body["status"]?["podIP"]?.ToString(), out var ip) ? ip : null;
        _ = source;
        return new EndpointModel
        {
            Namespace = body["metadata"]?["namespace"]?.ToString() ?? defaultNamespace,
            Name = body["metadata"]?["name"]?.ToString(),
            Labels = Labels(body["metadata"]?["labels"]),
            Address = address,
            Ports = ports,
        };
    }

    internal static Dictionary<string, string> Labels(JsonNode? node)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject obj)
        {
            foreach (var (k, v) in obj)
            {
                labels[k] = v?.ToString() ?? string.Empty;
            }
        }

        return labels;
    }

    private static string Summary(NetworkPolicyInfo info)
    {
        var parts = new List<string> { $"pods {info.PodSelector}", "types " + string.Join("+", info.PolicyTypes) };
        parts.AddRange(info.Ingress.Select(i => "ingress " + i));
        parts.AddRange(info.Egress.Select(e => "egress " + e));
        if (info.Ingress.Count == 0 && info.PolicyTypes.Contains("Ingress"))
        {
            parts.Add("deny all ingress");
        }

        if (info.Egress.Count == 0 && info.PolicyTypes.Contains("Egress"))
        {
            parts.Add("deny all egress");
        }

        return string.Join("; ", parts);
    }

    private static bool SameSpec(V1NetworkPolicy a, V1NetworkPolicy b)
    {
        static string Canon(V1NetworkPolicy p)
        {
            var spec = ToJson(p.Spec ?? new V1NetworkPolicySpec());
            return Normalize(spec)!.ToJsonString();
        }

        return Canon(a) == Canon(b);
    }

    /// <summary>Sorted keys, empty arrays/objects dropped except podSelector, ports as text: a stable form to compare specs.</summary>
    private static JsonNode? Normalize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var sorted = new JsonObject();
                foreach (var (k, v) in obj.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    var n = Normalize(v);
                    if (n is null || (n is JsonArray { Count: 0 }) || (n is JsonObject { Count: 0 } && k != "podSelector"))
                    {
                        continue;
                    }

                    sorted[k] = n!;
                }

                return sorted;
            case JsonArray array:
                return new JsonArray(array.Select(Normalize).ToArray());
            case JsonValue value:
                return JsonValue.Create(value.ToString());
            default:
                return null;
        }
    }

    private static V1LabelSelector? Selector(IReadOnlyDictionary<string, string>? labels) =>
        labels is null ? null : new V1LabelSelector { MatchLabels = labels.Count == 0 ? null : labels.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal) };

    private static List<V1NetworkPolicyPeer> Peers(
        IReadOnlyDictionary<string, string>? pod, IReadOnlyDictionary<string, string>? ns, IReadOnlyList<string> cidrs, IReadOnlyList<string> except)
    {
        var peers = new List<V1NetworkPolicyPeer>();
        if (pod is not null || ns is not null)
        {
            // Both in ONE peer: pods matching -AllowFromPod inside namespaces matching -AllowFromNamespace.
            peers.Add(new V1NetworkPolicyPeer { PodSelector = Selector(pod), NamespaceSelector = Selector(ns) });
        }

        foreach (string cidr in cidrs)
        {
            var inside = except.Where(e => IsStrictSubset(e, cidr)).ToList();
            peers.Add(new V1NetworkPolicyPeer { IpBlock = new V1IPBlock { Cidr = cidr, Except = inside.Count == 0 ? null : inside } });
        }

        return peers;
    }

    /// <summary>ValidateIPBlock's rule: the except's network lies in the cidr and its prefix is longer.</summary>
    private static bool IsStrictSubset(string inner, string outer)
    {
        int slash = inner.IndexOf('/', StringComparison.Ordinal);
        int outerSlash = outer.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && outerSlash > 0
            && IPAddress.TryParse(inner.AsSpan(0, slash), out var address) && IpBlockModel.CidrContains(outer, address)
            && int.TryParse(inner.AsSpan(slash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int innerPrefix)
            && int.TryParse(outer.AsSpan(outerSlash + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int outerPrefix)
            && outerPrefix < innerPrefix;
    }

    private static V1NetworkPolicyPort ParsePort(string text, string protocol)
    {
        text = text.Trim();
        int dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash > 0 && int.TryParse(text.AsSpan(0, dash), out int start) && int.TryParse(text.AsSpan(dash + 1), out int end))
        {
            if (start is < 1 or > 65535 || end is < 1 or > 65535 || end < start)
            {
                throw K8sOperationException.InvalidArgument("Port", text, "a range needs 1 <= start <= end <= 65535");
            }

            return new V1NetworkPolicyPort { Protocol = protocol, Port = (IntOrString)start, EndPort = end };
        }

        if (int.TryParse(text, out int number))
        {
            if (number is < 1 or > 65535)
            {
                throw K8sOperationException.InvalidArgument("Port", text, "must be between 1 and 65535");
            }

            return new V1NetworkPolicyPort { Protocol = protocol, Port = (IntOrString)number };
        }

        if (KubernetesNames.PortErrors(text) is { Count: > 0 } errors)
        {
            throw K8sOperationException.InvalidArgument("Port", text, "must be a port number, a range such as 8000-8080, or a named port (IANA_SVC_NAME): " + string.Join("; ", errors));
        }

        return new V1NetworkPolicyPort { Protocol = protocol, Port = (IntOrString)text };
    }
}
