namespace K8sSecurity.Engine.Connection;

/// <summary>One kubeconfig context, as Get-K8sContext lists it.</summary>
public sealed class K8sContextInfo
{
    public required string Name { get; init; }

    public string? Cluster { get; init; }

    public string? Server { get; init; }

    public string? User { get; init; }

    public string? Namespace { get; init; }

    public K8sAuthKind AuthKind { get; init; }

    /// <summary>For exec plugins, the command (e.g. kubelogin, aws); otherwise null.</summary>
    public string? ExecCommand { get; init; }

    public bool IsCurrent { get; init; }

    public bool InsecureSkipTlsVerify { get; init; }

    /// <summary>
    /// The user every request acts as (the kubeconfig user's <c>as</c>, like kubectl --as): the server authenticates
    /// <see cref="User"/>'s credentials, checks that they may impersonate, then answers as this user. Null when the
    /// context impersonates nobody.
    /// </summary>
    public string? ImpersonateUser { get; init; }

    /// <summary>The kubeconfig user's <c>as-uid</c> (kubectl --as-uid).</summary>
    public string? ImpersonateUid { get; init; }

    /// <summary>The kubeconfig user's <c>as-groups</c> (kubectl --as-group): the impersonated user's groups.</summary>
    public IReadOnlyList<string> ImpersonateGroups { get; init; } = Array.Empty<string>();

    /// <summary>The kubeconfig user's <c>as-user-extra</c>, one "key=value" per value.</summary>
    public IReadOnlyList<string> ImpersonateUserExtra { get; init; } = Array.Empty<string>();

    /// <summary>The kubeconfig file that defines this context.</summary>
    public string? KubeconfigPath { get; init; }

    public override string ToString() => Name;
}
