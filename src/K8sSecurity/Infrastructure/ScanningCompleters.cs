using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Infrastructure;

/// <summary>Completes -Version with latest and v1.0 … v1.36, newest first.</summary>
public sealed class PssVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        PssVersion.AcceptedValues.Reverse()
            .Where(v => v.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, v == "latest" ? $"latest (= {PssVersion.Latest})" : v));
}

/// <summary>Completes -ExcludeCheck with every check id and title.</summary>
public sealed class CheckIdCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        WorkloadScanner.AllDefinitions
            .Where(d => d.Id.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(d => new CompletionResult(d.Id, d.Id, CompletionResultType.ParameterValue, $"{d.Title} ({d.Severity})"));
}
