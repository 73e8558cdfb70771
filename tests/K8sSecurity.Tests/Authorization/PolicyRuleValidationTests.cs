using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Authorization;

/// <summary>New-K8sPolicyRule (and the inline rules of New-K8sRole) refuse rules that would grant nothing.</summary>
public sealed class PolicyRuleValidationTests : IDisposable
{
    private readonly PsSession session = new();

    [Theory]
    [InlineData("New-K8sPolicyRule -Verb gett -Resource pods", "-Verb 'gett'", "did you mean get?")]
    [InlineData("New-K8sPolicyRule -Verb get -Resource deployments", "-Resource 'deployments'", "did you mean apps/deployments?")]
    [InlineData("New-K8sPolicyRule -Verb get -Resource pod", "-Resource 'pod'", "did you mean pods?")]
    [InlineData("New-K8sPolicyRule -Verb get -Resource pods/* ", "-Resource 'pods/*'", "matches nothing")]
    [InlineData("New-K8sPolicyRule -Verb post -Resource pods", "-Verb 'post'", "-AllowCustomVerb")]
    public void OfflineMistakesAreErrorsNamingTheFix(string script, string names, string hint)
    {
        var result = session.Invoke(script);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(names, error.Exception.Message, StringComparison.Ordinal);
        Assert.Contains(hint, error.Exception.Message, StringComparison.Ordinal);
        Assert.Empty(result.Output);
    }

    [Fact]
    public void WhatThePromptSuggestsIsAccepted()
    {
        var rule = Assert.Single(session.Invoke("New-K8sPolicyRule -Verb get -Resource deployments -ApiGroup apps").AssertNoErrors().Output);
        Assert.Equal(new[] { "apps" }, (IEnumerable<string>)rule.Properties["ApiGroups"].Value);
        session.Invoke("New-K8sPolicyRule -Verb exec -Resource virtualmachineinstances/console -ApiGroup subresources.kubevirt.io -AllowCustomVerb").AssertNoErrors();
        session.Invoke("New-K8sPolicyRule -Verb get -Resource widgets.example.com").AssertNoErrors(); // a CRD's group: nothing to check offline
        session.Invoke("New-K8sPolicyRule -Verb get -Resource widgets -ApiGroup apps -AllowUnknownResource").AssertNoErrors();
    }

    [Fact]
    public void WithASessionTheClustersDiscoveryDecides()
    {
        using var cluster = AuthorizationTestCluster.Start("team-a");
        cluster.Invoke("New-K8sPolicyRule -Verb get,list -Resource deployments.apps,deployments.apps/scale").AssertNoErrors();
        var missing = cluster.Invoke("New-K8sPolicyRule -Verb get -Resource widgets.example.com");
        var error = Assert.Single(missing.Errors);
        Assert.StartsWith("K8sInvalidArgument", error.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("the discovery of " + cluster.Server.BaseAddress.ToString().TrimEnd('/'), error.Exception.Message, StringComparison.Ordinal);
        cluster.Invoke("New-K8sPolicyRule -Verb get -Resource widgets.example.com -AllowUnknownResource").AssertNoErrors();

        // The discovery is read once per session connection, not per rule.
        int discoveries = cluster.Server.Requests.Count(r => r.Path == "/apis");
        cluster.Invoke("New-K8sPolicyRule -Verb get -Resource pods; New-K8sPolicyRule -Verb list -Resource jobs.batch").AssertNoErrors();
        Assert.Equal(discoveries, cluster.Server.Requests.Count(r => r.Path == "/apis"));
    }

    [Fact]
    public void NewK8sRoleChecksItsInlineRuleBeforeSendingAnything()
    {
        using var cluster = AuthorizationTestCluster.Start("team-a");
        cluster.Server.ClearRequests();
        var result = cluster.Invoke("New-K8sRole deployers -Namespace team-a -Verb create -Resource deployments");
        Assert.Contains("apps/deployments", Assert.Single(result.Errors).Exception.Message, StringComparison.Ordinal);
        Assert.Empty(cluster.Writes());
        cluster.Invoke("New-K8sRole deployers -Namespace team-a -Verb create -Resource deployments.apps").AssertNoErrors();
        var typo = cluster.Invoke("New-K8sClusterRole watchers -Verb wacth -Resource pods");
        Assert.Contains("did you mean watch?", Assert.Single(typo.Errors).Exception.Message, StringComparison.Ordinal);
    }

    public void Dispose() => session.Dispose();
}
