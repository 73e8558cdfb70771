using System.Text.Json.Nodes;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Authorization;

public sealed class GrantRevokeTests : IDisposable
{
    private const string Rbac = "rbac.authorization.k8s.io/v1";

    // Import-Csv is not in the test runspace (only SMA's own cmdlets); this builds the same rows: one PSCustomObject
    // per line, every column a string property, empty cells as "".
    private const string ImportCsv = """
        & { $lines = [IO.File]::ReadAllLines($args[0]); $header = $lines[0].Split(',')
            $lines[1..($lines.Length - 1)] | ForEach-Object { $cells = $_.Split(','); $row = [ordered]@{}
                for ($i = 0; $i -lt $header.Length; $i++) { $row[$header[$i]] = $cells[$i] }; [pscustomobject]$row } } $args[0]
        """;
    private readonly AuthorizationTestCluster cluster = AuthorizationTestCluster.Start("team-a", "team-b");

    private static string[] SubjectsOf(JsonObject binding) =>
        (binding["subjects"] as JsonArray ?? new JsonArray()).Select(s => $"{s!["kind"]}:{s["namespace"]?.GetValue<string>() ?? string.Empty}:{s["name"]}").ToArray();

    [Fact]
    public void GrantCreatesOneRoleBindingAndGrantingAgainChangesNothing()
    {
        var result = cluster.Invoke("Grant-K8sRole -ClusterRole edit -User sammy -Namespace team-a").AssertNoErrors();
        var binding = Assert.Single(result.Output);
        Assert.Equal("RoleBinding", binding.Properties["Kind"].Value.ToString());
        Assert.Equal("team-a", binding.Properties["Namespace"].Value);
        Assert.Equal("ClusterRole/edit", binding.Properties["Role"].Value);
        Assert.Equal("Created", binding.Properties["Change"].Value.ToString());
        string name = (string)binding.Properties["Name"].Value;
        var stored = cluster.Get(Rbac, "RoleBinding", "team-a", name)!;
        Assert.Equal(new[] { "User::sammy" }, SubjectsOf(stored));
        Assert.Equal("ClusterRole", stored["roleRef"]!["kind"]!.GetValue<string>());

        cluster.Server.ClearRequests();
        var again = cluster.Invoke("Grant-K8sRole -ClusterRole edit -User sammy -Namespace team-a").AssertNoErrors();
        Assert.Equal("Unchanged", Assert.Single(again.Output).Properties["Change"].Value.ToString());
        Assert.Empty(cluster.Writes());
        Assert.Single(cluster.List(Rbac, "RoleBinding", "team-a"));
        Assert.Equal(new[] { "User::sammy" }, SubjectsOf(cluster.Get(Rbac, "RoleBinding", "team-a", name)!));
    }

    [Fact]
    public void SubjectsFromImportCsvRowsGoIntoOneBindingWithoutDuplicates()
    {
        string csv = Path.Combine(cluster.Directory, "users.csv");
        File.WriteAllText(csv, "User,Group,ServiceAccount\nalice,,\nbob,,\n,devs,\n,,ci:builder\nalice,,\n");
        var result = cluster.Invoke(ImportCsv + " | Grant-K8sRole -ClusterRole view -Namespace team-b", csv).AssertNoErrors();
        var binding = Assert.Single(result.Output);
        var stored = cluster.Get(Rbac, "RoleBinding", "team-b", (string)binding.Properties["Name"].Value)!;
        Assert.Equal(new[] { "User::alice", "User::bob", "Group::devs", "ServiceAccount:ci:builder" }, SubjectsOf(stored));

        cluster.Server.ClearRequests();
        cluster.Invoke(ImportCsv + " | Grant-K8sRole -ClusterRole view -Namespace team-b", csv).AssertNoErrors();
        Assert.Empty(cluster.Writes());
    }

