using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Manifests;
using Xunit;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>
/// The fast YAML path must be indistinguishable from the full path, and both must decode as kubectl does (the
/// oracle: same objects, same refusals): on every fixture we have, on tricky hand-written cases and on a generated
/// corpus. The two paths must also agree on lines and messages.
/// </summary>
public sealed class FastYamlReaderDifferentialTests
{
    [KubectlFact]
    public void EveryPssFixtureAndExampleReadsAsKubectlDoesThroughBothPaths()
    {
        string repoRoot = FindUp("examples")!;
        string? fixtures = FindUp(Path.Combine("shared", "pss-fixtures"));
        var files = new List<string>();
        files.AddRange(Directory.EnumerateFiles(Path.Combine(repoRoot, "examples"), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)));
        if (fixtures is not null)
        {
            string[] fixtureFiles = Directory.GetFiles(Path.Combine(fixtures, "shared", "pss-fixtures"), "*.yaml", SearchOption.AllDirectories);
            Assert.True(fixtureFiles.Length > 4000, $"expected the PSS fixtures, found {fixtureFiles.Length}");
            files.AddRange(fixtureFiles);
        }

        int fast = 0;
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            AssertSameThroughBothPaths(text, file);
            fast += FastYamlReader.TryReadAll(text) ? 1 : 0;
        }

        AssertAsKubectl(files);

        // The fast path must actually be used for ordinary manifests, or this test proves nothing.
        Assert.True(fast * 10 >= files.Count * 9, $"fast path took {fast} of {files.Count} files");
    }

    public static TheoryData<string, bool> TrickyCases() => new()
    {
        // (yaml, whether the fast path is expected to take it)
        { "a: 1\nb: two\n", true },
        { "# leading\n# comments\n---\n# more\napiVersion: v1\nkind: Pod\n---\n# only a comment\n---\nkind: B\n", true },
        { "apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: x\r\n  labels:\r\n    a: \"b\"\r\n", true },
        { "kind: Pod\nspec:\n  containers:\n  - name: a\n    args:\n    - x\n    - 'y''z'\n  - name: b\n    ports:\n      - containerPort: 80\n        protocol: TCP\n", true },
        { "kind: L\nitems:\n- - x\n  - y\n- - - z\n-\n- \n-   k: v\n    k2: v2\n", true },
        { "kind: A\nempty:\nalsoEmpty:   # comment\nnested:\n    deep:\n          deeper: 1\nafter: 2\n", true },
        { "kind: A\nv: value # comment\nw: value#notcomment\nx: \"q\" # c\ny: 'q'   \nz: {}\nzz: []  # c\n", true },
        { "kind: A\n\"quoted key\": 1\n'single key': 2\n\"k\": \"\"\nn: ''\n", true },
        { "kind: A\nn1: 007\nn2: -12\nn3: +12\nn4: 0x1F\nn5: 1.5e3\nn6: .5\nn7: 1_000\nb: [ ]\nt1: True\nt2: yes\nt3: ~\nt4: NULL\nt5: -.inf\nt6: .nan\nt7: 1e400\nt8: 12:30\nt9: -\n", false },
        { "kind: A\nn1: 007\nn2: -12\nn3: +12\nn4: 0x1F\nn5: 1.5e3\nn6: .5\nn7: 1_000\nt1: True\nt2: yes\nt3: ~\nt4: NULL\nt7: 1e400\nt8: 12:30\nt10: -1.\nt11: 0o17\nt12: '12'\ny: on\n0x10: 08\n", true },
        { "kind: A\nt5: -.inf\n", false }, // kubectl refuses: JSON cannot hold it
        { "kind: A\nt6: [.nan]\n", false },
        { "kind: A\ndup: 1\ndup: 2\n", true },
        { "# only comments\n# nothing else\n", true },
        { "---\n---\n", true },
        { "", true },
        { "kind: A\nimage: nginx:1.25\nurl: http://x/y?a=b&c=d\ncmd: echo a,b [c] {d}\n", true },
        { "kind: A\nlist:\n- a\n- b\nnext: 1\n", true },
        { "- kind: A\n  x: 1\n- kind: B\n", true },
        { "kind: A\nannotations:\n  app.kubernetes.io/name: x\n  container.apparmor.security.beta.kubernetes.io/c: runtime/default\n  $schema: y\n", true },
        { "kind: A\ndata:\n  script: |\n    echo hi\n    exit 0\n  folded: >-\n    a\n    b\n", false },
        { "kind: A\ndata:\n  script: |\n    #!/bin/sh\n      indented # not a comment\n\n\n    exit 0\n\n  # comment\n  strip: |-  # c\n   x\n   \n   y\n\n\nz: 1\n", true },
        { "kind: A\nargs:\n- |\n  a\n- |-\n   b\n- |\n c\n- x\nlast: |\n  end\n", true },
        { "kind: A\nx: |\n  a\n# top comment\ny: |-\n  b\n---\nkind: B\nz: |\n  c\n---\n", true },
        { "kind: A\nx: |\n  a\n    \n", false },
        { "kind: A\nx: |\n\n  a\n", false },
        { "kind: A\nx: |+\n  a\n\n", false },
        { "kind: A\nx: |2\n   a\n", false },
        { "kind: A\nx: |\n  a", true },
        { "kind: A\nx: |\ny: 1\n", false },
        { "kind: A\nx: |\n    a\n  b\n", false },
        { "kind: A\r\nx: |\r\n  a\r\n", true },
        { "kind: A\nx: |x\n  a\n", false },
        { "kind: A\nx: &anchor 1\ny: *anchor\n", false },
        { "kind: A\nbase: &b {a: 1}\nderived:\n  <<: *b\n  c: 2\n", false },
        { "kind: A\nx: !!str 1\n", false },
        { "kind: A\nx: \"esc\\\"aped\"\n", false },
        { "kind: A\nx: multi\n  line plain\n", false },
        { "kind: A\nx: \"multi\n  line\"\n", false },
        { "kind: A\nflow: {a: 1, b: [x, y]}\n", true },
        { "kind: A\nf: {a: nginx:1.2, \"q\": 'x', n: [1, {b: c d}, []], e: {}}  # c\ng: [ ]\nh: [ a ,b ]\n", true },
        { "kind: A\nf: [null, ~, true, 1.5, 012, 'it''s', \"\"]\n", true },
        { "kind: A\nf: [a, b,]\n", false },
        { "kind: A\nf: {a: }\n", false },
        { "kind: A\nf: {a:1}\n", false },
        { "kind: A\nf: [a: b]\n", false },
        { "kind: A\nf: {a: 1 # c}\n", false },
        { "kind: A\nf: [-1]\n", false },
        { "kind: A\nf: {a: 1}x\n", false },
        { "kind: A\nf: {a: 1]\n", false },
        { "kind: A\nf: [{a: 1}, {b: [x]}]\n- {c: 1}\n", false },
        { "kind: A\n\tx: 1\n", false },
        { "kind: A\nx: 1\r  y: 2\n", false },
        { "%YAML 1.2\n---\nkind: A\n", false },
        { "--- kind: A\n", false },
        { "kind: A\n...\n", false },
        { "  kind: A\n  x: 1\n", false },
        { "? complex\n: key\n", false },
        { "just a scalar\n", false },

        // Fast documents first, then one the fast path hands to YamlDotNet (which takes over from there).
        { "kind: A\nx: 1\n---\n# c\nkind: B\ny: &a 1\nz: *a\n---\nkind: C\n", false },
        { "kind: A\n---\nkind: B\n---\n  kind: C\n---\nkind: D\n", false },
        { "kind: A\n---\nkind: B\n...\n---\nkind: C\n", false },
        { "kind: A\n---\n%YAML 1.2\n---\nkind: C\n", false },

        // Broken input: both paths must report the same error (the fast path gives up).
        { "kind: A\n---\nkind: B\n---\nkind: C\nx: [\n---\nkind: D\n", false },
        { "kind: A\n  x: 1\n", false },
        { "kind: A\nx: 1\n y: 2\n", false },
        { "kind: A\nx: a: b\n", false },
        { "kind: A\nx: \"unclosed\n", false },
        { "kind: A\nx: [1, 2\n", false },
        { "kind: A\n- item\n", false },
        { "- a\nkey: b\n", false },
        { "kind: A\nx:\n    a: 1\n  b: 2\n", false },
        { "good: 1\n---\nkind: A\nbad: [\n", false },
        { "kind: A\nx: y:\n", false },
        { "kind: A\nx: @at\n", false },
    };

    [KubectlTheory]
    [MemberData(nameof(TrickyCases))]
    public void TrickyCasesReadAsKubectlDoesThroughBothPaths(string yaml, bool fastPathExpected)
    {
        AssertSameThroughBothPaths(yaml, "tricky.yaml");
        Assert.Equal(fastPathExpected, FastYamlReader.TryReadAll(yaml));
        KubectlAgreement.Check(yaml);
    }

    [KubectlFact]
    public void GeneratedCorpusReadsAsKubectlDoesThroughBothPaths()
    {
        // Random combinations of the constructs above, nested, so interactions are covered too.
        var random = new Random(7);
        string directory = Directory.CreateTempSubdirectory("k8ssec-fast-corpus").FullName;
        var files = new List<string>();
        string[] scalars = { "x", "1", "-3", "0.5", "true", "null", "", "'s'", "\"d\"", "a b c", "v # c", "nginx:1.2", "[]", "{}", "[a, 1, {b: c}]", "{x: 'y', z: [1, 2]}", "{a: b,c: d}", "|\n  literal\n\n  text # x\n", "|-\n  stripped\n", "012", "~", "'it''s'" };
        int fast = 0;
        for (int n = 0; n < 2000; n++)
        {
            var text = new StringBuilder();
            if (random.Next(4) == 0)
            {
                text.Append("# header\n");
            }

            int documents = 1 + random.Next(3);
            for (int d = 0; d < documents; d++)
            {
                text.Append("kind: K").Append(d).Append('\n');
                WriteMapping(text, random, scalars, indent: 0, depth: 0);
                text.Append(random.Next(3) == 0 ? "---  # sep\n" : "---\n");
            }

            string yaml = random.Next(5) == 0 ? text.ToString().Replace("\n", "\r\n", StringComparison.Ordinal) : text.ToString();
            AssertSameThroughBothPaths(yaml, "generated.yaml");
            fast += FastYamlReader.TryReadAll(yaml) ? 1 : 0;
            string file = Path.Combine(directory, $"g{n:D4}.yaml");
            File.WriteAllText(file, yaml);
            files.Add(file);
        }

        Assert.True(fast > 1000, $"fast path took only {fast} generated texts");
        try
        {
            AssertAsKubectl(files);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static void WriteMapping(StringBuilder text, Random random, string[] scalars, int indent, int depth)
    {
        int keys = 1 + random.Next(4);
        for (int k = 0; k < keys; k++)
        {
            text.Append(' ', indent).Append(random.Next(6) == 0 ? "\"q" + k + "\"" : "k" + k).Append(':');
            int choice = depth > 3 ? 0 : random.Next(4);
            if (choice == 0)
            {
                string scalar = Reindent(scalars[random.Next(scalars.Length)], indent + 2);
                text.Append(scalar.Length > 0 ? " " + scalar : string.Empty).Append('\n');
            }
            else if (choice == 1)
            {
                text.Append('\n');
                WriteMapping(text, random, scalars, indent + 2 + random.Next(2), depth + 1);
            }
            else
            {
                text.Append('\n');
                WriteSequence(text, random, scalars, indent + (random.Next(2) == 0 ? 0 : 2), depth + 1);
            }

            if (random.Next(8) == 0)
            {
                text.Append(' ', random.Next(6)).Append("# between\n");
            }

            if (random.Next(10) == 0)
            {
                text.Append('\n');
            }
        }
    }

    private static void WriteSequence(StringBuilder text, Random random, string[] scalars, int indent, int depth)
    {
        int items = 1 + random.Next(3);
        for (int i = 0; i < items; i++)
        {
            text.Append(' ', indent).Append('-');
            switch (depth > 3 ? 0 : random.Next(4))
            {
                case 0:
                    string scalar = Reindent(scalars[random.Next(scalars.Length)], indent + 2);
                    text.Append(scalar.Length > 0 ? " " + scalar : string.Empty).Append('\n');
                    break;
                case 1:
                    // "- key: v" with the rest of the mapping aligned on the key.
                    var nested = new StringBuilder();
                    WriteMapping(nested, random, scalars, indent + 2, depth + 1);
                    text.Append(' ').Append(nested.ToString().AsSpan(indent + 2));
                    break;
                case 2:
                    var inner = new StringBuilder();
                    WriteSequence(inner, random, scalars, indent + 2, depth + 1);
                    text.Append(' ').Append(inner.ToString().AsSpan(indent + 2)); // "- - x"
                    break;
                default:
                    text.Append('\n');
                    WriteMapping(text, random, scalars, indent + 2, depth + 1);
                    break;
            }
        }
    }

    // Block scalar lines are written for indentation 0; move them under their key or dash.
    private static string Reindent(string scalar, int indent) =>
        scalar.Replace("\n  ", "\n" + new string(' ', indent), StringComparison.Ordinal).TrimEnd('\n');

    // Both paths against kubectl's decoding of the same files.
    private static void AssertAsKubectl(IReadOnlyList<string> files)
    {
        var disagreements = new List<string>();
        foreach (var decoding in Kubectl.Decode(files))
        {
            foreach (bool fastPath in new[] { true, false })
            {
                var (objects, issues) = KubectlDifferentialTests.Read(decoding.File, fastPath);
                disagreements.AddRange(KubectlDifferentialTests.Compare(decoding, objects, issues, fastPath ? "fast path" : "full path"));
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreement(s) with kubectl:\n" + string.Join("\n\n", disagreements.Take(10)));
    }

    private static void AssertSameThroughBothPaths(string text, string source)
    {
        var fastErrors = new List<ManifestParseError>();
        var slowErrors = new List<ManifestParseError>();
        var fast = ManifestReader.ReadText(text, source, fastErrors.Add, allowFastPath: true).ToList();
        var slow = ManifestReader.ReadText(text, source, slowErrors.Add, allowFastPath: false).ToList();

        Assert.True(slowErrors.SequenceEqual(fastErrors), $"{source}: errors differ:\n{string.Join('\n', fastErrors)}\nvs\n{string.Join('\n', slowErrors)}");
        Assert.True(fast.Count == slow.Count, $"{source}: {fast.Count} objects vs {slow.Count}");
        for (int i = 0; i < fast.Count; i++)
        {
            Assert.True(
                JsonNode.DeepEquals(fast[i].Body, slow[i].Body),
                $"{source} object {i}:\nfast: {fast[i].Body.ToJsonString()}\nslow: {slow[i].Body.ToJsonString()}\n--- text ---\n{text}");
            Assert.Equal((slow[i].Kind, slow[i].Name, slow[i].Namespace, slow[i].Line, slow[i].Location), (fast[i].Kind, fast[i].Name, fast[i].Namespace, fast[i].Line, fast[i].Location));
        }
    }

    // The directory above the test binaries that contains `relative`, or null.
    private static string? FindUp(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, relative)))
            {
                return dir.FullName;
            }
        }

        return null;
    }
}
