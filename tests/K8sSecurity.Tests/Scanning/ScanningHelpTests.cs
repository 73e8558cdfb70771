using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Scanning;

/// <summary>Get-Help of the Scanning cmdlets, read through the real engine from the staged MAML.</summary>
public sealed class ScanningHelpTests : IDisposable
{
    private static readonly string[] CommonParameters =
    {
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable", "WarningVariable",
        "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm",
    };

    private readonly PsSession session = new();

    [Theory]
    [InlineData("Test-K8sPodSecurity")]
    [InlineData("Assert-K8sPodSecurity")]
    [InlineData("Export-K8sSecurityReport")]
    public void HelpHasSynopsisDescriptionExamplesAndEveryRealParameter(string command)
    {
        var help = Assert.Single(session.Invoke("Get-Help $args[0] -Full", command).AssertNoErrors().Output);
        Assert.False(string.IsNullOrWhiteSpace(help.Properties["Synopsis"].Value?.ToString()));
        string description = session.Invoke("($args[0].description | ForEach-Object { $_.Text }) -join ' '", help).AssertNoErrors().Output[0].ToString();
        Assert.True(description.Length > 100, description);
        int examples = (int)session.Invoke("@($args[0].examples.example).Count", help).AssertNoErrors().Output[0].BaseObject;
        Assert.True(examples >= 2);

        var documented = session.Invoke("$args[0].parameters.parameter | ForEach-Object { \"$($_.name)=$(($_.description | ForEach-Object { $_.Text }) -join ' ')\" }", help)
            .AssertNoErrors().Output.Select(o => o.ToString()).ToDictionary(s => s[..s.IndexOf('=', StringComparison.Ordinal)], s => s[(s.IndexOf('=', StringComparison.Ordinal) + 1)..]);
        var real = session.Invoke("(Get-Command $args[0]).Parameters.Keys", command).AssertNoErrors().Output
            .Select(o => o.ToString()).Where(p => !CommonParameters.Contains(p)).Order().ToList();
        Assert.Equal(real, documented.Keys.Order().ToList());
        Assert.All(documented, p => Assert.False(string.IsNullOrWhiteSpace(p.Value), $"-{p.Key} has no description"));
    }

    [Fact]
    public void ExcludeCheckHelpListsEveryCheckIdWithItsSeverity()
    {
        string text = string.Join('\n', session.Invoke(
            "(Get-Help Test-K8sPodSecurity -Parameter ExcludeCheck).description | ForEach-Object { $_.Text }").AssertNoErrors().Output.Select(o => o.ToString()));
        var checks = session.Invoke("""
            # The engine lives in the module's private load context: reach its types through an output object.
            $result = 'apiVersion: v1', 'kind: Pod', 'metadata: {name: p}', 'spec: {containers: [{name: c, image: x}]}' | Test-K8sPodSecurity
            $scanner = $result.GetType().Assembly.GetType('K8sSecurity.Engine.Scanning.WorkloadScanner')
            $scanner::AllDefinitions | ForEach-Object { "$($_.Id)|$($_.Severity)" }
            """).AssertNoErrors().Output;
        Assert.Equal(35, checks.Count);
        foreach (string check in checks.Select(c => c.ToString()))
        {
            string[] parts = check.Split('|');
            // The markdown table arrives as one list item per id (Get-Help has no tables).
            Assert.Matches($"- {parts[0]}: [^\\n]*\\(Severity: {parts[1]};", text);
        }
    }

    public void Dispose() => session.Dispose();
}
