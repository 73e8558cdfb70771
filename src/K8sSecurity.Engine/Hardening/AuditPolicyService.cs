using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Manifests;
using YamlDotNet.RepresentationModel;

namespace K8sSecurity.Engine.Hardening;

/// <summary>What New-K8sAuditPolicy writes.</summary>
public sealed class AuditPolicyRequest
{
    public required string Path { get; init; }

    /// <summary>Level per API group ("" or "core" for the core group), applied after the rules that protect secrets.</summary>
    public IReadOnlyDictionary<string, AuditLevel> GroupLevels { get; init; } = new Dictionary<string, AuditLevel>();

    /// <summary>Level of writes (create, update, patch, delete) no earlier rule decided.</summary>
    public AuditLevel WriteLevel { get; init; } = AuditLevel.Request;

    /// <summary>Level of everything else (the catch-all rule).</summary>
    public AuditLevel DefaultLevel { get; init; } = AuditLevel.Metadata;

    /// <summary>More resources to log at Metadata only ("sealedsecrets.bitnami.com").</summary>
    public IReadOnlyList<string> SensitiveResources { get; init; } = Array.Empty<string>();

    public bool Force { get; init; }
}

/// <summary>What New-K8sAuditPolicy wrote.</summary>
public sealed class AuditPolicyFile
{
    public required string Path { get; init; }

    public int RuleCount { get; init; }

    /// <summary>Resources logged at Metadata only, so their secret content never reaches the log.</summary>
    public IReadOnlyList<string> MetadataOnly { get; init; } = Array.Empty<string>();

    public string DefaultLevel { get; init; } = "Metadata";

    public override string ToString() => $"{Path} ({RuleCount} rules)";
}

/// <summary>
/// Writes kube-apiserver audit policies (--audit-policy-file) that follow upstream's recommendations and reads them
/// back the way kube-apiserver does.
/// </summary>
public static class AuditPolicyService
{
    private static readonly string[] Writes = { "create", "update", "patch", "delete", "deletecollection" };

    public static AuditPolicyFile New(AuditPolicyRequest request, EngineLog log)
    {
        string path = Path.GetFullPath(request.Path);
        var extra = request.SensitiveResources.Select(text =>
        {
            var parsed = SensitiveResource.Parse(text);
            if (parsed.Resource.Length == 0 || parsed.Resource.Any(char.IsUpper) || parsed.Group.Any(char.IsUpper))
            {
                throw K8sOperationException.InvalidArgument("SensitiveResource", text, "expected a lower-case resource name such as sealedsecrets.bitnami.com or serviceaccounts/token");
            }

            return parsed;
        }).ToList();
        var policy = Build(request, extra);
        var errors = AuditPolicyRules.Validate(policy);
        if (errors.Count > 0)
        {
            throw K8sOperationException.InvalidArgument("GroupLevel", string.Join(", ", request.GroupLevels.Keys), "kube-apiserver would refuse this policy: " + string.Join("; ", errors));
        }

        SecureFile.EnsureWritable(path, request.Force);

        // The policy holds no secret, but it is control-plane configuration: 0600 like kubeadm's own files.
        SecureFile.WriteAllText(path, ToYaml(policy), request.Force);
        log.Verbose($"Wrote '{path}' ({policy.Rules.Count} rules). Point kube-apiserver's --audit-policy-file at it and set --audit-log-path.");
        return new AuditPolicyFile
        {
            Path = path,
            RuleCount = policy.Rules.Count,
            MetadataOnly = SensitiveResource.Defaults.Concat(extra).Select(s => s.Name).ToArray(),
            DefaultLevel = request.DefaultLevel.ToString(),
        };
    }

