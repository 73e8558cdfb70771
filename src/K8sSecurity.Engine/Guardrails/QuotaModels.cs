namespace K8sSecurity.Engine.Guardrails;

/// <summary>What Set-K8sNamespaceQuota asks for. Values are quantity strings; keys are quota resource names.</summary>
public sealed class QuotaRequest
{
    public required string Namespace { get; init; }

    public string Name { get; init; } = QuotaService.DefaultName;

    public IReadOnlyDictionary<string, string> Hard { get; init; } = new Dictionary<string, string>();

    /// <summary>Null keeps the existing scopes.</summary>
    public IReadOnlyList<string>? Scopes { get; init; }

    /// <summary>Null keeps the existing scope selector.</summary>
    public IReadOnlyList<ScopeRequirement>? ScopeSelector { get; init; }

    /// <summary>True: the quota holds exactly what was given; false: unspecified resources stay.</summary>
    public bool Replace { get; init; }
}

/// <summary>One scopeSelector.matchExpressions entry (scopeName, operator In|NotIn|Exists|DoesNotExist, values).</summary>
public sealed record ScopeRequirement(string ScopeName, string Operator, IReadOnlyList<string> Values);

/// <summary>One row per namespace, quota and resource: what `kubectl describe quota` prints, but filterable.</summary>
public sealed class NamespaceQuotaRow
{
    public required string Namespace { get; init; }

    public required string Quota { get; init; }

    public required string Resource { get; init; }

    /// <summary>Canonical quantity, null when the quota controller has not counted yet.</summary>
    public string? Used { get; init; }

    public required string Hard { get; init; }

    /// <summary>Used / Hard × 100, rounded to 0.1; null when usage is unknown; 0 for 0 of 0, infinity when a zero limit is exceeded.</summary>
    public double? PercentUsed { get; init; }

    public IReadOnlyList<string> Scopes { get; init; } = Array.Empty<string>();
}

/// <summary>What applying a quota or limit range would do.</summary>
public enum ChangeAction
{
    Unchanged,
    Create,
    Update,
    Delete,
}

/// <summary>A computed change: what the cmdlet confirms (ShouldProcess) before the engine applies it.</summary>
public sealed class PlannedChange
{
    public required ChangeAction Action { get; init; }

    public required string Kind { get; init; }

    public required string Namespace { get; init; }

    public required string Name { get; init; }

    /// <summary>Human description of the difference, for -WhatIf and -Verbose.</summary>
    public required string Description { get; init; }

    /// <summary>The object to send (a KubernetesClient model, engine-internal: the cmdlet layer never sees its type).</summary>
    internal object? Desired { get; init; }

    /// <summary>Plans the same request again from a fresh read, when another writer changed the object before ours landed.</summary>
    internal Func<CancellationToken, Task<PlannedChange>>? Replan { get; init; }

    internal Diagnostics.EngineLog Log { get; init; } = Diagnostics.EngineLog.None;

    public string Target => string.IsNullOrEmpty(Namespace) ? $"{Kind} {Name}" : $"{Kind} {Namespace}/{Name}";
}
