namespace K8sSecurity.TestServer;

/// <summary>How metadata.name is validated for a resource (mirrors the per-type ValidateObjectMeta name funcs).</summary>
public enum NameRule
{
    Dns1123Subdomain,
    Dns1123Label,
    Dns1035Label,
    PathSegment,
}

/// <summary>One served resource: plural ⇄ kind ⇄ scope ⇄ group/version, plus what the generic handler may do with it.</summary>
public sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Kind,
    bool Namespaced,
    NameRule NameRule = NameRule.Dns1123Subdomain,
    string[]? Subresources = null,
    bool Virtual = false,
    string? Singular = null,
    string[]? ShortNames = null,
    bool TracksManagedFields = true)
{
    public string ApiVersion => string.IsNullOrEmpty(Group) ? Version : Group + "/" + Version;

    /// <summary>Create-only review/request types (SubjectAccessReview…): never stored.</summary>
    public bool IsVirtual => Virtual;

    public string[] Verbs => Virtual
        ? ["create"]
        : ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}

/// <summary>Static table of the resources the test server serves. Add a line to serve a new type generically.</summary>
public static class ResourceCatalog
{
    private static readonly ResourceType[] All =
    [
        new("", "v1", "namespaces", "Namespace", false, NameRule.Dns1123Label, ["status", "finalize"], ShortNames: ["ns"]),
        new("", "v1", "pods", "Pod", true, Subresources: ["status", "exec", "log", "attach", "portforward", "proxy", "eviction", "binding", "ephemeralcontainers"], ShortNames: ["po"]),
        new("", "v1", "services", "Service", true, NameRule.Dns1035Label, ["status", "proxy"], ShortNames: ["svc"]),
        new("", "v1", "configmaps", "ConfigMap", true, ShortNames: ["cm"]),
        new("", "v1", "secrets", "Secret", true),
        new("", "v1", "serviceaccounts", "ServiceAccount", true, Subresources: ["token"], ShortNames: ["sa"]),
        new("", "v1", "resourcequotas", "ResourceQuota", true, Subresources: ["status"], ShortNames: ["quota"]),
        new("", "v1", "limitranges", "LimitRange", true, ShortNames: ["limits"]),
        new("", "v1", "nodes", "Node", false, Subresources: ["status", "proxy"], ShortNames: ["no"]),
        new("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", true, Subresources: ["status"], ShortNames: ["pvc"]),
        new("", "v1", "persistentvolumes", "PersistentVolume", false, Subresources: ["status"], ShortNames: ["pv"]),
        new("", "v1", "replicationcontrollers", "ReplicationController", true, Subresources: ["status", "scale"], ShortNames: ["rc"]),
        new("", "v1", "podtemplates", "PodTemplate", true),
        new("", "v1", "events", "Event", true, ShortNames: ["ev"]),
        new("", "v1", "endpoints", "Endpoints", true, ShortNames: ["ep"]),
        new("apps", "v1", "deployments", "Deployment", true, Subresources: ["status", "scale"], ShortNames: ["deploy"]),
        new("apps", "v1", "replicasets", "ReplicaSet", true, Subresources: ["status", "scale"], ShortNames: ["rs"]),
        new("apps", "v1", "statefulsets", "StatefulSet", true, Subresources: ["status", "scale"], ShortNames: ["sts"]),
        new("apps", "v1", "daemonsets", "DaemonSet", true, Subresources: ["status"], ShortNames: ["ds"]),
        new("apps", "v1", "controllerrevisions", "ControllerRevision", true),
        new("batch", "v1", "jobs", "Job", true, Subresources: ["status"]),
        new("batch", "v1", "cronjobs", "CronJob", true, Subresources: ["status"], ShortNames: ["cj"]),
        new("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", true, ShortNames: ["netpol"]),
        new("networking.k8s.io", "v1", "ingresses", "Ingress", true, Subresources: ["status"], ShortNames: ["ing"]),
        new("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", true, Subresources: ["status"], ShortNames: ["pdb"]),
        new("coordination.k8s.io", "v1", "leases", "Lease", true),
        new("rbac.authorization.k8s.io", "v1", "roles", "Role", true, NameRule.PathSegment),
        new("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false, NameRule.PathSegment),
        new("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true, NameRule.PathSegment),
        new("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", false, NameRule.PathSegment),
        new("certificates.k8s.io", "v1", "certificatesigningrequests", "CertificateSigningRequest", false, NameRule.PathSegment, ["approval", "status"], ShortNames: ["csr"], TracksManagedFields: false),
        new("authentication.k8s.io", "v1", "selfsubjectreviews", "SelfSubjectReview", false, Virtual: true),
        new("authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false, Virtual: true),
        new("authorization.k8s.io", "v1", "subjectaccessreviews", "SubjectAccessReview", false, Virtual: true),
        new("authorization.k8s.io", "v1", "selfsubjectaccessreviews", "SelfSubjectAccessReview", false, Virtual: true),
        new("authorization.k8s.io", "v1", "selfsubjectrulesreviews", "SelfSubjectRulesReview", false, Virtual: true),
        new("authorization.k8s.io", "v1", "localsubjectaccessreviews", "LocalSubjectAccessReview", true, Virtual: true),
    ];

    public static IReadOnlyList<ResourceType> Types => All;

    public static ResourceType? ByPlural(string group, string version, string plural) =>
        All.FirstOrDefault(t => t.Group == group && t.Version == version && t.Plural == plural);

    public static ResourceType? ByKind(string apiVersion, string kind) =>
        All.FirstOrDefault(t => t.ApiVersion == apiVersion && t.Kind == kind);

    public static ResourceType Require(string apiVersion, string kind) =>
        ByKind(apiVersion, kind) ?? throw new ArgumentException($"The test server does not know {apiVersion} {kind}; add it to ResourceCatalog.");

    public static IEnumerable<(string Group, string Version)> GroupVersions() =>
        All.Where(t => t.Group.Length > 0).Select(t => (t.Group, t.Version)).Distinct();

    public static readonly ResourceType Namespaces = ByPlural("", "v1", "namespaces")!;
    public static readonly ResourceType Pods = ByPlural("", "v1", "pods")!;
    public static readonly ResourceType Secrets = ByPlural("", "v1", "secrets")!;
    public static readonly ResourceType ConfigMaps = ByPlural("", "v1", "configmaps")!;
    public static readonly ResourceType ServiceAccounts = ByPlural("", "v1", "serviceaccounts")!;
    public static readonly ResourceType ResourceQuotas = ByPlural("", "v1", "resourcequotas")!;
    public static readonly ResourceType LimitRanges = ByPlural("", "v1", "limitranges")!;
    public static readonly ResourceType Roles = ByPlural("rbac.authorization.k8s.io", "v1", "roles")!;
    public static readonly ResourceType ClusterRoles = ByPlural("rbac.authorization.k8s.io", "v1", "clusterroles")!;
    public static readonly ResourceType RoleBindings = ByPlural("rbac.authorization.k8s.io", "v1", "rolebindings")!;
    public static readonly ResourceType ClusterRoleBindings = ByPlural("rbac.authorization.k8s.io", "v1", "clusterrolebindings")!;
    public static readonly ResourceType Csrs = ByPlural("certificates.k8s.io", "v1", "certificatesigningrequests")!;
}
