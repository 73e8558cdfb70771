namespace K8sSecurity.Engine.Connection;

/// <summary>Which cluster to talk to. Unset fields follow kubectl's defaults.</summary>
public sealed record ConnectionRequest
{
    /// <summary>An explicit kubeconfig file (like kubectl --kubeconfig); null means $KUBECONFIG, then ~/.kube/config, then in-cluster.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>A context name; null means the kubeconfig's current-context.</summary>
    public string? Context { get; init; }

    /// <summary>Overrides the context's namespace as the default for namespaced commands.</summary>
    public string? Namespace { get; init; }
}
