using System.Management.Automation;
using K8sSecurity.Tests.Authorization;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// A kubeconfig user with as / as-groups / as-uid / as-user-extra (what kubectl --as writes) makes every cmdlet act as
/// the impersonated identity, as kubectl does: answers, refusals and writes are the impersonated user's, never the
/// underlying admin's. The API test server checks the impersonate verb like kube-apiserver and records who
/// authenticated and which Impersonate-* lines arrived.
/// </summary>
public sealed class ImpersonationCmdletTests : IDisposable
{
    private readonly AuthorizationTestCluster cluster = AuthorizationTestCluster.Start("team-a", "team-b");

    public ImpersonationCmdletTests()
    {
        cluster.Invoke("Grant-K8sRole -ClusterRole view -User sammy -Namespace team-a").AssertNoErrors();
        cluster.Invoke("Grant-K8sRole -ClusterRole view -Group auditors").AssertNoErrors();
    }

    public void Dispose() => cluster.Dispose();

    [Fact]
    public void ConnectingThroughAnImpersonatingContextShowsTheImpersonatedUser()
    {
        string kubeconfig = AdminAs("sammy", "    as: sammy\n");
        cluster.Server.ClearRequests();

        var connection = Assert.Single(cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);

        Assert.Equal("sammy", connection.Properties["UserName"].Value);
        Assert.Equal(new[] { "system:authenticated" }, (IEnumerable<string>)connection.Properties["Groups"].Value);
        Assert.NotEmpty(cluster.Server.Requests);
        Assert.All(cluster.Server.Requests, r =>
        {
            Assert.Equal(("sammy", "admin"), (r.User, r.AuthenticatedUser));
            Assert.Equal(new[] { "Impersonate-User: sammy" }, Lines(r));
        });
    }

    [Fact]
    public void AccessChecksAnswerForTheImpersonatedUserNotTheAdmin()
    {
        string kubeconfig = AdminAs("sammy", "    as: sammy\n");

        Assert.True(Allowed("Test-K8sAccess list secrets -Namespace team-a -Kubeconfig $args[0]", cluster.Kubeconfig));
        Assert.False(Allowed("Test-K8sAccess list secrets -Namespace team-a -Kubeconfig $args[0]", kubeconfig));
        Assert.True(Allowed("Test-K8sAccess get pods -Namespace team-a -Kubeconfig $args[0]", kubeconfig));
        Assert.False(Allowed("Test-K8sAccess get pods -Namespace team-b -Kubeconfig $args[0]", kubeconfig));
        var review = cluster.Server.Requests.Last(r => r.Path.EndsWith("/selfsubjectaccessreviews", StringComparison.Ordinal));
        Assert.Equal(("sammy", "admin"), (review.User, review.AuthenticatedUser));
    }

