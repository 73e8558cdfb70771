using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Engine.Tests.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>JSON manifests and kubectl -o json dumps: items stream out one at a time, each with its own line.</summary>
public sealed class JsonManifestReaderTests
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    [Fact]
    public void ItemsOfAKubectlDumpGetTheirOwnLinesThoughItemsComeBeforeKind()
    {
        // kubectl sorts keys: items precede kind, so the reader cannot know it is a List when items start.
        string dump = Dump("List", "v1", Pod("p1"), Pod("p2"), Pod("p3"));
        var objects = ManifestReader.ReadText(dump, "dump.json", e => Assert.Fail(e.Message)).ToList();

        Assert.Equal(new[] { "p1", "p2", "p3" }, objects.Select(o => o.Name));
        string[] lines = dump.Split('\n');
        foreach (var item in objects)
        {
            // The item's line is the one holding its opening brace, just before its "apiVersion".
            Assert.Equal("{", lines[item.Line - 1].Trim());
            Assert.Contains("\"apiVersion\"", lines[item.Line], StringComparison.Ordinal);
        }

        Assert.Equal(3, objects.Select(o => o.Line).Distinct().Count());
        Assert.Equal($"dump.json:{objects[1].Line}", objects[1].Location);
    }

    [Fact]
    public void TypedListItemsGetKindAndApiVersionFromTheList()
    {
        var bare = new JsonObject { ["metadata"] = new JsonObject { ["name"] = "web" }, ["spec"] = new JsonObject() };
        var own = new JsonObject { ["apiVersion"] = "apps/v1beta2", ["kind"] = "Deployment", ["metadata"] = new JsonObject { ["name"] = "old" } };
        var objects = ManifestReader.ReadText(Dump("DeploymentList", "apps/v1", bare, own), "deployments.json", e => Assert.Fail(e.Message)).ToList();

        Assert.Equal(("Deployment", "apps/v1", "web"), (objects[0].Kind, objects[0].ApiVersion, objects[0].Name));
        Assert.Equal(("Deployment", "apps/v1beta2", "old"), (objects[1].Kind, objects[1].ApiVersion, objects[1].Name));
    }

    [Fact]
    public void AnyObjectWithItemsIsAListAsKubectlReadsIt()
    {
        // kubectl's decoder treats every document with "items" as a list, whatever its kind: the Basket is not an
        // object of its own, its items are; an item with neither kind nor apiVersion gets them from the list.
        const string json = """{"items": [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "inner"}}, {"metadata": {"name": "bare"}}], "apiVersion": "example.com/v1", "kind": "Basket", "metadata": {"name": "b"}}""";
        var objects = ManifestReader.ReadText(json, "basket.json", e => Assert.Fail(e.Message)).ToList();

        Assert.Equal(new[] { ("Pod", "inner"), ("Basket", "bare") }, objects.Select(o => (o.Kind!, o.Name!)));
        Assert.Equal("example.com/v1", objects[1].ApiVersion);
        KubectlAgreement.Check(json, ".json");
    }

    [Fact]
    public void ABareArrayIsRefusedAsKubectlRefusesIt()
    {
        // kubectl reads a text that starts with "[" as YAML, and a sequence is not an object: refused.
        string json = "[\n" + Pod("a").ToJsonString() + "\n]";
        var errors = new List<ManifestParseError>();
        Assert.Empty(ManifestReader.ReadText(json, "array.json", errors.Add));
        Assert.Contains("not a Kubernetes object", Assert.Single(errors).Message, StringComparison.Ordinal);
        KubectlAgreement.Check(json, ".json");
    }

    [Fact]
    public void AJsonStreamOfObjectsIsReadObjectByObjectUntilASyntaxError()
    {
        const string json = "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"a\"}}\n{\"kind\": \"Pod\", \"metadata\": {\"name\": \"b\"}}{\"kind\": \"Pod\"}\n---\n{}";
        var errors = new List<ManifestParseError>();
        var objects = ManifestReader.ReadText(json, "stream.json", errors.Add).ToList();

        Assert.Equal(new[] { "a", "b", null }, objects.Select(o => o.Name));
        Assert.Equal(3, Assert.Single(errors).Line); // the "---" line
        KubectlAgreement.Check(json, ".json");
    }

    [Fact]
    public void ValuesHaveTheTypesTheChecksRead()
    {
        const string json = """{"apiVersion":"v1","kind":"Pod","metadata":{"name":"t"},"spec":{"hostNetwork":true,"containers":[{"name":"c","ports":[{"hostPort":8080}],"securityContext":{"runAsUser":0,"runAsNonRoot":"true","x":1.5,"y":null}}]}}""";
        var pod = Assert.Single(ManifestReader.ReadText(json, "pod.json", e => Assert.Fail(e.Message)));
        var securityContext = pod.Body["spec"]!["containers"]![0]!["securityContext"]!.AsObject();

        Assert.True(pod.Body["spec"]!["hostNetwork"]!.GetValue<bool>());
        Assert.Equal(8080L, pod.Body["spec"]!["containers"]![0]!["ports"]![0]!["hostPort"]!.GetValue<long>());
        Assert.Equal(0L, securityContext["runAsUser"]!.GetValue<long>());
        Assert.Equal("true", securityContext["runAsNonRoot"]!.GetValue<string>());
        Assert.Equal(1.5, securityContext["x"]!.GetValue<double>());
        Assert.True(securityContext.ContainsKey("y"));
        Assert.Null(securityContext["y"]);
    }

    [Fact]
    public void ParseGivesPlainValuesForApiObjectsAndRejectsTrailingContent()
    {
        // Cluster pages and API objects go through Parse: values must not be JsonElement-backed (decoded on every read).
        var node = JsonManifestReader.Parse("""{"kind":"Pod","spec":{"hostNetwork":true,"containers":[{"name":"c","ports":[{"hostPort":80}]}]}}""")!;
        var name = node["spec"]!["containers"]![0]!["name"]!.AsValue();
        var port = node["spec"]!["containers"]![0]!["ports"]![0]!["hostPort"]!.AsValue();

        Assert.False(name.TryGetValue<JsonElement>(out _));
        Assert.Equal("c", name.GetValue<string>());
        Assert.Equal(80L, port.GetValue<long>());
        Assert.True(node["spec"]!["hostNetwork"]!.GetValue<bool>());
        Assert.ThrowsAny<JsonException>(() => JsonManifestReader.Parse("{} {}"));
    }

    [Theory]
    [InlineData("{\"kind\": \"Pod\",\n \"metadata\": {\"name\": \"x\"}\n", 3)]
    [InlineData("{\"kind\": \"Pod\",\n}\n{\"kind\": \"Pod\"}", 2)]
    [InlineData("{\"items\": [{\"a\": 1},\n {\"b\": tru}], \"kind\": \"List\"}", 2)]
    public void BrokenJsonIsOneErrorWithItsLineAndNoObjects(string json, int line)
    {
        var errors = new List<ManifestParseError>();
        var objects = ManifestReader.ReadText(json, "bad.json", errors.Add).ToList();

        Assert.Empty(objects);
        var error = Assert.Single(errors);
        Assert.Equal(("bad.json", line), (error.Source, error.Line));
    }

    [Fact]
    public void AnItemIsNotKeptAliveWhileTheReaderGoesThroughTheItemsAfterIt()
    {
        string dump = Dump("List", "v1", Enumerable.Range(0, 2000).Select(i => Pod("p" + i)).ToArray());
        using var items = ManifestReader.ReadText(dump, "dump.json", e => Assert.Fail(e.Message)).GetEnumerator();

        var first = MoveToNextAndWatch(items);
        for (int i = 1; i < 1000; i++)
        {
            Assert.True(items.MoveNext());
        }

        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        Assert.False(first.TryGetTarget(out _), "the first item should be collectable while the reader is half-way through the dump");
        Assert.Equal("p999", items.Current.Name);
    }

    // A frame of its own, so no debug-build temporary of the test method keeps the item reachable.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static WeakReference<JsonObject> MoveToNextAndWatch(IEnumerator<ManifestObject> items)
    {
        Assert.True(items.MoveNext());
        return new WeakReference<JsonObject>(items.Current.Body);
    }

    [Fact]
    public void EveryFixtureReadAsJsonGivesTheSameTreeAndVerdictAsItsYaml()
    {
        var scanner = new WorkloadScanner(new ScanOptions { Level = PodSecurityLevel.Restricted, Profile = ScanProfile.All });
        int compared = 0;
        foreach (var (_, _, _, file) in SharedFixtures.All().Where((_, i) => i % 3 == 0))
        {
            var yaml = Assert.Single(ManifestReader.ReadFile(file, e => Assert.Fail(e.Message)));
            string json = yaml.Body.ToJsonString(Indented);
            var fromJson = Assert.Single(ManifestReader.ReadText(json, "fixture.json", e => Assert.Fail(e.Message)));

            Assert.True(JsonNode.DeepEquals(yaml.Body, fromJson.Body), file);
            var expected = scanner.Scan(yaml)!;
            var actual = scanner.Scan(fromJson)!;
            Assert.Equal(expected.Results.Select(r => (r.CheckId, r.Status, r.Message)), actual.Results.Select(r => (r.CheckId, r.Status, r.Message)));
            compared++;
        }

        Assert.True(compared > 1000, $"only {compared} fixtures compared");
    }

    private static JsonObject Pod(string name) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Pod",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = "team" },
        ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "app", ["image"] = "nginx:1.27" }) },
    };

    /// <summary>A List the way kubectl -o json writes it: indented, keys sorted (items before kind).</summary>
    private static string Dump(string kind, string apiVersion, params JsonObject[] items)
    {
        var list = new JsonObject
        {
            ["apiVersion"] = apiVersion,
            ["items"] = new JsonArray(items.Select(i => (JsonNode?)i.DeepClone()).ToArray()),
            ["kind"] = kind,
            ["metadata"] = new JsonObject { ["resourceVersion"] = string.Empty },
        };
        return list.ToJsonString(Indented).Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
