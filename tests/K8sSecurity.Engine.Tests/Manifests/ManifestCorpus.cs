using System.Globalization;
using System.Text;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>
/// Generates manifests the way people and tools really write them, with the security fields in every spelling
/// Kubernetes accepts: YAML 1.1 booleans (yes/on/y…), integers in every base and with separators, floats, nulls,
/// explicit tags, quoted strings that look like booleans, anchors, aliases and merge keys, block and flow styles,
/// quoted keys, comments, CRLF, "---"/"..." markers, several documents a file, lists, JSON; and, now and then,
/// what kubectl refuses (NaN, a broken separator, bad indentation, a non-object document, wrong metadata types) or
/// reads with a surprise (duplicate keys). Deterministic for a seed.
/// </summary>
public sealed class ManifestCorpus
{
    private static readonly string[] TrueSpellings = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE" };
    private static readonly string[] FalseSpellings = { "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE" };
    private static readonly string[] OddBooleans = { "\"true\"", "'yes'", "!!bool \"yes\"", "!!bool on", "!!str true", "~", "null", "1", "0", "\"on\"", "!!bool 'No'" };
    private static readonly string[] Uids =
    {
        "0", "00", "+0", "-0", "0o0", "0O0", "0_0", "0x0", "0X0", "0b0", "0B0", "0.0", "-0.0", "0e0", "000", "0x_0", "0b_0",
        "1000", "1_000", "0x3E8", "0x3e8", "0o1750", "01750", "0b1111101000", "1e3", "1E3", "1e+3", "1000.0", "1000.", "+1000",
        "65534", "\"1000\"", "'0'", "!!int \"0\"", "!!int '1000'", "!!float 0", "!!float \"1000\"", "!!str 0", "~", "", "-1", "1.5",
        "9223372036854775807", "9223372036854775808", "-9223372036854775808", "18446744073709551615", "1e21", "1e20", "0x8000000000000000",
        "99999999999999999999999", "0778", "08", "0o8", "2001-12-14", "1__000", "10_00.5", ".5", "+.5", "-.5e-3", "12:30", "1e-7",
    };

    private static readonly string[] Images = { "nginx:1.25", "registry.example.com/app@sha256:" + new string('a', 64), "busybox", "ghcr.io/acme/tool:v2", "\"quay.io/x:1\"" };
    private static readonly string[] Capabilities = { "ALL", "NET_RAW", "SYS_ADMIN", "NET_BIND_SERVICE", "\"ALL\"", "'all'", "CHOWN" };
    private static readonly string[] SeccompTypes = { "RuntimeDefault", "Unconfined", "Localhost", "\"RuntimeDefault\"", "runtimedefault" };
    private static readonly string[] WorkloadKinds = { "Pod", "Deployment", "DaemonSet", "StatefulSet", "Job", "CronJob", "ReplicaSet", "ReplicationController", "PodTemplate" };

    private readonly Random random;
    private int anchorCounter;

    public ManifestCorpus(int seed) => random = new Random(seed);

