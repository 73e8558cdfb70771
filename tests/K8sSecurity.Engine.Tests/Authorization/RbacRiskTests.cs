using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using Xunit;

namespace K8sSecurity.Engine.Tests.Authorization;

public sealed class RbacRiskTests
{
    private static RbacPolicy Load(string yaml) =>
        RbacSource.LoadFromObjects(ManifestReader.ReadText(yaml, "risk.yaml", e => throw new InvalidOperationException(e.ToString())), EngineLog.None);

    private static string Role(string name, string rules) => $"""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRole
        metadata: {"{"} name: {name} {"}"}
        rules: {rules}
        ---

        """;

    private static string Crb(string name, string role, string subjects) => $"""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: ClusterRoleBinding
        metadata: {"{"} name: {name} {"}"}
        roleRef: {"{"} apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role} {"}"}
        subjects: {subjects}
        ---

        """;

    private static string Rb(string name, string ns, string role, string subjects) => $"""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: RoleBinding
        metadata: {"{"} name: {name}, namespace: {ns} {"}"}
        roleRef: {"{"} apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {role} {"}"}
        subjects: {subjects}
        ---

        """;

    [Theory]
    [InlineData("[{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]", "RBAC-WILDCARD-ADMIN", FindingSeverity.Critical)]
    [InlineData("[{ apiGroups: [''], resources: [secrets], verbs: [list] }]", "RBAC-SECRETS-READ", FindingSeverity.High)]
    [InlineData("[{ apiGroups: [''], resources: [pods/exec], verbs: [create] }]", "RBAC-POD-EXEC", FindingSeverity.High)]
    [InlineData("[{ apiGroups: [''], resources: ['pods/attach'], verbs: [create] }]", "RBAC-POD-ATTACH", FindingSeverity.High)]
    [InlineData("[{ apiGroups: [''], resources: [pods], verbs: [create] }]", "RBAC-WORKLOAD-CREATE", FindingSeverity.High)]
    [InlineData("[{ apiGroups: [apps], resources: [daemonsets], verbs: ['*'] }]", "RBAC-WORKLOAD-CREATE", FindingSeverity.High)]
    [InlineData("[{ apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [escalate] }]", "RBAC-ESCALATE", FindingSeverity.Critical)]
    [InlineData("[{ apiGroups: [rbac.authorization.k8s.io], resources: [roles], verbs: [bind] }]", "RBAC-BIND", FindingSeverity.Critical)]
    [InlineData("[{ apiGroups: [''], resources: [users, groups], verbs: [impersonate] }]", "RBAC-IMPERSONATE", FindingSeverity.Critical)]
    [InlineData("[{ apiGroups: [''], resources: [serviceaccounts/token], verbs: [create] }]", "RBAC-SA-TOKEN-CREATE", FindingSeverity.High)]
    [InlineData("[{ apiGroups: [certificates.k8s.io], resources: [certificatesigningrequests/approval], verbs: [update] }]", "RBAC-CSR-APPROVE", FindingSeverity.Critical)]
    [InlineData("[{ apiGroups: [''], resources: ['nodes/proxy'], verbs: [get] }]", "RBAC-NODES-PROXY", FindingSeverity.Critical)]
    [InlineData("[{ apiGroups: [''], resources: ['*/exec'], verbs: [create] }]", "RBAC-POD-EXEC", FindingSeverity.High)]
    public void EachRiskyRuleIsFoundWithSubjectBindingRuleAndRemediation(string rules, string ruleId, FindingSeverity severity)
    {
        var policy = Load(Role("risky", rules) + Crb("risky-binding", "risky", "[{ kind: User, name: mallory, apiGroup: rbac.authorization.k8s.io }]"));
        var finding = Assert.Single(RbacRiskAnalyzer.Analyze(policy, false), f => f.RuleId == ruleId);
        Assert.Equal(severity, finding.Severity);
        Assert.Equal("User:mallory", finding.Subject.ToString());
        Assert.Equal("ClusterRoleBinding/risky-binding", finding.Binding);
        Assert.Equal("ClusterRole/risky", finding.Role);
        Assert.NotEmpty(finding.Remediation);
        Assert.Contains("mallory", finding.Message, StringComparison.Ordinal);

        var report = Assert.Single(finding.ToReportFindings());
        Assert.Equal(ruleId, report.RuleId);
        Assert.Equal("RBAC", report.Category);
        Assert.Equal("risk.yaml", report.SourceFile);
        Assert.Equal("User:mallory", report.Evidence["subject"]);
    }

