using System.Diagnostics;
using System.Text;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Tests.Manifests;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>
/// A kubeconfig user's as / as-uid / as-groups / as-user-extra go out as the header lines client-go's impersonating
/// round tripper writes (transport/round_trippers.go: headerKeyEscape, net/http's canonical names, one line per group
/// and per extra value), checked on the wire of a plain-HTTP listener; combinations clientcmd refuses
/// (validation.go) and values net/http refuses are errors before any request. kubectl is the oracle where it is
/// installed (under CI=true it must be).
/// </summary>
public sealed class ImpersonationTests : IDisposable
{
    /// <summary>A user body that exercises every rule: UTF-8, empty and null values, tabs, padding, a comma, keys to escape.</summary>
    private const string RichUser =
        "    as: \"bob \u00fc\"\n" +
        "    as-uid: \"uid-1\"\n" +
        "    as-groups: [\"devs\", \"\", \"\u00e9quipe\", \"a, b\", null, \"tab\\there\", \" padded \"]\n" +
        "    as-user-extra:\n" +
        "      scopes: [\"view\", \"edit\"]\n" +
        "      example.org/team: [\"blue\"]\n" +
        "      \"Mixed Case%:=@\": [\"x\"]\n" +
        "      empty: []\n" +
        "      nothing: null\n" +
        "      \"\": [\"k\"]\n" +
        "      \"\u00fc\": [\"y\"]\n" +
        "      \"a/b%zz\": [\"\", \"z\"]\n";

    /// <summary>
    /// What kubectl v1.32.4 wrote for <see cref="RichUser"/> (captured from its requests to a plain-HTTP listener,
    /// 2026-12-04). The kubectl theory below re-checks it against the installed kubectl.
    /// </summary>
    private static readonly string[] RichUserLinesFromKubectl =
    {
        "Impersonate-Extra-: k",
        "Impersonate-Extra-%c3%bc: y",
        "Impersonate-Extra-A%2fb%25zz: ",
        "Impersonate-Extra-A%2fb%25zz: z",
        "Impersonate-Extra-Example.org%2fteam: blue",
        "Impersonate-Extra-Mixed%20case%25%3a%3d%40: x",
        "Impersonate-Extra-Scopes: view",
        "Impersonate-Extra-Scopes: edit",
        "Impersonate-Group: devs",
        "Impersonate-Group: ",
        "Impersonate-Group: \u00e9quipe",
        "Impersonate-Group: a, b",
        "Impersonate-Group: ",
        "Impersonate-Group: tab\there",
        "Impersonate-Group: padded",
        "Impersonate-Uid: uid-1",
        "Impersonate-User: bob \u00fc",
    };

    /// <summary>User bodies kubectl accepts: the module must send the same impersonation lines.</summary>
    public static TheoryData<string, string> Accepted => new()
    {
        { "rich", RichUser },
        { "user-only", "    as: jane\n" },
        { "service-account-and-groups", "    as: system:serviceaccount:team-a:deployer\n    as-groups: [g1, g2, g1]\n" },
        { "uid", "    as: jane\n    as-uid: \"1234\"\n" },
        { "empty-fields", "    as: jane\n    as-uid: \"\"\n    as-groups: []\n    as-user-extra: {}\n" },
        { "nobody", "    as: \"\"\n    as-groups: []\n    as-uid: \"\"\n" },
        { "extra-only", "    as: jane\n    as-user-extra:\n      reason: [\"incident 42\", \"on call\"]\n" },
    };

    /// <summary>User bodies kubectl refuses before sending anything.</summary>
    public static TheoryData<string, string> Refused => new()
    {
        { "groups-without-user", "    as-groups: [devs]\n" },
        { "uid-without-user", "    as-uid: \"42\"\n" },
        { "extra-without-user", "    as-user-extra: {k: []}\n" },
        { "control-character-in-user", "    as: \"a\\x01b\"\n" },
        { "newline-in-group", "    as: jane\n    as-groups: [\"a\\nb\"]\n" },
        { "delete-in-extra", "    as: jane\n    as-user-extra: {k: [\"a\\x7fb\"]}\n" },
        { "carriage-return-in-uid", "    as: jane\n    as-uid: \"1\\r2\"\n" },
    };

    /// <summary>Every user has this token (kubectl sends none over http://; the module is allowed to): it must never show in an error.</summary>
    private const string Token = "canary-impersonation-token-91c2";

