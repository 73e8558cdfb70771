using K8sSecurity.Engine.Authorization;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Risky RBAC grants through the authorization engine (the analysis of Find-K8sRbacRisk): full control, reading
/// Secrets cluster-wide, exec/attach, workload creation, escalate/bind/impersonate, token minting, CSR approval,
/// nodes/proxy, and rights given to anonymous users or default service accounts. One finding per binding, subject
/// and risk; Kubernetes' own system identities are not findings.
/// </summary>
public sealed class RbacRiskCheck : IAuditCheck
{
    public AuditCategory Category => AuditCategory.Rbac;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.Role, AuditKind.ClusterRole, AuditKind.RoleBinding, AuditKind.ClusterRoleBinding };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var objects = RequiredKinds.SelectMany(k => context.Inventory.Of(k)).ToList();
        var policy = RbacSource.LoadFromObjects(objects, context.Log);
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

        int evaluated = objects.Count(o => (o.Kind is "RoleBinding" or "ClusterRoleBinding") && !(o.Namespace is not null && context.Options.IsExcluded(o.Namespace)));
        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }
}
