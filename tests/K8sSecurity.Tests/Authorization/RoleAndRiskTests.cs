using System.Text.Json.Nodes;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Authorization;

public sealed class RoleAndRiskTests : IDisposable
{
    private const string Rbac = "rbac.authorization.k8s.io/v1";
    private readonly AuthorizationTestCluster cluster = AuthorizationTestCluster.Start("team-a");

    [Fact]
    public void NewRoleFromParametersIsIdempotentAndForceReplaces()
    {
        var created = Assert.Single(cluster.Invoke("New-K8sRole pod-reader -Namespace team-a -Verb get,list -Resource pods,pods/log").AssertNoErrors().Output);
        Assert.Equal("Role", created.Properties["Kind"].Value.ToString());
        var stored = cluster.Get(Rbac, "Role", "team-a", "pod-reader")!;
        var rule = stored["rules"]![0]!;
        Assert.Equal("[\"\"]", rule["apiGroups"]!.ToJsonString());
        Assert.Equal("[\"pods\",\"pods/log\"]", rule["resources"]!.ToJsonString());

        cluster.Server.ClearRequests();
        cluster.Invoke("New-K8sRole pod-reader -Namespace team-a -Verb get,list -Resource pods,pods/log").AssertNoErrors();
        Assert.Empty(cluster.Writes());

        var clash = cluster.Invoke("New-K8sRole pod-reader -Namespace team-a -Verb get -Resource pods");
        Assert.StartsWith("K8sAlreadyExists", Assert.Single(clash.Errors).FullyQualifiedErrorId);
        cluster.Invoke("New-K8sRole pod-reader -Namespace team-a -Verb get -Resource pods -Force").AssertNoErrors();
        Assert.Equal("[\"get\"]", cluster.Get(Rbac, "Role", "team-a", "pod-reader")!["rules"]![0]!["verbs"]!.ToJsonString());
    }