    [Fact]
    public void WhatIfAndDryRunStoreNothing()
    {
        cluster.Server.ClearRequests();
        var whatIf = cluster.Invoke("Grant-K8sRole -ClusterRole edit -Group ops -Namespace team-a -WhatIf").AssertNoErrors();
        Assert.Empty(whatIf.Output);
        Assert.Empty(cluster.Server.Requests);
        Assert.Empty(cluster.List(Rbac, "RoleBinding", "team-a"));

        var dry = cluster.Invoke("Grant-K8sRole -ClusterRole edit -Group ops -Namespace team-a -DryRun").AssertNoErrors();
        var binding = Assert.Single(dry.Output);
        Assert.Equal(true, binding.Properties["DryRun"].Value);
        Assert.Contains(cluster.Server.Requests, r => r.Method == "POST" && r.Query.Contains("dryRun=All", StringComparison.Ordinal));
        Assert.Empty(cluster.List(Rbac, "RoleBinding", "team-a"));
    }

    [Fact]
    public void ClusterRoleWithoutNamespaceIsAClusterRoleBindingAndServiceAccountsNeedANamespace()
    {
        var result = cluster.Invoke("Grant-K8sRole -ClusterRole view -ServiceAccount monitoring:prometheus").AssertNoErrors();
        var binding = Assert.Single(result.Output);
        Assert.Equal("ClusterRoleBinding", binding.Properties["Kind"].Value.ToString());
        Assert.Null(binding.Properties["Namespace"].Value);
        Assert.Equal(new[] { "ServiceAccount:monitoring:prometheus" }, SubjectsOf(cluster.Get(Rbac, "ClusterRoleBinding", null, (string)binding.Properties["Name"].Value)!));

        cluster.Server.ClearRequests();
        var bad = cluster.Invoke("Grant-K8sRole -ClusterRole view -ServiceAccount prometheus");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(bad.Errors).FullyQualifiedErrorId);
        Assert.Contains("'prometheus'", bad.Errors[0].Exception.Message);
        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void GrantingAMissingRoleWarnsAndBindingNameIsRespected()
    {
        var result = cluster.Invoke("Grant-K8sRole -Role deployer -User carol -Namespace team-a -BindingName carol-deploys").AssertNoErrors();
        Assert.Contains(result.Warnings, w => w.Contains("Role 'deployer'", StringComparison.Ordinal) && w.Contains("does not exist", StringComparison.Ordinal));
        Assert.Equal("carol-deploys", Assert.Single(result.Output).Properties["Name"].Value);
        Assert.NotNull(cluster.Get(Rbac, "RoleBinding", "team-a", "carol-deploys"));

        var conflict = cluster.Invoke("Grant-K8sRole -ClusterRole view -User carol -Namespace team-a -BindingName carol-deploys");
        Assert.StartsWith("K8sConflict", Assert.Single(conflict.Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void ExistingBindingToTheSameRoleIsReused()
    {
        cluster.Server.Store.Create(JsonNode.Parse("""
            {"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"legacy-editors","namespace":"team-a"},
             "roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"edit"},
             "subjects":[{"kind":"ServiceAccount","name":"deployer"}]}
            """)!.AsObject());

        // The namespace-less service account in a RoleBinding means one in the binding's namespace: already granted.
        cluster.Server.ClearRequests();
        var same = cluster.Invoke("Grant-K8sRole -ClusterRole edit -ServiceAccount deployer -Namespace team-a").AssertNoErrors();
        Assert.Equal("legacy-editors", Assert.Single(same.Output).Properties["Name"].Value);
        Assert.Empty(cluster.Writes());
    }

    [Fact]
    public void RevokeRemovesTheSubjectThenTheEmptyBindingAndIsIdempotent()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole edit -User sammy,dana -Namespace team-a").AssertNoErrors();
        var first = cluster.Invoke("Revoke-K8sRole -ClusterRole edit -User sammy -Namespace team-a").AssertNoErrors();
        Assert.Equal("Updated", Assert.Single(first.Output).Properties["Change"].Value.ToString());
        var binding = Assert.Single(cluster.List(Rbac, "RoleBinding", "team-a"));
        Assert.Equal(new[] { "User::dana" }, SubjectsOf(binding));

        cluster.Server.ClearRequests();
        Assert.Empty(cluster.Invoke("Revoke-K8sRole -ClusterRole edit -User sammy -Namespace team-a").AssertNoErrors().Output);
        Assert.Empty(cluster.Writes());

        Assert.Empty(cluster.Invoke("Revoke-K8sRole -ClusterRole edit -User dana -Namespace team-a -WhatIf").AssertNoErrors().Output);
        Assert.Single(cluster.List(Rbac, "RoleBinding", "team-a"));

        var last = cluster.Invoke("Revoke-K8sRole -ClusterRole edit -User dana -Namespace team-a").AssertNoErrors();
        Assert.Equal("Deleted", Assert.Single(last.Output).Properties["Change"].Value.ToString());
        Assert.Empty(cluster.List(Rbac, "RoleBinding", "team-a"));
    }

    [Fact]
    public void BindingRowsPipeIntoRevoke()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole view -User erin -Group auditors -Namespace team-b").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole view -User erin").AssertNoErrors();
        var rows = cluster.Invoke("Get-K8sRoleBinding -Subject erin -Role view").AssertNoErrors();
        Assert.Equal(2, rows.Output.Count);
        Assert.Contains(rows.Output, r => (string?)r.Properties["Namespace"].Value == "team-b" && (string)r.Properties["User"].Value == "erin");
        Assert.Contains(rows.Output, r => r.Properties["Namespace"].Value is null && r.Properties["BindingKind"].Value.ToString() == "ClusterRoleBinding");

        cluster.Invoke("Get-K8sRoleBinding -Subject erin -Role view | Revoke-K8sRole -Confirm:$false").AssertNoErrors();
        Assert.Empty(cluster.Invoke("Get-K8sRoleBinding -Subject erin").AssertNoErrors().Output);
        var auditors = Assert.Single(cluster.Invoke("Get-K8sRoleBinding -SubjectKind Group -Subject auditors").AssertNoErrors().Output);
        Assert.Equal("ClusterRole/view", $"{auditors.Properties["RoleKind"].Value}/{auditors.Properties["RoleName"].Value}");
    }

