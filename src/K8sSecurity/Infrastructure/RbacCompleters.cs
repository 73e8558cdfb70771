using System.Collections;
using System.Collections.Concurrent;
using System.Management.Automation;
using System.Management.Automation.Language;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Infrastructure;

/// <summary>Completes -Verb with the API verbs and RBAC's special verbs.</summary>
public sealed class VerbCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionValues.Matching(ApiResources.Verbs, wordToComplete, v => v);
}

/// <summary>
/// Completes -Resource ("pods", "pods/log", "deployments.apps") from the cluster's discovery when the command's cluster
/// answers (cached for a few minutes), else from the built-in table of Kubernetes v1.32. With -Path the command is
/// offline, and so is the completion.
/// </summary>
public sealed class ResourceCompleter : IArgumentCompleter
{
    private static readonly ConcurrentDictionary<string, (DateTimeOffset At, IReadOnlyList<string> Names)> Discovered = new(StringComparer.Ordinal);

    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<string>? names = null;
        string origin = "built-in table (Kubernetes v1.32)";
        if (!fakeBoundParameters.Contains("Path"))
        {
            names = CompletionCluster.TryQuery(fakeBoundParameters, (cluster, ct) =>
            {
                string key = cluster.Server + "|" + cluster.Context.Name;
                if (Discovered.TryGetValue(key, out var cached) && DateTimeOffset.UtcNow - cached.At < TimeSpan.FromMinutes(5))
                {
                    return Task.FromResult(cached.Names);
                }

                return DiscoverAndCacheAsync(cluster, key, ct);
            });
            if (names is not null)
            {
                origin = "discovered";
            }
        }

        return CompletionValues.Matching(names ?? ApiResources.BuiltIn, wordToComplete, _ => origin);
    }

    private static async Task<IReadOnlyList<string>> DiscoverAndCacheAsync(ClusterClient cluster, string key, CancellationToken ct)
    {
        var names = await ApiResources.DiscoverAsync(cluster, ct).ConfigureAwait(false);
        Discovered[key] = (DateTimeOffset.UtcNow, names);
        return names;
    }
}

/// <summary>Completes -ClusterRole (and -AggregateTo) with the cluster's ClusterRoles, offline with the default admin, cluster-admin, edit, view.</summary>
public sealed class ClusterRoleCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = fakeBoundParameters.Contains("Path")
            ? null
            : CompletionCluster.TryQuery(fakeBoundParameters, (cluster, ct) => RoleNames.ListAsync(cluster, null, ct));
        return CompletionValues.Matching(names ?? RoleNames.DefaultClusterRoles, wordToComplete, n => $"ClusterRole {n}");
    }
}

/// <summary>Completes -Role with the Roles of -Namespace (or the context's namespace) when the cluster answers.</summary>
public sealed class RoleCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(
        string commandName, string parameterName, string wordToComplete, CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        var names = fakeBoundParameters.Contains("Path")
            ? null
            : CompletionCluster.TryQuery(fakeBoundParameters, (cluster, ct) =>
                RoleNames.ListAsync(cluster, fakeBoundParameters["Namespace"] as string ?? cluster.DefaultNamespace, ct));
        return CompletionValues.Matching(names ?? Array.Empty<string>(), wordToComplete, n => $"Role {n}");
    }
}

/// <summary>Completion values that match what was typed.</summary>
internal static class CompletionValues
{
    /// <summary>
    /// The values starting with the typed word (quotes ignored). When nothing matches a word that was typed, the word
    /// itself comes back, so PowerShell does not fall back to completing file names for a name that is not a path.
    /// </summary>
    public static IEnumerable<CompletionResult> Matching(IEnumerable<string> values, string wordToComplete, Func<string, string> tooltip)
    {
        string typed = wordToComplete.Trim('\'', '"');
        var results = values
            .Where(v => v.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(v => new CompletionResult(v, v, CompletionResultType.ParameterValue, tooltip(v)))
            .ToList();
        if (results.Count == 0 && wordToComplete.Length > 0)
        {
            results.Add(new CompletionResult(wordToComplete, wordToComplete, CompletionResultType.ParameterValue, "no match"));
        }

        return results;
    }
}

/// <summary>Asks the cluster a completion needs (the session's, or -Kubeconfig/-Context's), giving up quietly after five seconds (like the -Namespace completer).</summary>
internal static class CompletionCluster
{
    public static T? TryQuery<T>(IDictionary fakeBoundParameters, Func<ClusterClient, CancellationToken, Task<T>> query)
        where T : class
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var session = SessionConnections.Current;
            var kubeconfig = fakeBoundParameters["Kubeconfig"] as string;
            var context = fakeBoundParameters["Context"] as string;
            if (kubeconfig is null && context is null && session is not null)
            {
                return query(session.Client, timeout.Token).GetAwaiter().GetResult();
            }

            using var client = ClusterClient.Create(new ConnectionRequest { KubeconfigPath = kubeconfig, Context = context });
            return query(client, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is K8sOperationException or OperationCanceledException or HttpRequestException)
        {
            return null;
        }
    }
}
