using System.Diagnostics;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>
/// Issue 16 item 4: files a pull request can plant. Each one is a clear error naming the file, never a crash, a hang,
/// unbounded memory or a pass, and the files after it are still scanned. Every input is generated here.
/// </summary>
public sealed class HostileManifestInputTests : IDisposable
{
    private const string GoodPod = "apiVersion: v1\nkind: Pod\nmetadata: {name: good, namespace: team}\nspec: {containers: [{name: c, image: registry.example.com/c:1}]}\n";

    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    [Fact]
    public void DeepNestingIsAnErrorForThatFileAndTheNextFileIsScanned()
    {
        Write("a-brackets.yaml", new string('[', 20_000));
        Write("b-mapping.yaml", string.Concat(Enumerable.Range(0, 1_000).Select(i => new string(' ', i) + "k:\n")));
        Write("c-good.yaml", GoodPod);

        var scan = Scan();
        Assert.Equal(["good"], Names(scan));
        Assert.Contains(scan.Errors, e => e.Exception.Message.Contains("a-brackets.yaml", StringComparison.Ordinal));
        Assert.Contains(scan.Errors, e => e.Exception.Message.Contains("b-mapping.yaml", StringComparison.Ordinal));
        AssertGateFails();
    }

    [Fact]
    public void DirectoryLinksAreFollowedOnceAndDeviceLinksAreNotRead()
    {
        Write("sub/pod.yaml", GoodPod);
        Directory.CreateSymbolicLink(Path.Combine(directory, "sub", "loop"), "..");
        Directory.CreateSymbolicLink(Path.Combine(directory, "self"), ".");
        File.CreateSymbolicLink(Path.Combine(directory, "zero.yaml"), "/dev/zero");
        File.CreateSymbolicLink(Path.Combine(directory, "random.yaml"), "/dev/urandom");

        var scan = Scan();
        Assert.Equal(["good"], Names(scan)); // once, not once per path that reaches it
        Assert.Contains(scan.Errors, e => e.Exception.Message.Contains("zero.yaml", StringComparison.Ordinal));
        Assert.Contains(scan.Errors, e => e.Exception.Message.Contains("random.yaml", StringComparison.Ordinal));
        AssertGateFails();
    }

    [Fact]
    public async Task AFifoNamedLikeAManifestIsAnErrorNotAHang()
    {
        Write("a-good.yaml", GoodPod);
        using (var mkfifo = Process.Start("mkfifo", Path.Combine(directory, "pipe.yaml")))
        {
            mkfifo.WaitForExit();
            Assert.Equal(0, mkfifo.ExitCode);
        }

        var scan = await Task.Run(Scan).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(["good"], Names(scan));
        Assert.Contains(scan.Errors, e => e.Exception.Message.Contains("pipe.yaml", StringComparison.Ordinal));
    }

    [Fact]
    public void AFileLargerThanMaxFileSizeIsAnError()
    {
        Write("big.yaml", GoodPod + "# " + new string('x', 4_000) + "\n");
        Write("small.yaml", GoodPod.Replace("name: good", "name: small", StringComparison.Ordinal));

        var scan = session.Invoke("Test-K8sPodSecurity -Path $args[0] -MaxFileSize 1000", directory);
        Assert.Equal(["small"], Names(scan));
        var error = Assert.Single(scan.Errors);
        Assert.Contains("big.yaml", error.Exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("metadata: {name: 42, namespace: team}\nspec: {containers: [{name: c, image: registry.example.com/c:1}]}\n")]
    [InlineData("metadata: {name: wrong, namespace: team}\nspec: \"x\"\n")]
    [InlineData("metadata: [not, a, mapping]\nspec: {containers: [{name: c, image: registry.example.com/c:1}]}\n")]
    [InlineData("metadata: {name: wrong, namespace: team}\nspec: {containers: \"x\"}\n")]
    [InlineData("metadata: {name: wrong, namespace: team}\nspec: {containers: [{name: c, image: registry.example.com/c:1, securityContext: {privileged: \"true\"}}]}\n")]
    [InlineData("metadata: {name: wrong, namespace: team}\nspec: {securityContext: {runAsUser: \"0\"}, containers: [{name: c, image: registry.example.com/c:1}]}\n")]
    public void AnObjectTheApiServerWouldRefuseIsAnErrorNotCompliant(string body)
    {
        Write("a-wrong.yaml", "apiVersion: v1\nkind: Pod\n" + body);
        Write("b-good.yaml", GoodPod);

        var scan = Scan();
        Assert.Equal(["good"], Names(scan));
        var error = Assert.Single(scan.Errors);
        Assert.Contains("a-wrong.yaml", error.Exception.Message, StringComparison.Ordinal);
        AssertGateFails();
    }

    [Fact]
    public void TypedFieldsOfTheRightTypeStillScan()
    {
        Write("typed.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: typed, namespace: team}\nspec:\n  hostNetwork: false\n  securityContext: {runAsUser: 10001, runAsNonRoot: true, fsGroup: 2000, seccompProfile: {type: RuntimeDefault}}\n  containers:\n  - name: c\n    image: registry.example.com/c:1\n    securityContext: {privileged: false, runAsUser: 0, capabilities: {drop: [ALL]}}\n");

        var scan = Scan().AssertNoErrors();
        var typed = Assert.Single(scan.Output);
        Assert.Equal(true, typed.Properties["Compliant"].Value); // Baseline: runAsUser 0 is a Restricted matter
    }

    [Fact]
    public void ADeploymentWithATemplateOfTheWrongTypeIsAnError()
    {
        Write("a-wrong.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: wrong, namespace: team}\nspec: {template: \"x\"}\n");
        Write("b-list.yaml", "apiVersion: v1\nkind: List\nitems:\n- 42\n- " + "{apiVersion: v1, kind: Pod, metadata: {name: listed, namespace: team}, spec: {containers: [{name: c, image: registry.example.com/c:1}]}}\n");
        Write("c-good.yaml", GoodPod);

        var scan = Scan();
        Assert.DoesNotContain("wrong", Names(scan));
        Assert.Contains("good", Names(scan));
        Assert.Contains(scan.Errors, e => e.Exception.Message.Contains("a-wrong.yaml", StringComparison.Ordinal));
        Assert.Contains(scan.Errors, e => e.Exception.Message.Contains("b-list.yaml", StringComparison.Ordinal));
        AssertGateFails();
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private PsResult Scan() => session.Invoke("Test-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", directory);

    private static string[] Names(PsResult result) => result.Output.Select(o => (string)o.Properties["Name"].Value).Order(StringComparer.Ordinal).ToArray();

    private void AssertGateFails()
    {
        var gate = session.Invoke("Assert-K8sPodSecurity -Path $args[0] -Level Baseline -Profile PodSecurityStandards", directory);
        Assert.NotNull(gate.TerminatingError);
    }

    private void Write(string relative, string text)
    {
        string path = Path.Combine(directory, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }
}
