using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>
/// The bootstrap RBAC policy subset that matters to the module (plugin/pkg/auth/authorizer/rbac/bootstrappolicy):
/// cluster-admin, the aggregated admin/edit/view with their system:aggregate-to-* sources, system:basic-user,
/// system:discovery, system:public-info-viewer, and their ClusterRoleBindings. Verbs/resources are sorted like
/// the real objects (golden 31).
/// </summary>
internal static class DefaultRbac
{
    private const string Rbac = "rbac.authorization.k8s.io";
    private static readonly string[] Read = ["get", "list", "watch"];
    private static readonly string[] Write = ["create", "delete", "deletecollection", "patch", "update"];
    private static readonly string[] ReadWrite = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public static void Seed(ApiStore store)
    {
        // The bootstrap policy is written by kube-apiserver itself (golden 30/31 managedFields).
        void Create(JsonObject o) => store.Create(o, "kube-apiserver");

        Create(Role("cluster-admin", null, null,
            Rule(["*"], ["*"], ["*"]),
            NonResource(["*"], ["*"])));
        Create(Binding("cluster-admin", "cluster-admin", "Group", "system:masters"));

        Create(Role("admin", null, "aggregate-to-admin"));
        Create(Role("edit", "aggregate-to-admin", "aggregate-to-edit"));
        Create(Role("view", "aggregate-to-edit", "aggregate-to-view"));

        Create(Role("system:aggregate-to-admin", "aggregate-to-admin", null,
            Rule(["create"], ["authorization.k8s.io"], ["localsubjectaccessreviews"]),
            Rule(ReadWrite, [Rbac], ["rolebindings", "roles"])));

        Create(Role("system:aggregate-to-edit", "aggregate-to-edit", null,
            Rule(Read, [""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"]),
            Rule(["impersonate"], [""], ["serviceaccounts"]),
            Rule(Write, [""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"]),
            Rule(["create"], [""], ["pods/eviction"]),
            Rule(Write, [""], ["configmaps", "endpoints", "events", "persistentvolumeclaims", "replicationcontrollers", "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy"]),
            Rule(["create"], [""], ["serviceaccounts/token"]),
            Rule(Write, ["apps"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"]),
            Rule(Write, ["autoscaling"], ["horizontalpodautoscalers"]),
            Rule(Write, ["batch"], ["cronjobs", "jobs"]),
            Rule(Write, ["extensions"], ["daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses", "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale"]),
            Rule(Write, ["policy"], ["poddisruptionbudgets"]),
            Rule(Write, ["networking.k8s.io"], ["ingresses", "networkpolicies"]),
            Rule(ReadWrite, ["coordination.k8s.io"], ["leases"])));

        Create(Role("system:aggregate-to-view", "aggregate-to-view", null,
            Rule(Read, [""], ["configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/status"]),
            Rule(Read, [""], ["bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status", "replicationcontrollers/status", "resourcequotas", "resourcequotas/status"]),
            Rule(Read, [""], ["namespaces"]),
            Rule(Read, ["discovery.k8s.io"], ["endpointslices"]),
            Rule(Read, ["apps"], ["controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets", "statefulsets/scale", "statefulsets/status"]),
            Rule(Read, ["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"]),
            Rule(Read, ["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"]),
            Rule(Read, ["extensions"], ["daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale", "replicasets/status", "replicationcontrollers/scale"]),
            Rule(Read, ["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"]),
            Rule(Read, ["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"])));

        Create(Role("system:basic-user", null, null,
            Rule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            Rule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"])));
        Create(Binding("system:basic-user", "system:basic-user", "Group", "system:authenticated"));

        Create(Role("system:discovery", null, null,
            NonResource(["get"], ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"])));
        Create(Binding("system:discovery", "system:discovery", "Group", "system:authenticated"));

        Create(Role("system:public-info-viewer", null, null,
            NonResource(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])));
        var piv = Binding("system:public-info-viewer", "system:public-info-viewer", "Group", "system:authenticated");
        ((JsonArray)piv["subjects"]!).Add(new JsonObject { ["apiGroup"] = Rbac, ["kind"] = "Group", ["name"] = "system:unauthenticated" });
        Create(piv);
    }

    private static JsonObject Rule(string[] verbs, string[] groups, string[] resources) => new()
    {
        ["verbs"] = verbs.ToJsonArray(),
        ["apiGroups"] = groups.ToJsonArray(),
        ["resources"] = resources.Order(StringComparer.Ordinal).ToJsonArray(),
    };

    private static JsonObject NonResource(string[] verbs, string[] urls) => new()
    {
        ["verbs"] = verbs.ToJsonArray(),
        ["nonResourceURLs"] = urls.ToJsonArray(),
    };

    /// <summary>A bootstrap ClusterRole; <paramref name="aggregatesFrom"/> makes it an aggregated role (rules computed on read).</summary>
    private static JsonObject Role(string name, string? labelAggregateTo, string? aggregatesFrom, params JsonObject[] rules)
    {
        var labels = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" };
        if (labelAggregateTo is not null)
        {
            labels[$"{Rbac}/{labelAggregateTo}"] = "true";
        }

        var o = new JsonObject
        {
            ["apiVersion"] = Rbac + "/v1",
            ["kind"] = "ClusterRole",
            ["metadata"] = new JsonObject
            {
                ["name"] = name,
                ["labels"] = labels,
                ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
            },
        };
        if (aggregatesFrom is not null)
        {
            o["rules"] = new JsonArray();
            o["aggregationRule"] = new JsonObject
            {
                ["clusterRoleSelectors"] = new JsonArray(new JsonObject { ["matchLabels"] = new JsonObject { [$"{Rbac}/{aggregatesFrom}"] = "true" } }),
            };
        }
        else
        {
            var arr = new JsonArray();
            foreach (var r in rules)
            {
                arr.Add(r);
            }

            o["rules"] = arr;
        }

        return o;
    }

    private static JsonObject Binding(string name, string role, string subjectKind, string subjectName) => new()
    {
        ["apiVersion"] = Rbac + "/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject
        {
            ["name"] = name,
            ["labels"] = new JsonObject { ["kubernetes.io/bootstrapping"] = "rbac-defaults" },
            ["annotations"] = new JsonObject { ["rbac.authorization.kubernetes.io/autoupdate"] = "true" },
        },
        ["roleRef"] = new JsonObject { ["apiGroup"] = Rbac, ["kind"] = "ClusterRole", ["name"] = role },
        ["subjects"] = new JsonArray(new JsonObject { ["apiGroup"] = Rbac, ["kind"] = subjectKind, ["name"] = subjectName }),
    };
}
