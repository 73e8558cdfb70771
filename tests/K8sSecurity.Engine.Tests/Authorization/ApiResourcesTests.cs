using System.Reflection;
using System.Text.Json;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Connection;
using K8sSecurity.TestServer;
using Xunit;

namespace K8sSecurity.Engine.Tests.Authorization;

/// <summary>
/// The resource names -Resource completes: the built-in table holds what a real v1.32 server lists and what its
/// default RBAC policy names, every name reads back as the same group and resource, and discovery asks the server.
/// </summary>
public sealed class ApiResourcesTests
{
    [Fact]
    public void BuiltInTableHoldsTheCoreResourcesARealServerDiscovers()
    {
        using var capture = JsonDocument.Parse(File.ReadAllText(Shared("k8s-api-golden", "69-discovery-core-v1.json")));
        var discovered = capture.RootElement.GetProperty("response").GetProperty("body").GetProperty("resources")
            .EnumerateArray().Select(r => r.GetProperty("name").GetString()!).ToList();
        Assert.Contains("pods/exec", discovered);
        Assert.Empty(discovered.Except(ApiResources.BuiltIn));
    }

    [Fact]
    public void BuiltInTableHoldsEveryResourceTheDefaultRbacPolicyNames()
    {
        using var policy = JsonDocument.Parse(File.ReadAllText(Shared("k8s-bootstrap-rbac", "v1.32.json")));
        var named = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var item in policy.RootElement.GetProperty("items").EnumerateArray())
        {
            if (!item.TryGetProperty("rules", out var rules) || rules.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var rule in rules.EnumerateArray())
            {
                var groups = rule.TryGetProperty("apiGroups", out var g) ? g.EnumerateArray().Select(x => x.GetString()!).ToList() : new List<string>();
                var resources = rule.TryGetProperty("resources", out var r) ? r.EnumerateArray().Select(x => x.GetString()!).ToList() : new List<string>();

                // Wildcards, the long-gone extensions group and the metrics APIs of add-ons are not built-in resources.
                foreach (string group in groups.Where(x => x is not ("*" or "extensions") && !x.Contains("metrics.k8s.io", StringComparison.Ordinal)))
                {
                    foreach (string resource in resources.Where(x => !x.Contains('*', StringComparison.Ordinal)))
                    {
                        named.Add(ApiResources.Name(group, resource));
                    }
                }
            }
        }

        Assert.Contains("deployments.apps/scale", named);
        Assert.Empty(named.Except(ApiResources.BuiltIn));
    }

    [Fact]
    public void EveryBuiltInNameReadsBackAsItsGroupAndResource()
    {
        foreach (var (group, resource) in ApiResources.BuiltInByGroup)
        {
            var rule = RbacRules.Create(new[] { "get" }, new[] { ApiResources.Name(group, resource) }, null, null, null);
            Assert.Equal(new[] { group }, rule.ApiGroups);
            Assert.Equal(new[] { resource }, rule.Resources);
        }
    }

    [Fact]
    public async Task DiscoveryListsTheServersCoreAndGroupResources()
    {
        await using var server = await KubeApiTestServer.StartAsync();
        string directory = Path.Combine(Path.GetTempPath(), "k8ssec-discovery-tests", Guid.NewGuid().ToString("N"));
        string kubeconfig = server.WriteKubeconfig(Path.Combine(directory, "config"));
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig });

        var names = await ApiResources.DiscoverAsync(client, CancellationToken.None);

        Assert.Contains("pods", names);
        Assert.Contains("pods/exec", names);
        Assert.Contains("rolebindings.rbac.authorization.k8s.io", names);
        Assert.Contains("deployments.apps/scale", names);
        Assert.Contains("certificatesigningrequests.certificates.k8s.io/approval", names);
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        Assert.Contains(server.Requests, r => r.Path == "/apis/apps/v1");
        Directory.Delete(directory, recursive: true);
    }

    private static string Shared(params string[] parts)
    {
        string root = typeof(ApiResourcesTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;
        for (var dir = new DirectoryInfo(root); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(new[] { dir.FullName, "shared" }.Concat(parts).ToArray());
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"shared/{string.Join('/', parts)} was not found above {root}.");
    }
}