    [Fact]
    public void AWriteTheImpersonatedUserMayNotDoIsRefusedAlthoughTheAdminCould()
    {
        string kubeconfig = AdminAs("sammy", "    as: sammy\n");

        var refused = cluster.Invoke("New-K8sServiceAccount -Name robot -Namespace team-a -Kubeconfig $args[0]", kubeconfig);

        var error = Assert.Single(refused.Errors.Concat(refused.TerminatingError is null ? [] : [refused.TerminatingError]));
        Assert.StartsWith("K8sForbidden", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("User \"sammy\" cannot", error.ToString(), StringComparison.Ordinal);
        Assert.Null(cluster.Get("v1", "ServiceAccount", "team-a", "robot"));

        cluster.Invoke("New-K8sServiceAccount -Name robot -Namespace team-a -Kubeconfig $args[0]", cluster.Kubeconfig).AssertNoErrors();
        Assert.NotNull(cluster.Get("v1", "ServiceAccount", "team-a", "robot"));
    }

    [Fact]
    public void GroupsUidAndExtraAreImpersonatedLineByLine()
    {
        string kubeconfig = AdminAs(
            "gina",
            "    as: gina\n    as-uid: u-7\n    as-groups: [auditors, \"a, b\"]\n    as-user-extra:\n      scopes: [view, edit]\n      example.org/team: [blue]\n");
        cluster.Server.ClearRequests();

        var connection = Assert.Single(cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("gina", connection.Properties["UserName"].Value);
        Assert.Equal(new[] { "auditors", "a, b", "system:authenticated" }, (IEnumerable<string>)connection.Properties["Groups"].Value);
        Assert.True(Allowed("Test-K8sAccess list deployments.apps -Namespace team-b -Kubeconfig $args[0]", kubeconfig));
        Assert.False(Allowed("Test-K8sAccess create deployments.apps -Namespace team-b -Kubeconfig $args[0]", kubeconfig));

        var expected = new[]
        {
            "Impersonate-User: gina",
            "Impersonate-Uid: u-7",
            "Impersonate-Group: auditors",
            "Impersonate-Group: a, b",
            "Impersonate-Extra-Example.org%2fteam: blue",
            "Impersonate-Extra-Scopes: view",
            "Impersonate-Extra-Scopes: edit",
        };
        Assert.All(cluster.Server.Requests, r => Assert.Equal(expected, Lines(r)));
    }

    [Fact]
    public void DiscoveryThroughRawRequestsImpersonatesToo()
    {
        string kubeconfig = AdminAs("sammy", "    as: sammy\n");
        cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0] | Out-Null", kubeconfig).AssertNoErrors();
        cluster.Server.ClearRequests();

        cluster.Invoke("New-K8sPolicyRule -Verb get -Resource pods | Out-Null").AssertNoErrors();

        Assert.Contains(cluster.Server.Requests, r => r.Path.StartsWith("/apis/", StringComparison.Ordinal) && r.Path.Count(c => c == '/') == 3);
        Assert.All(cluster.Server.Requests, r => Assert.Equal(("sammy", "admin"), (r.User, r.AuthenticatedUser)));
    }

    [Fact]
    public void CredentialsWithoutTheImpersonateVerbGetTheServersRefusal()
    {
        string token = cluster.Server.AddToken("robot", "ci");
        string kubeconfig = cluster.Server.WriteTokenKubeconfig(Path.Combine(cluster.Directory, "robot-as-sammy"), token);
        File.AppendAllText(kubeconfig, "    as: sammy\n");

        var result = cluster.Invoke("Test-K8sAccess get pods -Namespace team-a -Kubeconfig $args[0] -Verbose", kubeconfig);

        var error = Assert.Single(result.Errors.Concat(result.TerminatingError is null ? [] : [result.TerminatingError]));
        Assert.StartsWith("K8sForbidden", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(
            "users \"sammy\" is forbidden: User \"robot\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope",
            error.ToString(),
            StringComparison.Ordinal);
        Assert.DoesNotContain(token, result.AllText(), StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Theory]
    [InlineData("    as-groups: [devs]\n")]
    [InlineData("    as-uid: \"42\"\n")]
    [InlineData("    as-user-extra: {scopes: [view]}\n")]
    public void UidGroupsOrExtraWithoutAUserAreRefusedBeforeAnyRequest(string fields)
    {
        string kubeconfig = AdminAs("nobody", fields);
        cluster.Server.ClearRequests();

        foreach (string command in new[] { "Connect-K8sCluster -Kubeconfig $args[0]", "Test-K8sAccess get pods -Kubeconfig $args[0]" })
        {
            var result = cluster.Invoke(command, kubeconfig);
            var error = Assert.Single(result.Errors.Concat(result.TerminatingError is null ? [] : [result.TerminatingError]));
            Assert.StartsWith("K8sConfiguration", error.FullyQualifiedErrorId, StringComparison.Ordinal);
            Assert.Contains("requesting uid, groups or user-extra for admin without impersonating a user", error.ToString(), StringComparison.Ordinal);
            Assert.Contains(kubeconfig, error.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void ARefusedCombinationNamesTheUserButNotItsToken()
    {
        string token = cluster.Server.AddToken("robot", "system:masters");
        string kubeconfig = cluster.Server.WriteTokenKubeconfig(Path.Combine(cluster.Directory, "robot-groups-only"), token, "robot-ctx");
        File.AppendAllText(kubeconfig, "    as-groups: [devs]\n");
        cluster.Server.ClearRequests();

        var result = cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -Verbose", kubeconfig);

        Assert.Contains("for robot-ctx-user without impersonating a user", result.AllText(), StringComparison.Ordinal);
        Assert.DoesNotContain(token, result.AllText(), StringComparison.Ordinal);
        Assert.Empty(cluster.Server.Requests);
    }

    [Fact]
    public void ExecPluginAndTokenFileCredentialsImpersonateToo()
    {
        string token = cluster.Server.AddToken("oidc:alice", "system:masters");
        string exec = cluster.Server.WriteExecScriptKubeconfig(Path.Combine(cluster.Directory, "exec-as-sammy"), token);
        File.AppendAllText(exec, "    as: sammy\n");
        string tokenFile = Path.Combine(cluster.Directory, "alice.token");
        File.WriteAllText(tokenFile, token + "\n");
        string fromFile = cluster.Server.WriteTokenKubeconfig(Path.Combine(cluster.Directory, "token-file-as-sammy"), "unused");
        File.WriteAllText(fromFile, File.ReadAllText(fromFile).Replace("    token: \"unused\"\n", $"    tokenFile: {tokenFile}\n    as: sammy\n", StringComparison.Ordinal));

        foreach (string kubeconfig in new[] { exec, fromFile })
        {
            cluster.Server.ClearRequests();
            var connection = Assert.Single(cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
            Assert.Equal("sammy", connection.Properties["UserName"].Value);
            Assert.False(Allowed("Test-K8sAccess list secrets -Namespace team-a -Kubeconfig $args[0]", kubeconfig));
            Assert.All(cluster.Server.Requests, r => Assert.Equal(("sammy", "oidc:alice"), (r.User, r.AuthenticatedUser)));
        }
    }

    [Fact]
    public void ContextsAndKubeconfigUsersShowWhoTheyImpersonate()
    {
        string kubeconfig = AdminAs("gina", "    as: gina\n    as-uid: u-7\n    as-groups: [auditors]\n    as-user-extra: {scopes: [view, edit]}\n");

        var context = Assert.Single(cluster.Invoke("Get-K8sContext -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("gina", context.Properties["ImpersonateUser"].Value);
        Assert.Equal("u-7", context.Properties["ImpersonateUid"].Value);
        Assert.Equal(new[] { "auditors" }, (IEnumerable<string>)context.Properties["ImpersonateGroups"].Value);
        Assert.Equal(new[] { "scopes=view", "scopes=edit" }, (IEnumerable<string>)context.Properties["ImpersonateUserExtra"].Value);

        var user = Assert.Single(cluster.Invoke("Get-K8sKubeconfig -Path $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("admin", user.Properties["SubjectUser"].Value);
        Assert.Equal("gina", user.Properties["ImpersonateUser"].Value);
        Assert.Equal(new[] { "auditors" }, (IEnumerable<string>)user.Properties["ImpersonateGroups"].Value);

        var plain = Assert.Single(cluster.Invoke("Get-K8sContext -Kubeconfig $args[0]", cluster.Kubeconfig).AssertNoErrors().Output);
        Assert.Null(plain.Properties["ImpersonateUser"].Value);
        Assert.Empty((IEnumerable<string>)plain.Properties["ImpersonateGroups"].Value);

        string table = cluster.Session.Render("Get-K8sContext -Kubeconfig $args[0] | Format-Table | Out-String -Width 80", kubeconfig);
        Assert.Contains("(as gina)", table, StringComparison.Ordinal);
        string users = cluster.Session.Render("Get-K8sKubeconfig -Path $args[0] | Format-Table | Out-String -Width 80", kubeconfig);
        Assert.Contains("(as gina)", users, StringComparison.Ordinal);
    }

    [Fact]
    public void ConnectAsMakesTheSessionActAsThatUserAndOnlyTheSession()
    {
        var result = cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -As sammy -Verbose", cluster.Kubeconfig).AssertNoErrors();
        Assert.Equal("sammy", Assert.Single(result.Output).Properties["UserName"].Value);
        Assert.Contains(result.Verbose, v => v.Contains("impersonating user 'sammy'", StringComparison.Ordinal));

        var session = Assert.Single(cluster.Invoke("Test-K8sAccess list secrets -Namespace team-a").AssertNoErrors().Output);
        Assert.False((bool)session.Properties["Allowed"].Value);
        var review = cluster.Server.Requests.Last(r => r.Path.EndsWith("/selfsubjectaccessreviews", StringComparison.Ordinal));
        Assert.Equal(("sammy", "admin"), (review.User, review.AuthenticatedUser));

        // Another -Kubeconfig or -Context is another connection: it acts as its kubeconfig says.
        Assert.True(Allowed("Test-K8sAccess list secrets -Namespace team-a -Kubeconfig $args[0]", cluster.Kubeconfig));
    }

    [Fact]
    public void AsAsGroupAndAsUidOverrideTheKubeconfigLikeKubectlFlags()
    {
        string kubeconfig = AdminAs("gina", "    as: gina\n    as-groups: [auditors]\n    as-uid: u-7\n");

        // --as keeps the kubeconfig's groups and uid; --as-group replaces the groups; --as-uid the uid.
        var asSammy = Assert.Single(cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -As sammy", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("sammy", asSammy.Properties["UserName"].Value);
        Assert.Equal(new[] { "auditors", "system:authenticated" }, (IEnumerable<string>)asSammy.Properties["Groups"].Value);
        cluster.Server.ClearRequests();
        var regrouped = Assert.Single(cluster.Invoke("Connect-K8sCluster -Kubeconfig $args[0] -AsGroup devs, ops -AsUid u-9", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("gina", regrouped.Properties["UserName"].Value);
        Assert.Equal(new[] { "devs", "ops", "system:authenticated" }, (IEnumerable<string>)regrouped.Properties["Groups"].Value);
        Assert.All(cluster.Server.Requests, r => Assert.Equal(
            new[] { "Impersonate-User: gina", "Impersonate-Uid: u-9", "Impersonate-Group: devs", "Impersonate-Group: ops" },
            Lines(r)));
    }

    [Theory]
    [InlineData("-AsGroup devs")]
    [InlineData("-AsUid u-1")]
    public void AsGroupOrAsUidWithoutAUserToImpersonateIsRefusedBeforeAnyRequest(string parameters)
    {
        cluster.Server.ClearRequests();

        var result = cluster.Invoke($"Connect-K8sCluster -Kubeconfig $args[0] {parameters}", cluster.Kubeconfig);

        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sConfiguration", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("requesting uid, groups or user-extra for admin without impersonating a user", result.TerminatingError.ToString(), StringComparison.Ordinal);
        Assert.Empty(cluster.Server.Requests);
    }

    /// <summary>The admin kubeconfig (system:masters client certificate) with impersonation fields added to its user.</summary>
    private string AdminAs(string name, string fields)
    {
        string path = Path.Combine(cluster.Directory, $"admin-as-{name}-{Guid.NewGuid():N}.kubeconfig");
        File.WriteAllText(path, File.ReadAllText(cluster.Kubeconfig) + fields);
        return path;
    }

    private bool Allowed(string script, string kubeconfig)
    {
        var result = Assert.Single(cluster.Invoke(script, kubeconfig).AssertNoErrors().Output);
        Assert.Equal("SelfSubjectAccessReview", result.Properties["Method"].Value);
        return (bool)result.Properties["Allowed"].Value;
    }

    private static IReadOnlyList<string> Lines(K8sSecurity.TestServer.RecordedRequest request) =>
        (request.ImpersonationHeaders ?? []).Select(h => $"{h.Key}: {h.Value}").ToList();
}