    /// <summary>Writes <paramref name="count"/> files into <paramref name="directory"/>; returns their paths.</summary>
    public IReadOnlyList<string> Write(string directory, int count)
    {
        var files = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            bool json = random.Next(12) == 0;
            string path = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"m{i:D5}.{(json ? "json" : "yaml")}"));
            File.WriteAllText(path, json ? JsonFile() : YamlFile());
            files.Add(path);
        }

        return files;
    }

    /// <summary>One YAML file: one to four documents, with the odd comment-only, empty or broken one.</summary>
    public string YamlFile()
    {
        var text = new StringBuilder();
        if (random.Next(5) == 0)
        {
            text.Append("# generated manifest\n");
        }

        int documents = 1 + random.Next(4);
        for (int d = 0; d < documents; d++)
        {
            if (d > 0 || random.Next(4) == 0)
            {
                text.Append(Pick("---\n", "---\n", "---\n", "--- # next\n", "---   \n", "...\n---\n", "---\t\n"));
            }

            switch (random.Next(40))
            {
                case 0:
                    text.Append("# only a comment\n");
                    break;
                case 1:
                    text.Append(Pick("null\n", "~\n", "\n", "- a\n- b\n", "just text\n", "42\n", "{}\n", "[]\n"));
                    break;
                case 2:
                    text.Append(Broken());
                    break;
                case 3 or 4:
                    text.Append(List());
                    break;
                case >= 5 and <= 10:
                    text.Append(Exotic());
                    break;
                default:
                    text.Append(Document());
                    break;
            }

            if (random.Next(15) == 0)
            {
                text.Append("...\n");
                if (random.Next(3) == 0)
                {
                    text.Append("ignored: [after, the, end marker]\n");
                }
            }
        }

        string result = text.ToString();
        if (random.Next(6) == 0)
        {
            result = result.Replace("\n", "\r\n", StringComparison.Ordinal);
        }

        if (random.Next(10) == 0)
        {
            result = result.TrimEnd('\n', '\r'); // no final line break
        }

        return result;
    }

    /// <summary>A JSON file: one object, a List, or a stream of objects, sometimes with a duplicate key.</summary>
    public string JsonFile()
    {
        var objects = Enumerable.Range(0, 1 + random.Next(3)).Select(_ => JsonObjectText()).ToList();
        return random.Next(3) switch
        {
            0 => "{\"apiVersion\": \"v1\", \"kind\": \"List\", \"items\": [" + string.Join(",\n", objects) + "]}\n",
            1 => string.Join("\n", objects) + "\n",
            _ => objects[0] + "\n",
        };
    }

    private string JsonObjectText()
    {
        string name = Name();
        string privileged = Pick("true", "false", "\"true\"", "null", "1");
        string user = Pick("0", "1000", "0.0", "1e3", "1000.0", "-0", "1.5", "12345678901234567890", "\"0\"");
        string hostNetwork = Pick("true", "false", "null");
        string duplicate = random.Next(8) == 0 ? ", \"hostNetwork\": true" : string.Empty;
        return $$$"""
            {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "{{{name}}}", "namespace": "ns"},
             "spec": {"hostNetwork": {{{hostNetwork}}}{{{duplicate}}}, "securityContext": {"runAsUser": {{{user}}}},
              "containers": [{"name": "c", "image": "nginx:1.25", "securityContext": {"privileged": {{{privileged}}}, "runAsNonRoot": {{{Pick("true", "false")}}}}}]}}
            """;
    }

    private string Document()
    {
        string kind = WorkloadKinds[random.Next(WorkloadKinds.Length)];
        if (random.Next(8) == 0)
        {
            kind = Pick("ConfigMap", "Service", "Namespace");
        }

        var doc = new Node.Map();
        string? anchorName = null;
        Node.Map? anchored = null;
        if (random.Next(6) == 0)
        {
            // An extension field holding an anchored securityContext, reused below.
            anchorName = "sc" + anchorCounter++;
            anchored = SecurityContext(container: true);
            anchored.Anchor = anchorName;
            doc.Add(Pick("x-common", "x-defaults", ".shared"), anchored);
        }

        doc.Add(Key("apiVersion"), Scalar(kind switch
        {
            "Deployment" or "DaemonSet" or "StatefulSet" or "ReplicaSet" => "apps/v1",
            "Job" or "CronJob" => "batch/v1",
            _ => "v1",
        }));
        doc.Add(Key("kind"), Scalar(kind));
        doc.Add(Key("metadata"), Metadata());
        if (kind is "ConfigMap")
        {
            doc.Add("data", new Node.Map { { "config.yaml", Scalar("|\n  a: 1\n  b: [x]\n") }, { "flag", Scalar(Pick("yes", "\"yes\"", "on")) } });
        }
        else if (kind is "Service" or "Namespace")
        {
            doc.Add("spec", new Node.Map { { "ports", new Node.Seq { new Node.Map { { "port", Scalar(Pick("80", "0x50", "0o120", "80.0")) } } } } });
        }
        else
        {
            var podSpec = PodSpec(anchorName, anchored);
            var template = new Node.Map { { "metadata", new Node.Map { { "labels", new Node.Map { { "app", Scalar(Name()) } } } } }, { "spec", podSpec } };
            switch (kind)
            {
                case "Pod":
                    doc.Add(Key("spec"), podSpec);
                    break;
                case "PodTemplate":
                    doc.Add("template", template);
                    break;
                case "CronJob":
                    doc.Add("spec", new Node.Map
                    {
                        { "schedule", Scalar("\"*/5 * * * *\"") },
                        { "jobTemplate", new Node.Map { { "spec", new Node.Map { { "template", template } } } } },
                    });
                    break;
                default:
                    doc.Add(Key("spec"), new Node.Map { { "selector", new Node.Map { { "matchLabels", new Node.Map { { "app", Scalar("x") } } } } }, { "template", template } });
                    break;
            }
        }

        if (random.Next(25) == 0)
        {
            doc.Add(Key("kind"), Scalar(Pick("Pod", "Deployment"))); // two documents run together: a duplicate key
        }

        var text = new StringBuilder();
        Write(text, doc, 0, flow: random.Next(15) == 0);
        return text.ToString();
    }

    private Node.Map Metadata()
    {
        var metadata = new Node.Map { { Key("name"), Scalar(Name()) } };
        if (random.Next(2) == 0)
        {
            metadata.Add(Key("namespace"), Scalar(Pick("default", "team-a", "\"kube-system\"")));
        }

        if (random.Next(4) == 0)
        {
            metadata.Add("labels", new Node.Map { { "app", Scalar(Name()) }, { Pick("tier", "\"version\"", "y"), Scalar(Pick("\"1\"", "web", "'on'")) } });
        }

        if (random.Next(5) == 0)
        {
            metadata.Add("annotations", new Node.Map
            {
                { "container.apparmor.security.beta.kubernetes.io/app", Scalar(Pick("runtime/default", "unconfined", "localhost/x")) },
                { "seccomp.security.alpha.kubernetes.io/pod", Scalar(Pick("runtime/default", "unconfined")) },
            });
        }

        if (random.Next(60) == 0)
        {
            // What kubectl refuses in metadata: wrong types.
            metadata.Add(Pick("labels", "name", "generation", "creationTimestamp"), Scalar(Pick("42", "{a: 1}", "[x]", "1.5", "yes")));
        }

        return metadata;
    }

    private Node.Map PodSpec(string? anchorName, Node.Map? anchored)
    {
        var spec = new Node.Map();
        foreach (string field in new[] { "hostNetwork", "hostPID", "hostIPC", "hostUsers", "automountServiceAccountToken" })
        {
            if (random.Next(4) == 0)
            {
                spec.Add(Key(field), Scalar(Boolean()));
            }
        }

        if (random.Next(2) == 0)
        {
            spec.Add(Key("securityContext"), SecurityContext(container: false));
        }

        var containers = new Node.Seq();
        int count = 1 + random.Next(3);
        for (int i = 0; i < count; i++)
        {
            var container = new Node.Map
            {
                { Key("name"), Scalar("c" + i.ToString(CultureInfo.InvariantCulture)) },
                { Key("image"), Scalar(Images[random.Next(Images.Length)]) },
            };
            if (anchorName is not null && random.Next(2) == 0)
            {
                if (random.Next(2) == 0)
                {
                    container.Add(Key("securityContext"), new Node.Alias(anchorName));
                }
                else
                {
                    // Merge the shared context and override one field after (or before) the merge.
                    var merged = new Node.Map();
                    if (random.Next(2) == 0)
                    {
                        merged.Add(Key("privileged"), Scalar(Boolean()));
                    }

                    merged.Add("<<", random.Next(3) == 0 ? new Node.Seq { new Node.Alias(anchorName), SecurityContext(container: true) } : new Node.Alias(anchorName));
                    merged.Add(Key("runAsNonRoot"), Scalar(Boolean()));
                    container.Add(Key("securityContext"), merged);
                }
            }
            else if (random.Next(4) > 0)
            {
                var context = SecurityContext(container: true);
                if (random.Next(5) == 0)
                {
                    context.Anchor = "c" + anchorCounter++;
                    container.Add(Key("securityContext"), context);
                    containers.Add(container);
                    containers.Add(new Node.Map { { Key("name"), Scalar("reuse" + i.ToString(CultureInfo.InvariantCulture)) }, { Key("image"), Scalar("busybox:1") }, { Key("securityContext"), new Node.Alias(context.Anchor) } });
                    continue;
                }

                container.Add(Key("securityContext"), context);
            }

            if (random.Next(4) == 0)
            {
                container.Add("ports", new Node.Seq { new Node.Map { { "containerPort", Scalar(Pick("8080", "0x1F90", "8_080", "8080.0")) }, { "hostPort", Scalar(Pick("80", "0", "~", "0o120")) } } });
            }

            containers.Add(container);
        }

        spec.Add(Key(random.Next(6) == 0 ? "initContainers" : "containers"), containers);
        if (random.Next(5) == 0)
        {
            spec.Add("volumes", new Node.Seq
            {
                new Node.Map { { "name", Scalar("v") }, { Pick("hostPath", "emptyDir", "secret"), new Node.Map { { "path", Scalar("/var/run") } } } },
            });
        }

        return spec;
    }

    private Node.Map SecurityContext(bool container)
    {
        var context = new Node.Map();
        if (container && random.Next(2) == 0)
        {
            context.Add(Key("privileged"), Scalar(Boolean()));
        }

        if (container && random.Next(2) == 0)
        {
            context.Add(Key("allowPrivilegeEscalation"), Scalar(Boolean()));
        }

        if (random.Next(2) == 0)
        {
            context.Add(Key("runAsNonRoot"), Scalar(Boolean()));
        }

        if (random.Next(2) == 0)
        {
            context.Add(Key("runAsUser"), Scalar(Uids[random.Next(Uids.Length)]));
        }

        if (random.Next(4) == 0)
        {
            context.Add(Key("runAsGroup"), Scalar(Uids[random.Next(Uids.Length)]));
        }

        if (container && random.Next(3) == 0)
        {
            context.Add(Key("readOnlyRootFilesystem"), Scalar(Boolean()));
        }

        if (random.Next(3) == 0)
        {
            context.Add(Key("seccompProfile"), new Node.Map { { Key("type"), Scalar(SeccompTypes[random.Next(SeccompTypes.Length)]) } });
        }

        if (container && random.Next(3) == 0)
        {
            var drop = new Node.Seq { Scalar(Capabilities[random.Next(Capabilities.Length)]) };
            var capabilities = new Node.Map { { Key("drop"), drop } };
            if (random.Next(3) == 0)
            {
                capabilities.Add(Key("add"), new Node.Seq { Scalar(Capabilities[random.Next(Capabilities.Length)]) });
            }

            context.Add(Key("capabilities"), capabilities);
        }

        if (container && random.Next(12) == 0)
        {
            context.Add(Key("procMount"), Scalar(Pick("Default", "Unmasked")));
        }

        if (!container && random.Next(6) == 0)
        {
            context.Add("sysctls", new Node.Seq { new Node.Map { { "name", Scalar(Pick("kernel.shm_rmid_forced", "net.core.somaxconn")) }, { "value", Scalar(Pick("\"1\"", "1", "yes")) } } });
        }

        if (random.Next(30) == 0)
        {
            context.Add(Key("runAsNonRoot"), Scalar(Boolean())); // duplicate key: the last one wins
        }

        if (context.Count == 0)
        {
            context.Add(Key("runAsNonRoot"), Scalar(Boolean()));
        }

        return context;
    }

    private string List()
    {
        var items = new Node.Seq();
        int count = 1 + random.Next(3);
        bool typed = random.Next(2) == 0;
        for (int i = 0; i < count; i++)
        {
            var item = new Node.Map();
            if (!typed || random.Next(4) == 0)
            {
                item.Add("apiVersion", Scalar("v1"));
                item.Add("kind", Scalar("Pod"));
            }

            item.Add("metadata", new Node.Map { { "name", Scalar(Name()) } });
            item.Add("spec", new Node.Map { { "containers", new Node.Seq { new Node.Map { { "name", Scalar("c") }, { "image", Scalar("nginx:1") }, { "securityContext", SecurityContext(container: true) } } } } });
            items.Add(item);
        }

        var list = new Node.Map { { "apiVersion", Scalar("v1") }, { "kind", Scalar(typed ? "PodList" : "List") }, { "items", items } };
        var text = new StringBuilder();
        Write(text, list, 0, flow: false);
        return text.ToString();
    }

    // A Pod written with the rarer parts of YAML: keys that resolve to booleans and numbers, folded and indicated
    // block scalars, multi-line plain and quoted scalars, escapes, complex keys, tags on collections, anchors on
    // scalars and keys, nested merges, explicit document starts, unusual indentation, tabs and non-ASCII text.
    private string Exotic()
    {
        string name = Name();
        var fields = new List<string>();
        int count = 2 + random.Next(4);
        for (int i = 0; i < count; i++)
        {
            fields.Add(Pick(
                "  extra:\n    y: 1\n    on: 2\n    1: a\n    0x10: b\n    1.5: c\n    1e7: d\n    true: e\n    2001-12-14: f\n    .inf: g\n",
                "  folded: >\n    one\n    two\n\n    three\n",
                "  kept: |+\n    line\n\n",
                "  indicated: |2\n     two spaces kept\n",
                "  stripped: >-\n    a\n     b\n    c\n",
                "  plain: this is\n    a multi-line\n    plain scalar\n",
                "  quoted: \"tab\\there\\nnewline \\u00e9 \\x41 \\\\ end\"\n",
                "  single: 'it''s\n    folded'\n",
                "  ? complex key\n  : value\n",
                "  tagged: !!map {a: !!seq [1, 2], b: !custom {c: d}}\n",
                "  binary: !!binary aGVsbG8gd29ybGQ=\n",
                "  anchoredScalar: &v yes\n  reused: *v\n",
                "  &k keyAnchor: 1\n  *k : 2\n",
                "  flowMultiLine: [a,\n    b, {c: d,\n      e: f}]\n",
                "  emptyValues: {a: , b: ~, c: null, d: }\n",
                "  tabs: \"a\tb\"\n",
                "  unicode: héllo wörld ✓\n",
                "  nested: &n\n    deep: &d\n      deeper: [*v, 1]\n  nestedCopy: *n\n",
                "  merged:\n    <<: [{a: 1, b: 1}, {b: 2, c: 2}]\n    c: 3\n",
                "  mergedTwice:\n    <<: {x: 1}\n    <<: {x: 2, y: 2}\n",
                "  longKey: {" + new string('k', 1100) + ": 1}\n",
                "  seqOfMaps:\n      - a: 1\n        b: 2\n      -   c: 3\n",
                "  number: 0x_Ff\n  octal: 0o7_7\n  sign: -0b1_1\n  float: 6.02e+23\n  under: 1_000.5\n",
                "  strings: [\"y\", 'n', \"0x10\", '1e3', \"~\", '']\n",
                "  command: [\"sh\", \"-c\",\n  \"echo hi\"]\n",
                "  message: \"a long\n  message\"\n"));
        }

        string securityContext = Pick(
            "    securityContext: !!map {privileged: !!bool yes}\n",
            "    securityContext:\n      privileged: >-\n        true\n",
            "    securityContext:\n      ? privileged\n      : on\n",
            "    securityContext: {\n      privileged: y,\n      runAsUser: 0\n    }\n",
            "    securityContext:\n        runAsNonRoot: yes\n        runAsUser: !!int 1000\n",
            "    securityContext:\n      privileged: \"true\"\n",
            "    securityContext: &sc {allowPrivilegeEscalation: no}\n",
            "    securityContext: !custom\n      privileged: TRUE\n");
        string start = Pick(string.Empty, string.Empty, "--- # explicit\n", "--- \n");
        return start + $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n" + string.Concat(fields)
            + "  containers:\n  - name: c\n    image: nginx:1\n" + securityContext;
    }

    private string Broken() => Pick(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nan\nspec:\n  x: .nan\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: inf\nspec:\n  x: -.Inf\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bad\n labels: {}\n",
        "apiVersion: v1\nkind: Pod\nmetadata: {name: unclosed\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: tab\n",
        "--- kind: Pod\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: alias\nspec: *nowhere\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: selfref\nspec: &s\n  x: *s\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nullkey\n  ~: x\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: badmerge\nspec:\n  <<: [a]\n",
        "metadata:\n  name: no-kind\n",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: int-tag\nspec:\n  x: !!int abc\n",
        "%YAML 1.1\n");

    private string Boolean()
    {
        int choice = random.Next(10);
        return choice < 4 ? TrueSpellings[random.Next(TrueSpellings.Length)]
            : choice < 8 ? FalseSpellings[random.Next(FalseSpellings.Length)]
            : OddBooleans[random.Next(OddBooleans.Length)];
    }

    // A key as written: plain most of the time, sometimes quoted.
    private string Key(string name) => random.Next(10) switch
    {
        0 => "\"" + name + "\"",
        1 => "'" + name + "'",
        _ => name,
    };

    private Node.Scalar Scalar(string text) => new(text);

    private string Name() => Pick("web", "api", "db", "worker", "job", "cache") + "-" + random.Next(1000).ToString(CultureInfo.InvariantCulture);

    private string Pick(params string[] choices) => choices[random.Next(choices.Length)];

    // Block style, or flow style for a subtree, with comments and blank lines here and there.
    private void Write(StringBuilder text, Node node, int indent, bool flow)
    {
        switch (node)
        {
            case Node.Map map when flow || map.Count == 0:
                text.Append(Flow(map)).Append('\n');
                break;
            case Node.Map map:
                bool first = true;
                foreach (var (key, value) in map)
                {
                    if (!first)
                    {
                        text.Append(' ', indent);
                    }

                    first = false;
                    text.Append(key).Append(':');
                    WriteValue(text, value, indent);
                    if (random.Next(25) == 0)
                    {
                        text.Append(' ', indent).Append("# note\n");
                    }
                }

                break;
            case Node.Seq seq when flow || seq.Count == 0:
                text.Append(Flow(seq)).Append('\n');
                break;
            case Node.Seq seq:
                bool firstItem = true;
                foreach (var item in seq)
                {
                    if (!firstItem)
                    {
                        text.Append(' ', indent);
                    }

                    firstItem = false;
                    text.Append('-');
                    if (item is Node.Map { Anchor: null, Count: > 0 } itemMap && random.Next(3) > 0)
                    {
                        text.Append(' ');
                        Write(text, itemMap, indent + 2, flow: random.Next(10) == 0);
                    }
                    else
                    {
                        WriteValue(text, item, indent);
                    }
                }

                break;
            default:
                text.Append(Inline(node)).Append('\n');
                break;
        }
    }

    private void WriteValue(StringBuilder text, Node value, int indent)
    {
        switch (value)
        {
            case Node.Scalar scalar when scalar.Text.StartsWith('|'):
                text.Append(' ').Append(scalar.Text.Replace("\n  ", "\n" + new string(' ', indent + 2), StringComparison.Ordinal));
                break;
            case Node.Scalar or Node.Alias:
                string inline = Inline(value);
                text.Append(inline.Length > 0 ? " " + inline : string.Empty).Append(random.Next(20) == 0 ? "   # why" : string.Empty).Append('\n');
                break;
            case Node.Map map when map.Count > 0 && random.Next(8) > 0:
                text.Append(map.Anchor is null ? string.Empty : " &" + map.Anchor).Append('\n').Append(' ', indent + 2);
                Write(text, map, indent + 2, flow: random.Next(12) == 0 && map.Anchor is null);
                break;
            case Node.Seq seq when seq.Count > 0 && random.Next(8) > 0:
                int seqIndent = random.Next(2) == 0 ? indent : indent + 2; // "key:\n- item" or indented
                text.Append('\n').Append(' ', seqIndent);
                Write(text, seq, seqIndent, flow: false);
                break;
            default:
                text.Append(' ').Append(Flow(value)).Append('\n');
                break;
        }
    }

    private static string Inline(Node node) => node switch
    {
        Node.Scalar scalar => scalar.Text,
        Node.Alias alias => "*" + alias.Name,
        _ => Flow(node),
    };

    private static string Flow(Node node) => node switch
    {
        Node.Map map => (map.Anchor is null ? string.Empty : "&" + map.Anchor + " ") + "{" + string.Join(", ", map.Select(p => p.Key + ": " + Flow(p.Value))) + "}",
        Node.Seq seq => "[" + string.Join(", ", seq.Select(Flow)) + "]",
        Node.Scalar scalar when scalar.Text.StartsWith('|') => "\"a: 1\\nb: [x]\\n\"",
        Node.Scalar scalar => scalar.Text.Length == 0 ? "~" : scalar.Text,
        Node.Alias alias => "*" + alias.Name,
        _ => string.Empty,
    };

    /// <summary>The generator's own tiny document model: what to write, not how it decodes.</summary>
    private abstract class Node
    {
        public sealed class Scalar : Node
        {
            public Scalar(string text) => Text = text;

            public string Text { get; }
        }

        public sealed class Alias : Node
        {
            public Alias(string name) => Name = name;

            public string Name { get; }
        }

        public sealed class Map : Node, IEnumerable<KeyValuePair<string, Node>>
        {
            private readonly List<KeyValuePair<string, Node>> entries = new();

            public string? Anchor { get; set; }

            public int Count => entries.Count;

            public void Add(string key, Node value) => entries.Add(new(key, value));

            public IEnumerator<KeyValuePair<string, Node>> GetEnumerator() => entries.GetEnumerator();

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }

        public sealed class Seq : Node, IEnumerable<Node>
        {
            private readonly List<Node> items = new();

            public int Count => items.Count;

            public void Add(Node item) => items.Add(item);

            public IEnumerator<Node> GetEnumerator() => items.GetEnumerator();

            System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
        }
    }
}
