using Xunit;

namespace K8sSecurity.Tests.Guardrails;

public sealed class SecureNamespaceCmdletTests : GuardrailsServerTestBase
{
    private const string Command =
        "New-K8sSecureNamespace -Name team-a -Quota @{ pods = 20; 'requests.cpu' = '4' } " +
        "-LimitRange @{ Max = @{ cpu = '2'; memory = '4Gi' }; DefaultRequest = @{ cpu = '100m' } } -Owner group:team-a";

    [Fact]
    public void WhatIfListsEveryObjectAndCreatesNothing()
    {
        Server.ClearRequests();
        var result = Session.Invoke(Command + " -WhatIf").AssertNoErrors();
        Assert.Empty(Writes());
        Assert.Null(Server.Store.Get("v1", "Namespace", null, "team-a"));
        string host = Session.Host.Text;
        string[] expectedInOrder =
        {
            "on target \"Namespace team-a\"", "on target \"ResourceQuota team-a/resource-quota-default\"", "on target \"LimitRange team-a/limit-range-default\"",
            "on target \"NetworkPolicy team-a/default-deny-all\"", "on target \"ServiceAccount team-a/workload\"", "on target \"RoleBinding team-a/namespace-owner-admin\"",
        };
        int last = -1;
        foreach (string expected in expectedInOrder)
        {
            int at = host.IndexOf(expected, StringComparison.Ordinal);
            Assert.True(at > last, $"missing or out of order: {expected}\n{host}");
            last = at;
        }

        var summary = Assert.Single(result.Output);
        Assert.True((bool)Prop(summary, "Preview")!);
        Assert.Equal(0, Prop(summary, "Changed"));
    }

    [Fact]
    public void CreatesEverythingInOrderAndIsIdempotent()
    {
        Server.ClearRequests();
        var summary = Assert.Single(Session.Invoke(Command).AssertNoErrors().Output);
        Assert.Equal(6, Prop(summary, "Changed"));
        var creates = Writes().Where(r => r.Method == "POST").Select(r => r.Path).ToList();
        Assert.Equal(
            new[]
            {
                "/api/v1/namespaces", "/api/v1/namespaces/team-a/resourcequotas", "/api/v1/namespaces/team-a/limitranges",
                "/apis/networking.k8s.io/v1/namespaces/team-a/networkpolicies", "/api/v1/namespaces/team-a/serviceaccounts",
                "/apis/rbac.authorization.k8s.io/v1/namespaces/team-a/rolebindings",
            },
            creates);

        var ns = Server.Store.Get("v1", "Namespace", null, "team-a")!;
        Assert.Equal("restricted", ns["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]!.GetValue<string>());
        Assert.False(Server.Store.Get("v1", "ServiceAccount", "team-a", "workload")!["automountServiceAccountToken"]!.GetValue<bool>());
        var binding = Server.Store.Get("rbac.authorization.k8s.io/v1", "RoleBinding", "team-a", "namespace-owner-admin")!;
        Assert.Equal("admin", binding["roleRef"]!["name"]!.GetValue<string>());
        Assert.Equal("Group", binding["subjects"]![0]!["kind"]!.GetValue<string>());

        Server.ClearRequests();
        var again = Assert.Single(Session.Invoke(Command).AssertNoErrors().Output);
        Assert.Equal(0, Prop(again, "Changed"));
        Assert.False((bool)Prop(again, "Preview")!);
        Assert.Empty(Writes());

        var row = Assert.Single(Session.Invoke("Get-K8sNamespaceSecurity team-a").AssertNoErrors().Output);
        Assert.True((bool)Prop(row, "HasQuota")! && (bool)Prop(row, "HasLimitRange")! && (bool)Prop(row, "DefaultDenyIngress")! && (bool)Prop(row, "DefaultDenyEgress")!);
        Assert.Equal(new[] { "default" }, (IEnumerable<string>)Prop(row, "AutomountServiceAccounts")!);

        string rendered = Session.Render(Command);
        Assert.Contains("team-a", rendered, StringComparison.Ordinal);
        Assert.Contains("restricted:latest", rendered, StringComparison.Ordinal);
    }

    [Fact]
    public void BadInputIsRefusedBeforeAnyRequest()
    {
        Server.ClearRequests();
        var error = Assert.Single(Session.Invoke("New-K8sSecureNamespace -Name team-b -LimitRange @{ Max = @{ cpu = '100m' }; Min = @{ cpu = '1' } }").Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("min value 1 is greater than max value 100m", error.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("K8sInvalidArgument", Assert.Single(Session.Invoke("New-K8sSecureNamespace -Name Team_B").Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Empty(Server.Requests);
    }
}
