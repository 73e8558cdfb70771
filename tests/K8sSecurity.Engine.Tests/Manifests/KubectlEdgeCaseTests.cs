using Xunit;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>
/// Hand-picked corners of YAML and JSON where parsers disagree, each checked against kubectl's own decoding (same
/// objects, same refusals) through both reading paths.
/// </summary>
public sealed class KubectlEdgeCaseTests
{
    private const string Head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n";

    public static TheoryData<string> YamlCases() => new()
    {
        Head + "spec:\n  a:\tb\n",
        Head + "spec:\n  a: b\t# comment\n",
        Head + "spec:\n  a: b # c\n  c: d#e\n",
        Head + "spec:\n  x: [a: b]\n",
        Head + "spec:\n  x:\n  - - a\n    - b\n  - - c\n",
        Head + "spec:\n  x: &a.b 1\n  y: *a.b\n",
        Head + "spec:\n  x: !!int 0x1F\n  y: !!float 1_000\n  z: !!bool 'yes'\n",
        Head + "spec:\n  ? - a\n  : b\n",
        Head + "spec:\n  \"k\\tey\": 1\n  'q''k': 2\n",
        Head + "spec:\n  x: 'a\n    b'\n",
        Head + "spec:\n  x: \"a\n    b\"\n",
        Head + "spec:\n  x: a: b\n",
        Head + "spec:\n  x: |1-\n    indented\n",
        Head + "spec:\n  x: !!binary |\n    aGVs\n    bG8=\n",
        Head + "spec:\n  a: &x 1\n  a: *x\n",
        Head + "spec:\n  x: >\n    folded\n    text\n\n    more\n",
        Head + "spec:\n  empty:\n  nulls: [~, null, Null, NULL, ]\n",
        Head + "spec:\n  x: [1, 2,\n    3]\n",
        Head + "spec:\n  x: {a: 1,\n  b: 2}\n",
        Head + "spec:\n  command: [\"sh\", \"-c\",\n  \"echo hi\"]\n  args:\n  - [a,\n  b]\n",
        Head + "spec:\n  x: \"a\n  b\"\n  y: 'c\nd'\n",
        Head + "spec:\n  x: { a: [1,\n2], b: \"c\nd\" }\n",
        Head + "spec:\n  x: \"it\\'s\"\n",
        Head + "spec:\n  x: &é 1\n",
        Head + "spec:\n  x: -\n  y: - a\n",
        Head + "spec:\n  x: @a\n",
        Head + "spec:\n  x: `a\n",
        Head + "spec:\n  x: %a\n",
        Head + "spec:\n  x: 'unterminated\n",
        Head + "spec:\n  x: [a, b\n",
        Head + "spec:\n    a: 1\n  b: 2\n",
        Head + "spec:\n  x: *undefined\n",
        Head + "spec:\n  <<: *undefined\n",
        Head + "spec:\n  !!str <<: {a: 1}\n",
        Head + "spec:\n  !!merge <<: {a: 1}\n",
        Head + "spec:\n  x: !!timestamp 2001-12-14T21:59:43.10-05:00\n",
        Head + "spec:\n  x: !!timestamp 2001-12-14 21:59:43.10 -5\n",
        Head + "spec:\n  0.1: a\n  123456789.5: b\n  -0.0: c\n  1e39: d\n",
        Head + "spec:\n  x: \"\\u00e9\\x41\\t\\\"\\\\ \\/ \\0 \\a \\e \\N \\_ \\L \\P\"\n",
        Head + "spec:\n  x: \"\\ud800\"\n",
        Head + "spec:\n  x: 'é' # non-ASCII\n  ü: 1\n",
        "\ufeff" + Head,
        Head + "spec:\n  x: 1\r  y: 2\n",
        Head + "---\n--- # twice\n" + Head,
        "---\n---\n" + Head,
        Head + "--- |\n  text\n",
        Head + "---x\n",
        Head + "----\n",
        Head + "...\n---\n" + Head + "...\n...\n",
        "...\n" + Head,
        "--- !!map\n" + Head,
        "%YAML 1.1\n--- \n" + Head,
        "%TAG ! tag:example.com,2000:\n---\n" + Head,
        Head + "spec: !!str\n",
        Head + "spec: !!null\n",
        Head + "spec: !foo {a: 1}\n",
        Head + "spec: &s\n  a: 1\nother: *s\n",
        Head + "items: ~\n",
        Head + "items: []\n",
        "apiVersion: v1\nkind: List\nitems:\n- ~\n",
        "apiVersion: v1\nkind: FooList\nitems:\n- ~\n- {kind: 5}\n",
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Pod, metadata: {name: 5}}\n",
        "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: List, items: []}\n",
        Head + "  labels: {a: ~}\n  generation: 1.0\n  creationTimestamp: 2001-12-14T21:59:43Z\n",
        Head + "  creationTimestamp: \"2001-12-14T21:59:43.5+01:00\"\n",
        Head + "  creationTimestamp: \"2001-12-14\"\n",
        Head + "  ownerReferences: [{uid: 5}]\n",
        Head + "  finalizers: [a, ~]\n",
        Head + "  Name: 5\n",
        "apiVersion: 5\nkind: Pod\n",
        "kind: ''\n",
        "kind: !!str 5\n",
        "kind: [Pod]\n",
        Head + "spec:\n  k: " + new string('v', 5000) + "\n",
        Head + "spec:\n  " + new string('k', 1030) + ": 1\n",
        Head + "spec:\n  ? " + new string('k', 1030) + "\n  : 1\n",
        Head + "spec:\n  \"" + new string('k', 1030) + "\": 1\n",

