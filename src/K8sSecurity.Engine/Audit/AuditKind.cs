namespace K8sSecurity.Engine.Audit;

/// <summary>The object kinds an audit may read. Each is listed at most once per audit.</summary>
public enum AuditKind
{
    Namespace,
    Pod,
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    CronJob,
    ServiceAccount,
    Secret,
    ResourceQuota,
    LimitRange,
    NetworkPolicy,
    Role,
    ClusterRole,
    RoleBinding,
    ClusterRoleBinding,
    Service,
    Ingress,
    ConfigMap,
}

/// <summary>API group and resource of each kind (for RBAC rules and messages).</summary>
public static class AuditKinds
{
    public static (string ApiGroup, string Resource) ResourceOf(AuditKind kind) => kind switch
    {
        AuditKind.Namespace => (string.Empty, "namespaces"),
        AuditKind.Pod => (string.Empty, "pods"),
        AuditKind.ServiceAccount => (string.Empty, "serviceaccounts"),
        AuditKind.Secret => (string.Empty, "secrets"),
        AuditKind.ResourceQuota => (string.Empty, "resourcequotas"),
        AuditKind.LimitRange => (string.Empty, "limitranges"),
        AuditKind.Deployment => ("apps", "deployments"),
        AuditKind.ReplicaSet => ("apps", "replicasets"),
        AuditKind.StatefulSet => ("apps", "statefulsets"),
        AuditKind.DaemonSet => ("apps", "daemonsets"),
        AuditKind.Job => ("batch", "jobs"),
        AuditKind.CronJob => ("batch", "cronjobs"),
        AuditKind.NetworkPolicy => ("networking.k8s.io", "networkpolicies"),
        AuditKind.Role => ("rbac.authorization.k8s.io", "roles"),
        AuditKind.ClusterRole => ("rbac.authorization.k8s.io", "clusterroles"),
        AuditKind.RoleBinding => ("rbac.authorization.k8s.io", "rolebindings"),
        AuditKind.ClusterRoleBinding => ("rbac.authorization.k8s.io", "clusterrolebindings"),
        AuditKind.Service => (string.Empty, "services"),
        AuditKind.Ingress => ("networking.k8s.io", "ingresses"),
        AuditKind.ConfigMap => (string.Empty, "configmaps"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    public static bool TryParse(string? kind, out AuditKind result) =>
        Enum.TryParse(kind, ignoreCase: false, out result) && Enum.IsDefined(result);
}
