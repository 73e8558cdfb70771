using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Authorization;

public sealed class AuthorizationHelpTests : IDisposable
{
    private readonly PsSession session = new();

    public static TheoryData<string> Cmdlets() => new()
    {
        "Grant-K8sRole", "Revoke-K8sRole", "New-K8sRole", "New-K8sClusterRole", "New-K8sPolicyRule", "Get-K8sRole", "Get-K8sRoleBinding",
        "Test-K8sAccess", "Get-K8sEffectivePermission", "Find-K8sSubject", "Get-K8sAccessMatrix", "Find-K8sRbacRisk",
        "New-K8sServiceAccount", "Get-K8sServiceAccount", "Set-K8sWorkloadServiceAccount", "New-K8sServiceAccountToken", "New-K8sRegistrySecret",
    };

    [Theory]
    [MemberData(nameof(Cmdlets))]
    public void HelpHasSynopsisDescriptionExamplesAndEveryParameter(string name)
    {
        var result = session.Invoke(
            """
            $help = Get-Help $args[0] -Full
            $common = [System.Management.Automation.Cmdlet]::CommonParameters + [System.Management.Automation.Cmdlet]::OptionalCommonParameters
            $real = (Get-Command $args[0]).Parameters.Keys | Where-Object { $common -notcontains $_ }
            $documented = @($help.parameters.parameter | ForEach-Object { $_.name })
            [pscustomobject]@{
                Synopsis = "$($help.Synopsis)".Trim()
                Description = ($help.description | ForEach-Object { $_.Text }) -join ' '
                Examples = @($help.examples.example).Count
                Real = (@($real) | ForEach-Object { $_ }) -join ','
                Documented = ($documented | ForEach-Object { $_ }) -join ','
                Undescribed = (@($help.parameters.parameter | Where-Object { -not (($_.description | ForEach-Object { $_.Text }) -join '') } | ForEach-Object { $_.name })) -join ','
            }
            """, name).AssertNoErrors();
        var help = Assert.Single(result.Output);
        string synopsis = (string)help.Properties["Synopsis"].Value;
        Assert.False(string.IsNullOrWhiteSpace(synopsis));
        Assert.NotEqual(name, synopsis);
        Assert.True(((string)help.Properties["Description"].Value).Length > 40);
        Assert.True((int)help.Properties["Examples"].Value >= 2);
        Assert.Equal(
            ((string)help.Properties["Real"].Value).Split(',').Order(StringComparer.Ordinal),
            ((string)help.Properties["Documented"].Value).Split(',').Order(StringComparer.Ordinal));
        Assert.Equal(string.Empty, help.Properties["Undescribed"].Value);
    }

    public void Dispose() => session.Dispose();
}
