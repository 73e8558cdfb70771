using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Identity;

/// <summary>Every Identity cmdlet's help, as Get-Help reads it from the built MAML.</summary>
public sealed class IdentityHelpTests : IDisposable
{
    private readonly PsSession session = new();

    public static TheoryData<string> Cmdlets() => new()
    {
        "New-K8sUserCertificate", "Get-K8sCertificateRequest", "Approve-K8sCertificateRequest", "Deny-K8sCertificateRequest",
        "Remove-K8sCertificateRequest", "Receive-K8sCertificate", "New-K8sKubeconfig", "Get-K8sKubeconfig",
        "New-K8sCertificateAuthority", "New-K8sCertificate", "Get-K8sCertificate", "Test-K8sCertificate",
    };

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void HelpHasSynopsisDescriptionExamplesAndDocumentsExactlyTheRealParameters(string name)
    {
        var help = Assert.Single(session.Invoke("Get-Help $args[0] -Full", name).AssertNoErrors().Output);
        Assert.False(string.IsNullOrWhiteSpace(help.Properties["Synopsis"].Value?.ToString()));
        Assert.DoesNotContain(name, help.Properties["Synopsis"].Value!.ToString()!.Split('\n')[0].Trim().Split(' ').Take(1)); // not the auto-generated syntax stub
        string description = session.Invoke("(Get-Help $args[0]).Description.Text -join ' '", name).AssertNoErrors().Output.Single().ToString();
        Assert.True(description.Length > 80, $"{name}: description too short");
        int examples = (int)session.Invoke("@((Get-Help $args[0]).Examples.Example).Count", name).AssertNoErrors().Output.Single().BaseObject;
        Assert.True(examples >= 2, $"{name}: {examples} examples");

        var documented = session.Invoke("(Get-Help $args[0]).Parameters.Parameter | ForEach-Object { \"$($_.Name)|$(($_.Description.Text -join ' ').Trim())\" }", name)
            .AssertNoErrors().Output.Select(o => o.ToString()!).ToList();
        foreach (string entry in documented)
        {
            Assert.False(entry.EndsWith('|'), $"{name}: parameter -{entry.TrimEnd('|')} has no description");
        }

        var real = session.Invoke(
            "(Get-Command $args[0]).Parameters.Keys | Where-Object { $_ -notin [System.Management.Automation.PSCmdlet]::CommonParameters -and $_ -notin [System.Management.Automation.PSCmdlet]::OptionalCommonParameters }",
            name).AssertNoErrors().Output.Select(o => o.ToString()!).Order().ToList();
        Assert.Equal(real, documented.Select(d => d.Split('|')[0]).Order().ToList());
    }

    public void Dispose() => session.Dispose();
}