    private const string ImpersonatingUser = "    as: bob\n    as-uid: uid-bob\n    as-groups: [x, z]\n    as-user-extra: {scopes: [view]}\n";

    /// <summary>kubectl's --as/--as-group/--as-uid over a kubeconfig (or none), and the same as a ConnectionRequest.</summary>
    public static TheoryData<string, string[], string?, string[]?, string?> Overrides => new()
    {
        { ImpersonatingUser, new[] { "--as", "jane" }, "jane", null, null },
        { ImpersonatingUser, new[] { "--as-group", "y" }, null, new[] { "y" }, null },
        { ImpersonatingUser, new[] { "--as-uid", "u2" }, null, null, "u2" },
        { ImpersonatingUser, new[] { "--as", "jane", "--as-group", "y", "--as-group", "w" }, "jane", new[] { "y", "w" }, null },
        { string.Empty, new[] { "--as", "jane", "--as-uid", "u1" }, "jane", null, "u1" },
        { string.Empty, new[] { "--as-group", "y" }, null, new[] { "y" }, null },
        { string.Empty, new[] { "--as-uid", "u1" }, null, null, "u1" },
    };

    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-impersonation").FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    [Fact]
    public async Task EveryRuleOfClientGoReachesTheWire()
    {
        using var wire = new WireRecorder();
        var lines = await ModuleLinesAsync(wire, RichUser);
        Assert.Equal(Sorted(RichUserLinesFromKubectl), Sorted(lines));
    }