    /// <summary>Reads a policy as kube-apiserver does; errors make it refuse to start, unknown fields it ignores.</summary>
    internal static (AuditPolicyModel? Policy, List<string> Errors, List<string> UnknownFields) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot find the audit policy '{path}'.", path);
        }

        var errors = new List<string>();
        var documents = ManifestReader.ReadFile(path, e => errors.Add($"line {e.Line}: {e.Message}")).ToList();
        if (errors.Count == 0 && documents.Count != 1)
        {
            errors.Add(documents.Count == 0 ? "the file is empty" : $"the file holds {documents.Count} documents; kube-apiserver reads one Policy");
        }

        if (errors.Count > 0)
        {
            return (null, errors, new List<string>());
        }

        var decoder = new StrictConfigDecoder(unknownFieldsAreErrors: false);
        var policy = AuditPolicyModel.Decode(documents[0].Body, decoder);
        errors.AddRange(decoder.Errors);
        errors.AddRange(AuditPolicyRules.Validate(policy));
        return (policy, errors, decoder.UnknownFields);
    }

    internal static AuditPolicyModel Build(AuditPolicyRequest request, IReadOnlyList<SensitiveResource> extraSensitive)
    {
        var rules = new List<AuditPolicyRule>
        {
            // High-volume, low-risk reads by system components (upstream's list).
            new() { Level = "None", Users = { "system:kube-proxy" }, Verbs = { "watch" }, Resources = { Core("endpoints", "services", "services/status"), new AuditGroupResources { Group = "discovery.k8s.io", Resources = { "endpointslices" } } } },
            new() { Level = "None", UserGroups = { "system:nodes" }, Verbs = { "get" }, Resources = { Core("nodes", "nodes/status") } },
            new()
            {
                Level = "None",
                Users = { "system:kube-controller-manager", "system:kube-scheduler", "system:serviceaccount:kube-system:endpoint-controller" },
                Verbs = { "get", "update" },
                Namespaces = { "kube-system" },
                Resources = { Core("endpoints"), new AuditGroupResources { Group = "coordination.k8s.io", Resources = { "leases" } } },
            },
            new() { Level = "None", Users = { "system:apiserver" }, Verbs = { "get" }, Resources = { Core("namespaces", "namespaces/status", "namespaces/finalize") } },
            new() { Level = "None", NonResourceURLs = { "/healthz*", "/livez*", "/readyz*", "/version", "/version/" } },
            new() { Level = "None", Resources = { Core("events"), new AuditGroupResources { Group = "events.k8s.io", Resources = { "events" } } } },
        };

        // Secret values must never reach the log: Metadata only, before any rule that logs bodies.
        var sensitive = SensitiveResource.Defaults.Concat(extraSensitive).ToList();
        rules.Add(new AuditPolicyRule
        {
            Level = "Metadata",
            Resources = sensitive.GroupBy(s => s.Group, StringComparer.Ordinal)
                .Select(g => new AuditGroupResources { Group = g.Key, Resources = g.Select(s => s.Subresource.Length > 0 ? $"{s.Resource}/{s.Subresource}" : s.Resource).Distinct(StringComparer.Ordinal).ToList() })
                .ToList(),
        });

        // Who changed permissions, and who ran commands in or opened tunnels to pods: full detail.
        rules.Add(new AuditPolicyRule
        {
            Level = "RequestResponse",
            Verbs = Writes.ToList(),
            Resources = { new AuditGroupResources { Group = "rbac.authorization.k8s.io", Resources = { "roles", "rolebindings", "clusterroles", "clusterrolebindings" } } },
        });
        rules.Add(new AuditPolicyRule { Level = "RequestResponse", Resources = { Core("pods/exec", "pods/attach", "pods/portforward") } });

        foreach (var (group, level) in request.GroupLevels.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            rules.Add(new AuditPolicyRule { Level = level.ToString(), Resources = { new AuditGroupResources { Group = group == "core" ? string.Empty : group } } });
        }

        rules.Add(new AuditPolicyRule { Level = request.WriteLevel.ToString(), Verbs = Writes.ToList() });
        rules.Add(new AuditPolicyRule { Level = request.DefaultLevel.ToString() });
        return new AuditPolicyModel { OmitStages = { "RequestReceived" }, Rules = rules };
    }

    internal static string ToYaml(AuditPolicyModel policy)
    {
        var rules = new YamlSequenceNode();
        foreach (var rule in policy.Rules)
        {
            var node = new YamlMappingNode { { YamlText.Scalar("level"), YamlText.Scalar(rule.Level) } };
            AddList(node, "users", rule.Users);
            AddList(node, "userGroups", rule.UserGroups);
            AddList(node, "verbs", rule.Verbs);
            AddList(node, "namespaces", rule.Namespaces);
            if (rule.Resources.Count > 0)
            {
                var resources = new YamlSequenceNode();
                foreach (var groupResources in rule.Resources)
                {
                    var entry = new YamlMappingNode { { YamlText.Scalar("group"), new YamlScalarNode(groupResources.Group) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted } } };
                    AddList(entry, "resources", groupResources.Resources);
                    AddList(entry, "resourceNames", groupResources.ResourceNames);
                    resources.Add(entry);
                }

                node.Add(YamlText.Scalar("resources"), resources);
            }

            AddList(node, "nonResourceURLs", rule.NonResourceURLs);
            AddList(node, "omitStages", rule.OmitStages);
            rules.Add(node);
        }

        var root = new YamlMappingNode
        {
            { YamlText.Scalar("apiVersion"), YamlText.Scalar(policy.ApiVersion) },
            { YamlText.Scalar("kind"), YamlText.Scalar(policy.Kind) },
            { YamlText.Scalar("omitStages"), YamlText.Sequence(policy.OmitStages) },
            { YamlText.Scalar("rules"), rules },
        };
        return YamlText.Serialize(root);
    }

    private static void AddList(YamlMappingNode node, string key, List<string> values)
    {
        if (values.Count > 0)
        {
            node.Add(YamlText.Scalar(key), YamlText.Sequence(values));
        }
    }

    private static AuditGroupResources Core(params string[] resources) => new() { Group = string.Empty, Resources = resources.ToList() };
}
