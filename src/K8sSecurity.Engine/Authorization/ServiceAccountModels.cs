using System.Security;

namespace K8sSecurity.Engine.Authorization;

/// <summary>What a create/set command did.</summary>
public enum ObjectChange
{
    Unchanged,
    Created,
    Updated,
}

/// <summary>A service account with what it can do, who uses it and its legacy long-lived token secrets.</summary>
public sealed class ServiceAccountInfo
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    /// <summary>automountServiceAccountToken; null = not set (Kubernetes then mounts the token).</summary>
    public bool? AutomountToken { get; init; }

    public IReadOnlyList<string> ImagePullSecrets { get; init; } = Array.Empty<string>();

    /// <summary>Bindings naming the account directly or through system:serviceaccounts[:namespace].</summary>
    public IReadOnlyList<RbacBindingRow> Bindings { get; init; } = Array.Empty<RbacBindingRow>();

    /// <summary>"Deployment/web", "CronJob/backup", "Pod/debug" (bare pods) running as this account.</summary>
    public IReadOnlyList<string> Workloads { get; init; } = Array.Empty<string>();

    /// <summary>kubernetes.io/service-account-token Secrets for this account: long-lived tokens that never expire.</summary>
    public IReadOnlyList<string> LegacyTokenSecrets { get; init; } = Array.Empty<string>();

    public bool HasLegacyTokens => LegacyTokenSecrets.Count > 0;

    public DateTimeOffset? CreatedAt { get; init; }

    public ObjectChange Change { get; init; }

    public bool DryRun { get; init; }

    public string ServiceAccount => $"{Namespace}:{Name}";

    public override string ToString() => $"ServiceAccount/{Namespace}/{Name}";
}

/// <summary>A token from the TokenRequest API. The token is a SecureString; it never appears in text output.</summary>
public sealed class ServiceAccountToken
{
    public required string ServiceAccount { get; init; }

    public required string Namespace { get; init; }

    public required SecureString Token { get; init; }

    public DateTimeOffset ExpiresAt { get; init; }

    public IReadOnlyList<string> Audiences { get; init; } = Array.Empty<string>();

    /// <summary>"Pod/name" or "Secret/name" the token is bound to (it dies with the object), or null.</summary>
    public string? BoundObject { get; init; }

    public override string ToString() => $"token for {Namespace}:{ServiceAccount} (expires {ExpiresAt:u})";
}

/// <summary>A workload whose pod template now runs as a given service account.</summary>
public sealed class WorkloadServiceAccountChange
{
    public required string Kind { get; init; }

    public required string Name { get; init; }

    public required string Namespace { get; init; }

    public required string ServiceAccount { get; init; }

    /// <summary>Before the change ("default" when the template did not name one).</summary>
    public required string PreviousServiceAccount { get; init; }

    public ObjectChange Change { get; init; }

    public bool DryRun { get; init; }

    public override string ToString() => $"{Kind}/{Namespace}/{Name}: {PreviousServiceAccount} → {ServiceAccount}";
}

/// <summary>A kubernetes.io/dockerconfigjson Secret (never its password) and the service accounts that pull with it.</summary>
public sealed class RegistrySecretInfo
{
    public required string Name { get; init; }

    public required string Namespace { get; init; }

    public required string Server { get; init; }

    public required string UserName { get; init; }

    public string Type => "kubernetes.io/dockerconfigjson";

    public ObjectChange Change { get; init; }

    /// <summary>Service accounts whose imagePullSecrets list it (after this command).</summary>
    public IReadOnlyList<string> ServiceAccounts { get; init; } = Array.Empty<string>();

    public bool DryRun { get; init; }

    public override string ToString() => $"Secret/{Namespace}/{Name} ({Server}, user {UserName})";
}
