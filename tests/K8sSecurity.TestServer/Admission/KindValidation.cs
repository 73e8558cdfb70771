using System.Globalization;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// Per-kind Validate/ValidateUpdate of the registry strategies, for the kinds the module writes or reads back. Field
/// paths and messages follow pkg/apis/*/validation; values print in Go syntax (<see cref="GoSyntax"/>).
/// </summary>
internal static class KindValidation
{
    public static IEnumerable<FieldError> Validate(AdmissionRequest r)
    {
        var o = r.Object;
        var old = r.OldObject;
        var errors = new List<FieldError>();
        switch (r.Type.Kind)
        {
            case "Pod":
                errors.AddRange(PodSpec(o["spec"] as JsonObject, "spec", ["Always", "OnFailure", "Never"]));
                if (old is not null)
                {
                    errors.AddRange(PodUpdate(o, old));
                }

                break;
            case "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet":
                errors.AddRange(Selector(r.Type.Kind, o));
                errors.AddRange(PodSpec(o.At("spec", "template", "spec") as JsonObject, "spec.template.spec", ["Always"]));
                errors.AddRange(ObjectMetaValidation.ValidateLabels(o.At("spec", "template", "metadata", "labels"), "spec.template.metadata.labels"));
                if (old is not null && !JsonNode.DeepEquals(o.At("spec", "selector"), old.At("spec", "selector")))
                {
                    errors.Add(FieldError.InvalidValue("spec.selector", GoSyntax.LabelSelector(o.At("spec", "selector")), "field is immutable"));
                }

                if (r.Type.Kind == "StatefulSet" && old is not null)
                {
                    errors.AddRange(StatefulSetUpdate(o, old));
                }

                break;
            case "Job":
                errors.AddRange(PodSpec(o.At("spec", "template", "spec") as JsonObject, "spec.template.spec", ["OnFailure", "Never"]));
                if (old is not null)
                {
                    if (!JsonNode.DeepEquals(o.At("spec", "template"), old.At("spec", "template")))
                    {
                        errors.Add(FieldError.InvalidValue("spec.template", GoSyntax.PodTemplateSpec(o.At("spec", "template")), "field is immutable"));
                    }

                    if (!JsonNode.DeepEquals(o.At("spec", "selector"), old.At("spec", "selector")))
                    {
                        errors.Add(FieldError.InvalidValue("spec.selector", GoSyntax.LabelSelector(o.At("spec", "selector")), "field is immutable"));
                    }
                }

                break;
            case "CronJob":
                if (string.IsNullOrEmpty(o.Str("spec", "schedule")))
                {
                    errors.Add(FieldError.Required("spec.schedule"));
                }

                if (o.Str("spec", "concurrencyPolicy") is { } policy && policy is not ("Allow" or "Forbid" or "Replace"))
                {
                    errors.Add(FieldError.NotSupported("spec.concurrencyPolicy", GoSyntax.Quote(policy), "Allow", "Forbid", "Replace"));
                }

                errors.AddRange(PodSpec(o.At("spec", "jobTemplate", "spec", "template", "spec") as JsonObject, "spec.jobTemplate.spec.template.spec", ["OnFailure", "Never"]));
                break;
            case "NetworkPolicy":
                errors.AddRange(NetworkPolicy(o));
                break;
            case "Service":
                errors.AddRange(Service(o, old));
                break;
            case "ResourceQuota":
                var scopes = o.Strings("spec", "scopes").ToList();
                string[] known = ["Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity"];
                if (scopes.Any(s => !known.Contains(s)))
                {
                    errors.Add(FieldError.InvalidValue("spec.scopes", GoSyntax.StringSlice(scopes, "[]core.ResourceQuotaScope"), "unsupported scope"));
                }

                break;
            case "ConfigMap" or "Secret":
                foreach (var map in new[] { "data", "binaryData", "stringData" })
                {
                    foreach (var key in o.StringMap(map).Keys.Where(k => !ObjectMetaValidation.IsConfigKey(k)).Order(StringComparer.Ordinal))
                    {
                        errors.Add(FieldError.InvalidValue($"{map}[{key}]", GoSyntax.Quote(key), ObjectMetaValidation.ConfigKeyMessage));
                    }
                }

                if (old is not null && old.Bool("immutable") == true
                    && (!JsonNode.DeepEquals(o["data"], old["data"]) || !JsonNode.DeepEquals(o["binaryData"], old["binaryData"]) || o.Bool("immutable") != true))
                {
                    errors.Add(new FieldError("FieldValueForbidden", "data", "Forbidden: field is immutable when `immutable` is set"));
                }

                break;
        }

        return errors;
    }

