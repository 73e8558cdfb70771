using System.Diagnostics;
using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Identity;

/// <summary>Ctrl+C (StopProcessing) ends a -Wait loop through its CancellationToken, not by running into the timeout.</summary>
public sealed class WaitCancellationTests : IClassFixture<IdentityServerFixture>
{
    private readonly IdentityServerFixture fixture;

    public WaitCancellationTests(IdentityServerFixture fixture)
    {
        this.fixture = fixture;
    }

    [Fact]
    public void StoppingThePipelineCancelsTheWaitForTheSigner()
    {
        string directory = TestPaths.NewTempDirectory();
        string name = "stop-" + Guid.NewGuid().ToString("N")[..8];
        using var session = new PsSession();
        using var ps = session.CreatePowerShell();

        // Nobody approves the request, so only stopping (or the 300 s timeout) can end the wait.
        ps.AddScript("New-K8sUserCertificate -UserName stanley -Submit -Wait -Timeout 300 -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256 -Kubeconfig $args[2]")
            .AddArgument(name).AddArgument(directory).AddArgument(fixture.AdminKubeconfig);
        var running = ps.BeginInvoke();
        var waitingSince = Stopwatch.StartNew();
        while (fixture.Server.Store.Get("certificates.k8s.io/v1", "CertificateSigningRequest", null, name) is null
               && !running.IsCompleted && waitingSince.Elapsed < TimeSpan.FromSeconds(60))
        {
            Thread.Sleep(50);
        }

        // (No stream contents in this message: enumerating a running pipeline's PSDataCollection blocks until it ends.)
        Assert.False(running.IsCompleted, "the command ended before it was stopped");
        Thread.Sleep(TimeSpan.FromSeconds(1)); // now polling the request

        var stopping = Stopwatch.StartNew();
        ps.Stop();
        Assert.True(running.AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(30)), "the pipeline did not stop");
        Assert.True(PSInvocationState.Stopped == ps.InvocationStateInfo.State, $"{ps.InvocationStateInfo.State} after {stopping.Elapsed}: {string.Join("; ", ps.Streams.Error.Select(e => e.FullyQualifiedErrorId + " " + e))}");
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(20), $"stopping took {stopping.Elapsed}");
        Assert.DoesNotContain(ps.Streams.Error, e => e.FullyQualifiedErrorId.StartsWith("K8sTimeout", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(directory, "stanley.crt")));
    }
}
