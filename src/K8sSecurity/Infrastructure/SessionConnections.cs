using System.Collections.Concurrent;
using System.Management.Automation.Runspaces;
using K8sSecurity.Engine.Connection;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// Session defaults set by Connect-K8sCluster, kept per runspace so parallel runspaces (ForEach-Object -Parallel,
/// runbooks) never share or overwrite each other's connection.
/// </summary>
internal static class SessionConnections
{
    private static readonly ConcurrentDictionary<Guid, SessionConnection> Connections = new();

    public static SessionConnection? Current =>
        Runspace.DefaultRunspace is { } runspace && Connections.TryGetValue(runspace.InstanceId, out var connection) ? connection : null;

    public static void Set(SessionConnection connection)
    {
        if (Runspace.DefaultRunspace is { } runspace)
        {
            if (Connections.TryGetValue(runspace.InstanceId, out var previous))
            {
                previous.Client.Dispose();
            }

            Connections[runspace.InstanceId] = connection;
        }
    }

    public static SessionConnection? Clear()
    {
        if (Runspace.DefaultRunspace is { } runspace && Connections.TryRemove(runspace.InstanceId, out var removed))
        {
            removed.Client.Dispose();
            return removed;
        }

        return null;
    }
}

internal sealed record SessionConnection(ConnectionRequest Request, ClusterClient Client, K8sConnection Connection);
