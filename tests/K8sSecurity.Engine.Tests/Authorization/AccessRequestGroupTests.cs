using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using Xunit;

namespace K8sSecurity.Engine.Tests.Authorization;

/// <summary>
/// The API group of a resource named without one, as kubectl auth can-i resolves it through its REST mapper:
/// `kubectl auth can-i create deployments` asks about deployments.apps, `... get events` about the core group's events.
/// </summary>
public sealed class AccessRequestGroupTests
{
    private static readonly ApiResourceCatalog Table = ApiResourceCatalog.BuiltIn;

    [Theory]
    [InlineData("deployments", "apps")]
    [InlineData("deployments/scale", "apps")]
    [InlineData("cronjobs", "batch")]
    [InlineData("rolebindings", "rbac.authorization.k8s.io")]
    [InlineData("networkpolicies", "networking.k8s.io")]
    [InlineData("certificatesigningrequests/approval", "certificates.k8s.io")]
    [InlineData("pods", "")]
    [InlineData("pods/exec", "")]
    [InlineData("events", "")] // served by the core group and events.k8s.io: kubectl takes the core group's
    [InlineData("users", "")]
    public void AResourceWithoutGroupGetsTheGroupKubectlUses(string resource, string group)
    {
        var log = new EngineLog();
        var request = AccessRequest.Create("create", resource, null, null, null, "team-a", null);
        Assert.False(request.ApiGroupGiven);
        var resolved = request.ResolveApiGroup(Table, log);
        Assert.Equal(group, resolved.ApiGroup);
        Assert.Equal(request.Subresource, resolved.Subresource);
        Assert.Equal(request.Namespace, resolved.Namespace);
        Assert.False(log.TryTake(out var entry) && entry.Level == LogLevel.Warning);
    }

    [Theory]
    [InlineData("deployments", "")]
    [InlineData("deployments.extensions", "extensions")]
    public void AGroupTheCallerNamedIsKept(string resource, string? apiGroup)
    {
        var request = AccessRequest.Create("get", resource, null, resource.Contains('.', StringComparison.Ordinal) ? null : apiGroup, null, null, null);
        Assert.True(request.ApiGroupGiven);
        Assert.False(request.NeedsApiGroup);
        Assert.Equal(apiGroup, request.ResolveApiGroup(Table, new EngineLog()).ApiGroup);
    }

    [Fact]
    public void AnUnknownResourceStaysInTheCoreGroupWithAWarning()
    {
        var log = new EngineLog();
        var resolved = AccessRequest.Create("get", "widgets", null, null, null, null, null).ResolveApiGroup(Table, log);
        Assert.Equal(string.Empty, resolved.ApiGroup);
        Assert.True(log.TryTake(out var entry));
        Assert.Equal(LogLevel.Warning, entry.Level);
        Assert.Contains("'widgets'", entry.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void NoBuiltInResourceOutsideTheCoreGroupIsAmbiguous()
    {
        // Every built-in resource has one answer: the core group's, or the one other group that serves it.
        foreach (string name in Table.ResourceNames)
        {
            var groups = Table.GroupsServing(name);
            Assert.True(groups.Count <= 1 || groups[0].Length == 0, $"{name}: {string.Join(", ", groups)}");
        }
    }

    [Fact]
    public void SeveralOtherGroupsAreAnErrorNamingThem()
    {
        // Two custom resource groups both serve "certificates" (cert-manager and another): the caller must choose.
        var request = AccessRequest.Create("get", "certificates", null, null, null, null, null);
        var ex = Assert.Throws<K8sOperationException>(() => request.ResolveApiGroup(CatalogOf(("cert-manager.io", "certificates"), ("example.com", "certificates")), new EngineLog()));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("cert-manager.io, example.com", ex.Message, StringComparison.Ordinal);
    }

    private static ApiResourceCatalog CatalogOf(params (string Group, string Resource)[] resources) => ApiResourceCatalog.FromResources(resources, "a test table");
}
