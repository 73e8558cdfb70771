using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Engine.Authorization;

/// <summary>One risky grant: who holds it, through which binding and rule, why it matters and how to fix it.</summary>
public sealed class RbacRiskFinding : IReportable
{
    public required string RuleId { get; init; }

    public required string Title { get; init; }

    public FindingSeverity Severity { get; init; }

    public required RbacSubject Subject { get; init; }

    public RbacBindingKind BindingKind { get; init; }

    public required string BindingName { get; init; }

    /// <summary>Null for ClusterRoleBindings.</summary>
    public string? BindingNamespace { get; init; }

    public RbacRoleKind RoleKind { get; init; }

    public required string RoleName { get; init; }

    public required RbacPolicyRule Rule { get; init; }

    public required string Message { get; init; }

    public required string Remediation { get; init; }

    /// <summary>"cluster" or "file:line" of the binding.</summary>
    public string Source { get; init; } = "cluster";

    /// <summary>Where the role comes from: "cluster", "file:line", or "default policy v1.32" (a default role added offline).</summary>
    public string RoleSource { get; init; } = "cluster";

    public string Scope => BindingNamespace ?? "(cluster)";

    public string Binding => BindingNamespace is null ? $"{BindingKind}/{BindingName}" : $"{BindingKind}/{BindingNamespace}/{BindingName}";

    public string Role => $"{RoleKind}/{RoleName}";

    public string ReportKind => "RbacRisk";

    public IEnumerable<ReportFinding> ToReportFindings()
    {
        int colon = Source.LastIndexOf(':');
        bool fromFile = Source != "cluster" && colon > 0 && int.TryParse(Source[(colon + 1)..], out _);
        yield return new ReportFinding
        {
            RuleId = RuleId,
            Title = Title,
            Severity = Severity,
            Category = "RBAC",
            ResourceKind = BindingKind.ToString(),
            Namespace = BindingNamespace,
            ResourceName = BindingName,
            Message = Message,
            Remediation = Remediation,
            SourceFile = fromFile ? Source[..colon] : null,
            Line = fromFile ? int.Parse(Source[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture) : null,
            Evidence = new Dictionary<string, string>
            {
                ["subject"] = Subject.ToString(),
                ["binding"] = Binding,
                ["role"] = Role,
                ["rule"] = Rule.ToString(),
            },
        };
    }

    public override string ToString() => $"[{Severity}] {RuleId}: {Subject} via {Binding} → {Role}";
}

/// <summary>
/// Finds the RBAC grants that let a subject take over the cluster or read its secrets: cluster-admin or wildcard
/// rights, secret reads cluster-wide, exec/attach, workload creation, escalate/bind/impersonate, token creation, CSR
/// approval, nodes/proxy, other wildcard rules, and rights given to anonymous users, to every authenticated user or to
/// default / all service accounts beyond what the cluster's default policy gives them.
/// Built-in system subjects (system:* users and groups, kube-system service accounts) are skipped unless asked; the
/// cluster's default policy itself (bootstrap bindings to bootstrap roles) is never a finding.
/// </summary>
public static class RbacRiskAnalyzer
{
    private const string WildcardAdmin = "RBAC-WILDCARD-ADMIN";

    /// <summary>The verbs that, all together on * resources of * groups, make a role cluster-admin-like (Polaris' rule).</summary>
    private static readonly string[] AllStandardVerbs = { "get", "list", "watch", "create", "update", "patch", "delete" };

