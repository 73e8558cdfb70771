using K8sSecurity.Engine.Connection;

namespace K8sSecurity.Engine.Identity;

/// <summary>
/// One user entry of a kubeconfig file: how it authenticates and, for client certificates, who the certificate
/// says it is and when it expires. Never carries tokens or keys.
/// </summary>
public sealed class KubeconfigUser
{
    /// <summary>The user entry's name in the kubeconfig.</summary>
    public required string Name { get; init; }

    public required string KubeconfigPath { get; init; }

    /// <summary>Contexts that use this user.</summary>
    public IReadOnlyList<string> Contexts { get; init; } = Array.Empty<string>();

    /// <summary>The cluster of the first context that uses this user.</summary>
    public string? Cluster { get; init; }

    public string? Server { get; init; }

    public string? Namespace { get; init; }

    /// <summary>True when the file's current-context uses this user.</summary>
    public bool IsCurrent { get; init; }

    public K8sAuthKind AuthKind { get; init; }

    public string? ExecCommand { get; init; }

    /// <summary>
    /// The user requests made with this entry act as (its <c>as</c>, like kubectl --as): the server authenticates the
    /// entry's credentials, checks that they may impersonate, then answers as this user. Null when it impersonates nobody.
    /// </summary>
    public string? ImpersonateUser { get; init; }

    /// <summary>The entry's <c>as-uid</c> (kubectl --as-uid).</summary>
    public string? ImpersonateUid { get; init; }

    /// <summary>The entry's <c>as-groups</c> (kubectl --as-group).</summary>
    public IReadOnlyList<string> ImpersonateGroups { get; init; } = Array.Empty<string>();

    /// <summary>The entry's <c>as-user-extra</c>, one "key=value" per value.</summary>
    public IReadOnlyList<string> ImpersonateUserExtra { get; init; } = Array.Empty<string>();

    /// <summary>"embedded" for client-certificate-data, else the certificate file path.</summary>
    public string? CertificateSource { get; init; }

    /// <summary>The user name the API server will see (certificate CN).</summary>
    public string? SubjectUser { get; init; }

    /// <summary>The groups the API server will see (certificate O values).</summary>
    public IReadOnlyList<string> SubjectGroups { get; init; } = Array.Empty<string>();

    public string? Issuer { get; init; }

    public DateTimeOffset? NotBefore { get; init; }

    public DateTimeOffset? NotAfter { get; init; }

    public int? DaysRemaining => NotAfter is { } notAfter ? (int)Math.Floor((notAfter - DateTimeOffset.UtcNow).TotalDays) : null;

    public string? Thumbprint { get; init; }

    /// <summary>What is wrong with the entry (unreadable certificate, missing file), when something is.</summary>
    public string? Problem { get; init; }

    public override string ToString() => $"{Name} ({AuthKind}) in {KubeconfigPath}";
}
