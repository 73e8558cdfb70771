namespace K8sSecurity.Engine.Audit;

/// <summary>The areas one cluster audit covers. Each is one <see cref="IAuditCheck"/>.</summary>
public enum AuditCategory
{
    /// <summary>Workloads evaluated against a Pod Security Standards level.</summary>
    PodSecurity,

    /// <summary>Risky RBAC grants: cluster-admin, secrets, escalation, wildcards, exec.</summary>
    Rbac,

    /// <summary>Namespaces without quota, limit range, Pod Security labels or a default-deny network policy.</summary>
    Namespaces,

    /// <summary>Service-account hygiene: token automount, legacy token secrets, default accounts with rights.</summary>
    ServiceAccounts,

    /// <summary>Certificates near or past expiry: kubeconfig users, TLS secrets, a PKI folder.</summary>
    Certificates,

    /// <summary>What system:anonymous may do (SubjectAccessReview) and bindings to anonymous groups.</summary>
    AnonymousAccess,

    /// <summary>Whether the server's minor version is still among the newest three.</summary>
    ServerVersion,

    /// <summary>Control-plane and node configuration files of a node folder (CIS Kubernetes Benchmark), with -NodePath.</summary>
    NodeConfiguration,

    /// <summary>Workload hardening Polaris and kube-score check: capabilities, sensitive host paths, low ids, literal credentials.</summary>
    Workloads,

    /// <summary>Network exposure: NodePort and LoadBalancer Services, Ingresses without TLS, pods no NetworkPolicy selects.</summary>
    Network,

    /// <summary>Credentials stored in ConfigMaps (key names and well-known value formats).</summary>
    Credentials,

    /// <summary>Manifests whose apiVersion the target Kubernetes version no longer serves, or has deprecated.</summary>
    DeprecatedApis,
}
