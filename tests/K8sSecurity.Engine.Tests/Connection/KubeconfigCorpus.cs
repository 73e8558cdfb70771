namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>
/// Kubeconfig texts that probe how a kubeconfig is decoded: YAML 1.1 booleans in every spelling, numbers, dates and
/// nulls in string fields, wrong types at every level, anchors, aliases and merge keys, duplicate keys and duplicate
/// names, flow and block style, JSON, quoted keys, CRLF, comments, several documents, apiVersion/kind variants,
/// base64 data. Expectations come from kubectl (<see cref="KubeconfigKubectlDifferentialTests"/>), never from here.
/// </summary>
public static class KubeconfigCorpus
{
    /// <summary>Secret values every case uses, so tests can prove no error or output carries them.</summary>
    public const string Token = "canary-kubeconfig-token-5f1d";
    public const string Password = "canary-kubeconfig-password-77ab";

    public static IReadOnlyList<(string Name, string Text)> Cases()
    {
        var cases = new List<(string, string)>();

        // insecure-skip-tls-verify in every YAML 1.1 / 1.2 spelling, plain, quoted and tagged.
        string[] boolSpellings =
        {
            "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
            "on", "On", "ON", "off", "Off", "OFF", "yEs", "tRUE", "1", "0", "null", "~", "", "\"true\"", "'yes'", "\"false\"",
            "!!bool yes", "!!bool true", "!!str true", "!!bool \"true\"", "[true]", "{a: true}",
        };
        foreach (string spelling in boolSpellings)
        {
            cases.Add(($"insecure-{Slug(spelling)}", Standard(insecure: spelling)));
        }

        // Other bool fields: disable-compression, exec provideClusterInfo, preferences colors.
        foreach (string spelling in new[] { "yes", "off", "\"yes\"", "1" })
        {
            cases.Add(($"disable-compression-{Slug(spelling)}", Standard(clusterExtra: $"disable-compression: {spelling}")));
            cases.Add(($"provide-cluster-info-{Slug(spelling)}", Standard(userBody: $"exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubelogin\n      provideClusterInfo: {spelling}")));
            cases.Add(($"colors-{Slug(spelling)}", Standard(top: $"preferences:\n  colors: {spelling}")));
        }

        // Scalars YAML 1.1 types as something other than a string, in string fields.
        string[] stringish =
        {
            "0x10", "0o10", "010", "0755", "1_000", "1e3", "1.5", ".inf", "-.inf", ".nan", "2001-01-01", "2001-12-14t21:59:43.10-05:00",
            "yes", "no", "on", "y", "~", "null", "\"0x10\"", "'yes'", "!!str 0x10", "!!int \"12\"", "0b101", "+12", "12:30:00", "190:20:30",
        };
        foreach (string value in stringish)
        {
            cases.Add(($"server-{Slug(value)}", Standard(server: value)));
            cases.Add(($"namespace-{Slug(value)}", Standard(ns: value)));
        }

        foreach (string value in new[] { "yes", "0x10", "~", "'0x10'", "1", "true" })
        {
            cases.Add(($"context-name-{Slug(value)}", Standard(contextName: value, current: value)));
            cases.Add(($"current-context-{Slug(value)}", Standard(current: value)));
            cases.Add(($"token-{Slug(value)}", Standard(userBody: "token: " + value)));
            cases.Add(($"user-ref-{Slug(value)}", Standard(contextUser: value)));
        }

        // Wrong types at every level.
        cases.Add(("clusters-42", "apiVersion: v1\nkind: Config\nclusters: 42\n"));
        cases.Add(("clusters-string", "clusters: x\n"));
        cases.Add(("clusters-mapping", "clusters: {a: {server: https://a}}\n"));
        cases.Add(("users-mapping", "users: {}\n"));
        cases.Add(("contexts-item-string", "contexts: [x]\n"));
        cases.Add(("cluster-body-list", "clusters:\n- name: a\n  cluster: [1]\n"));
        cases.Add(("user-body-string", "users:\n- name: a\n  user: token\n"));
        cases.Add(("exec-string", "users:\n- name: a\n  user: {exec: kubelogin}\n"));
        cases.Add(("exec-args-number", "users:\n- name: a\n  user: {exec: {command: x, args: [1, two]}}\n"));
        cases.Add(("exec-env-number", "users:\n- name: a\n  user: {exec: {command: x, env: [{name: A, value: 1}]}}\n"));
        cases.Add(("exec-env-missing-value", "users:\n- name: a\n  user: {exec: {command: x, apiVersion: v, env: [{name: A}]}}\n"));
        cases.Add(("auth-provider-config-number", "users:\n- name: a\n  user: {auth-provider: {name: oidc, config: {client-id: 5}}}\n"));
        cases.Add(("auth-provider-config-yes", "users:\n- name: a\n  user: {auth-provider: {name: oidc, config: {refresh: yes}}}\n"));
        cases.Add(("as-groups-number", "users:\n- name: a\n  user: {as: admin, as-groups: [1]}\n"));
        cases.Add(("as-user-extra", "users:\n- name: a\n  user: {as: admin, as-user-extra: {team: [a, b]}}\n"));
        cases.Add(("preferences-number", "preferences: 5\n"));
        cases.Add(("extensions-number", "extensions: 5\n"));
        cases.Add(("top-list", "- a\n- b\n"));
        cases.Add(("top-string", "\"hello\"\n"));
        cases.Add(("top-number", "42\n"));
        cases.Add(("unknown-fields-ignored", "clusters:\n- name: a\n  extra: 5\n  cluster: {server: https://a, whatever: [1], Server: https://b}\nfoo: {bar: 1}\nClusters: 5\n"));
        cases.Add(("null-entries", "clusters:\n- name: a\n  cluster: null\n- null\n- name: b\nusers:\n- name: u\n  user: null\ncontexts:\n- name: c\n  context: ~\n"));
        cases.Add(("null-sections", "clusters: null\nusers: ~\ncontexts:\ncurrent-context:\n"));
        cases.Add(("first-error-wins", "clusters: [{name: b, cluster: {server: [1]}}, {name: c, cluster: {server: 5}}]\ncurrent-context: 5\n"));

        // apiVersion and kind.
        foreach (string head in new[]
        {
            "apiVersion: v1\nkind: Config", "apiVersion: v1", "kind: Config", "apiVersion: v2\nkind: Config", "apiVersion: v1\nkind: Pod",
            "kind: config", "apiVersion: \"\"\nkind: \"\"", "apiVersion: /v1", "apiVersion: a/b/c", "apiVersion: 1", "kind: 5", "KIND: Pod",
            "Kind: Pod\nkind: Config", "kind: Status", "apiVersion: clientcmd.k8s.io/v1\nkind: Config", "apiVersion: null\nkind: null",
        })
        {
            cases.Add(($"head-{Slug(head)}", head + "\n" + Standard().Split('\n', 3)[2]));
        }

        // Empty and comment-only files, several documents.
        cases.Add(("empty", string.Empty));
        cases.Add(("blank-lines", "\n\n  \n"));
        cases.Add(("comments-only", "# nothing here\n# at all\n"));
        cases.Add(("document-marker-only", "---\n"));
        cases.Add(("two-documents", Standard() + "---\n" + Standard(contextName: "second", current: "second")));
        cases.Add(("second-document-broken", Standard() + "---\nclusters: [\n"));
        cases.Add(("leading-marker", "---\n" + Standard()));

        // Duplicate keys (two kubeconfigs concatenated) and duplicate names.
        cases.Add(("concatenated", Standard() + Standard(contextName: "second", current: "second", server: "https://second.example.com")));
        cases.Add(("duplicate-key-in-cluster", Standard(clusterExtra: "server: https://again.example.com")));
        cases.Add(("duplicate-current-context", Standard() + "current-context: other\n"));
        cases.Add(("duplicate-cluster-name", "clusters:\n- name: a\n  cluster: {server: https://one}\n- name: a\n  cluster: {server: https://two}\n"));
        cases.Add(("duplicate-user-name", $"users:\n- name: a\n  user: {{token: {Token}}}\n- name: a\n  user: {{password: {Password}, username: admin}}\n"));
        cases.Add(("duplicate-context-name", "contexts:\n- name: a\n  context: {cluster: one}\n- name: a\n  context: {cluster: two}\n"));
        cases.Add(("duplicate-empty-names", "clusters:\n- cluster: {server: https://one}\n- name: \"\"\n  cluster: {server: https://two}\n"));
        cases.Add(("duplicate-extension-name", "extensions:\n- name: x\n  extension: {a: 1}\n- name: x\n  extension: {a: 2}\n"));
        cases.Add(("duplicate-null-extensions", "extensions:\n- name: x\n- name: x\n  extension: null\n- name: x\n  extension: 1\n"));
        cases.Add(("duplicate-extension-after-value", "extensions:\n- name: x\n  extension: 1\n- name: x\n"));
        cases.Add(("duplicate-cluster-extension", "clusters:\n- name: a\n  cluster: {server: s, extensions: [{name: x, extension: 1}, {name: x, extension: 2}]}\n"));
        cases.Add(("duplicate-preferences-extension", "preferences:\n  extensions:\n  - {name: x, extension: 1}\n  - {name: x, extension: 2}\n"));
        cases.Add(("duplicate-extension-in-context", "contexts:\n- name: a\n  context: {cluster: c, extensions: [{name: x}, {name: x}]}\n"));
        cases.Add(("duplicate-names-in-two-sections", "users:\n- {name: a}\n- {name: a}\nclusters:\n- {name: b}\n- {name: b}\n"));

        // Anchors, aliases, merge keys.
        cases.Add(("anchors-merge-key", "base: &b {server: https://base.example.com, insecure-skip-tls-verify: yes}\nclusters:\n- name: a\n  cluster:\n    <<: *b\n    server: https://a.example.com\ncontexts:\n- name: c\n  context: {cluster: a, user: u}\nusers:\n- name: u\n  user: {token: " + Token + "}\ncurrent-context: c\n"));
        cases.Add(("anchors-alias-entry", "clusters:\n- &one\n  name: a\n  cluster: {server: https://a.example.com}\ncontexts:\n- name: c\n  context: &ctx {cluster: a, namespace: team}\n- name: d\n  context: *ctx\n"));
        cases.Add(("anchors-alias-duplicate-name", "clusters:\n- &one\n  name: a\n  cluster: {server: https://a.example.com}\n- *one\n"));
        cases.Add(("merge-list", "x: &x {server: https://x}\ny: &y {server: https://y, insecure-skip-tls-verify: on}\nclusters:\n- name: a\n  cluster:\n    <<: [*x, *y]\n"));
        cases.Add(("unknown-alias", "clusters:\n- name: a\n  cluster: *nope\n"));

        // Base64 data.
        foreach (string data in new[] { "QUJD", "\"not base64!\"", "QUJ", "QQ==", "QQ=", "\"QUJD\\nREVG\"", "\"QQ=\\nPQ==\"", "\"QUJD REVG\"", "\"\"", "!!binary QUJD", "\"QUJDRA==QUJD\"" })
        {
            cases.Add(($"ca-data-{Slug(data)}", Standard(clusterExtra: "certificate-authority-data: " + data)));
            cases.Add(($"client-cert-data-{Slug(data)}", Standard(userBody: "client-certificate-data: " + data + "\n    client-key-data: QUJD")));
        }

        cases.Add(("ca-data-block-literal", Standard(clusterExtra: "certificate-authority-data: |\n      QUJD\n      REVG")));

        // Auth kinds.
        cases.Add(("auth-exec", Standard(userBody: "exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: kubelogin\n      args: [get-token]\n      interactiveMode: Never")));
        cases.Add(("auth-exec-empty", Standard(userBody: "exec: {}")));
        cases.Add(("auth-exec-null", Standard(userBody: "exec: null\n    token: " + Token)));
        cases.Add(("auth-provider", Standard(userBody: "auth-provider: {name: oidc, config: {id-token: " + Token + "}}")));
        cases.Add(("auth-client-certificate-file", Standard(userBody: "client-certificate: certs/user.crt\n    client-key: certs/user.key")));
        cases.Add(("auth-token-file", Standard(userBody: "tokenFile: /var/run/token")));
        cases.Add(("auth-basic", Standard(userBody: $"username: admin\n    password: {Password}")));
        cases.Add(("auth-none", Standard(userBody: "as: someone")));
        cases.Add(("auth-token-and-basic", Standard(userBody: $"token: {Token}\n    username: admin\n    password: {Password}")));
        cases.Add(("missing-user-and-cluster", "contexts:\n- name: c\n  context: {cluster: nowhere, user: nobody, namespace: ns}\ncurrent-context: c\n"));
        cases.Add(("current-context-missing", Standard(current: "not-there")));

        // Presentation variants of a few configurations: flow, JSON, CRLF, comments, quoted keys, tabs in flow.
        var variants = new[]
        {
            ("plain", Standard()),
            ("insecure-yes", Standard(insecure: "yes")),
            ("insecure-true", Standard(insecure: "true")),
            ("insecure-quoted", Standard(insecure: "\"true\"")),
            ("server-hex", Standard(server: "0x10")),
        };
        foreach (var (name, text) in variants)
        {
            cases.Add(($"crlf-{name}", text.Replace("\n", "\r\n")));
            cases.Add(($"comments-{name}", Commented(text)));
            cases.Add(($"quoted-keys-{name}", QuotedKeys(text)));
            cases.Add(($"bom-{name}", "\uFEFF" + text));
        }

        foreach (string insecure in new[] { "yes", "true", "on", "\"true\"", "no" })
        {
            cases.Add(($"flow-insecure-{Slug(insecure)}", Flow(insecure)));
            cases.Add(($"flow-crlf-insecure-{Slug(insecure)}", Flow(insecure).Replace("\n", "\r\n")));
        }

        cases.Add(("json", "{\"apiVersion\":\"v1\",\"kind\":\"Config\",\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https://c.example.com\",\"insecure-skip-tls-verify\":true}}],\"users\":[{\"name\":\"u\",\"user\":{\"token\":\"" + Token + "\"}}],\"contexts\":[{\"name\":\"ctx\",\"context\":{\"cluster\":\"c\",\"user\":\"u\",\"namespace\":\"team\"}}],\"current-context\":\"ctx\"}\n"));
        cases.Add(("json-string-bool", "{\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https://c\",\"insecure-skip-tls-verify\":\"true\"}}]}\n"));
        cases.Add(("json-escaped-slash", "{\"clusters\":[{\"name\":\"c\",\"cluster\":{\"server\":\"https:\\/\\/c\"}}]}\n"));
        cases.Add(("json-tabs", "{\n\t\"clusters\": [\n\t\t{\"name\": \"c\", \"cluster\": {\"server\": \"https://c\"}}\n\t]\n}\n"));
        cases.Add(("json-duplicate-keys", "{\"current-context\":\"a\",\"current-context\":\"b\",\"contexts\":[{\"name\":\"a\",\"context\":{}},{\"name\":\"b\",\"context\":{}}]}\n"));
        cases.Add(("syntax-error", "clusters:\n- name: a\n  cluster: {server: https://a\n"));
        cases.Add(("bad-escape", "users:\n- name: a\n  user: {token: \"" + Token + "\\q\"}\n"));
        cases.Add(("int-tag-token", "users:\n- name: a\n  user: {token: !!int " + Token + "}\n"));
        return cases.Select((c, i) => ($"{i:000}-{c.Item1}", c.Item2)).ToList();
    }

