using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit;

namespace K8sSecurity.TestServer.Tests;

/// <summary>Proves the kubeconfig writers produce files a real client (kubectl) accepts.</summary>
public sealed class KubectlTests(ServerFixture f) : IClassFixture<ServerFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("k8ssec-kubeconfig-").FullName;

    internal static string? Kubectl =>
        new[] { "/usr/local/bin/kubectl", "/usr/bin/kubectl" }.FirstOrDefault(File.Exists);

    /// <summary>kubectl with only this kubeconfig (no $KUBECONFIG, HOME beside it); shared by the kubectl-driven tests.</summary>
    internal static async Task<(int Exit, string Out, string Err)> RunAsync(string kubeconfig, params string[] args)
    {
        var psi = new ProcessStartInfo(Kubectl!) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--kubeconfig");
        psi.ArgumentList.Add(kubeconfig);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = Path.GetDirectoryName(kubeconfig);
        psi.Environment.Remove("KUBECONFIG");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [KubectlFact]
    public async Task Kubectl_accepts_the_client_certificate_kubeconfig()
    {
        var path = f.Server.WriteKubeconfig(Path.Combine(_dir, "admin.yaml"));
        var (exit, stdout, stderr) = await RunAsync(path, "get", "namespaces", "-o", "json");
        Assert.True(exit == 0, stderr);
        var list = JsonNode.Parse(stdout)!;
        Assert.Equal("List", list["kind"]!.GetValue<string>());
        Assert.Contains(list["items"]!.AsArray(), n => n!["metadata"]!["name"]!.GetValue<string>() == "kube-system");

        var who = await RunAsync(path, "auth", "whoami", "-o", "json");
        Assert.True(who.Exit == 0, who.Err);
        Assert.Equal("admin", JsonNode.Parse(who.Out)!["status"]!["userInfo"]!["username"]!.GetValue<string>());

        var can = await RunAsync(path, "auth", "can-i", "delete", "secrets", "-n", "kube-system");
        Assert.True(can.Exit == 0, can.Err);
        Assert.Equal("yes", can.Out.Trim());
    }

    [KubectlFact]
    public async Task Kubectl_can_i_reflects_rbac_for_a_limited_user_with_default_namespace()
    {
        var ns = f.NewNamespace("kc");
        f.Server.Store.CreateJson($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"RoleBinding","metadata":{"name":"viewer","namespace":"{{{ns}}}"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"view"},"subjects":[{"kind":"Group","name":"viewers","apiGroup":"rbac.authorization.k8s.io"}]}""");
        var path = f.Server.WriteKubeconfig(Path.Combine(_dir, "viewer.yaml"), "victor", ["viewers"], "viewer", ns);
        var list = await RunAsync(path, "auth", "can-i", "list", "pods");
        Assert.Equal("yes", list.Out.Trim());
        var del = await RunAsync(path, "auth", "can-i", "delete", "pods");
        Assert.Equal(1, del.Exit);
        Assert.Equal("no", del.Out.Trim());
        var other = await RunAsync(path, "auth", "can-i", "list", "pods", "-n", "default");
        Assert.Equal("no", other.Out.Trim());
        var get = await RunAsync(path, "get", "pods", "-o", "json");
        Assert.True(get.Exit == 0, get.Err);
        var forbidden = await RunAsync(path, "get", "secrets");
        Assert.NotEqual(0, forbidden.Exit);
        Assert.Contains("forbidden", forbidden.Err, StringComparison.Ordinal);
    }

    [KubectlFact]
    public async Task Kubectl_accepts_token_and_exec_kubeconfigs()
    {
        var token = f.Server.AddToken("tina", "tokens");
        var tokenPath = f.Server.WriteTokenKubeconfig(Path.Combine(_dir, "token.yaml"), token);
        var who = await RunAsync(tokenPath, "auth", "whoami", "-o", "json");
        Assert.True(who.Exit == 0, who.Err);
        Assert.Equal("tina", JsonNode.Parse(who.Out)!["status"]!["userInfo"]!["username"]!.GetValue<string>());

        var execPath = f.Server.WriteExecKubeconfig(Path.Combine(_dir, "exec.yaml"), token);
        var execWho = await RunAsync(execPath, "auth", "whoami", "-o", "json");
        Assert.True(execWho.Exit == 0, execWho.Err);
        Assert.Equal("tina", JsonNode.Parse(execWho.Out)!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        var scriptWho = await RunAsync(f.Server.WriteExecScriptKubeconfig(Path.Combine(_dir, "exec-script.yaml"), token), "auth", "whoami", "-o", "json");
        Assert.True(scriptWho.Exit == 0, scriptWho.Err);
        Assert.Equal("tina", JsonNode.Parse(scriptWho.Out)!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        var text = await File.ReadAllTextAsync(execPath);
        Assert.Contains("client.authentication.k8s.io/v1", text, StringComparison.Ordinal);
        Assert.Contains("interactiveMode: Never", text, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A fact that is skipped, with the reason, when kubectl is not installed.</summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (KubectlTests.Kubectl is null)
        {
            Skip = "kubectl is not installed (looked in /usr/local/bin and /usr/bin)";
        }
    }
}
