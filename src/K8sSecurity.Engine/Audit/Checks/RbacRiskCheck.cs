using System.Text.Json.Nodes;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Risky RBAC grants, evaluated per binding on the rules of the role it references: full cluster-admin, reading
/// secrets, privilege escalation (escalate/bind/impersonate/token minting), exec into or creating pods, and
/// wildcards. Kubernetes' own bootstrap bindings and system identities are not findings.
/// </summary>
public sealed class RbacRiskCheck : IAuditCheck
{
    private static readonly string[] IgnoredSubjectPrefixes = { "system:masters", "system:kube-", "system:node", "system:anonymous", "system:unauthenticated", "system:monitoring" };

    public AuditCategory Category => AuditCategory.Rbac;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.Role, AuditKind.ClusterRole, AuditKind.RoleBinding, AuditKind.ClusterRoleBinding };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var clusterRoles = context.Inventory.Of(AuditKind.ClusterRole).Where(r => r.Name is not null).GroupBy(r => r.Name!).ToDictionary(g => g.Key, g => g.First());
        var roles = context.Inventory.Of(AuditKind.Role).Where(r => r.Name is not null).GroupBy(r => (r.Namespace ?? "default", r.Name!)).ToDictionary(g => g.Key, g => g.First());
        var findings = new List<AuditFinding>();
        int evaluated = 0;

        foreach (var binding in context.Inventory.Of(AuditKind.ClusterRoleBinding).Concat(context.Inventory.Of(AuditKind.RoleBinding)))
        {
            if (IsBootstrap(binding) || (binding.Namespace is not null && context.Options.IsExcluded(binding.Namespace)))
            {
                continue;
            }

            var subjects = binding.Body.Objects("subjects").Where(s => !IsSystemSubject(context, binding, s)).ToList();
            if (subjects.Count == 0)
            {
                continue;
            }

            evaluated++;
            string roleKind = binding.Body.Str("roleRef", "kind") ?? "ClusterRole";
            string roleName = binding.Body.Str("roleRef", "name") ?? string.Empty;
            ManifestObject? role = roleKind == "ClusterRole"
                ? clusterRoles.GetValueOrDefault(roleName)
                : roles.GetValueOrDefault((binding.Namespace ?? "default", roleName));
            var rules = role?.Body.Objects("rules").ToList() ?? new List<JsonObject>();
            bool clusterWide = binding.Kind == "ClusterRoleBinding";
            string scope = clusterWide ? "cluster-wide" : $"in namespace '{binding.Namespace}'";
            string who = string.Join(", ", subjects.Select(Describe));
            var evidence = new Dictionary<string, string>
            {
                ["roleRef"] = $"{roleKind}/{roleName}",
                ["subjects"] = who,
                ["subjectKinds"] = string.Join(",", subjects.Select(s => s.Str("kind")).Distinct()),
            };

            void Add(string id, FindingSeverity severity, string title, string what, string remediation) =>
                findings.Add(context.Finding(binding, Category, id, severity, title,
                    $"{binding.Kind} '{binding.Name}' grants {who} {what} {scope} (via {roleKind} '{roleName}').", remediation, evidence));

            bool fullAdmin = roleName == "cluster-admin" || Grants(rules, "*", "*", "*");
            if (fullAdmin)
            {
                Add(clusterWide ? "RBAC-CLUSTER-ADMIN" : "RBAC-NAMESPACE-ADMIN", clusterWide ? FindingSeverity.Critical : FindingSeverity.High,
                    clusterWide ? "cluster-admin granted" : "Full control of a namespace granted",
                    "every verb on every resource",
                    "Bind a narrower role (admin/edit/view or a custom Role) and keep cluster-admin for break-glass accounts.");
                continue;
            }

            if (new[] { "get", "list", "watch" }.Any(v => Grants(rules, v, string.Empty, "secrets")))
            {
                Add("RBAC-SECRETS-READ", clusterWide ? FindingSeverity.High : FindingSeverity.Medium, "Can read Secrets",
                    "read access to Secrets", "Grant access to the specific secrets by resourceNames, or none.");
            }

            var escalation = new List<string>();
            foreach (var (verb, group, resource) in new[]
                     {
                         ("escalate", "rbac.authorization.k8s.io", "roles"), ("escalate", "rbac.authorization.k8s.io", "clusterroles"),
                         ("bind", "rbac.authorization.k8s.io", "roles"), ("bind", "rbac.authorization.k8s.io", "clusterroles"),
                         ("impersonate", string.Empty, "users"), ("impersonate", string.Empty, "groups"), ("impersonate", string.Empty, "serviceaccounts"),
                         ("create", string.Empty, "serviceaccounts/token"),
                     })
            {
                if (Grants(rules, verb, group, resource))
                {
                    escalation.Add($"{verb} {resource}");
                }
            }

            if (escalation.Count > 0)
            {
                Add("RBAC-ESCALATION", FindingSeverity.High, "Can escalate privileges", "the right to " + string.Join(", ", escalation.Distinct()),
                    "Remove escalate, bind, impersonate and token-minting rights from roles held by people and workloads.");
            }

            if (Grants(rules, "create", string.Empty, "pods/exec") || Grants(rules, "create", string.Empty, "pods"))
            {
                Add("RBAC-POD-EXEC", FindingSeverity.Medium, "Can run code in pods", "the right to create pods or exec into them",
                    "Restrict pods/exec and pod creation to deployment pipelines.");
            }

            if (rules.Any(r => r.Strings("verbs").Contains("*") || r.Strings("resources").Contains("*")))
            {
                Add("RBAC-WILDCARD", FindingSeverity.Medium, "Wildcard RBAC rule", "wildcard verbs or resources",
                    "List the verbs and resources the subject needs instead of '*'.");
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }

    /// <summary>True when some rule allows the verb on the resource of the group (wildcards honoured).</summary>
    public static bool Grants(IEnumerable<JsonObject> rules, string verb, string apiGroup, string resource) =>
        rules.Any(r => Matches(r.Strings("verbs"), verb) && Matches(r.Strings("apiGroups"), apiGroup) && Matches(r.Strings("resources"), resource)
            && !r.Strings("resourceNames").Any());

    private static bool Matches(IEnumerable<string> values, string wanted) =>
        values.Any(v => v == "*" || v == wanted || (wanted == "*" && v == "*"));

    private static bool IsBootstrap(ManifestObject binding) =>
        binding.Body.Str("metadata", "labels", "kubernetes.io/bootstrapping") == "rbac-defaults"
        || (binding.Name?.StartsWith("system:", StringComparison.Ordinal) ?? false);

    private static bool IsSystemSubject(AuditContext context, ManifestObject binding, JsonObject subject)
    {
        string name = subject.Str("name") ?? string.Empty;
        if (subject.Str("kind") == "ServiceAccount")
        {
            return context.Options.IsExcluded(subject.Str("namespace") ?? binding.Namespace);
        }

        return IgnoredSubjectPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));
    }

    private static string Describe(JsonObject subject) => subject.Str("kind") switch
    {
        "ServiceAccount" => $"ServiceAccount {subject.Str("namespace")}/{subject.Str("name")}",
        var kind => $"{kind} {subject.Str("name")}",
    };
}
