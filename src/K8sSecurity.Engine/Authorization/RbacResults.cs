namespace K8sSecurity.Engine.Authorization;

/// <summary>One (binding, role, rule) that grants something to a subject.</summary>
public sealed class RbacGrant
{
    public required RbacSubject Subject { get; init; }

    public RbacBindingKind BindingKind { get; init; }

    public required string BindingName { get; init; }

    /// <summary>Null for ClusterRoleBindings.</summary>
    public string? BindingNamespace { get; init; }

    public RbacRoleKind RoleKind { get; init; }

    public required string RoleName { get; init; }

    public required RbacPolicyRule Rule { get; init; }

    /// <summary>Where the binding comes from: "cluster", "file:line", or "default policy v1.32".</summary>
    public string BindingSource { get; init; } = "cluster";

    /// <summary>Where the role comes from: "cluster", "file:line", or "default policy v1.32".</summary>
    public string RoleSource { get; init; } = "cluster";

    /// <summary>True when binding and role are both default (bootstrap) objects: every cluster grants this.</summary>
    public bool FromDefaultPolicy { get; init; }

    /// <summary>Where the grant applies: a namespace, or "(cluster)" for ClusterRoleBindings.</summary>
    public string Scope => BindingNamespace ?? "(cluster)";

    public string Binding => BindingNamespace is null ? $"{BindingKind}/{BindingName}" : $"{BindingKind}/{BindingNamespace}/{BindingName}";

    public string Role => $"{RoleKind}/{RoleName}";

    /// <summary>The upstream RBAC authorizer's reason text for this grant.</summary>
    public string Describe()
    {
        string binding = BindingNamespace is null ? $"ClusterRoleBinding \"{BindingName}\"" : $"RoleBinding \"{BindingName}/{BindingNamespace}\"";
        string subject = Subject.Kind == RbacSubjectKind.ServiceAccount ? $"ServiceAccount \"{Subject.Name}/{Subject.Namespace}\"" : $"{Subject.Kind} \"{Subject.Name}\"";
        return $"RBAC: allowed by {binding} of {RoleKind} \"{RoleName}\" to {subject}";
    }

    public override string ToString() => FromDefaultPolicy ? $"{Binding} → {Role}: {Rule} (default policy)" : $"{Binding} → {Role}: {Rule}";
}

/// <summary>An offline RBAC decision with every grant that allows it.</summary>
public sealed class RbacDecision
{
    public bool Allowed { get; init; }

    public required string Reason { get; init; }

    public IReadOnlyList<RbacGrant> Grants { get; init; } = Array.Empty<RbacGrant>();
}

/// <summary>The answer of Test-K8sAccess: the query, the decision and (offline) which binding and role grant it.</summary>
public sealed class RbacAccessResult
{
    public bool Allowed { get; init; }

    public bool Denied { get; init; }

    public required string Reason { get; init; }

    public string? EvaluationError { get; init; }