    [Fact]
    public void HarmlessRulesAndNamedSecretsAreNotFindings()
    {
        var policy = Load(
            Role("reader", "[{ apiGroups: [''], resources: [pods, configmaps], verbs: [get, list, watch] }, { apiGroups: [''], resources: [secrets], resourceNames: [app-config], verbs: [get] }]")
            + Crb("readers", "reader", "[{ kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io }]"));
        Assert.Empty(RbacRiskAnalyzer.Analyze(policy, false));
    }

    [Fact]
    public void NamespaceScopeLowersSeverityAndSecretReadsCountOnlyClusterWide()
    {
        var policy = Load(
            Role("editor", "[{ apiGroups: [''], resources: [pods, secrets], verbs: ['*'] }]")
            + Rb("editors", "team-a", "editor", "[{ kind: User, name: sam, apiGroup: rbac.authorization.k8s.io }]"));
        var findings = RbacRiskAnalyzer.Analyze(policy, false);
        var create = Assert.Single(findings);
        Assert.Equal("RBAC-WORKLOAD-CREATE", create.RuleId);
        Assert.Equal(FindingSeverity.Medium, create.Severity);
        Assert.Equal("team-a", create.Scope);
    }

    [Fact]
    public void ClusterAdminImpliesTheRestAndSystemSubjectsAreSkippedUnlessAsked()
    {
        var policy = Load(
            Role("cluster-admin", "[{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }]")
            + Crb("cluster-admin", "cluster-admin", "[{ kind: Group, name: 'system:masters', apiGroup: rbac.authorization.k8s.io }]")
            + Crb("ops-admin", "cluster-admin", "[{ kind: User, name: ops, apiGroup: rbac.authorization.k8s.io }, { kind: ServiceAccount, name: tiller, namespace: kube-system }]"));
        var findings = RbacRiskAnalyzer.Analyze(policy, false);
        var only = Assert.Single(findings);
        Assert.Equal("RBAC-WILDCARD-ADMIN", only.RuleId);
        Assert.Equal("User:ops", only.Subject.ToString());
        Assert.Equal(3, RbacRiskAnalyzer.Analyze(policy, true).Count);
    }

    [Fact]
    public void RiskyRightsForEveryAuthenticatedUserAreNotTreatedAsBuiltIn()
    {
        var policy = Load(
            Role("debugger", "[{ apiGroups: [''], resources: [pods/exec], verbs: [create] }]")
            + Crb("everyone-debugs", "debugger", "[{ kind: Group, name: 'system:authenticated', apiGroup: rbac.authorization.k8s.io }]")
            + Crb("nodes-debug", "debugger", "[{ kind: Group, name: 'system:nodes', apiGroup: rbac.authorization.k8s.io }]"));
        var finding = Assert.Single(RbacRiskAnalyzer.Analyze(policy, false));
        Assert.Equal("Group:system:authenticated", finding.Subject.ToString());
        Assert.Equal("RBAC-POD-EXEC", finding.RuleId);
    }

    [Fact]
    public void AnonymousAndDefaultServiceAccountGrantsAreFound()
    {
        var policy = Load(
            Role("public-info", "[{ nonResourceURLs: [/healthz, /livez, /readyz, /version], verbs: [get] }]")
            + Role("pod-reader", "[{ apiGroups: [''], resources: [pods], verbs: [get] }]")
            + Crb("public", "public-info", "[{ kind: Group, name: 'system:unauthenticated', apiGroup: rbac.authorization.k8s.io }]")
            + Crb("anon-pods", "pod-reader", "[{ kind: User, name: 'system:anonymous', apiGroup: rbac.authorization.k8s.io }]")
            + Rb("default-sa", "team-a", "pod-reader", "[{ kind: ServiceAccount, name: default }]")
            + Rb("all-sa", "team-b", "pod-reader", "[{ kind: Group, name: 'system:serviceaccounts', apiGroup: rbac.authorization.k8s.io }]"));
        var findings = RbacRiskAnalyzer.Analyze(policy, false);
        var anonymous = Assert.Single(findings, f => f.RuleId == "RBAC-ANONYMOUS");
        Assert.Equal("User:system:anonymous", anonymous.Subject.ToString());
        Assert.Equal(FindingSeverity.Critical, anonymous.Severity);
        var defaults = findings.Where(f => f.RuleId == "RBAC-DEFAULT-SERVICEACCOUNT").ToList();
        Assert.Equal(new[] { "Group:system:serviceaccounts", "ServiceAccount:team-a:default" }, defaults.Select(f => f.Subject.ToString()).Order(StringComparer.Ordinal));
    }
}