    private static readonly Check[] Checks =
    {
        new(WildcardAdmin, "Full control (cluster-admin or * on *)", FindingSeverity.Critical, FindingSeverity.Critical,
            new[] { Req("*", "*", "*"), },
            "Anyone holding it can do anything in its scope, including reading every secret and changing RBAC.",
            "Replace with a role that lists only the resources and verbs needed; keep cluster-admin for break-glass accounts.",
            matchAllRequired: true),
        new("RBAC-SECRETS-READ", "Reads Secrets", FindingSeverity.High, FindingSeverity.Medium,
            new[] { Req("get", "secrets"), Req("list", "secrets"), Req("watch", "secrets") },
            "Secrets hold service account tokens, passwords and keys; list/watch return their values.",
            "Grant get on named secrets only (resourceNames), in the namespaces that need them.",
            clusterOnly: true),
        new("RBAC-POD-EXEC", "Executes commands in pods (pods/exec)", FindingSeverity.High, FindingSeverity.High,
            new[] { Req("create", "pods", subresource: "exec"), Req("get", "pods", subresource: "exec") },
            "exec runs arbitrary commands in running containers with their service account and mounted secrets.",
            "Remove pods/exec from the role; use ephemeral debug workflows that are audited and time-limited."),
        new("RBAC-POD-ATTACH", "Attaches to pods (pods/attach)", FindingSeverity.High, FindingSeverity.High,
            new[] { Req("create", "pods", subresource: "attach"), Req("get", "pods", subresource: "attach") },
            "attach gives interactive access to a container's processes.",
            "Remove pods/attach from the role."),
        new("RBAC-WORKLOAD-CREATE", "Creates pods or workloads (privilege escalation through pods)", FindingSeverity.High, FindingSeverity.Medium,
            new[] { Req("create", "pods"), Req("create", "deployments", "apps"), Req("create", "daemonsets", "apps"), Req("create", "statefulsets", "apps"), Req("create", "jobs", "batch"), Req("create", "cronjobs", "batch") },
            "Creating pods can mount any secret and run as any service account of the namespace (and, without Pod Security, escape to the node).",
            "Limit workload creation to CI service accounts, and enforce Pod Security 'restricted' in the namespace."),
        new("RBAC-ESCALATE", "May escalate roles (escalate verb)", FindingSeverity.Critical, FindingSeverity.High,
            new[] { Req("escalate", "roles", "rbac.authorization.k8s.io"), Req("escalate", "clusterroles", "rbac.authorization.k8s.io") },
            "escalate lets the subject write roles with permissions it does not hold.",
            "Remove the escalate verb."),
        new("RBAC-BIND", "May bind any role (bind verb)", FindingSeverity.Critical, FindingSeverity.High,
            new[] { Req("bind", "roles", "rbac.authorization.k8s.io"), Req("bind", "clusterroles", "rbac.authorization.k8s.io") },
            "bind lets the subject grant roles it does not hold, including cluster-admin.",
            "Remove the bind verb, or restrict it with resourceNames to the roles that may be delegated."),
        new("RBAC-IMPERSONATE", "May impersonate users, groups or service accounts", FindingSeverity.Critical, FindingSeverity.High,
            new[] { Req("impersonate", "users"), Req("impersonate", "groups"), Req("impersonate", "serviceaccounts"), Req("impersonate", "uids", "authentication.k8s.io"), Req("impersonate", "userextras/scopes", "authentication.k8s.io") },
            "Impersonation acts as any identity, including system:masters.",
            "Remove impersonate, or restrict it with resourceNames to specific identities."),
        new("RBAC-SA-TOKEN-CREATE", "Creates service account tokens (serviceaccounts/token)", FindingSeverity.High, FindingSeverity.High,
            new[] { Req("create", "serviceaccounts", subresource: "token") },
            "TokenRequest mints credentials for any service account in scope, and so its permissions.",
            "Remove create on serviceaccounts/token; let the kubelet project tokens into pods instead."),
        new("RBAC-CSR-APPROVE", "Approves certificate signing requests", FindingSeverity.Critical, FindingSeverity.Critical,
            new[] { Req("update", "certificatesigningrequests", "certificates.k8s.io", "approval"), Req("patch", "certificatesigningrequests", "certificates.k8s.io", "approval") },
            "Approving CSRs issues client certificates for any user or group, including system:masters.",
            "Keep CSR approval to the controller manager and a small break-glass group."),
        new("RBAC-NODES-PROXY", "Reaches the kubelet API (nodes/proxy)", FindingSeverity.Critical, FindingSeverity.Critical,
            new[] { Req("get", "nodes", subresource: "proxy"), Req("create", "nodes", subresource: "proxy") },
            "nodes/proxy reaches the kubelet API, which runs commands in every pod of the node without audit of the exec.",
            "Remove nodes/proxy; use the metrics API or a metrics agent instead."),
        new("RBAC-WILDCARD-RULE", "Wildcard in a rule's verbs or resources", FindingSeverity.Medium, FindingSeverity.Low,
            Array.Empty<AccessRequest>(),
            "A wildcard also grants every verb or resource added later (new API versions, CRDs), which nobody reviewed.",
            "List the verbs and resources the subject needs instead of '*'.",
            wildcardRule: true),
    };

    /// <summary>Every id a finding can have: the checks of risky rules, then the rights of anonymous users, all authenticated users and service accounts.</summary>
    public static IReadOnlyList<string> RuleIds { get; } =
        Checks.Select(c => c.Id).Concat(new[] { "RBAC-ANONYMOUS", "RBAC-ALL-AUTHENTICATED", "RBAC-DEFAULT-SERVICEACCOUNT" }).ToArray();

    /// <summary>
    /// Refuses a -RuleId pattern (* and ? wildcards, any case) that matches no check: a misspelt id would otherwise
    /// filter every finding out and read as "no risk".
    /// </summary>
    public static void ValidateRuleIds(IEnumerable<string>? patterns)
    {
        foreach (string pattern in patterns ?? Enumerable.Empty<string>())
        {
            if (string.IsNullOrWhiteSpace(pattern) || !RuleIds.Any(id => Glob.IsMatch(pattern, id)))
            {
                throw K8sOperationException.InvalidArgument("RuleId", pattern, $"no RBAC risk check has this id; the ids are {string.Join(", ", RuleIds)}.");
            }
        }
    }