        // Duplicate keys in big and small, block and flow mappings (the fast reader indexes big ones).
        Head + "spec:\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"  k{i}: {i}\n")) + "  k3: again\n  k19: last\n  k20: new\n",
        Head + "spec:\n  x: {a: 1, b: 2, a: 3}\n  y: 1\n  x: [z]\n  z: {" + string.Join(", ", Enumerable.Range(0, 20).Select(i => $"f{i % 17}: {i}")) + "}\n",

        // Plain keys typed as go-yaml types them (cached by the fast reader), and plain values around number syntax.
        Head + "spec:\n  y: 1\n  n: 2\n  on: 3\n  Off: 4\n  0x1F: 5\n  0o17: 6\n  1_000: 7\n  .5: 8\n  true: 9\n  nodeName: 10\n  y: 11\n  tier: 12\n",
        Head + "spec:\n  ~: 1\n",
        Head + "spec:\n  a:\n" + string.Concat(new[] { "100m", "1e3", "+5", "-0", "0.5", "1.", "1e", "5e-3", "1_0.5", "+.5", "-.5e1", "1.e2", ".", "+", "0x", "1__0", "0b101", "09", "0o9", "1e400", "2001-12-14", "1.5.0", "12e", "3E+2", "_1", "1_" }.Select(v => $"  - {v}\n")),

        // The ends of int64: -2^63 - 1 is a float to go-yaml whose shortest form (-9223372036854776000) is past int64.
        Head + "spec:\n  a: [9223372036854775807, -9223372036854775808, 9223372036854775808, -9223372036854775809, -9223372036854775808.0, 9223372036854775807.0, 18446744073709551616, 1e19, -1e19]\n",
        // Tabs: libyaml skips them between tokens only in flow collections and after a key's ":" (kubectl refuses the rest).
        Head + "spec:\n  containers:\n  -\tname: a\n    image: nginx\n",
        Head + "spec:\n  containers:\n  - name: a\n    args:\n    -  \ta\n",
        Head + "spec:\n  x:\n  - - \tx\n",
        Head + "spec:\n  ?\tcontainers\n  : [{name: a}]\n",
        Head + "spec:\n  ? containers\n  :\t[{name: a}]\n",
        Head + "spec:\n  x: [\ta, {b:\tc}]\n",
        Head + "spec:\t\n  x: 1\t\n",
        Head + "spec:\n  x: 1\n\t\n",
        Head + "spec:\n  x: |\n    \tliteral tab\n  y: \"a\tb\"\n",
        Head + "spec:\n  x: &a\n  - \t1\n",
        Head + "spec:\n  x: |\n    first\n    \tindented by tab after the indentation\n  \t\n  y: 1\n",
        Head + "spec:\n  x: >-\n\n    \tafter a blank line\n",
        Head + "spec:\n  x: |2\n    \ttab under an explicit indentation\n",
        Head + "spec:\n  x: |\n      six\n    \tfewer spaces then a tab\n",
        Head + "spec:\n  x: 1\n---\t\n" + Head,
    };

    public static TheoryData<string> JsonCases() => new()
    {
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"x\":\"\\ud800\",\"y\":\"\\ud83d\\ude00\",\"z\":\"\\u0000\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"x\":1e400}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"x\":[1.0,-0,-0.0,1e3,12345678901234567890,1E2,0.1,1e-400]}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"x\":1,\"x\":{\"a\":1}}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"} {\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}\n42\n\"s\"\nnull\n[]\n{\"kind\":\"Pod\"}",
        "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\"},1]}",
        "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"x\":1e400}]}",
        "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":{}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":null}",
        "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[1],\"items\":[{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}]}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\"}}\n/* comment */",
        "  \n\t{\"apiVersion\":\"v1\",\"kind\":\"Pod\"}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"x\":01}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"x\":\"a\tb\"}}",
        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{\"x\":[9223372036854775807,-9223372036854775808,-9223372036854775809,-9223372036854776000,-9.223372036854775808e18,9223372036854776000]}}",
    };

    [KubectlTheory]
    [MemberData(nameof(YamlCases))]
    public void YamlCornersDecodeAsKubectlDoes(string yaml) => KubectlAgreement.Check(yaml);

    [KubectlTheory]
    [MemberData(nameof(JsonCases))]
    public void JsonCornersDecodeAsKubectlDoes(string json) => KubectlAgreement.Check(json, ".json");
}
