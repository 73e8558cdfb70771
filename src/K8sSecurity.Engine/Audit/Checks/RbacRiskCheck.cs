using K8sSecurity.Engine.Authorization;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Risky RBAC grants through the authorization engine (the analysis of Find-K8sRbacRisk): full control, reading
/// Secrets cluster-wide, exec/attach, workload creation, escalate/bind/impersonate, token minting, CSR approval,
/// nodes/proxy, wildcards, and rights given to anonymous users, every authenticated user or default service accounts
/// beyond the defaults. One finding per binding, subject and risk; Kubernetes' own system identities and the cluster's
/// default policy are not findings and do not count in the score. Offline, the default policy's objects a dump lacks are
/// added, so bindings to cluster-admin, admin, edit or view resolve as in the cluster.
/// </summary>
public sealed class RbacRiskCheck : IAuditCheck
{
    public AuditCategory Category => AuditCategory.Rbac;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.Role, AuditKind.ClusterRole, AuditKind.RoleBinding, AuditKind.ClusterRoleBinding };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var objects = RequiredKinds.SelectMany(k => context.Inventory.Of(k)).ToList();
        var policy = context.Rbac;
        var bindings = objects.Where(o => o.Kind is "RoleBinding" or "ClusterRoleBinding")
            .GroupBy(o => (o.Kind, o.Namespace, o.Name))
            .ToDictionary(g => g.Key, g => g.First());

        var findings = new List<AuditFinding>();
        foreach (var risk in RbacRiskAnalyzer.Analyze(policy, includeSystemSubjects: false))
        {
            if (risk.BindingNamespace is not null && context.Options.IsExcluded(risk.BindingNamespace))
            {
                continue;
            }

            string kind = risk.BindingKind.ToString();
            var evidence = new Dictionary<string, string>
            {
                ["subject"] = risk.Subject.ToString(),
                ["subjectKind"] = risk.Subject.Kind.ToString(),
                ["roleRef"] = risk.Role,
                ["rule"] = risk.Rule.ToString() ?? string.Empty,
            };
            if (risk.RoleSource.StartsWith("default policy", StringComparison.Ordinal))
            {
                evidence["roleSource"] = risk.RoleSource;
            }

            string? source = bindings.TryGetValue((kind, risk.BindingNamespace, risk.BindingName), out var binding) && binding.Line > 0 ? binding.Location : null;
            var finding = context.Finding(Category, risk.RuleId, risk.Severity, risk.Title, kind, risk.BindingName, risk.BindingNamespace,
                risk.Message, risk.Remediation, evidence, source);
            findings.Add(new AuditFinding
            {
                Id = finding.Id,
                Category = finding.Category,
                Severity = finding.Severity,
                Title = finding.Title,
                Resource = finding.Resource,
                ResourceKind = finding.ResourceKind,
                ResourceName = finding.ResourceName,
                Namespace = finding.Namespace,
                Message = finding.Message,
                Remediation = finding.Remediation,
                Evidence = finding.Evidence,
                Cluster = finding.Cluster,
                Source = finding.Source,
                Subject = risk.Subject.ToString(),
            });
        }

        // The denominator: bindings read that are neither in an excluded namespace nor the cluster's own defaults.
        var inScope = policy.AllBindings.Where(b => b.Source != policy.Defaults?.Source && !(b.Namespace is not null && context.Options.IsExcluded(b.Namespace))).ToList();
        int defaults = inScope.Count(b => b.IsDefault);
        var excluded = defaults == 0
            ? Array.Empty<string>()
            : new[] { $"{defaults} binding(s) of the default RBAC policy {policy.Defaults!.Version}" };
        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = inScope.Count - defaults, ExcludedDefaults = excluded });
    }
}
