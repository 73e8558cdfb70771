namespace K8sSecurity.Engine.Connection;

/// <summary>Which cluster to talk to, and how. Unset fields follow kubectl's defaults.</summary>
public sealed record ConnectionRequest
{
    /// <summary>Connecting (TCP, proxy tunnel and TLS handshake) gives up after this long unless told otherwise.</summary>
    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(10);

    /// <summary>One request (sending it and reading the whole answer) gives up after this long unless told otherwise.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromSeconds(60);

    /// <summary>An explicit kubeconfig file (like kubectl --kubeconfig); null means $KUBECONFIG, then ~/.kube/config, then in-cluster.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>A context name; null means the kubeconfig's current-context.</summary>
    public string? Context { get; init; }

    /// <summary>Overrides the context's namespace as the default for namespaced commands.</summary>
    public string? Namespace { get; init; }

    /// <summary>Limit for establishing a connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = DefaultConnectTimeout;

    /// <summary>Limit for one request and its answer; <see cref="Timeout.InfiniteTimeSpan"/> for none.</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    /// <summary>How long an exec credential plugin may run before it is stopped with its child processes.</summary>
    public TimeSpan ExecPluginTimeout { get; init; } = ExecCredentialPlugin.DefaultTimeout;

    /// <summary>Send tokens and passwords to an http:// server (in clear text). Off: such a context is refused.</summary>
    public bool AllowUnencryptedAuthentication { get; init; }

    /// <summary>
    /// Like kubectl --as: the user every request acts as, in place of the kubeconfig user's <c>as</c> (its groups,
    /// uid and extra stay unless overridden too). Null or empty keeps the kubeconfig's.
    /// </summary>
    public string? ImpersonateUser { get; init; }

    /// <summary>Like kubectl --as-group: replaces the kubeconfig user's <c>as-groups</c> when not empty.</summary>
    public IReadOnlyList<string>? ImpersonateGroups { get; init; }

    /// <summary>Like kubectl --as-uid: replaces the kubeconfig user's <c>as-uid</c> when not empty.</summary>
    public string? ImpersonateUid { get; init; }
}
