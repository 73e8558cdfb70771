using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Infrastructure;

/// <summary>Completes -Context from the kubeconfig that -Kubeconfig (or kubectl's default) names.</summary>
public sealed class ContextCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string? kubeconfig = fakeBoundParameters["Kubeconfig"] as string;
        IEnumerable<K8sContextInfo> contexts;
        try
        {
            contexts = KubeconfigSet.Load(kubeconfig).Describe().ToList();
        }
        catch (K8sOperationException)
        {
            yield break;
        }

        foreach (var context in contexts)
        {
            if (context.Name.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase))
            {
                yield return new CompletionResult(
                    context.Name, context.Name, CompletionResultType.ParameterValue, $"{context.Name} → {context.Server}");
            }
        }
    }
}

/// <summary>Completes -Namespace by listing namespaces of the cluster the command would use.</summary>
public sealed class NamespaceCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<string> names;
        try
        {
            var session = SessionConnections.Current;
            var kubeconfig = fakeBoundParameters["Kubeconfig"] as string;
            var context = fakeBoundParameters["Context"] as string;
            if (kubeconfig is null && context is null && session is not null)
            {
                names = ClusterQueries.ListNamespaceNamesAsync(session.Client, CancellationToken.None).GetAwaiter().GetResult();
            }
            else
            {
                using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig, Context = context });
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                names = ClusterQueries.ListNamespaceNamesAsync(client, timeout.Token).GetAwaiter().GetResult();
            }
        }
        catch (Exception ex) when (ex is K8sOperationException or OperationCanceledException)
        {
            yield break;
        }

        foreach (string name in names)
        {
            if (name.StartsWith(wordToComplete, StringComparison.OrdinalIgnoreCase))
            {
                yield return new CompletionResult(name, name, CompletionResultType.ParameterValue, name);
            }
        }
    }
}

/// <summary>Completes -KubernetesVersion with the versions whose default RBAC policy the module holds, newest first.</summary>
public sealed class DefaultPolicyVersionCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        K8sSecurity.Engine.Authorization.DefaultRbacPolicy.SupportedVersions.Reverse()
            .Where(v => v.StartsWith(wordToComplete.Trim('\'', '"'), StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, $"default RBAC policy of Kubernetes {v}"));
}