    /// <summary>ValidatePodSpec for what the module and the tests write: containers, names, images, enums.</summary>
    private static List<FieldError> PodSpec(JsonObject? spec, string path, string[] restartPolicies)
    {
        var errors = new List<FieldError>();
        if (spec is null)
        {
            return errors;
        }

        var containers = spec["containers"] as JsonArray;
        if (containers is null || containers.Count == 0)
        {
            errors.Add(FieldError.Required(path + ".containers"));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var list in new[] { "initContainers", "containers" })
        {
            var i = 0;
            foreach (var c in spec.Objects(list))
            {
                var p = $"{path}.{list}[{i++}]";
                var name = c.Str("name") ?? "";
                if (name.Length == 0)
                {
                    errors.Add(FieldError.Required(p + ".name"));
                }
                else
                {
                    errors.AddRange(ObjectMetaValidation.Dns1123Label(name).Select(m => FieldError.InvalidValue(p + ".name", GoSyntax.Quote(name), m)));
                    if (!names.Add(name))
                    {
                        errors.Add(new FieldError("FieldValueDuplicate", p + ".name", $"Duplicate value: {GoSyntax.Quote(name)}"));
                    }
                }

                if (string.IsNullOrEmpty(c.Str("image")))
                {
                    errors.Add(FieldError.Required(p + ".image"));
                }

                if (c.Str("imagePullPolicy") is { } pull && pull is not ("Always" or "IfNotPresent" or "Never"))
                {
                    errors.Add(FieldError.NotSupported(p + ".imagePullPolicy", GoSyntax.Quote(pull), "Always", "IfNotPresent", "Never"));
                }

                var j = 0;
                foreach (var port in c.Objects("ports"))
                {
                    var pp = $"{p}.ports[{j++}]";
                    if (port.Long("containerPort") is not { } cp || cp < 1 || cp > 65535)
                    {
                        errors.Add(FieldError.InvalidValue(pp + ".containerPort", (port.Long("containerPort") ?? 0).ToString(CultureInfo.InvariantCulture), "must be between 1 and 65535, inclusive"));
                    }

                    if (port.Str("protocol") is { } proto && proto is not ("TCP" or "UDP" or "SCTP"))
                    {
                        errors.Add(FieldError.NotSupported(pp + ".protocol", GoSyntax.Quote(proto), "SCTP", "TCP", "UDP"));
                    }
                }
            }
        }

        if (spec.Str("restartPolicy") is { } restart && !restartPolicies.Contains(restart))
        {
            errors.Add(restartPolicies.Length == 2
                ? FieldError.Required(path + ".restartPolicy", "valid values: \"OnFailure\", \"Never\"")
                : FieldError.NotSupported(path + ".restartPolicy", GoSyntax.Quote(restart), restartPolicies));
        }

        if (spec.Str("dnsPolicy") is { } dns && dns is not ("ClusterFirstWithHostNet" or "ClusterFirst" or "Default" or "None"))
        {
            errors.Add(FieldError.NotSupported(path + ".dnsPolicy", GoSyntax.Quote(dns), "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"));
        }

        if (spec.Str("serviceAccountName") is { Length: > 0 } sa)
        {
            errors.AddRange(ObjectMetaValidation.Dns1123Subdomain(sa).Select(m => FieldError.InvalidValue(path + ".serviceAccountName", GoSyntax.Quote(sa), m)));
        }

        return errors;
    }

    /// <summary>Pod updates may only change images, activeDeadlineSeconds, tolerations (additions) and terminationGracePeriodSeconds.</summary>
    private static List<FieldError> PodUpdate(JsonObject pod, JsonObject old)
    {
        var a = Mutable(pod["spec"]);
        var b = Mutable(old["spec"]);
        return JsonNode.DeepEquals(a, b)
            ? []
            : [new FieldError("FieldValueForbidden", "spec", "Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)")];

        static JsonNode? Mutable(JsonNode? spec)
        {
            if (spec?.DeepClone() is not JsonObject s)
            {
                return null;
            }

            foreach (var c in s.Objects("containers").Concat(s.Objects("initContainers")))
            {
                c.Remove("image");
            }

            s.Remove("activeDeadlineSeconds");
            s.Remove("tolerations");
            s.Remove("terminationGracePeriodSeconds");
            return s;
        }
    }

    private static List<FieldError> StatefulSetUpdate(JsonObject o, JsonObject old)
    {
        static JsonObject? Fixed(JsonNode? spec)
        {
            if (spec?.DeepClone() is not JsonObject s)
            {
                return null;
            }

            foreach (var k in new[] { "replicas", "ordinals", "template", "updateStrategy", "persistentVolumeClaimRetentionPolicy", "minReadySeconds", "selector" })
            {
                s.Remove(k);
            }

            return s;
        }

        return JsonNode.DeepEquals(Fixed(o["spec"]), Fixed(old["spec"]))
            ? []
            : [new FieldError("FieldValueForbidden", "spec", "Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden")];
    }