    [Fact]
    public async Task EveryRequestOfAClientCarriesTheHeaders()
    {
        using var wire = new WireRecorder();
        string file = Kubeconfig(wire.Server, "    as: jane\n    as-groups: [a, b]\n");
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = file, AllowUnencryptedAuthentication = true });
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        }

        Assert.Equal(3, wire.Heads.Count);
        Assert.All(wire.Heads, head => Assert.Equal(
            new[] { "Impersonate-User: jane", "Impersonate-Group: a", "Impersonate-Group: b" },
            WireRecorder.ImpersonationLines(head)));
    }

    [Fact]
    public async Task AContextWithoutImpersonationSendsNoImpersonationHeader()
    {
        using var wire = new WireRecorder();
        Assert.Empty(await ModuleLinesAsync(wire, string.Empty));
        Assert.Single(wire.Heads);
    }

    [Theory]
    [MemberData(nameof(Refused))]
    public void RefusedCombinationsAreConfigurationErrorsBeforeAnyRequest(string name, string userBody)
    {
        using var wire = new WireRecorder();
        string file = Kubeconfig(wire.Server, userBody);
        var error = Assert.Throws<K8sOperationException>(() => ClusterClient.Create(new ConnectionRequest { KubeconfigPath = file }));
        Assert.Equal(K8sErrorKind.Configuration, error.Kind);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(wire.Heads);
        if (name.Contains("without-user", StringComparison.Ordinal))
        {
            Assert.EndsWith("requesting uid, groups or user-extra for u without impersonating a user", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains("the impersonation of user \"u\" cannot be sent", error.Message, StringComparison.Ordinal);
            Assert.Contains("net/http: invalid header field value for \"Impersonate-", error.Message, StringComparison.Ordinal);
        }
    }

    [KubectlTheory]
    [MemberData(nameof(Accepted))]
    public async Task TheModuleSendsTheImpersonationLinesKubectlSends(string name, string userBody)
    {
        using var kubectlWire = new WireRecorder();
        string kubectlError = RunKubectl(Kubeconfig(kubectlWire.Server, userBody, name + "-kubectl"));
        Assert.Contains("recorded", kubectlError, StringComparison.Ordinal);
        var kubectlLines = kubectlWire.Heads.Select(WireRecorder.ImpersonationLines).Distinct(new SequenceComparer()).ToList();
        var expected = Assert.Single(kubectlLines);

        using var moduleWire = new WireRecorder();
        var lines = await ModuleLinesAsync(moduleWire, userBody);
        Assert.Equal(Sorted(expected), Sorted(lines));
        if (name == "rich")
        {
            Assert.Equal(Sorted(RichUserLinesFromKubectl), Sorted(expected));
        }
    }

    [KubectlTheory]
    [MemberData(nameof(Refused))]
    public void KubectlRefusesTheSameCombinationsWithoutSendingAnything(string name, string userBody)
    {
        using var wire = new WireRecorder();
        string error = RunKubectl(Kubeconfig(wire.Server, userBody, name + "-kubectl"));
        Assert.Empty(wire.Heads);
        Assert.Contains(
            name.Contains("without-user", StringComparison.Ordinal) ? "requesting uid, groups or user-extra for u without impersonating a user" : "net/http: invalid header field value for \"Impersonate-",
            error,
            StringComparison.Ordinal);
    }

    [KubectlTheory]
    [MemberData(nameof(Overrides))]
    public async Task FlagsOverrideTheKubeconfigAsKubectlsFlagsDo(string userBody, string[] kubectlFlags, string? asUser, string[]? asGroups, string? asUid)
    {
        using var kubectlWire = new WireRecorder();
        string kubectlError = RunKubectl(Kubeconfig(kubectlWire.Server, userBody, "overrides-kubectl"), kubectlFlags);
        using var moduleWire = new WireRecorder();
        var request = new ConnectionRequest
        {
            KubeconfigPath = Kubeconfig(moduleWire.Server, userBody),
            AllowUnencryptedAuthentication = true,
            ImpersonateUser = asUser,
            ImpersonateGroups = asGroups,
            ImpersonateUid = asUid,
        };

        if (kubectlWire.Heads.Count == 0)
        {
            Assert.Contains("requesting uid, groups or user-extra for u without impersonating a user", kubectlError, StringComparison.Ordinal);
            var error = Assert.Throws<K8sOperationException>(() => ClusterClient.Create(request));
            Assert.EndsWith("requesting uid, groups or user-extra for u without impersonating a user", error.Message, StringComparison.Ordinal);
            Assert.Empty(moduleWire.Heads);
            return;
        }

        var expected = WireRecorder.ImpersonationLines(kubectlWire.Heads[^1]);
        Assert.NotEmpty(expected);
        using var client = ClusterClient.Create(request);
        Assert.Equal(asUser ?? (userBody.Length > 0 ? "bob" : null), client.ImpersonatedUser);
        await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        Assert.Equal(Sorted(expected), Sorted(WireRecorder.ImpersonationLines(Assert.Single(moduleWire.Heads))));
    }

    [Theory]
    [InlineData("scopes", "scopes")]
    [InlineData("example.org/team", "example.org%2Fteam")]
    [InlineData("100%", "100%25")]
    [InlineData("a b", "a%20b")]
    [InlineData("\u00fc", "%C3%BC")]
    [InlineData("key:=@,;\"()<>?{}[]\\", "key%3A%3D%40%2C%3B%22%28%29%3C%3E%3F%7B%7D%5B%5D%5C")]
    [InlineData("!#$&'*+-.^_`|~AZaz09", "!#$&'*+-.^_`|~AZaz09")]
    [InlineData("", "")]
    public void ExtraKeysAreEscapedLikeHeaderKeyEscape(string key, string escaped) =>
        Assert.Equal(escaped, Impersonation.EscapeExtraKey(key));

    [Fact]
    public void EveryAsciiByteIsEscapedExactlyWhenClientGoEscapesIt()
    {
        // client-go's legalHeaderKeyBytes (copied from net/http's isTokenTable); '%' is escaped although legal.
        const string legal = "!#$&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~";
        for (int b = 0; b < 128; b++)
        {
            string key = ((char)b).ToString();
            string expected = legal.Contains((char)b, StringComparison.Ordinal) ? key : $"%{b:X2}";
            Assert.Equal(expected, Impersonation.EscapeExtraKey(key));
        }
    }

    [Theory]
    [InlineData("Impersonate-Extra-example.org%2Fteam", "Impersonate-Extra-Example.org%2fteam")]
    [InlineData("Impersonate-Extra-%C3%BC", "Impersonate-Extra-%c3%bc")]
    [InlineData("Impersonate-Extra-SCOPES", "Impersonate-Extra-Scopes")]
    [InlineData("Impersonate-Extra-", "Impersonate-Extra-")]
    [InlineData("impersonate-extra-a-b", "Impersonate-Extra-A-B")]
    [InlineData("not a token", "not a token")]
    public void HeaderNamesTakeGosCanonicalForm(string name, string canonical) =>
        Assert.Equal(canonical, Impersonation.CanonicalHeaderKey(name));

    [Fact]
    public void AContextSendsItsOwnUsersImpersonationOnly()
    {
        string file = Path.Combine(directory, "two-users");
        File.WriteAllText(file, "apiVersion: v1\nkind: Config\ncurrent-context: plain\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\n" +
            "contexts:\n- name: plain\n  context: {cluster: c, user: plain}\n- name: broken\n  context: {cluster: c, user: broken}\n" +
            $"users:\n- name: plain\n  user: {{token: {Token}}}\n- name: broken\n  user:\n    token: {Token}\n    as-groups: [devs]\n");
        var set = KubeconfigSet.Load(file);
        Assert.Null(set.ImpersonationOf("plain"));
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = file });
        var error = Assert.Throws<K8sOperationException>(() => ClusterClient.Create(new ConnectionRequest { KubeconfigPath = file, Context = "broken" }));
        Assert.Contains("for broken without impersonating a user", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ARepeatedHeaderBecomesOneLinePerValue()
    {
        var lines = new RepeatedHeaderLines();
        string joined = lines.Join("Impersonate-Group", new[] { "a", "", "b c" });
        string head = $"GET / HTTP/1.1\r\nImpersonate-Group: {joined}\r\nAccept: */*\r\n\r\n";
        byte[] rewritten = lines.Rewrite(Encoding.UTF8.GetBytes(head)) ?? throw new InvalidOperationException("no marker found");
        Assert.Equal("GET / HTTP/1.1\r\nImpersonate-Group: a\r\nImpersonate-Group: \r\nImpersonate-Group: b c\r\nAccept: */*\r\n\r\n", Encoding.UTF8.GetString(rewritten));
        Assert.Null(lines.Rewrite(Encoding.UTF8.GetBytes("a body without markers")));
    }

    [Fact]
    public void AMarkerCutByTheEndOfAWriteFailsInsteadOfReachingTheServer()
    {
        var lines = new RepeatedHeaderLines();
        string joined = lines.Join("Impersonate-Group", new[] { "a", "b" });
        byte[] head = Encoding.UTF8.GetBytes($"GET / HTTP/1.1\r\nImpersonate-Group: {joined}\r\n");
        int marker = Encoding.UTF8.GetString(head).IndexOf(joined[1..], StringComparison.Ordinal);
        Assert.Throws<IOException>(() => lines.Rewrite(head.AsSpan(0, marker + 10)));
        Assert.Throws<IOException>(() => lines.Rewrite(head.AsSpan(0, marker + joined.Length - 3)));
    }

    private async Task<IReadOnlyList<string>> ModuleLinesAsync(WireRecorder wire, string userBody)
    {
        string file = Kubeconfig(wire.Server, userBody);
        using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = file, AllowUnencryptedAuthentication = true });
        await Assert.ThrowsAsync<K8sOperationException>(() => client.VerifyAsync(CancellationToken.None));
        return WireRecorder.ImpersonationLines(Assert.Single(wire.Heads));
    }

    private string Kubeconfig(string server, string userBody, string name = "config")
    {
        string file = Path.Combine(directory, name);
        File.WriteAllText(
            file,
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: \"" + server + "\"\n" +
            "contexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user:\n    token: " + Token + "\n" + userBody,
            new UTF8Encoding(false));
        return file;
    }

    /// <summary>`kubectl get --raw /api`; returns what it printed on standard error.</summary>
    private static string RunKubectl(string kubeconfig, params string[] flags)
    {
        var start = new ProcessStartInfo(Kubectl.Path ?? throw new InvalidOperationException(Kubectl.UnavailableReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in new[] { "--kubeconfig", kubeconfig, "get", "--raw", "/api" }.Concat(flags))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KUBECONFIG"] = kubeconfig;
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        _ = stdout.Result;
        return stderr;
    }

    private static List<string> Sorted(IEnumerable<string> lines) =>
        lines.Select((line, index) => (line, index)).OrderBy(l => l.line.Split(':')[0], StringComparer.Ordinal).ThenBy(l => l.index).Select(l => l.line).ToList();

    private sealed class SequenceComparer : IEqualityComparer<IReadOnlyList<string>>
    {
        public bool Equals(IReadOnlyList<string>? x, IReadOnlyList<string>? y) => x!.SequenceEqual(y!);

        public int GetHashCode(IReadOnlyList<string> obj) => obj.Count;
    }
}
