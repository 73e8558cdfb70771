using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// Best-practice and hardening violations keep their message and field paths as references into arrays the thread's
/// violations share, joined on first read. These tests read results long after later scans filled and replaced those
/// arrays, and a violation larger than one array, and expect the texts the checks state.
/// </summary>
public sealed class ViolationTextTests
{
    private static ManifestObject Pod(string name, int containers)
    {
        var yaml = new System.Text.StringBuilder($"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: shop}}\nspec:\n  containers:\n");
        for (int i = 0; i < containers; i++)
        {
            yaml.Append($"  - name: c{i}\n    image: docker.io/acme/{name}-{i}:1.{i}\n    securityContext: {{capabilities: {{add: [NET_ADMIN]}}}}\n");
        }

        return Assert.Single(ManifestReader.ReadText(yaml.ToString(), name + ".yaml", e => Assert.Fail(e.ToString())));
    }

    private static string Expected(string name, int containers, Func<int, string> offender) =>
        string.Join("; ", Enumerable.Range(0, containers).Select(offender));

    [Fact]
    public void MessagesAndFieldsSurviveLaterScansOnTheSameThread()
    {
        var scanner = new WorkloadScanner(new ScanOptions { Profile = ScanProfile.All, AllowedRegistries = new[] { "registry.example.com" } });

        // 400 pods of 3 containers: about 25,000 message strings, many arrays' worth, all scanned before any is read.
        var results = Enumerable.Range(0, 400).Select(i => scanner.Scan(Pod("app" + i, 3))!).ToList();

        for (int i = 0; i < results.Count; i++)
        {
            var violations = results[i].Violations.ToDictionary(v => v.CheckId);
            string name = "app" + i;
            Assert.Equal(
                Expected(name, 3, c => $"container \"c{c}\" image \"docker.io/acme/{name}-{c}:1.{c}\" is not pinned by digest"),
                violations["BP-IMAGE-DIGEST"].Message);
            Assert.Equal(
                Expected(name, 3, c => $"container \"c{c}\" image \"docker.io/acme/{name}-{c}:1.{c}\" comes from registry docker.io, not from registry.example.com"),
                violations["BP-IMAGE-REGISTRY"].Message);
            Assert.Equal($"dangerous capabilities ({Expected(name, 3, c => $"container \"c{c}\" adds \"NET_ADMIN\"")})", violations["BP-CAPABILITIES-DANGEROUS"].Message);
            Assert.Equal(
                Enumerable.Range(0, 3).Select(c => $"spec.containers[{c}].image").ToArray(),
                violations["BP-IMAGE-DIGEST"].Fields);
            Assert.Equal(
                Enumerable.Range(0, 3).Select(c => $"spec.containers[{c}].securityContext.capabilities.add").ToArray(),
                violations["BP-CAPABILITIES-DANGEROUS"].Fields);
        }
    }

    [Fact]
    public void AViolationLargerThanOneArrayKeepsAllItsOffenders()
    {
        var scanner = new WorkloadScanner(new ScanOptions { Profile = ScanProfile.All });
        var result = scanner.Scan(Pod("big", 700))!;
        var digest = result.Violations.Single(v => v.CheckId == "BP-IMAGE-DIGEST");

        Assert.Equal(Expected("big", 700, c => $"container \"c{c}\" image \"docker.io/acme/big-{c}:1.{c}\" is not pinned by digest"), digest.Message);
        Assert.Equal(700, digest.Fields.Count);
        Assert.Equal("spec.containers[699].image", digest.Fields[699]);
    }

    [Fact]
    public void TheSameFieldIsListedOnce()
    {
        // Both the user and the group id are low on one container: one offender, one field.
        var scanner = new WorkloadScanner(new ScanOptions { Profile = ScanProfile.Hardening });
        var item = Assert.Single(ManifestReader.ReadText(
            "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: nginx:1, securityContext: {runAsUser: 5, runAsGroup: 5}}\n",
            "p.yaml", e => Assert.Fail(e.ToString())));
        var lowIds = scanner.Scan(item)!.Violations.Single(v => v.CheckId == "BP-RUNAS-LOW-ID");

        Assert.Equal("user or group id below 10000 (container \"a\" runs as user 5 and runs as group 5)", lowIds.Message);
        Assert.Equal(new[] { "spec.containers[0].securityContext" }, lowIds.Fields);
    }
}