    /// <summary>
    /// Risky grants in <paramref name="policy"/>. When the policy was completed with the default policy
    /// (<see cref="RbacPolicy.WithDefaults"/>), grants of default bindings to default roles are not findings; rights
    /// given to anonymous users, every authenticated user or every service account are findings only beyond what the
    /// default policy already gives them (the newest default policy when the policy has none).
    /// </summary>
    public static IReadOnlyList<RbacRiskFinding> Analyze(RbacPolicy policy, bool includeSystemSubjects)
    {
        var defaults = policy.Defaults ?? DefaultRbacPolicy.Newest;
        var findings = new List<RbacRiskFinding>();
        var seen = new HashSet<(string, string, RbacSubject)>();
        foreach (var binding in policy.AllBindings)
        {
            var role = policy.ResolveRole(binding);
            if (role is null || role.Rules.Count == 0 || (binding.IsDefault && role.IsDefault))
            {
                continue;
            }

            bool clusterWide = binding.Kind == RbacBindingKind.ClusterRoleBinding;
            foreach (var raw in binding.Subjects)
            {
                var subject = raw.Kind == RbacSubjectKind.ServiceAccount && string.IsNullOrEmpty(raw.Namespace)
                    ? (clusterWide ? null : raw with { Namespace = binding.Namespace })
                    : raw;
                if (subject is null)
                {
                    continue;
                }

                void Add(string id, string title, FindingSeverity severity, RbacPolicyRule rule, string message, string remediation)
                {
                    if (seen.Add((id, binding.ToString(), subject)))
                    {
                        findings.Add(new RbacRiskFinding
                        {
                            RuleId = id,
                            Title = title,
                            Severity = severity,
                            Subject = subject,
                            BindingKind = binding.Kind,
                            BindingName = binding.Name,
                            BindingNamespace = clusterWide ? null : binding.Namespace,
                            RoleKind = binding.RoleKind,
                            RoleName = binding.RoleName,
                            Rule = rule,
                            Message = message,
                            Remediation = remediation,
                            Source = binding.Source,
                            RoleSource = role.Source,
                        });
                    }
                }

                string where = clusterWide ? "in every namespace" : $"in namespace {binding.Namespace}";
                string roleText = role.IsDefault && role.Source.StartsWith("default policy", StringComparison.Ordinal)
                    ? $"{binding.RoleKind}/{binding.RoleName}, {role.Source}"
                    : $"{binding.RoleKind}/{binding.RoleName}";
                string who = $"{subject} (through {binding} → {roleText})";

                // Rights the default policy does not already give this subject (everyone-groups get some by default);
                // only asked for the everyone-subjects, the only ones the default policy gives rights to.
                List<RbacPolicyRule>? beyond = null;
                List<RbacPolicyRule> BeyondDefaults() => beyond ??= role.Rules.Where(r => !defaults.GrantsByDefault(subject, clusterWide ? null : binding.Namespace, r)).ToList();
                bool isAllServiceAccounts = IsDefaultOrAllServiceAccounts(subject, out string what);

                // Rights given to everyone who is not logged in, to every logged-in user, or to every / default service accounts.
                if (IsAnonymous(subject) && BeyondDefaults().FirstOrDefault() is { } anonymousRule)
                {
                    Add("RBAC-ANONYMOUS", "Rights granted to unauthenticated users", clusterWide ? FindingSeverity.Critical : FindingSeverity.High, anonymousRule,
                        $"{who} grants '{anonymousRule}' {where} to anyone who can reach the API server without credentials.",
                        "Remove the subject from the binding; disable anonymous auth (--anonymous-auth=false) if it is not needed.");
                }

                if (IsAllAuthenticated(subject) && BeyondDefaults().FirstOrDefault() is { } authenticatedRule)
                {
                    Add("RBAC-ALL-AUTHENTICATED", "Rights granted to every authenticated user", clusterWide ? FindingSeverity.High : FindingSeverity.Medium, authenticatedRule,
                        $"{who} grants '{authenticatedRule}' {where} to every user and service account that can log in, beyond what the default policy gives them.",
                        "Bind the role to the groups or service accounts that need it, not to system:authenticated.");
                }

                if (isAllServiceAccounts && BeyondDefaults().FirstOrDefault() is { } serviceAccountRule)
                {
                    Add("RBAC-DEFAULT-SERVICEACCOUNT", $"Rights granted to {what}", clusterWide ? FindingSeverity.High : FindingSeverity.Medium, serviceAccountRule,
                        $"{who} gives {what} {where} {BeyondDefaults().Count} rule(s), e.g. '{serviceAccountRule}'; every pod that does not choose a service account gets them.",
                        "Bind the rights to a dedicated service account and set automountServiceAccountToken: false on default service accounts.");
                }

                if (!includeSystemSubjects && IsSystemSubject(subject))
                {
                    continue;
                }

                foreach (var check in Checks)
                {
                    if (check.ClusterOnly && !clusterWide)
                    {
                        continue;
                    }

                    var matching = role.Rules.FirstOrDefault(check.Matches);
                    if (matching is null)
                    {
                        continue;
                    }

                    Add(check.Id, check.Title, clusterWide ? check.ClusterSeverity : check.NamespaceSeverity, matching,
                        $"{who} allows '{matching}' {where}. {check.Why}", check.Remediation);
                    if (check.Id == WildcardAdmin)
                    {
                        break; // everything else is implied by full control
                    }
                }
            }
        }

        return findings
            .OrderByDescending(f => f.Severity)
            .ThenBy(f => f.RuleId, StringComparer.Ordinal)
            .ThenBy(f => f.Subject.ToString(), StringComparer.Ordinal)
            .ThenBy(f => f.Binding, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>
    /// Built-in identities: system:* users and groups and kube-system service accounts — but not the "everyone" groups
    /// (system:authenticated, system:unauthenticated, system:anonymous, system:serviceaccounts[:ns]): a risky right
    /// given to everyone is the worst case, never a built-in exception.
    /// </summary>
    public static bool IsSystemSubject(RbacSubject subject) => subject.Kind switch
    {
        RbacSubjectKind.ServiceAccount => subject.Namespace == "kube-system",
        _ => subject.Name.StartsWith("system:", StringComparison.Ordinal)
            && !(subject.Kind == RbacSubjectKind.Group && subject.Name == "system:authenticated")
            && !IsAnonymous(subject) && !IsDefaultOrAllServiceAccounts(subject, out _),
    };

    private static bool IsAnonymous(RbacSubject subject) =>
        (subject.Kind == RbacSubjectKind.User && subject.Name == "system:anonymous")
        || (subject.Kind == RbacSubjectKind.Group && subject.Name == "system:unauthenticated");

    private static bool IsAllAuthenticated(RbacSubject subject) => subject.Kind == RbacSubjectKind.Group && subject.Name == "system:authenticated";

    private static bool IsDefaultOrAllServiceAccounts(RbacSubject subject, out string what)
    {
        what = string.Empty;
        if (subject.Kind == RbacSubjectKind.ServiceAccount && subject.Name == "default")
        {
            what = $"the default service account of namespace {subject.Namespace}";
            return true;
        }

        if (subject.Kind == RbacSubjectKind.User && subject.Name.StartsWith(RbacSubject.ServiceAccountUserPrefix, StringComparison.Ordinal) && subject.Name.EndsWith(":default", StringComparison.Ordinal))
        {
            what = $"the default service account {subject.Name}";
            return true;
        }

        if (subject.Kind == RbacSubjectKind.Group && subject.Name == "system:serviceaccounts")
        {
            what = "every service account of the cluster";
            return true;
        }

        if (subject.Kind == RbacSubjectKind.Group && subject.Name.StartsWith("system:serviceaccounts:", StringComparison.Ordinal))
        {
            what = $"every service account of namespace {subject.Name["system:serviceaccounts:".Length..]}";
            return true;
        }

        return false;
    }

    private static AccessRequest Req(string verb, string resource, string group = "", string? subresource = null) =>
        new() { Verb = verb, Resource = resource, ApiGroup = group, Subresource = subresource, Namespace = "any" };

    private sealed record Check(
        string Id, string Title, FindingSeverity ClusterSeverity, FindingSeverity NamespaceSeverity, AccessRequest[] Requests,
        string Why, string Remediation, bool clusterOnly = false, bool matchAllRequired = false, bool wildcardRule = false)
    {
        public bool ClusterOnly => clusterOnly;

        /// <summary>
        /// The rule allows one of the probe requests. The full-control check: * resources of * groups with * verbs or
        /// all of get, list, watch, create, update, patch, delete (Polaris' definition of wildcard permissions). The
        /// wildcard-rule check: '*' among the verbs or resources of a rule that is not full control.
        /// </summary>
        public bool Matches(RbacPolicyRule rule)
        {
            if (matchAllRequired)
            {
                return rule.Resources.Contains("*") && rule.ApiGroups.Contains("*") && rule.ResourceNames.Count == 0
                    && (rule.Verbs.Contains("*") || AllStandardVerbs.All(rule.Verbs.Contains));
            }

            if (wildcardRule)
            {
                return rule.Verbs.Contains("*") || rule.Resources.Contains("*");
            }

            return Requests.Any(r => RbacRuleMatcher.RuleAllows(r, rule));
        }
    }
}