    /// <summary>"caller" for self checks, else the user (or service account user name) checked.</summary>
    public string? User { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = Array.Empty<string>();

    public required string Verb { get; init; }

    public string? Resource { get; init; }

    public string? Subresource { get; init; }

    public string? ApiGroup { get; init; }

    public string? Name { get; init; }

    public string? Namespace { get; init; }

    public string? NonResourceUrl { get; init; }

    /// <summary>SelfSubjectAccessReview, SubjectAccessReview or Offline.</summary>
    public required string Method { get; init; }

    public IReadOnlyList<RbacGrant> GrantedBy { get; init; } = Array.Empty<RbacGrant>();

    /// <summary>"ClusterRoleBinding/x → ClusterRole/y" of the first grant (offline only).</summary>
    public string? Binding => GrantedBy.Count > 0 ? GrantedBy[0].Binding : null;

    public string? Role => GrantedBy.Count > 0 ? GrantedBy[0].Role : null;

    /// <summary>True when the first grant is the cluster's default policy (binding and role are bootstrap objects).</summary>
    public bool FromDefaultPolicy => GrantedBy.Count > 0 && GrantedBy[0].FromDefaultPolicy;

    public string Request { get; init; } = string.Empty;

    /// <summary>Offline: inputs that could not be read ("file:line: why"); when any, the answer may be wrong.</summary>
    public IReadOnlyList<string> SkippedInputs { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{(Allowed ? "allowed" : "denied")}: {Request}";
}

/// <summary>One who-can answer: a subject that may do the request, and the grant that allows it.</summary>
public sealed class RbacSubjectAccess
{
    public required RbacSubject Subject { get; init; }

    public RbacSubjectKind SubjectKind => Subject.Kind;

    public string SubjectName => Subject.Name;

    public string? SubjectNamespace => Subject.Namespace;

    public required RbacGrant Grant { get; init; }

    public string Binding => Grant.Binding;

    public string Role => Grant.Role;

    public string Scope => Grant.Scope;

    public RbacPolicyRule Rule => Grant.Rule;

    /// <summary>True when the grant is the cluster's default policy (every cluster has it).</summary>
    public bool FromDefaultPolicy => Grant.FromDefaultPolicy;

    public required string Request { get; init; }

    public override string ToString() => $"{Subject} via {Binding} → {Role}";
}

/// <summary>A rule a subject holds and where it comes from (Get-K8sEffectivePermission).</summary>
public sealed class RbacPermission
{
    public required string Subject { get; init; }

    public required RbacGrant Grant { get; init; }

    public string Scope => Grant.Scope;

    public IReadOnlyList<string> Verbs => Grant.Rule.Verbs;

    public IReadOnlyList<string> ApiGroups => Grant.Rule.ApiGroups;

    public IReadOnlyList<string> Resources => Grant.Rule.Resources;

    public IReadOnlyList<string> ResourceNames => Grant.Rule.ResourceNames;

    public IReadOnlyList<string> NonResourceUrls => Grant.Rule.NonResourceUrls;

    public string Binding => Grant.Binding;

    public string Role => Grant.Role;

    /// <summary>The subject entry of the binding that matched (e.g. Group:system:authenticated).</summary>
    public string MatchedSubject => Grant.Subject.ToString();

    /// <summary>True when the grant is the cluster's default policy (every cluster has it).</summary>
    public bool FromDefaultPolicy => Grant.FromDefaultPolicy;

    public override string ToString() => $"{Scope}: {Grant.Rule} ({Binding} → {Role})";
}

/// <summary>One row of an access matrix: a resource and which of the standard verbs the subject may use.</summary>
public sealed class RbacAccessMatrixRow
{
    public required string Subject { get; init; }

    public required string Resource { get; init; }

    public string ApiGroup { get; init; } = string.Empty;

    public string? Namespace { get; init; }

    public bool Get { get; init; }

    public bool List { get; init; }

    public bool Watch { get; init; }

    public bool Create { get; init; }

    public bool Update { get; init; }

    public bool Patch { get; init; }

    public bool Delete { get; init; }

    public bool DeleteCollection { get; init; }

    /// <summary>Every checked verb that is allowed (the standard ones and any extra -Verb).</summary>
    public IReadOnlyList<string> AllowedVerbs { get; init; } = Array.Empty<string>();

    public override string ToString() => $"{Resource}: {string.Join(',', AllowedVerbs)}";
}

/// <summary>A flattened binding row: one subject → one role → one scope. Pipes into Revoke-K8sRole.</summary>
public sealed class RbacBindingRow
{
    public required RbacSubject Subject { get; init; }

    public RbacSubjectKind SubjectKind => Subject.Kind;

    public string SubjectName => Subject.Name;

    /// <summary>Set for User subjects (binds Revoke-K8sRole -User by property name).</summary>
    public string? User => Subject.Kind == RbacSubjectKind.User ? Subject.Name : null;

    /// <summary>Set for Group subjects (binds Revoke-K8sRole -Group).</summary>
    public string? Group => Subject.Kind == RbacSubjectKind.Group ? Subject.Name : null;

    /// <summary>"namespace:name" for ServiceAccount subjects (binds Revoke-K8sRole -ServiceAccount).</summary>
    public string? ServiceAccount => Subject.Kind == RbacSubjectKind.ServiceAccount ? $"{Subject.Namespace}:{Subject.Name}" : null;

    public RbacRoleKind RoleKind { get; init; }

    public required string RoleName { get; init; }

    /// <summary>Set when the binding refers to a Role (binds Revoke-K8sRole -Role).</summary>
    public string? Role => RoleKind == RbacRoleKind.Role ? RoleName : null;

    /// <summary>Set when the binding refers to a ClusterRole (binds Revoke-K8sRole -ClusterRole).</summary>
    public string? ClusterRole => RoleKind == RbacRoleKind.ClusterRole ? RoleName : null;

    public RbacBindingKind BindingKind { get; init; }

    public required string BindingName { get; init; }

    /// <summary>The binding's namespace; null for ClusterRoleBindings.</summary>
    public string? Namespace { get; init; }

    public string Scope => Namespace ?? "(cluster)";

    public override string ToString() => $"{Subject} → {RoleKind}/{RoleName} @ {Scope} ({BindingKind}/{BindingName})";
}
