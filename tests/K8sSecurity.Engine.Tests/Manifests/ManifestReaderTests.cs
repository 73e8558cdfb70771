using K8sSecurity.Engine.Manifests;
using Xunit;

namespace K8sSecurity.Engine.Tests.Manifests;

public sealed class ManifestReaderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)] // a UTF-8 BOM
    public void ReadFileReadsAFileUpToMaxBytesAndRefusesOneByteMore(int padding)
    {
        string yaml = (padding == 3 ? "\ufeff" : string.Empty) + "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n" + (padding == 1 ? "#" : string.Empty);
        string file = Path.Combine(Directory.CreateTempSubdirectory("k8ssec-read").FullName, "p.yaml");
        try
        {
            File.WriteAllText(file, yaml);
            long size = new FileInfo(file).Length;
            var errors = new List<ManifestParseError>();
            var atLimit = ManifestReader.ReadFile(file, errors.Add, maxBytes: size).ToList();
            Assert.Empty(errors);
            Assert.Equal("p", Assert.Single(atLimit).Name);

            var refused = ManifestReader.ReadFile(file, errors.Add, maxBytes: size - 1).ToList();
            Assert.Empty(refused);
            Assert.Contains($"larger than the {size - 1:N0}-byte limit", Assert.Single(errors).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }
    }

    [Fact]
    public void ReadsMultiDocumentYamlWithLinesAndTypedScalars()
    {
        const string yaml = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: a
            spec:
              hostNetwork: true
              containers:
              - name: c
                image: nginx:1.25
                ports: [{containerPort: 80}]
                securityContext: {runAsUser: 0, runAsNonRoot: "true"}
            ---
            # comment only before the doc
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: b, namespace: ns}
            """;
        var errors = new List<ManifestParseError>();
        var objects = ManifestReader.ReadText(yaml, "x.yaml", errors.Add).ToList();

        Assert.Empty(errors);
        Assert.Equal(2, objects.Count);
        Assert.Equal(("Pod", "a", 1), (objects[0].Kind, objects[0].Name, objects[0].Line));
        Assert.True(objects[0].Body["spec"]!["hostNetwork"]!.GetValue<bool>());
        var sc = objects[0].Body["spec"]!["containers"]![0]!["securityContext"]!;
        Assert.Equal(0, sc["runAsUser"]!.GetValue<long>());
        Assert.Equal("true", sc["runAsNonRoot"]!.GetValue<string>()); // quoted stays a string
        Assert.Equal(("Deployment", "ns", 14), (objects[1].Kind, objects[1].Namespace, objects[1].Line));
        Assert.Equal("x.yaml:14", objects[1].Location);
    }

    [Fact]
    public void FlattensKubectlListsInYamlAndJson()
    {
        const string json = """{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p1"}},{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p2"}}]}""";
        var objects = ManifestReader.ReadText(json, "dump.json", _ => Assert.Fail("no error expected")).ToList();
        Assert.Equal(new[] { "p1", "p2" }, objects.Select(o => o.Name));

        const string typed = "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleList\nitems:\n- metadata: {name: r}\n  rules: []\n";
        var role = Assert.Single(ManifestReader.ReadText(typed, "roles.yaml", _ => Assert.Fail("no error expected")));
        Assert.Equal(("Role", "rbac.authorization.k8s.io/v1"), (role.Kind, role.ApiVersion));
    }

    [Fact]
    public void ReportsTheFileAndLineOfABrokenDocumentAndKeepsWhatCameBefore()
    {
        const string yaml = "kind: Pod\nmetadata: {name: ok}\n---\nkind: Pod\nmetadata:\n  name: [unclosed\n";
        var errors = new List<ManifestParseError>();
        var objects = ManifestReader.ReadText(yaml, "bad.yaml", errors.Add).ToList();
        Assert.Equal("ok", Assert.Single(objects).Name);
        var error = Assert.Single(errors);
        Assert.Equal("bad.yaml", error.Source);
        Assert.True(error.Line >= 5, $"line {error.Line}");
    }

    [Fact]
    public void ExpandsFoldersRecursivelyAndWildcards()
    {
        string root = Directory.CreateTempSubdirectory("k8ssec-manifests").FullName;
        Directory.CreateDirectory(Path.Combine(root, "sub"));
        File.WriteAllText(Path.Combine(root, "a.yaml"), "kind: Pod");
        File.WriteAllText(Path.Combine(root, "sub", "b.yml"), "kind: Pod");
        File.WriteAllText(Path.Combine(root, "notes.txt"), "ignored");
        Assert.Equal(2, ManifestReader.ExpandPaths(new[] { root }).Count());
        Assert.Single(ManifestReader.ExpandPaths(new[] { Path.Combine(root, "*.yaml") }));
        Directory.Delete(root, true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ItemsOfAYamlListReportTheLineWhereEachItemStarts(bool fastPath)
    {
        // kubectl get -o yaml writes one List: each item should point at its own lines, not at the List's first line.
        // An item of a plain List without kind is refused on its own (kubectl: "Object 'Kind' is missing"), the others are read.
        const string yaml = """
            apiVersion: v1
            items:
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: web}
            # a comment between items
            - apiVersion: apps/v1
              kind: Deployment
              metadata:
                name: api
            -
              apiVersion: v1
              kind: Pod
              metadata: {name: loose}
            - metadata: {name: typed-elsewhere}
            kind: List
            metadata:
              resourceVersion: ""
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleList
            items:
            - metadata: {name: reader}
              rules: []
            """;
        var errors = new List<ManifestParseError>();
        var objects = ManifestReader.ReadText(yaml, "dump.yaml", errors.Add, fastPath).ToList();

        Assert.Equal(new[] { "web", "api", "loose", "reader" }, objects.Select(o => o.Name));
        Assert.Equal(new[] { 3, 7, 12, 23 }, objects.Select(o => o.Line));
        Assert.Equal("dump.yaml:7", objects[1].Location);
        Assert.Equal(("Role", "rbac.authorization.k8s.io/v1"), (objects[3].Kind, objects[3].ApiVersion));
        var error = Assert.Single(errors);
        Assert.Equal(15, error.Line);
        Assert.Contains("Object 'Kind' is missing", error.Message, StringComparison.Ordinal);
        KubectlAgreement.Check(yaml);
    }
}
