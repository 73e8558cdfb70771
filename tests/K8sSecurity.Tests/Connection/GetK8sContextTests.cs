using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests;

public sealed class GetK8sContextTests : IDisposable
{
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Fact]
    public void ListsEveryContextWithAuthKindAndCurrentMarker()
    {
        string path = KubeconfigFiles.WriteSample(directory);
        var result = session.Invoke("Get-K8sContext -Kubeconfig $args[0]", path).AssertNoErrors();

        Assert.Equal(2, result.Output.Count);
        var dev = result.Output.Single(o => (string)o.Properties["Name"].Value == "dev");
        Assert.Equal(true, dev.Properties["IsCurrent"].Value);
        Assert.Equal("Token", dev.Properties["AuthKind"].Value.ToString());
        Assert.Equal("team-a", dev.Properties["Namespace"].Value);
        Assert.Equal("https://127.0.0.1:6443", dev.Properties["Server"].Value);
        var prod = result.Output.Single(o => (string)o.Properties["Name"].Value == "prod");
        Assert.Equal("Exec", prod.Properties["AuthKind"].Value.ToString());
        Assert.Equal("kubectl", prod.Properties["ExecCommand"].Value);
        Assert.Equal(path, prod.Properties["KubeconfigPath"].Value);
    }

    [Fact]
    public void MergesKubeconfigEnvironmentVariableByKubectlRules()
    {
        string first = KubeconfigFiles.WriteSample(directory, "first");
        string second = Path.Combine(directory, "second");
        File.WriteAllText(second, """
            apiVersion: v1
            kind: Config
            current-context: staging
            clusters:
            - name: dev-cluster
              cluster: { server: "https://shadowed.example.com" }
            - name: staging-cluster
              cluster: { server: "https://staging.example.com" }
            contexts:
            - name: dev
              context: { cluster: dev-cluster, user: nobody }
            - name: staging
              context: { cluster: staging-cluster, user: nobody }
            users:
            - name: nobody
              user: {}
            """);
        session.Invoke("$env:KUBECONFIG = $args[0]", first + Path.PathSeparator + second).AssertNoErrors();

        var result = session.Invoke("Get-K8sContext").AssertNoErrors();
        var names = result.Output.Select(o => (string)o.Properties["Name"].Value).ToList();
        Assert.Equal(new[] { "dev", "prod", "staging" }, names);
        var dev = result.Output.First();
        Assert.Equal("https://127.0.0.1:6443", dev.Properties["Server"].Value); // first file wins
        Assert.Equal(true, dev.Properties["IsCurrent"].Value); // first current-context wins
        var staging = result.Output.Last();
        Assert.Equal(second, staging.Properties["KubeconfigPath"].Value);
    }

    [Fact]
    public void FiltersByWildcardAndCurrent()
    {
        string path = KubeconfigFiles.WriteSample(directory);
        Assert.Equal("prod", Assert.Single(session.Invoke("Get-K8sContext -Kubeconfig $args[0] -Name pr*", path).AssertNoErrors().Output).Properties["Name"].Value);
        Assert.Equal("dev", Assert.Single(session.Invoke("Get-K8sContext -Kubeconfig $args[0] -Current", path).AssertNoErrors().Output).Properties["Name"].Value);
    }

    [Fact]
    public void MissingKubeconfigIsOneTerminatingErrorNamingTheFile()
    {
        string missing = Path.Combine(directory, "nope");
        var result = session.Invoke("Get-K8sContext -Kubeconfig $args[0]; 'after'", missing);
        Assert.NotNull(result.TerminatingError);
        Assert.StartsWith("K8sConfiguration,", result.TerminatingError!.FullyQualifiedErrorId);
        Assert.Equal(System.Management.Automation.ErrorCategory.ObjectNotFound, result.TerminatingError.CategoryInfo.Category);
        Assert.Contains(missing, result.TerminatingError.Exception.Message);
        Assert.Empty(result.Output); // 'after' never ran: the error terminated the script
    }

    [Fact]
    public void ContextCompleterOffersKubeconfigContexts()
    {
        string path = KubeconfigFiles.WriteSample(directory);
        var result = session.Invoke(
            "$line = \"Get-K8sContext -Kubeconfig '$($args[0])' -Name p\"; (TabExpansion2 -inputScript $line -cursorColumn $line.Length).CompletionMatches.CompletionText",
            path).AssertNoErrors();
        Assert.Equal("prod", Assert.Single(result.Output).ToString());
    }

    [Fact]
    public void DefaultViewRendersATableWithTheCurrentMarker()
    {
        string path = KubeconfigFiles.WriteSample(directory);
        string text = session.Render("Get-K8sContext -Kubeconfig $args[0]", path);
        Assert.Matches(@"Current\s+Name\s+Server\s+User\s+Namespace\s+AuthKind", text);
        Assert.Matches(@"\*\s+dev\s+https://127\.0\.0\.1:6443", text);
        Assert.DoesNotContain("K8sSecurity.Engine.Connection.K8sContextInfo", text);
    }

    public void Dispose() => session.Dispose();
}