    /// <summary>apps/v1 workloads: a non-empty selector that matches the template's labels.</summary>
    private static List<FieldError> Selector(string kind, JsonObject o)
    {
        var errors = new List<FieldError>();
        var selector = o.At("spec", "selector");
        if (selector is not JsonObject s)
        {
            errors.Add(FieldError.Required("spec.selector"));
            return errors;
        }

        errors.AddRange(LabelSelector(s, "spec.selector"));
        if (s.StringMap("matchLabels").Count == 0 && !s.Objects("matchExpressions").Any())
        {
            errors.Add(FieldError.InvalidValue("spec.selector", GoSyntax.LabelSelector(s), $"empty selector is invalid for {kind.ToLowerInvariant()}"));
            return errors;
        }

        var labels = o.At("spec", "template", "metadata", "labels");
        if (!LabelSelectorMatches(s, labels.StringMap()))
        {
            errors.Add(FieldError.InvalidValue("spec.template.metadata.labels", GoSyntax.StringMap(labels), "`selector` does not match template `labels`"));
        }

        return errors;
    }

    private static bool LabelSelectorMatches(JsonObject selector, IReadOnlyDictionary<string, string> labels)
    {
        try
        {
            return K8sSecurity.TestServer.LabelSelector.FromObject(selector).Matches(labels);
        }
        catch (ApiException)
        {
            return false;
        }
    }

    /// <summary>ValidateLabelSelector: operators, values per operator, matchLabels as labels.</summary>
    public static List<FieldError> LabelSelector(JsonObject? selector, string path)
    {
        var errors = new List<FieldError>();
        if (selector is null)
        {
            return errors;
        }

        var i = 0;
        foreach (var e in selector.Objects("matchExpressions"))
        {
            var p = $"{path}.matchExpressions[{i++}]";
            var op = e.Str("operator") ?? "";
            var values = e["values"] as JsonArray;
            switch (op)
            {
                case "In" or "NotIn":
                    if (values is null || values.Count == 0)
                    {
                        errors.Add(FieldError.Required(p + ".values", "must be specified when `operator` is 'In' or 'NotIn'"));
                    }

                    break;
                case "Exists" or "DoesNotExist":
                    if (values is { Count: > 0 })
                    {
                        errors.Add(new FieldError("FieldValueForbidden", p + ".values", "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"));
                    }

                    break;
                default:
                    errors.Add(FieldError.InvalidValue(p + ".operator", GoSyntax.Quote(op), "not a valid selector operator"));
                    break;
            }

            errors.AddRange(ObjectMetaValidation.QualifiedName(e.Str("key") ?? "").Select(m => FieldError.InvalidValue(p + ".key", GoSyntax.Quote(e.Str("key") ?? ""), m)));
        }

        errors.AddRange(ObjectMetaValidation.ValidateLabels(selector["matchLabels"], path + ".matchLabels"));
        return errors;
    }

    private static List<FieldError> NetworkPolicy(JsonObject o)
    {
        var errors = new List<FieldError>();
        errors.AddRange(LabelSelector(o.At("spec", "podSelector") as JsonObject, "spec.podSelector"));
        foreach (var (direction, peers) in new[] { ("ingress", "from"), ("egress", "to") })
        {
            var i = 0;
            foreach (var rule in o.Objects("spec", direction))
            {
                var rp = $"spec.{direction}[{i++}]";
                var j = 0;
                foreach (var port in rule.Objects("ports"))
                {
                    errors.AddRange(NetworkPolicyPort(port, $"{rp}.ports[{j++}]"));
                }

                j = 0;
                foreach (var peer in rule.Objects(peers))
                {
                    errors.AddRange(NetworkPolicyPeer(peer, $"{rp}.{peers}[{j++}]"));
                }
            }
        }

        var types = o.Strings("spec", "policyTypes").ToList();
        for (var k = 0; k < types.Count; k++)
        {
            if (types[k] is not ("Ingress" or "Egress"))
            {
                errors.Add(FieldError.NotSupported($"spec.policyTypes[{k}]", GoSyntax.Quote(types[k]), "Ingress", "Egress"));
            }
        }

        if (types.Count > 2)
        {
            errors.Add(FieldError.InvalidValue("spec.policyTypes", GoSyntax.StringSlice(types, "[]networking.PolicyType"), "may not specify more than two policyTypes"));
        }

        return errors;
    }