    [Fact]
    public void PolicyRulesPipeIntoNewRoleAndWhatIfChangesNothing()
    {
        var rules = cluster.Invoke("New-K8sPolicyRule -Verb get -Resource deployments.apps,deployments.apps/scale").AssertNoErrors();
        var rule = Assert.Single(rules.Output);
        Assert.Equal(new[] { "apps" }, (IEnumerable<string>)rule.Properties["ApiGroups"].Value);
        Assert.Equal(new[] { "deployments", "deployments/scale" }, (IEnumerable<string>)rule.Properties["Resources"].Value);

        cluster.Server.ClearRequests();
        cluster.Invoke("New-K8sPolicyRule get deployments.apps | New-K8sRole deploy-reader -Namespace team-a -WhatIf").AssertNoErrors();
        Assert.Empty(cluster.Server.Requests);
        Assert.Null(cluster.Get(Rbac, "Role", "team-a", "deploy-reader"));

        cluster.Invoke("& { New-K8sPolicyRule get deployments.apps; New-K8sPolicyRule list,watch pods } | New-K8sRole deploy-reader -Namespace team-a").AssertNoErrors();
        Assert.Equal(2, ((JsonArray)cluster.Get(Rbac, "Role", "team-a", "deploy-reader")!["rules"]!).Count);

        string ruleText = cluster.Session.Render("New-K8sPolicyRule -Verb get,list -Resource pods,deployments.apps -ResourceName web");
        Assert.Matches(@"Verbs\s+ApiGroups\s+Resources\s+ResourceNames\s+NonResourceUrls", ruleText);
        Assert.Matches(@"get,list\s+"""",apps\s+pods,deployments\s+web", ruleText);

        var bad = cluster.Invoke("New-K8sPolicyRule -Verb GET -Resource pods");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(bad.Errors).FullyQualifiedErrorId);
        var urlInRole = cluster.Invoke("New-K8sPolicyRule get -NonResourceUrl /metrics | New-K8sRole metrics -Namespace team-a");
        Assert.Contains("ClusterRole", Assert.Single(urlInRole.Errors).Exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ClusterRolesCarryAggregationLabelsAndAggregationRules()
    {
        cluster.Invoke("New-K8sClusterRole widget-viewer -Verb get,list,watch -Resource widgets.example.com -AggregateTo view,edit").AssertNoErrors();
        var labels = cluster.Get(Rbac, "ClusterRole", null, "widget-viewer")!["metadata"]!["labels"]!;
        Assert.Equal("true", labels["rbac.authorization.k8s.io/aggregate-to-view"]!.GetValue<string>());
        Assert.Equal("true", labels["rbac.authorization.k8s.io/aggregate-to-edit"]!.GetValue<string>());

        // The built-in view role aggregates it, so the offline evaluator and the server both see the new rule.
        var offline = Assert.Single(cluster.Invoke("Test-K8sAccess list widgets.example.com -Group auditors -Offline -Namespace team-a").AssertNoErrors().Output);
        Assert.False((bool)offline.Properties["Allowed"].Value);
        cluster.Invoke("Grant-K8sRole -ClusterRole view -Group auditors -Namespace team-a").AssertNoErrors();
        Assert.True((bool)Assert.Single(cluster.Invoke("Test-K8sAccess list widgets.example.com -Group auditors -Offline -Namespace team-a").AssertNoErrors().Output).Properties["Allowed"].Value);
        Assert.True((bool)Assert.Single(cluster.Invoke("Test-K8sAccess list widgets.example.com -Group auditors -Namespace team-a").AssertNoErrors().Output).Properties["Allowed"].Value);

        cluster.Invoke("New-K8sClusterRole monitoring -AggregationSelector @{ 'example.com/aggregate-to-monitoring' = 'true' }").AssertNoErrors();
        var stored = cluster.Get(Rbac, "ClusterRole", null, "monitoring")!;
        Assert.Equal("true", stored["aggregationRule"]!["clusterRoleSelectors"]![0]!["matchLabels"]!["example.com/aggregate-to-monitoring"]!.GetValue<string>());
        cluster.Invoke("New-K8sClusterRole metrics-reader -NonResourceUrl /metrics -Verb get -Label @{ 'example.com/aggregate-to-monitoring' = 'true' }").AssertNoErrors();
        var monitoring = Assert.Single(cluster.Invoke("Get-K8sRole monitoring -Kind ClusterRole").AssertNoErrors().Output);
        Assert.Equal(new[] { "metrics-reader" }, (IEnumerable<string>)monitoring.Properties["AggregatedFrom"].Value);

        cluster.Server.ClearRequests();
        cluster.Invoke("New-K8sClusterRole monitoring -AggregationSelector @{ 'example.com/aggregate-to-monitoring' = 'true' }").AssertNoErrors();
        Assert.Empty(cluster.Writes());
    }

    [Fact]
    public void GetRoleFiltersByNameKindAndNamespace()
    {
        cluster.Invoke("New-K8sRole app-reader -Namespace team-a -Verb get -Resource configmaps").AssertNoErrors();
        var admin = Assert.Single(cluster.Invoke("Get-K8sRole -Name admin").AssertNoErrors().Output);
        Assert.Equal(true, admin.Properties["IsAggregated"].Value);
        Assert.Contains("edit", (IEnumerable<string>)admin.Properties["AggregatedFrom"].Value);
        Assert.Equal("app-reader", Assert.Single(cluster.Invoke("Get-K8sRole -Kind Role -Namespace team-a").AssertNoErrors().Output).Properties["Name"].Value);
        var missing = cluster.Invoke("Get-K8sRole -Name nope");
        Assert.StartsWith("K8sNotFound", Assert.Single(missing.Errors).FullyQualifiedErrorId);
        string text = cluster.Session.Render("Get-K8sRole -Name view,app-reader");
        Assert.Matches(@"ClusterRole\s+view\s+\d+\s+from: ", text);
        Assert.Matches(@"Role\s+app-reader\s+team-a\s+1", text);
    }

    [Fact]
    public void FindRbacRiskReportsRiskyGrantsWithRemediation()
    {
        cluster.Invoke("New-K8sClusterRole debugger -Verb create -Resource pods/exec,pods/attach").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole debugger -User mallory").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole cluster-admin -Group contractors").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole view -ServiceAccount team-a:default -Namespace team-a").AssertNoErrors();

        var findings = cluster.Invoke("Find-K8sRbacRisk").AssertNoErrors().Output;
        var ids = findings.Select(f => $"{f.Properties["RuleId"].Value}|{f.Properties["Subject"].Value}").ToList();
        Assert.Contains("RBAC-WILDCARD-ADMIN|Group:contractors", ids);
        Assert.Contains("RBAC-POD-EXEC|User:mallory", ids);
        Assert.Contains("RBAC-POD-ATTACH|User:mallory", ids);
        Assert.Contains("RBAC-DEFAULT-SERVICEACCOUNT|ServiceAccount:team-a:default", ids);
        Assert.DoesNotContain(findings, f => f.Properties["Subject"].Value.ToString() == "Group:system:masters");
        Assert.Equal("Critical", findings[0].Properties["Severity"].Value.ToString());
        Assert.All(findings, f => Assert.False(string.IsNullOrEmpty((string)f.Properties["Remediation"].Value)));

        var high = cluster.Invoke("Find-K8sRbacRisk -MinimumSeverity Critical").AssertNoErrors().Output;
        Assert.All(high, f => Assert.Equal("Critical", f.Properties["Severity"].Value.ToString()));
        var report = cluster.Invoke("Find-K8sRbacRisk -RuleId RBAC-POD-EXEC | ForEach-Object { $_.ToReportFindings() }").AssertNoErrors().Output;
        Assert.Equal("RBAC-POD-EXEC", Assert.Single(report).Properties["RuleId"].Value);
        string text = cluster.Session.Render("Find-K8sRbacRisk -RuleId RBAC-POD-EXEC");
        Assert.Matches(@"High\s+RBAC-POD-EXEC\s+User:mallory\s+\(cluster\)", text);
        string detail = cluster.Session.Render("Find-K8sRbacRisk -RuleId RBAC-POD-EXEC | Format-List Role, BindingName");
        Assert.Matches(@"Role\s+:\s+ClusterRole/debugger\s+BindingName\s+:\s+k8ssecurity:clusterrole:debugger", detail);
    }

    [Fact]
    public void FindRbacRiskRefusesARuleIdNoCheckHas()
    {
        // A misspelt id used to filter every finding out: `Find-K8sRbacRisk -RuleId RBAC-WILDCARD-ADMN | Should -BeNullOrEmpty`
        // passed on a cluster that binds cluster-admin to a group. Like Test-K8sPodSecurity -ExcludeCheck, it is an error.
        cluster.Invoke("Grant-K8sRole -ClusterRole cluster-admin -Group contractors").AssertNoErrors();
        cluster.Server.ClearRequests();
        var typo = cluster.Invoke("Find-K8sRbacRisk -RuleId RBAC-WILDCARD-ADMN");
        Assert.Empty(typo.Output);
        Assert.StartsWith("K8sInvalidArgument", typo.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("-RuleId 'RBAC-WILDCARD-ADMN'", typo.TerminatingError.ToString(), StringComparison.Ordinal);
        Assert.Contains("RBAC-WILDCARD-ADMIN", typo.TerminatingError.ToString(), StringComparison.Ordinal);
        Assert.Empty(cluster.Server.Requests);

        // Wildcards and any case still select, as documented.
        var admins = cluster.Invoke("Find-K8sRbacRisk -RuleId rbac-wildcard-*").AssertNoErrors().Output;
        Assert.Contains(admins, f => (string)f.Properties["RuleId"].Value == "RBAC-WILDCARD-ADMIN" && f.Properties["Subject"].Value.ToString() == "Group:contractors");
    }

    public void Dispose() => cluster.Dispose();
}
