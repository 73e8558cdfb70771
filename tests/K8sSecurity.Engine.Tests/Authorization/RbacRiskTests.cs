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
        Assert.Equal(new[] { "RBAC-WORKLOAD-CREATE", "RBAC-WILDCARD-RULE" }, findings.Select(f => f.RuleId));
        var create = findings[0];
        Assert.Equal(FindingSeverity.Medium, create.Severity);
        Assert.Equal("team-a", create.Scope);
        Assert.Equal(FindingSeverity.Low, findings[1].Severity);
    }

    [Theory]
    [InlineData("[{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }]")]
    [InlineData("[{ apiGroups: ['*'], resources: ['*'], verbs: [get, list, watch, create, update, patch, delete] }]")]
    public void FullControlIsCriticalInANamespaceToo(string rules)
    {
        // Polaris rolebindingClusterAdminClusterRole: a RoleBinding to a wildcard ClusterRole controls the namespace.
        var policy = Load(Role("almighty", rules) + Rb("team-admin", "team-a", "almighty", "[{ kind: User, name: sam, apiGroup: rbac.authorization.k8s.io }]"));
        var finding = Assert.Single(RbacRiskAnalyzer.Analyze(policy, false));
        Assert.Equal("RBAC-WILDCARD-ADMIN", finding.RuleId);
        Assert.Equal(FindingSeverity.Critical, finding.Severity);
        Assert.Equal("team-a", finding.Scope);
    }

    [Fact]
    public void TheDefaultPolicyItselfIsNeverAFinding()
    {
        // A dump of a fresh v1.32 cluster: its default objects, recognised by content, grant nothing reportable, even
        // with the system subjects included (the issuer-discovery binding gives every service account OIDC discovery).
        var fresh = RbacSource.LoadFromObjects(ManifestReader.ReadFile(DefaultRbacPolicyTests.Capture, e => throw new InvalidOperationException(e.ToString())), EngineLog.None)
            .WithDefaults(DefaultRbacPolicy.For("v1.32"), addMissing: true);
        Assert.Empty(RbacRiskAnalyzer.Analyze(fresh, includeSystemSubjects: true));

        // Without the default policy the same objects are judged like any others (system:masters holds cluster-admin).
        var raw = RbacSource.LoadFromObjects(ManifestReader.ReadFile(DefaultRbacPolicyTests.Capture, e => throw new InvalidOperationException(e.ToString())), EngineLog.None);
        Assert.Contains(RbacRiskAnalyzer.Analyze(raw, includeSystemSubjects: true),
            f => f.RuleId == "RBAC-WILDCARD-ADMIN" && f.Binding == "ClusterRoleBinding/cluster-admin" && f.Subject.ToString() == "Group:system:masters");
    }

    [Fact]
    public void TheIssueFolderReportsItsClusterAdminGrantsAndAnonymousAccess()
    {
        var folder = ManifestReader.ExpandPaths(new[] { DefaultRbacPolicyTests.IssueFolder })
            .SelectMany(f => ManifestReader.ReadFile(f, e => throw new InvalidOperationException(e.ToString())));
        var policy = RbacSource.LoadFromObjects(folder, EngineLog.None).WithDefaults(DefaultRbacPolicy.Newest, addMissing: true);
        var findings = RbacRiskAnalyzer.Analyze(policy, includeSystemSubjects: true);

        var admins = findings.Where(f => f.RuleId == "RBAC-WILDCARD-ADMIN").ToList();
        Assert.Equal(new[] { "Group:ops", "User:dave" }, admins.Select(f => f.Subject.ToString()).Order(StringComparer.Ordinal));
        Assert.All(admins, f => Assert.Equal(FindingSeverity.Critical, f.Severity));
        Assert.All(admins, f => Assert.Equal("default policy v1.32", f.RoleSource));
        Assert.All(admins, f => Assert.Contains("default policy v1.32", f.Message, StringComparison.Ordinal));
        var anonymous = Assert.Single(findings, f => f.RuleId == "RBAC-ANONYMOUS");
        Assert.Equal("ClusterRoleBinding/public-view", anonymous.Binding);
        Assert.Equal(FindingSeverity.Critical, anonymous.Severity);
        Assert.Contains(findings, f => f.RuleId == "RBAC-POD-EXEC" && f.Subject.ToString() == "User:erin");

        // Nothing is reported about the default objects that were added.
        Assert.DoesNotContain(findings, f => f.Source.StartsWith("default policy", StringComparison.Ordinal));
    }

    [Fact]
    public void RightsForEveryAuthenticatedUserBeyondTheDefaultsAreFindings()
    {
        var policy = Load(
            Role("discovery-again", "[{ nonResourceURLs: [/api, /apis, /version], verbs: [get] }]")
            + Role("config-reader", "[{ apiGroups: [''], resources: [configmaps], verbs: [get, list] }]")
            + Crb("everyone-discovers", "discovery-again", "[{ kind: Group, name: 'system:authenticated', apiGroup: rbac.authorization.k8s.io }]")
            + Crb("everyone-reads-config", "config-reader", "[{ kind: Group, name: 'system:authenticated', apiGroup: rbac.authorization.k8s.io }]")
            + Rb("team-reads-config", "team-a", "config-reader", "[{ kind: Group, name: 'system:authenticated', apiGroup: rbac.authorization.k8s.io }]"))
            .WithDefaults(DefaultRbacPolicy.Newest, addMissing: true);
        var findings = RbacRiskAnalyzer.Analyze(policy, false).Where(f => f.RuleId == "RBAC-ALL-AUTHENTICATED").ToList();
        Assert.Equal(new[] { "ClusterRoleBinding/everyone-reads-config", "RoleBinding/team-a/team-reads-config" }, findings.Select(f => f.Binding).Order(StringComparer.Ordinal));
        Assert.Equal(FindingSeverity.High, findings.Single(f => f.BindingNamespace is null).Severity);
        Assert.Equal(FindingSeverity.Medium, findings.Single(f => f.BindingNamespace is not null).Severity);
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
        var findings = RbacRiskAnalyzer.Analyze(policy, false);
        Assert.All(findings, f => Assert.Equal("Group:system:authenticated", f.Subject.ToString()));
        Assert.Equal(new[] { "RBAC-ALL-AUTHENTICATED", "RBAC-POD-EXEC" }, findings.Select(f => f.RuleId).Order(StringComparer.Ordinal));
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