    /// <summary>A complete kubeconfig: one cluster, one token user, one context; each part replaceable.</summary>
    public static string Standard(
        string server = "https://cluster.example.com:6443",
        string? insecure = null,
        string ns = "team-a",
        string contextName = "ctx",
        string? current = null,
        string? contextUser = null,
        string? userBody = null,
        string? clusterExtra = null,
        string? top = null)
    {
        return "apiVersion: v1\nkind: Config\n"
            + "clusters:\n- name: prod\n  cluster:\n    server: " + server + "\n"
            + (insecure is null ? string.Empty : "    insecure-skip-tls-verify: " + insecure + "\n")
            + (clusterExtra is null ? string.Empty : "    " + clusterExtra + "\n")
            + "users:\n- name: alice\n  user:\n    " + (userBody ?? "token: " + Token) + "\n"
            + "contexts:\n- name: " + contextName + "\n  context:\n    cluster: prod\n    user: " + (contextUser ?? "alice") + "\n    namespace: " + ns + "\n"
            + "current-context: " + (current ?? contextName) + "\n"
            + (top is null ? string.Empty : top + "\n");
    }

    private static string Flow(string insecure) =>
        "{apiVersion: v1, kind: Config,\n clusters: [{name: prod, cluster: {server: 'https://cluster.example.com:6443', insecure-skip-tls-verify: " + insecure + "}}],\n"
        + " users: [{name: alice, user: {token: " + Token + "}}],\n contexts: [{name: ctx, context: {cluster: prod, user: alice, namespace: team-a}}],\n current-context: ctx}\n";

    private static string Commented(string text) =>
        "# kubeconfig written by hand\n" + string.Join("\n", text.Split('\n').Select(line => line.Length == 0 ? line : line + "  # note"));

    private static string QuotedKeys(string text) =>
        string.Join("\n", text.Split('\n').Select(line =>
        {
            int colon = line.IndexOf(": ", StringComparison.Ordinal);
            if (colon < 0 && line.EndsWith(':'))
            {
                colon = line.Length - 1;
            }

            if (colon <= 0)
            {
                return line;
            }

            int start = line.Length - line.TrimStart(' ', '-').Length;
            string key = line[start..colon];
            return key.Length == 0 || key.Contains('"') ? line : line[..start] + "\"" + key + "\"" + line[colon..];
        }));

    private static string Slug(string value)
    {
        var chars = value.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray();
        string slug = new string(chars).Trim('_');
        return slug.Length == 0 ? "empty" : slug;
    }
}
