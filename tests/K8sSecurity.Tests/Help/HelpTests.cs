using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Help;

/// <summary>Every exported cmdlet has complete help, read through Get-Help on the real engine from the built MAML.</summary>
public sealed class HelpTests : IDisposable
{
    private static readonly HashSet<string> CommonParameters = new(StringComparer.OrdinalIgnoreCase)
    {
        "Verbose", "Debug", "ErrorAction", "WarningAction", "InformationAction", "ProgressAction", "ErrorVariable",
        "WarningVariable", "InformationVariable", "OutVariable", "OutBuffer", "PipelineVariable", "WhatIf", "Confirm",
    };

    private readonly PsSession session = new();

    public static TheoryData<string> ExportedCmdlets()
    {
        using var session = new PsSession();
        var data = new TheoryData<string>();
        foreach (var name in session.Invoke("(Get-Module K8sSecurity).ExportedCmdlets.Keys").AssertNoErrors().Output)
        {
            data.Add(name.ToString());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(ExportedCmdlets))]
    public void CmdletHasCompleteHelp(string cmdlet)
    {
        var help = Assert.Single(session.Invoke("Get-Help $args[0] -Full", cmdlet).AssertNoErrors().Output);

        string synopsis = help.Properties["Synopsis"].Value?.ToString()?.Trim() ?? string.Empty;
        Assert.False(string.IsNullOrWhiteSpace(synopsis), $"{cmdlet}: no synopsis");
        Assert.DoesNotContain(cmdlet + " ", synopsis); // the engine's fallback synopsis is the syntax line

        string description = Text(help.Properties["description"]?.Value);
        Assert.False(string.IsNullOrWhiteSpace(description), $"{cmdlet}: no description");

        var examples = Items(Property(help, "examples"), "example");
        Assert.True(examples.Count >= 2, $"{cmdlet}: {examples.Count} examples, need at least 2");
        foreach (var example in examples)
        {
            Assert.False(string.IsNullOrWhiteSpace(example.Properties["code"]?.Value?.ToString()), $"{cmdlet}: an example has no code");
        }

        var documented = Items(Property(help, "parameters"), "parameter")
            .ToDictionary(p => p.Properties["name"].Value.ToString()!, p => Text(p.Properties["description"]?.Value), StringComparer.OrdinalIgnoreCase);
        var actual = session.Invoke("(Get-Command $args[0]).Parameters.Keys", cmdlet).AssertNoErrors().Output
            .Select(o => o.ToString()).Where(p => !CommonParameters.Contains(p)).ToList();

        Assert.Equal(actual.Order(StringComparer.OrdinalIgnoreCase), documented.Keys.Order(StringComparer.OrdinalIgnoreCase));
        foreach (var (name, text) in documented)
        {
            Assert.False(string.IsNullOrWhiteSpace(text), $"{cmdlet}: parameter -{name} has no description");
        }
    }

    [Fact]
    public void AboutTopicIsInstalled()
    {
        var result = session.Invoke("Get-Help about_K8sSecurity").AssertNoErrors();
        Assert.Contains("LONG DESCRIPTION", string.Join("\n", result.Output.Select(o => o.ToString())));
    }

    public void Dispose() => session.Dispose();

    private static object? Property(PSObject help, string name) => help.Properties[name]?.Value;

    private static List<PSObject> Items(object? container, string name)
    {
        if (container is not PSObject obj || obj.Properties[name]?.Value is not { } value)
        {
            return new List<PSObject>();
        }

        return value is object[] array ? array.Select(PSObject.AsPSObject).ToList() : new List<PSObject> { PSObject.AsPSObject(value) };
    }

    // MAML descriptions arrive as arrays of paragraph objects with a Text property.
    private static string Text(object? value) => value switch
    {
        null => string.Empty,
        object[] array => string.Join("\n", array.Select(Text)),
        PSObject { BaseObject: not PSCustomObject } p when p.BaseObject is string s => s,
        PSObject p => p.Properties["Text"]?.Value?.ToString() ?? p.ToString(),
        _ => value.ToString() ?? string.Empty,
    };
}