    [Fact]
    public void BadInputFailsBeforeAnythingIsSent()
    {
        cluster.Server.ClearRequests();
        var both = cluster.Invoke("Grant-K8sRole -Role a -ClusterRole b -User x -Namespace team-a");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(both.Errors).FullyQualifiedErrorId);
        var none = cluster.Invoke("Grant-K8sRole -ClusterRole view -Namespace team-a");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(none.Errors).FullyQualifiedErrorId);
        var badNs = cluster.Invoke("Grant-K8sRole -ClusterRole view -User x -Namespace Team_A");
        Assert.Contains("'Team_A'", Assert.Single(badNs.Errors).Exception.Message);

        // An empty Namespace cell must not become a cluster-wide grant.
        var emptyNs = cluster.Invoke("[pscustomobject]@{ User = 'x'; Namespace = '' } | Grant-K8sRole -ClusterRole view");
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(emptyNs.Errors).FullyQualifiedErrorId);
        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void DefaultViewShowsRoleScopeAndSubjects()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole edit -User sammy -Namespace team-a").AssertNoErrors();
        string text = cluster.Session.Render("Grant-K8sRole -ClusterRole edit -User sammy -Namespace team-a");
        Assert.Matches(@"Change\s+Namespace\s+Name\s+Role\s+Subjects", text);
        Assert.Matches(@"Unchanged\s+team-a\s+k8ssecurity:clusterrole:edit\s+ClusterRole/edit\s+User:sammy", text);
        string rows = cluster.Session.Render("Get-K8sRoleBinding -Subject sammy");
        Assert.Matches(@"User:sammy\s+ClusterRole/edit\s+team-a\s+k8ssecurity:clusterrole:edit", rows);
    }

    public void Dispose() => cluster.Dispose();
}
