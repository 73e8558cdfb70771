using Xunit;

namespace K8sSecurity.Tests.Guardrails;

public sealed class QuotaCmdletTests : GuardrailsServerTestBase
{
    private const string SeedExample =
        "Set-K8sNamespaceQuota -Namespace team -Pods 2 -RequestsCpu 500m -RequestsMemory 1Gi -LimitsCpu 1000m -LimitsMemory 2Gi " +
        "-ConfigMaps 5 -PersistentVolumeClaims 2 -ReplicationControllers 10 -Secrets 3 -Services 4 -LoadBalancers 2";

    [Fact]
    public void SeedExampleCreatesTheQuotaAndReRunsChangeNothing()
    {
        CreateNamespace("team");
        Server.ClearRequests();
        var preview = Session.Invoke(SeedExample + " -WhatIf").AssertNoErrors();
        Assert.Empty(preview.Output);
        Assert.Empty(Writes());
        Assert.Null(Server.Store.Get("v1", "ResourceQuota", "team", "resource-quota-default"));
        Assert.Contains("What if: Performing the operation \"create with configmaps=5", Session.Host.Text, StringComparison.Ordinal);

        var rows = Session.Invoke(SeedExample).AssertNoErrors().Output;
        Assert.Equal(11, rows.Count);
        var cpu = rows.Single(r => (string)Prop(r, "Resource")! == "limits.cpu");
        Assert.Equal("1", Prop(cpu, "Hard")); // canonical form, like the apiserver stores it
        Assert.Equal("0", Prop(cpu, "Used"));
        Assert.Equal(0.0, Prop(cpu, "PercentUsed"));
        var configmaps = rows.Single(r => (string)Prop(r, "Resource")! == "configmaps");
        Assert.Equal("1", Prop(configmaps, "Used")); // kube-root-ca.crt
        Assert.Equal(20.0, Prop(configmaps, "PercentUsed"));

        Server.ClearRequests();
        var again = Session.Invoke(SeedExample + " -Verbose").AssertNoErrors();
        Assert.Equal(11, again.Output.Count);
        Assert.Empty(Writes());
        Assert.Contains(again.Verbose, v => v.Contains("already as requested", StringComparison.Ordinal));
    }

    [Fact]
    public void UpdatesKeepUnspecifiedResourcesUnlessReplace()
    {
        CreateNamespace("team");
        Session.Invoke("Set-K8sNamespaceQuota team -Pods 2 -RequestsCpu 500m").AssertNoErrors();
        var rows = Session.Invoke("Set-K8sNamespaceQuota team -Pods 5 -Hard @{ 'requests.nvidia.com/gpu' = 1; 'count/deployments.apps' = 10 }").AssertNoErrors().Output;
        var hard = rows.ToDictionary(r => (string)Prop(r, "Resource")!, r => (string)Prop(r, "Hard")!);
        Assert.Equal("5", hard["pods"]);
        Assert.Equal("500m", hard["requests.cpu"]);
        Assert.Equal("1", hard["requests.nvidia.com/gpu"]);
        Assert.Equal("10", hard["count/deployments.apps"]);

        var replaced = Session.Invoke("Set-K8sNamespaceQuota team -Pods 7 -Replace -Confirm:$false").AssertNoErrors().Output;
        Assert.Equal("pods", Prop(Assert.Single(replaced), "Resource"));
    }

    [Fact]
    public void ManyNamespacesFromThePipelineAndGetShowsUsage()
    {
        CreateNamespace("a");
        CreateNamespace("b");
        var rows = Session.Invoke("'a','b' | Set-K8sNamespaceQuota -Name small -ConfigMaps 2 -Secrets 4").AssertNoErrors().Output;
        Assert.Equal(new[] { "a", "a", "b", "b" }, rows.Select(r => (string)Prop(r, "Namespace")!).ToArray());

        var busy = Session.Invoke("Get-K8sNamespaceQuota -AllNamespaces | Where-Object PercentUsed -ge 50").AssertNoErrors().Output;
        Assert.Equal(2, busy.Count); // configmaps 1 of 2 in each namespace
        Assert.All(busy, r => Assert.Equal("configmaps", Prop(r, "Resource")));

        string table = Session.Render("Get-K8sNamespaceQuota -Namespace a");
        Assert.Contains("PercentUsed", table, StringComparison.Ordinal);
        Assert.Contains("small", table, StringComparison.Ordinal);
        Assert.Contains("50", table, StringComparison.Ordinal);

        // rows pipe into Remove by Namespace + Quota (one delete per quota)
        Server.ClearRequests();
        Session.Invoke("Get-K8sNamespaceQuota -Namespace a | Remove-K8sNamespaceQuota -Confirm:$false").AssertNoErrors();
        Assert.Single(Writes(), r => r.Method == "DELETE");
        Assert.Null(Server.Store.Get("v1", "ResourceQuota", "a", "small"));
        Assert.NotNull(Server.Store.Get("v1", "ResourceQuota", "b", "small"));
    }

    [Theory]
    [InlineData("-RequestsCpu lots", "K8sInvalidArgument", "-RequestsCpu 'requests.cpu=lots'")]
    [InlineData("-Pods 1.5", "K8sInvalidArgument", "must be an integer")]
    [InlineData("-Hard @{ bananas = 1 }", "K8sInvalidArgument", "must be a standard resource for quota")]
    [InlineData("-Scope BestEffort -RequestsCpu 1", "K8sInvalidArgument", "unsupported scope applied to resource")]
    public void BadInputIsRefusedBeforeAnyRequest(string arguments, string errorId, string message)
    {
        CreateNamespace("team");
        Server.ClearRequests();
        var result = Session.Invoke("Set-K8sNamespaceQuota team " + arguments);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith(errorId, error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public void RemoveOfAMissingQuotaIsNotFound()
    {
        var result = Session.Invoke("Remove-K8sNamespaceQuota -Namespace default -Name nope -Confirm:$false");
        Assert.StartsWith("K8sNotFound", Assert.Single(result.Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }
}
