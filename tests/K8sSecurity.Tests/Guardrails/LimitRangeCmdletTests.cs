using Xunit;

namespace K8sSecurity.Tests.Guardrails;

public sealed class LimitRangeCmdletTests : GuardrailsServerTestBase
{
    private const string SeedExample =
        "Set-K8sLimitRange -Namespace team -Max @{cpu='400m'; memory='1Gi'} -Min @{cpu='100m'; memory='100Mi'} " +
        "-Default @{cpu='250m'; memory='800Mi'} -DefaultRequest @{cpu='150m'; memory='256Mi'}";

    [Fact]
    public void SeedExampleCreatesAndReRunsChangeNothing()
    {
        CreateNamespace("team");
        Server.ClearRequests();
        Assert.Empty(Session.Invoke(SeedExample + " -WhatIf").AssertNoErrors().Output);
        Assert.Empty(Writes());
        Assert.Null(Server.Store.Get("v1", "LimitRange", "team", "limit-range-default"));

        var rows = Session.Invoke(SeedExample).AssertNoErrors().Output;
        Assert.Equal(2, rows.Count);
        var memory = rows.Single(r => (string)Prop(r, "Resource")! == "memory");
        Assert.Equal(("Container", "100Mi", "1Gi", "256Mi", "800Mi"), ((string)Prop(memory, "Type")!, (string)Prop(memory, "Min")!, (string)Prop(memory, "Max")!, (string)Prop(memory, "DefaultRequest")!, (string)Prop(memory, "Default")!));

        Server.ClearRequests();
        Session.Invoke(SeedExample).AssertNoErrors();
        Assert.Empty(Writes());

        string table = Session.Render("Get-K8sLimitRange -Namespace team");
        Assert.Matches(@"Min\s+Max\s+Request\s+Default\s+MaxRatio", table);
        Assert.Contains("256Mi", table, StringComparison.Ordinal);
    }

    [Fact]
    public void ShortcutsMergeWithTheExistingItemAndServerDefaultsFollowNewMax()
    {
        CreateNamespace("team");
        Session.Invoke("Set-K8sLimitRange team -MaxMemory 1Gi").AssertNoErrors();
        // the server defaulted default/defaultRequest to 1Gi; a new max moves them along instead of conflicting
        var rows = Session.Invoke("Set-K8sLimitRange team -MaxMemory 512Mi -MaxCpu 2 -MinCpu 100m").AssertNoErrors().Output;
        var memory = rows.Single(r => (string)Prop(r, "Resource")! == "memory");
        Assert.Equal("512Mi", Prop(memory, "Max"));
        Assert.Equal("512Mi", Prop(memory, "Default"));
        var cpu = rows.Single(r => (string)Prop(r, "Resource")! == "cpu");
        Assert.Equal(("100m", "2"), ((string)Prop(cpu, "Min")!, (string)Prop(cpu, "Max")!));

        Server.ClearRequests();
        Session.Invoke("Set-K8sLimitRange team -MaxMemory 512Mi -MaxCpu 2").AssertNoErrors();
        Assert.Empty(Writes());

        var pvc = Session.Invoke("Set-K8sLimitRange team -Type PersistentVolumeClaim -MaxStorage 10Gi -MinStorage 1Gi").AssertNoErrors().Output;
        Assert.Contains(pvc, r => (string)Prop(r, "Type")! == "PersistentVolumeClaim" && (string)Prop(r, "Max")! == "10Gi");
    }

    [Theory]
    [InlineData("-Max @{cpu='100m'} -Min @{cpu='400m'}", "-Min 'cpu=400m': min value 400m is greater than max value 100m")]
    [InlineData("-MaxCpu 400m -DefaultCpu 500m", "-Default 'cpu=500m': default value 500m is greater than max value 400m")]
    [InlineData("-DefaultCpu 250m -DefaultRequestCpu 300m", "-DefaultRequest 'cpu=300m': default request value 300m is greater than default limit value 250m")]
    [InlineData("-MaxCpu 400m -MinCpu 100m -MaxLimitRequestRatio @{cpu=5}", "ratio 5 is greater than max/min")]
    [InlineData("-MaxMemory 1GB", "-Max 'memory=1GB'")]
    [InlineData("-Type Pod -DefaultCpu 1", "may not be specified when `type` is 'Pod'")]
    [InlineData("-Max @{cpu='1'} -MaxCpu 2", "-MaxCpu '2': -Max already sets cpu=1")]
    public void InconsistentRangesAreRefusedBeforeAnyRequest(string arguments, string message)
    {
        CreateNamespace("team");
        Server.ClearRequests();
        var error = Assert.Single(Session.Invoke("Set-K8sLimitRange team " + arguments).Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public void RemoveFromThePipeline()
    {
        CreateNamespace("team");
        Session.Invoke(SeedExample).AssertNoErrors();
        Session.Invoke("Get-K8sLimitRange -Namespace team | Remove-K8sLimitRange -WhatIf").AssertNoErrors();
        Assert.NotNull(Server.Store.Get("v1", "LimitRange", "team", "limit-range-default"));
        Session.Invoke("Get-K8sLimitRange -Namespace team | Remove-K8sLimitRange -Confirm:$false").AssertNoErrors();
        Assert.Null(Server.Store.Get("v1", "LimitRange", "team", "limit-range-default"));
        Assert.StartsWith("K8sNotFound", Assert.Single(Session.Invoke("Remove-K8sLimitRange team -Confirm:$false").Errors).FullyQualifiedErrorId, StringComparison.Ordinal);
    }
}
