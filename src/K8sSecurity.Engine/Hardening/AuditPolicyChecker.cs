using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// Test-K8sAuditPolicy: loads the policy like kube-apiserver, then evaluates it with kube-apiserver's first-match
/// semantics for every kind of request: would any request put a Secret, ConfigMap, token request or token review
/// body into the log; are RBAC changes and pod exec/attach/port-forward recorded; does a catch-all exist.
/// </summary>
public static class AuditPolicyChecker
{
    public const string Component = "AuditPolicy";

    private static readonly string[] RbacResources = { "roles", "rolebindings", "clusterroles", "clusterrolebindings" };
    private static readonly string[] RbacWrites = { "create", "update", "patch", "delete" };

    public static IEnumerable<HardeningCheckResult> Check(string filePath, IReadOnlyList<string> extraSensitiveResources)
    {
        string path = Path.GetFullPath(filePath);
        var (policy, errors, unknown) = AuditPolicyService.Load(path);
        yield return Result("AUDIT-LOAD", "kube-apiserver can load the audit policy", errors.Count == 0 ? HardeningStatus.Pass : HardeningStatus.Fail, FindingSeverity.High, path,
            errors.Count == 0 ? $"{policy!.Rules.Count} rules" : string.Join("; ", errors.Take(5)),
            "an audit.k8s.io/v1 Policy with at least one valid rule",
            errors.Count == 0 ? "The policy decodes and passes kube-apiserver's validation." : $"kube-apiserver would refuse to start with this policy: {errors[0]}",
            "Fix the fields named in the message (or write a new policy with New-K8sAuditPolicy).");
        if (policy is null || errors.Count > 0)
        {
            yield break;
        }

        yield return Result("AUDIT-API-VERSION", "The policy uses audit.k8s.io/v1", policy.ApiVersion == AuditPolicyModel.ApiVersionV1 ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Low, path,
            policy.ApiVersion, AuditPolicyModel.ApiVersionV1,
            policy.ApiVersion == AuditPolicyModel.ApiVersionV1 ? "The policy uses the current API version." : $"{policy.ApiVersion} is deprecated and gone from newer kube-apiserver releases.",
            $"Change apiVersion to {AuditPolicyModel.ApiVersionV1} (the fields are the same).");
        yield return Result("AUDIT-UNKNOWN-FIELDS", "Every field of the policy is one kube-apiserver reads", unknown.Count == 0 ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Medium, path,
            unknown.Count == 0 ? "none" : string.Join(", ", unknown), "no unknown fields",
            unknown.Count == 0 ? "No unknown fields." : $"kube-apiserver silently ignores {string.Join(", ", unknown)}; a misspelt selector makes its rule match more requests than intended.",
            "Correct the spelling (level, users, userGroups, verbs, resources, namespaces, nonResourceURLs, omitStages) or remove the field.");

        var sensitive = SensitiveResource.Defaults.Concat(extraSensitiveResources.Select(SensitiveResource.Parse)).ToList();
        foreach (var resource in sensitive)
        {
            var leak = AuditPolicyAnalysis.FindLeak(policy, resource);
            yield return leak is { } found
                ? Result("AUDIT-SECRET-BODIES", $"{resource.Name} bodies stay out of the audit log", HardeningStatus.Fail, FindingSeverity.High, path,
                    $"rules[{found.Rule}] level {policy.Rules[found.Rule].Level}", "Metadata (or None) for every request",
                    $"rules[{found.Rule}] is the first rule matching {found.Request.Describe()} and logs at {policy.Rules[found.Rule].Level}: the audit log would hold the {resource.Name} content.",
                    $"Add a rule with level: Metadata for {resource.Name} before rules[{found.Rule}] (first matching rule wins), as New-K8sAuditPolicy does.")
                : Result("AUDIT-SECRET-BODIES", $"{resource.Name} bodies stay out of the audit log", HardeningStatus.Pass, FindingSeverity.High, path,
                    "Metadata or None", "Metadata (or None) for every request",
                    $"No request reaches a rule that logs {resource.Name} bodies.", "None.");
        }

        var rbac = AuditPolicyAnalysis.FindBelow(policy, "rbac.authorization.k8s.io", RbacResources, RbacWrites, AuditLevel.Request);
        yield return Below("AUDIT-RBAC-CHANGES", "RBAC changes are logged with their content", rbac, AuditLevel.Request, HardeningStatus.Warn, FindingSeverity.Medium, policy, path,
            "Log role and binding writes at RequestResponse (or Request) before any broader rule.");
        var exec = AuditPolicyAnalysis.FindBelow(policy, string.Empty, new[] { "pods/exec", "pods/attach", "pods/portforward" }, new[] { "create", "get" }, AuditLevel.Metadata);
        yield return Below("AUDIT-EXEC", "pods/exec, attach and portforward are audited", exec, AuditLevel.Metadata, HardeningStatus.Fail, FindingSeverity.Medium, policy, path,
            "Log pods/exec, pods/attach and pods/portforward at RequestResponse (New-K8sAuditPolicy does) before any rule that drops them.");
        var other = AuditPolicyAnalysis.FindBelow(policy, "example.k8ssecurity.io", new[] { "widgets" }, new[] { "create", "delete", "get" }, AuditLevel.Metadata);
        yield return Below("AUDIT-CATCH-ALL", "Requests no specific rule covers are still audited", other, AuditLevel.Metadata, HardeningStatus.Warn, FindingSeverity.Medium, policy, path,
            "End the policy with a catch-all rule (- level: Metadata) so new resources and unexpected users are recorded.");

        bool omitted = policy.OmitStages.Contains("RequestReceived") || policy.Rules.All(r => r.OmitStages.Contains("RequestReceived"));
        yield return Result("AUDIT-OMIT-REQUESTRECEIVED", "The RequestReceived stage is omitted", omitted ? HardeningStatus.Pass : HardeningStatus.Warn, FindingSeverity.Low, path,
            policy.OmitStages.Count == 0 ? "(none)" : string.Join(", ", policy.OmitStages), "omitStages: [RequestReceived]",
            omitted ? "Each request is logged once it has an answer, not also when it arrives." : "Every request is logged twice (RequestReceived and ResponseComplete), doubling the log volume.",
            "Add omitStages: [RequestReceived] at the top of the policy.");
    }

    private static HardeningCheckResult Below(string id, string title, (AuditRequest Request, int Rule, AuditLevel Level)? found, AuditLevel minimum, HardeningStatus failure, FindingSeverity severity, AuditPolicyModel policy, string path, string remediation)
    {
        if (found is not { } gap)
        {
            return Result(id, title, HardeningStatus.Pass, severity, path, $"{minimum} or more", $"{minimum} or more for every request",
                "Every such request is logged at that level or more.", "None.");
        }

        string decidedBy = gap.Rule < 0 ? "no rule matches it" : $"rules[{gap.Rule}] (level {policy.Rules[gap.Rule].Level}) matches it first";
        return Result(id, title, failure, severity, path, gap.Rule < 0 ? "None (no rule matches)" : $"rules[{gap.Rule}] level {gap.Level}", $"{minimum} or more for every request",
            $"{gap.Request.Describe()} is logged at {gap.Level}: {decidedBy}.", remediation);
    }

    private static HardeningCheckResult Result(string id, string title, HardeningStatus status, FindingSeverity severity, string path, string? effective, string expected, string message, string remediation) =>
        HardeningCheckResult.Create(id, title, Component, status, severity, path, effective, expected, message, remediation);
}
