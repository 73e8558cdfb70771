using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Engine.Tests.Manifests;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>
/// kubectl is the oracle for kubeconfig decoding: for every file of <see cref="KubeconfigCorpus"/>,
/// `kubectl config view --kubeconfig F -o json --raw` (no server needed) either prints its view of the file or refuses
/// it. The module's readers (KubeconfigSet for Get-K8sContext and connections, KubeconfigInspector for
/// Get-K8sKubeconfig and Get-K8sCertificate) must show the same contexts, clusters, users, servers,
/// insecure-skip-tls-verify, namespaces, current context and auth kinds, and must refuse the same files with a
/// Configuration error that names the file and holds no secret. Without kubectl the test is skipped with the reason,
/// except under CI=true, where it fails.
/// </summary>
public sealed class KubeconfigKubectlDifferentialTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-kubeconfig-oracle").FullName;

    [KubectlFact]
    public void EveryReaderSeesWhatKubectlSeesAndRefusesWhatKubectlRefuses()
    {
        var disagreements = new List<string>();
        int accepted = 0, refused = 0;
        foreach (var (name, text) in KubeconfigCorpus.Cases())
        {
            string file = Path.Combine(directory, name + ".yaml");
            File.WriteAllText(file, text, new UTF8Encoding(false));
            var (view, error) = KubectlView(file);
            if (error is not null)
            {
                refused++;
                disagreements.AddRange(CompareRefusal(name, file, error));
            }
            else
            {
                accepted++;
                disagreements.AddRange(CompareView(name, file, view!));
            }
        }

        Assert.True(disagreements.Count == 0, $"{disagreements.Count} disagreements with kubectl:\n" + string.Join("\n", disagreements));
        Assert.True(accepted > 100 && refused > 60, $"the corpus must exercise both outcomes: {accepted} accepted, {refused} refused");
    }

    /// <summary>Rows the task is about, pinned so that a corpus change cannot drop them silently.</summary>
    [KubectlTheory]
    [InlineData("yes", true)]
    [InlineData("on", true)]
    [InlineData("True", true)]
    [InlineData("y", true)]
    [InlineData("off", false)]
    [InlineData("no", false)]
    public void InsecureSkipTlsVerifySpellingsReadAsKubectlReadsThem(string spelling, bool expected)
    {
        string file = Path.Combine(directory, "insecure.yaml");
        File.WriteAllText(file, KubeconfigCorpus.Standard(insecure: spelling));
        var (view, error) = KubectlView(file);
        Assert.Null(error);
        Assert.Equal(expected, view!["clusters"]![0]!["cluster"]!["insecure-skip-tls-verify"]?.GetValue<bool>() ?? false);
        Assert.Equal(expected, Assert.Single(KubeconfigSet.Load(file).Describe()).InsecureSkipTlsVerify);
    }

    [KubectlTheory]
    [InlineData("\"true\"")]
    [InlineData("'yes'")]
    [InlineData("1")]
    public void AQuotedOrNumericInsecureFlagIsRefusedLikeKubectl(string spelling)
    {
        string file = Path.Combine(directory, "insecure.yaml");
        File.WriteAllText(file, KubeconfigCorpus.Standard(insecure: spelling));
        var (_, error) = KubectlView(file);
        Assert.NotNull(error);
        var ex = Assert.Throws<K8sOperationException>(() => KubeconfigSet.Load(file));
        Assert.Equal(K8sErrorKind.Configuration, ex.Kind);
        Assert.Contains(Trim(error!, file), ex.Message);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    // kubectl's text after the file name, without the part that dumps entry values (it can hold tokens).
    private static string Trim(string error, string file)
    {
        string prefix = $"error: error loading config file \"{file}\": ";
        string reason = error.StartsWith(prefix, StringComparison.Ordinal) ? error[prefix.Length..] : error;
        foreach (string cut in new[] { " in list: ", " in scheme " })
        {
            int at = reason.IndexOf(cut, StringComparison.Ordinal);
            if (at >= 0)
            {
                reason = reason[..at] + cut.TrimEnd(' ', ':');
            }
        }

        return reason.Trim();
    }

    private static IEnumerable<string> CompareRefusal(string name, string file, string kubectlError)
    {
        string expected = Trim(kubectlError, file);
        var readers = new (string Reader, Action Read)[]
        {
            ("KubeconfigSet", () => KubeconfigSet.Load(file)),
            ("Inspect", () => KubeconfigInspector.Inspect(file)),
            ("Certificates", () => KubeconfigInspector.Certificates(file).ToList()),
        };
        foreach (var (reader, read) in readers)
        {
            K8sOperationException? caught = null;
            try
            {
                read();
            }
            catch (K8sOperationException ex)
            {
                caught = ex;
            }

            if (caught is null)
            {
                yield return $"{name}: kubectl refuses ({expected}) but {reader} read the file";
                continue;
            }

            if (caught.Kind != K8sErrorKind.Configuration || !caught.Message.Contains(file, StringComparison.Ordinal))
            {
                yield return $"{name}: {reader} error is {caught.Kind} or does not name the file: {caught.Message}";
            }

            // The decoder steps after YAML produce kubectl's own wording; YAML syntax errors are worded by the parser.
            if (!expected.StartsWith("yaml:", StringComparison.Ordinal) && !caught.Message.Contains(expected, StringComparison.Ordinal))
            {
                yield return $"{name}: {reader} says \"{caught.Message}\", kubectl says \"{expected}\"";
            }

            if (caught.Message.Contains(KubeconfigCorpus.Token, StringComparison.Ordinal) || caught.Message.Contains(KubeconfigCorpus.Password, StringComparison.Ordinal))
            {
                yield return $"{name}: {reader} error holds a secret from the file";
            }
        }
    }

    private static IEnumerable<string> CompareView(string name, string file, JsonObject view)
    {
        KubeconfigSet set;
        IReadOnlyList<KubeconfigUser> users;
        try
        {
            set = KubeconfigSet.Load(file);
            users = KubeconfigInspector.Inspect(file);
            _ = KubeconfigInspector.Certificates(file).ToList();
        }
        catch (K8sOperationException ex)
        {
            return new[] { $"{name}: kubectl reads the file, the module refuses it: {ex.Message}" };
        }

        var problems = new List<string>();
        void Expect<T>(string what, T expected, T actual)
        {
            if (!EqualityComparer<T>.Default.Equals(expected, actual))
            {
                problems.Add($"{name}: {what}: kubectl {Show(expected)}, module {Show(actual)}");
            }
        }

        var clusters = Entries(view, "clusters", "cluster");
        var kubectlUsers = Entries(view, "users", "user");
        var contexts = Entries(view, "contexts", "context");
        string current = view["current-context"]?.GetValue<string>() ?? string.Empty;

        Expect("current context", current, set.Merged.CurrentContext ?? string.Empty);
        Expect("clusters", string.Join(",", clusters.Keys.Order(StringComparer.Ordinal)), string.Join(",", set.Merged.Clusters.Select(c => c.Name).Order(StringComparer.Ordinal)));
        Expect("users", string.Join(",", kubectlUsers.Keys.Order(StringComparer.Ordinal)), string.Join(",", set.Merged.Users.Select(c => c.Name).Order(StringComparer.Ordinal)));
        Expect("contexts", string.Join(",", contexts.Keys.Order(StringComparer.Ordinal)), string.Join(",", set.Merged.Contexts.Select(c => c.Name).Order(StringComparer.Ordinal)));

        foreach (var cluster in set.Merged.Clusters)
        {
            if (!clusters.TryGetValue(cluster.Name, out var body))
            {
                continue;
            }

            Expect($"cluster {cluster.Name} server", Str(body, "server"), cluster.ClusterEndpoint?.Server ?? string.Empty);
            Expect($"cluster {cluster.Name} insecure-skip-tls-verify", Bool(body, "insecure-skip-tls-verify"), cluster.ClusterEndpoint?.SkipTlsVerify ?? false);
            Expect($"cluster {cluster.Name} certificate-authority-data", Str(body, "certificate-authority-data"), cluster.ClusterEndpoint?.CertificateAuthorityData ?? string.Empty);
            Expect($"cluster {cluster.Name} proxy-url", Str(body, "proxy-url"), set.ProxyUrlOf(cluster.Name) ?? string.Empty);
        }

        foreach (var user in set.Merged.Users)
        {
            if (!kubectlUsers.TryGetValue(user.Name, out var body))
            {
                continue;
            }

            Expect($"user {user.Name} token", Str(body, "token"), user.UserCredentials?.Token ?? string.Empty);
            Expect($"user {user.Name} client-certificate-data", Str(body, "client-certificate-data"), user.UserCredentials?.ClientCertificateData ?? string.Empty);
            Expect($"user {user.Name} exec command", (body["exec"] as JsonObject)?["command"]?.GetValue<string>(), user.UserCredentials?.ExternalExecution?.Command);
            Expect($"user {user.Name} interactiveMode", Str(body["exec"] as JsonObject, "interactiveMode"), set.InteractiveModeOf(user.Name) ?? string.Empty);
        }

        // Get-K8sContext's rows.
        foreach (var row in set.Describe())
        {
            if (!contexts.TryGetValue(row.Name, out var context))
            {
                continue;
            }

            string clusterName = Str(context, "cluster");
            string userName = Str(context, "user");
            clusters.TryGetValue(clusterName, out var cluster);
            kubectlUsers.TryGetValue(userName, out var user);
            Expect($"context {row.Name} cluster", clusterName, row.Cluster ?? string.Empty);
            Expect($"context {row.Name} user", userName, row.User ?? string.Empty);
            Expect($"context {row.Name} namespace", Str(context, "namespace"), row.Namespace ?? string.Empty);
            Expect($"context {row.Name} server", cluster is null ? string.Empty : Str(cluster, "server"), row.Server ?? string.Empty);
            Expect($"context {row.Name} insecure-skip-tls-verify", cluster is not null && Bool(cluster, "insecure-skip-tls-verify"), row.InsecureSkipTlsVerify);
            Expect($"context {row.Name} auth kind", AuthKind(user), row.AuthKind);
            Expect($"context {row.Name} is current", current.Length > 0 && row.Name == current, row.IsCurrent);
        }

        // Get-K8sKubeconfig's rows.
        Expect("Get-K8sKubeconfig users", string.Join(",", kubectlUsers.Keys.Order(StringComparer.Ordinal)), string.Join(",", users.Select(u => u.Name).Order(StringComparer.Ordinal)));
        foreach (var row in users)
        {
            if (!kubectlUsers.TryGetValue(row.Name, out var user))
            {
                continue;
            }

            var using_ = contexts.Where(c => Str(c.Value, "user") == row.Name).Select(c => c.Key).Order(StringComparer.Ordinal).ToArray();
            Expect($"Get-K8sKubeconfig {row.Name} auth kind", AuthKind(user), row.AuthKind);
            Expect($"Get-K8sKubeconfig {row.Name} contexts", string.Join(",", using_), string.Join(",", row.Contexts.Order(StringComparer.Ordinal)));
            Expect($"Get-K8sKubeconfig {row.Name} is current", current.Length > 0 && using_.Contains(current), row.IsCurrent);
        }

        return problems;
    }

    // kubectl prints no "auth kind": this is the module's rule (client-go's order of precedence) applied to kubectl's view.
    private static K8sAuthKind AuthKind(JsonObject? user)
    {
        if (user is null)
        {
            return K8sAuthKind.None;
        }

        if (user["exec"] is JsonObject)
        {
            return K8sAuthKind.Exec;
        }

        if (user["auth-provider"] is JsonObject)
        {
            return K8sAuthKind.AuthProvider;
        }

        if (Str(user, "client-certificate-data").Length > 0 || Str(user, "client-certificate").Length > 0)
        {
            return K8sAuthKind.ClientCertificate;
        }

        if (Str(user, "token").Length > 0)
        {
            return K8sAuthKind.Token;
        }

        if (Str(user, "tokenFile").Length > 0)
        {
            return K8sAuthKind.TokenFile;
        }

        return Str(user, "username").Length > 0 ? K8sAuthKind.Basic : K8sAuthKind.None;
    }

    private static Dictionary<string, JsonObject> Entries(JsonObject view, string section, string body)
    {
        var result = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        foreach (var item in view[section] as JsonArray ?? new JsonArray())
        {
            result[item!["name"]!.GetValue<string>()] = item[body] as JsonObject ?? new JsonObject();
        }

        return result;
    }

    private static string Str(JsonObject? obj, string key) => obj?[key]?.GetValue<string>() ?? string.Empty;

    private static bool Bool(JsonObject obj, string key) => obj[key]?.GetValue<bool>() ?? false;

    private static string Show<T>(T value) => value is null ? "(null)" : $"'{value}'";

    /// <summary>kubectl's view of one file, or the error it printed.</summary>
    internal static (JsonObject? View, string? Error) KubectlView(string file)
    {
        var start = new ProcessStartInfo(Kubectl.Path ?? throw new InvalidOperationException(Kubectl.UnavailableReason))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in new[] { "config", "view", "--kubeconfig", file, "-o", "json", "--raw" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["KUBECONFIG"] = Path.Combine(Path.GetDirectoryName(file)!, "no-such-kubeconfig");
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            return (null, stderr.Result.Trim());
        }

        return ((JsonObject)JsonNode.Parse(stdout)!, null);
    }
}