    private static List<FieldError> NetworkPolicyPort(JsonObject port, string path)
    {
        var errors = new List<FieldError>();
        if (port.Str("protocol") is { } proto && proto is not ("TCP" or "UDP" or "SCTP"))
        {
            errors.Add(FieldError.NotSupported(path + ".protocol", GoSyntax.Quote(proto), "SCTP", "TCP", "UDP"));
        }

        var portNode = port["port"];
        var numeric = portNode?.GetValueKind() == System.Text.Json.JsonValueKind.Number;
        if (numeric)
        {
            var n = portNode.Long() ?? 0;
            if (n < 1 || n > 65535)
            {
                errors.Add(FieldError.InvalidValue(path + ".port", n.ToString(CultureInfo.InvariantCulture), "must be between 1 and 65535, inclusive"));
            }
        }
        else if (portNode is not null)
        {
            var name = portNode.Str() ?? "";
            if (name.Length == 0 || name.Length > 15 || !name.Any(char.IsAsciiLetter) || name.Any(c => !(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')) || name.StartsWith('-') || name.EndsWith('-') || name.Contains("--", StringComparison.Ordinal))
            {
                errors.Add(FieldError.InvalidValue(path + ".port", GoSyntax.Quote(name), "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)"));
            }
        }

        if (port.Long("endPort") is { } end)
        {
            if (portNode is null)
            {
                errors.Add(FieldError.Required(path + ".port", "must specify port when endPort is specified"));
            }
            else if (!numeric)
            {
                errors.Add(FieldError.Required(path + ".endPort", "may not be specified when `port` is non-numeric"));
            }
            else if (end < (portNode.Long() ?? 0))
            {
                errors.Add(FieldError.InvalidValue(path + ".endPort", end.ToString(CultureInfo.InvariantCulture), "must be greater than or equal to `port`"));
            }
        }

        return errors;
    }

    private static List<FieldError> NetworkPolicyPeer(JsonObject peer, string path)
    {
        var errors = new List<FieldError>();
        var selectors = 0;
        foreach (var key in new[] { "podSelector", "namespaceSelector" })
        {
            if (peer[key] is JsonObject s)
            {
                selectors++;
                errors.AddRange(LabelSelector(s, $"{path}.{key}"));
            }
        }

        if (peer["ipBlock"] is JsonObject block)
        {
            if (selectors > 0)
            {
                errors.Add(new FieldError("FieldValueForbidden", path, "Forbidden: may not specify both ipBlock and another peer"));
            }

            var cidr = block.Str("cidr") ?? "";
            if (cidr.Length == 0)
            {
                errors.Add(FieldError.Required(path + ".ipBlock.cidr"));
            }
            else if (!ObjectMetaValidation.IsCidr(cidr))
            {
                errors.Add(FieldError.InvalidValue(path + ".ipBlock.cidr", GoSyntax.Quote(cidr), "must be a valid CIDR value, (e.g. 10.9.0.0/16 or 2001:db8::/64)"));
            }

            var k = 0;
            foreach (var except in block.Strings("except"))
            {
                if (!ObjectMetaValidation.IsCidr(except))
                {
                    errors.Add(FieldError.InvalidValue($"{path}.ipBlock.except[{k}]", GoSyntax.Quote(except), "must be a valid CIDR value, (e.g. 10.9.0.0/16 or 2001:db8::/64)"));
                }

                k++;
            }
        }
        else if (selectors == 0)
        {
            errors.Add(FieldError.Required(path, "must specify a peer"));
        }

        return errors;
    }

    private static List<FieldError> Service(JsonObject o, JsonObject? old)
    {
        var errors = new List<FieldError>();
        var type = o.Str("spec", "type") ?? "ClusterIP";
        if (type is not ("ClusterIP" or "ExternalName" or "LoadBalancer" or "NodePort"))
        {
            errors.Add(FieldError.NotSupported("spec.type", GoSyntax.Quote(type), "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"));
        }

        var ports = o["spec"]?["ports"] as JsonArray;
        if (type != "ExternalName" && o.Str("spec", "clusterIP") != "None" && (ports is null || ports.Count == 0))
        {
            errors.Add(FieldError.Required("spec.ports"));
        }

        var i = 0;
        foreach (var port in o.Objects("spec", "ports"))
        {
            var p = $"spec.ports[{i++}]";
            var n = port.Long("port") ?? 0;
            if (n < 1 || n > 65535)
            {
                errors.Add(FieldError.InvalidValue(p + ".port", n.ToString(CultureInfo.InvariantCulture), "must be between 1 and 65535, inclusive"));
            }

            if (port.Str("protocol") is { } proto && proto is not ("TCP" or "UDP" or "SCTP"))
            {
                errors.Add(FieldError.NotSupported(p + ".protocol", GoSyntax.Quote(proto), "SCTP", "TCP", "UDP"));
            }
        }

        if (old is not null && old.Str("spec", "clusterIP") is { Length: > 0 } ip && o.Str("spec", "clusterIP") is { } now && now != ip)
        {
            errors.Add(FieldError.InvalidValue("spec.clusterIPs[0]", GoSyntax.StringSlice(o["spec"]?["clusterIPs"] is JsonArray ? o.Strings("spec", "clusterIPs") : null), "may not change once set"));
        }

        return errors;
    }
}
