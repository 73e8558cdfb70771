namespace K8sSecurity.Engine.Connection;

/// <summary>A verified connection: who the server says we are and what it runs.</summary>
public sealed class K8sConnection
{
    public required string Context { get; init; }

    public string? Cluster { get; init; }

    public required string Server { get; init; }

    /// <summary>The authenticated user name as the server sees it (SelfSubjectReview), or the kubeconfig user when unavailable.</summary>
    public string? UserName { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = Array.Empty<string>();

    public required string Namespace { get; init; }

    public string? ServerVersion { get; init; }

    public K8sAuthKind AuthKind { get; init; }

    public string? KubeconfigPath { get; init; }

    public DateTimeOffset ConnectedAt { get; init; }

    public override string ToString() => $"{Context} ({Server})";
}
