using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Fixtures;

/// <summary>A finding the audit must report: rule id, namespace (null when cluster-scoped) and "Kind/name".</summary>
public sealed record PlantedIssue(string Id, string? Namespace, string Resource);

/// <summary>Shape of a generated cluster.</summary>
public sealed class FlawedClusterOptions
{
    /// <summary>Namespaces with every guardrail and compliant workloads: the audit must report nothing there.</summary>
    public int CleanNamespaces { get; init; } = 20;

    /// <summary>Namespaces with planted problems (one of each family per namespace, rotating).</summary>
    public int FlawedNamespaces { get; init; } = 20;

    /// <summary>Compliant Deployments per namespace (each with <see cref="ReplicasPerDeployment"/> pods owned by a ReplicaSet).</summary>
    public int DeploymentsPerNamespace { get; init; } = 5;

    public int ReplicasPerDeployment { get; init; } = 3;

    /// <summary>The "now" certificate lifetimes are relative to.</summary>
    public DateTimeOffset Now { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// Seeds a <see cref="KubeApiTestServer"/> with a realistic, deliberately flawed cluster for the audit: dozens of
/// namespaces, hundreds of workloads, pods and bindings. Clean namespaces get a quota, a limit range, the restricted
/// Pod Security label, a default-deny policy, non-automounting service accounts and restricted workloads; flawed
/// namespaces get exactly the problems listed in <see cref="Planted"/>. The "default" namespace is made clean too.
/// </summary>
public sealed class FlawedClusterFixture
{
    private static readonly ECDsa CertificateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly List<PlantedIssue> planted = new();
    private readonly List<string> clean = new();
    private readonly List<string> flawed = new();

    private FlawedClusterFixture()
    {
    }

    public IReadOnlyList<PlantedIssue> Planted => planted;

    public IReadOnlyList<string> CleanNamespaces => clean;

    public IReadOnlyList<string> FlawedNamespaces => flawed;

    public int PodCount { get; private set; }

    /// <summary>Objects seeded, per kind.</summary>
    public Dictionary<string, int> Seeded { get; } = new(StringComparer.Ordinal);

    public static FlawedClusterFixture Seed(ApiStore store, FlawedClusterOptions? options = null)
    {
        options ??= new FlawedClusterOptions();
        var fixture = new FlawedClusterFixture();
        fixture.Build(store, options);
        return fixture;
    }

    /// <summary>A PEM certificate valid from <paramref name="notBefore"/> to <paramref name="notAfter"/>.</summary>
    public static string CertificatePem(string commonName, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var request = new CertificateRequest($"CN={commonName}", CertificateKey, HashAlgorithmName.SHA256);
        using var certificate = request.CreateSelfSigned(notBefore, notAfter);
        return certificate.ExportCertificatePem();
    }

    private void Build(ApiStore store, FlawedClusterOptions options)
    {
        // "default" exists already: give it the guardrails so only planted namespaces carry problems.
        store.Delete("v1", "Namespace", null, "default");
        Add(store, Namespace("default", "restricted"));
        Guardrails(store, "default");
        QuietDefaultAccount(store, "default");

        for (int i = 0; i < options.CleanNamespaces; i++)
        {
            string ns = $"clean-{i:00}";
            clean.Add(ns);
            Add(store, Namespace(ns, "restricted"));
            Guardrails(store, ns);
            QuietDefaultAccount(store, ns);
            CommonWorkloads(store, ns, options);
            Add(store, TlsSecret(ns, "web-tls", options.Now.AddDays(-30), options.Now.AddDays(335)));
            Add(store, Role(ns, "config-reader", Rule(new[] { "get", "list" }, "", "configmaps")));
            Add(store, RoleBinding(ns, "app-config-reader", "Role", "config-reader", ServiceAccountSubject(ns, "app")));
        }

        for (int i = 0; i < options.FlawedNamespaces; i++)
        {
            string ns = $"team-{i:00}";
            flawed.Add(ns);
            BuildFlawed(store, ns, i, options);
        }

        // Anonymous users may list pods cluster-wide (a cluster without flawed namespaces is clean: no such binding).
        if (options.FlawedNamespaces > 0)
        {
            Add(store, ClusterRole("anonymous-pod-lister", Rule(new[] { "list" }, "", "pods")));
            Add(store, ClusterRoleBinding("anonymous-pod-lister", "anonymous-pod-lister", new JsonObject { ["kind"] = "User", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = "system:anonymous" }));
            planted.Add(new("ANON-BINDING", null, "ClusterRoleBinding/anonymous-pod-lister"));
            planted.Add(new("ANON-LIST-PODS", null, "User/system:anonymous"));
            planted.Add(new("RBAC-ANONYMOUS", null, "ClusterRoleBinding/anonymous-pod-lister"));
        }
    }

    private void BuildFlawed(ApiStore store, string ns, int i, FlawedClusterOptions options)
    {
        // Namespace guardrails: exactly one missing per namespace.
        string? missing = (i % 4) switch { 0 => "quota", 1 => "limits", 2 => "psa", _ => "deny" };
        Add(store, Namespace(ns, missing == "psa" ? null : "baseline"));
        Guardrails(store, ns, skipQuota: missing == "quota", skipLimits: missing == "limits", skipDeny: missing == "deny");
        planted.Add(new(missing switch { "quota" => "NS-NO-QUOTA", "limits" => "NS-NO-LIMITRANGE", "psa" => "NS-NO-PSA-ENFORCE", _ => "NS-NO-DEFAULT-DENY" }, ns, $"Namespace/{ns}"));
        QuietDefaultAccount(store, ns);
        CommonWorkloads(store, ns, options);

        // Workload Pod Security: one baseline violation per namespace, rotating over workload kinds.
        switch (i % 5)
        {
            case 0:
                var privileged = Pod("debug", RestrictedContainer("debug"));
                ((JsonObject)((JsonArray)privileged["containers"]!)[0]!)["securityContext"]!["privileged"] = true;
                Add(store, Deployment(ns, "legacy-agent", privileged, 1));
                planted.Add(new("PSS-BASELINE-PRIVILEGED", ns, "Deployment/legacy-agent"));
                break;
            case 1:
                var hostPath = Pod("logs", RestrictedContainer("logs"));
                hostPath["volumes"] = new JsonArray(new JsonObject { ["name"] = "varlog", ["hostPath"] = new JsonObject { ["path"] = "/var/log" } });
                Add(store, Workload(ns, "DaemonSet", "apps/v1", "log-shipper", hostPath));
                planted.Add(new("PSS-BASELINE-HOSTPATHVOLUMES", ns, "DaemonSet/log-shipper"));
                break;
            case 2:
                var hostNetwork = Pod("probe", RestrictedContainer("probe"));
                hostNetwork["hostNetwork"] = true;
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Pod",
                    ["metadata"] = new JsonObject { ["name"] = "net-probe", ["namespace"] = ns, ["labels"] = new JsonObject { ["tier"] = "web" } },
                    ["spec"] = hostNetwork,
                });
                PodCount++;
                planted.Add(new("PSS-BASELINE-HOSTNAMESPACES", ns, "Pod/net-probe"));
                break;
            case 3:
                var capabilities = Pod("backup", RestrictedContainer("backup"));
                ((JsonObject)((JsonArray)capabilities["containers"]!)[0]!)["securityContext"]!["capabilities"]!["add"] = new JsonArray("SYS_ADMIN");
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "batch/v1",
                    ["kind"] = "CronJob",
                    ["metadata"] = new JsonObject { ["name"] = "nightly-backup", ["namespace"] = ns },
                    ["spec"] = new JsonObject
                    {
                        ["schedule"] = "0 2 * * *",
                        ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = Template("nightly-backup", capabilities) } },
                    },
                });
                planted.Add(new("PSS-BASELINE-CAPABILITIES", ns, "CronJob/nightly-backup"));
                planted.Add(new("BP-CAPABILITIES-DANGEROUS", ns, "CronJob/nightly-backup"));
                break;
            default:
                var hostPort = Pod("db", RestrictedContainer("db"));
                ((JsonObject)((JsonArray)hostPort["containers"]!)[0]!)["ports"] = new JsonArray(new JsonObject { ["containerPort"] = 5432, ["hostPort"] = 5432 });
                Add(store, Workload(ns, "StatefulSet", "apps/v1", "postgres", hostPort));
                planted.Add(new("PSS-BASELINE-HOSTPORTS", ns, "StatefulSet/postgres"));
                break;
        }

        Exposure(store, ns, i, missing == "deny");

        // Service-account hygiene.
        switch (i % 3)
        {
            case 0:
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Secret",
                    ["type"] = "kubernetes.io/service-account-token",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = "app-token",
                        ["namespace"] = ns,
                        ["annotations"] = new JsonObject { ["kubernetes.io/service-account.name"] = "app" },
                    },
                    ["data"] = new JsonObject { ["token"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("CANARY-legacy-token-value")) },
                });
                planted.Add(new("SA-LEGACY-TOKEN-SECRET", ns, "Secret/app-token"));
                break;
            case 1:
                Add(store, Role(ns, "config-reader", Rule(new[] { "get", "list" }, "", "configmaps")));
                Add(store, RoleBinding(ns, "default-config-reader", "Role", "config-reader", ServiceAccountSubject(ns, "default")));
                planted.Add(new("SA-DEFAULT-HAS-RIGHTS", ns, "ServiceAccount/default"));
                planted.Add(new("RBAC-DEFAULT-SERVICEACCOUNT", ns, "RoleBinding/default-config-reader"));
                break;
            default:
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ServiceAccount",
                    ["metadata"] = new JsonObject { ["name"] = "builder", ["namespace"] = ns },
                });
                planted.Add(new("SA-AUTOMOUNT-TOKEN", ns, "ServiceAccount/builder"));
                break;
        }

        // RBAC risk.
        switch (i % 4)
        {
            case 0:
                Add(store, ClusterRoleBinding($"{ns}-admins", "cluster-admin", new JsonObject { ["kind"] = "User", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = $"alice-{i:00}@example.com" }));
                planted.Add(new("RBAC-WILDCARD-ADMIN", null, $"ClusterRoleBinding/{ns}-admins"));
                break;
            case 1:
                Add(store, ClusterRole($"{ns}-secret-reader", Rule(new[] { "get", "list", "watch" }, "", "secrets")));
                Add(store, ClusterRoleBinding($"{ns}-secret-readers", $"{ns}-secret-reader", ServiceAccountSubject(ns, "app")));
                planted.Add(new("RBAC-SECRETS-READ", null, $"ClusterRoleBinding/{ns}-secret-readers"));
                break;
            case 2:
                Add(store, ClusterRole($"{ns}-impersonator", Rule(new[] { "impersonate" }, "", "users", "groups")));
                Add(store, ClusterRoleBinding($"{ns}-impersonators", $"{ns}-impersonator", new JsonObject { ["kind"] = "Group", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = $"{ns}-ops" }));
                planted.Add(new("RBAC-IMPERSONATE", null, $"ClusterRoleBinding/{ns}-impersonators"));
                break;
            default:
                Add(store, Role(ns, "debugger", Rule(new[] { "create" }, "", "pods/exec")));
                Add(store, RoleBinding(ns, "oncall-debugger", "Role", "debugger", new JsonObject { ["kind"] = "User", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = $"oncall-{i:00}@example.com" }));
                planted.Add(new("RBAC-POD-EXEC", ns, "RoleBinding/oncall-debugger"));
                break;
        }

        // Certificates.
        switch (i % 6)
        {
            case 0:
                Add(store, TlsSecret(ns, "ingress-tls", options.Now.AddDays(-400), options.Now.AddDays(-5)));
                planted.Add(new("CERT-EXPIRED", ns, "Secret/ingress-tls"));
                break;
            case 1:
                Add(store, TlsSecret(ns, "ingress-tls", options.Now.AddDays(-355), options.Now.AddDays(10)));
                planted.Add(new("CERT-EXPIRING", ns, "Secret/ingress-tls"));
                break;
            default:
                Add(store, TlsSecret(ns, "ingress-tls", options.Now.AddDays(-10), options.Now.AddDays(355)));
                break;
        }
    }

    /// <summary>One issue of the Workloads, Network, Credentials and DeprecatedApis categories per namespace, rotating.</summary>
    private void Exposure(ApiStore store, string ns, int i, bool noDefaultDeny)
    {
        switch (i % 5)
        {
            case 0:
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Service",
                    ["metadata"] = new JsonObject { ["name"] = "web-nodeport", ["namespace"] = ns },
                    ["spec"] = new JsonObject
                    {
                        ["type"] = "NodePort",
                        ["selector"] = new JsonObject { ["app"] = "svc-00" },
                        ["ports"] = new JsonArray(new JsonObject { ["port"] = 80, ["targetPort"] = 8080, ["nodePort"] = 30080 + i }),
                    },
                });
                planted.Add(new("SVC-NODEPORT", ns, "Service/web-nodeport"));
                break;
            case 1:
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "networking.k8s.io/v1",
                    ["kind"] = "Ingress",
                    ["metadata"] = new JsonObject { ["name"] = "web", ["namespace"] = ns },
                    ["spec"] = new JsonObject
                    {
                        ["rules"] = new JsonArray(new JsonObject
                        {
                            ["host"] = $"{ns}.example.com",
                            ["http"] = new JsonObject
                            {
                                ["paths"] = new JsonArray(new JsonObject
                                {
                                    ["path"] = "/",
                                    ["pathType"] = "Prefix",
                                    ["backend"] = new JsonObject { ["service"] = new JsonObject { ["name"] = "svc-00", ["port"] = new JsonObject { ["number"] = 80 } } },
                                }),
                            },
                        }),
                    },
                });
                planted.Add(new("ING-NO-TLS", ns, "Ingress/web"));
                break;
            case 2:
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "ConfigMap",
                    ["metadata"] = new JsonObject { ["name"] = "app-config", ["namespace"] = ns },
                    ["data"] = new JsonObject
                    {
                        ["application.properties"] = "server.port=8080\nspring.datasource.url=jdbc:postgresql://db:5432/app\nspring.datasource.password=CANARY-configmap-password\n",
                    },
                });
                planted.Add(new("CM-CREDENTIAL", ns, "ConfigMap/app-config"));
                break;
            case 3:
                var api = Pod("api", RestrictedContainer("api"));
                ((JsonObject)((JsonArray)api["containers"]!)[0]!)["env"] = new JsonArray(
                    new JsonObject { ["name"] = "LOG_LEVEL", ["value"] = "info" },
                    new JsonObject { ["name"] = "DB_PASSWORD", ["value"] = "CANARY-env-password" });
                Add(store, Deployment(ns, "api", api, 1));
                planted.Add(new("BP-ENV-CREDENTIAL", ns, "Deployment/api"));
                break;
            default:
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "networking.k8s.io/v1",
                    ["kind"] = "NetworkPolicy",
                    ["metadata"] = new JsonObject { ["name"] = "allow-metrics", ["namespace"] = ns },
                    ["spec"] = new JsonObject
                    {
                        ["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = "metrics-exporter" } },
                        ["ingress"] = new JsonArray(new JsonObject { ["ports"] = new JsonArray(new JsonObject { ["port"] = 9090 }) }),
                    },
                });
                planted.Add(new("NETPOL-NO-TARGET", ns, "NetworkPolicy/allow-metrics"));
                break;
        }

        // Applied with an apiVersion Kubernetes removed in v1.16: kubectl kept it in the last-applied annotation.
        if (i % 6 == 2)
        {
            var legacy = Deployment(ns, "legacy-web", Pod("web", RestrictedContainer("web")), 1);
            var applied = (JsonObject)legacy.DeepClone();
            applied["apiVersion"] = "extensions/v1beta1";
            legacy["metadata"]!["annotations"] = new JsonObject { ["kubectl.kubernetes.io/last-applied-configuration"] = applied.ToJsonString() };
            Add(store, legacy);
            planted.Add(new("API-REMOVED", ns, "Deployment/legacy-web"));
        }

        // Without a default-deny policy, a workload the allow policy does not select is guarded by nothing.
        if (noDefaultDeny)
        {
            var worker = Deployment(ns, "batch-worker", Pod("worker", RestrictedContainer("worker")), 1);
            ((JsonObject)worker["spec"]!["template"]!["metadata"]!["labels"]!).Remove("tier");
            Add(store, worker);
            // Its ReplicaSet and running pod, which a live -Unisolated check finds.
            var workerSet = Workload(ns, "ReplicaSet", "apps/v1", "batch-worker-5c8d7f9b4", Pod("worker", RestrictedContainer("worker")));
            ((JsonObject)workerSet["spec"]!["template"]!["metadata"]!["labels"]!).Remove("tier");
            workerSet["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "Deployment",
                ["name"] = "batch-worker",
                ["uid"] = Guid.NewGuid().ToString(),
                ["controller"] = true,
            });
            Add(store, workerSet);
            Add(store, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "Pod",
                ["metadata"] = new JsonObject
                {
                    ["name"] = "batch-worker-5c8d7f9b4-00000",
                    ["namespace"] = ns,
                    ["labels"] = new JsonObject { ["app"] = "batch-worker" },
                    ["ownerReferences"] = new JsonArray(new JsonObject
                    {
                        ["apiVersion"] = "apps/v1",
                        ["kind"] = "ReplicaSet",
                        ["name"] = "batch-worker-5c8d7f9b4",
                        ["uid"] = Guid.NewGuid().ToString(),
                        ["controller"] = true,
                    }),
                },
                ["spec"] = Pod("worker", RestrictedContainer("worker")),
            });
            PodCount++;
            planted.Add(new("NETPOL-POD-UNSELECTED", ns, "Deployment/batch-worker"));
        }
    }

    private void CommonWorkloads(ApiStore store, string ns, FlawedClusterOptions options)
    {
        Add(store, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = "app", ["namespace"] = ns },
            ["automountServiceAccountToken"] = false,
        });
        for (int d = 0; d < options.DeploymentsPerNamespace; d++)
        {
            string name = $"svc-{d:00}";
            var spec = Pod("app", RestrictedContainer("app"));
            Add(store, Deployment(ns, name, spec, options.ReplicasPerDeployment));
            var replicaSet = Workload(ns, "ReplicaSet", "apps/v1", $"{name}-7d9f8b6c5", (JsonObject)spec.DeepClone());
            replicaSet["spec"]!["replicas"] = options.ReplicasPerDeployment;
            replicaSet["metadata"]!["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "apps/v1",
                ["kind"] = "Deployment",
                ["name"] = name,
                ["uid"] = Guid.NewGuid().ToString(),
                ["controller"] = true,
            });
            Add(store, replicaSet);
            for (int r = 0; r < options.ReplicasPerDeployment; r++)
            {
                var podSpec = (JsonObject)spec.DeepClone();
                podSpec["nodeName"] = $"node-{(d + r) % 7}";
                Add(store, new JsonObject
                {
                    ["apiVersion"] = "v1",
                    ["kind"] = "Pod",
                    ["metadata"] = new JsonObject
                    {
                        ["name"] = $"{name}-7d9f8b6c5-{r:00000}",
                        ["namespace"] = ns,
                        ["labels"] = new JsonObject { ["app"] = name, ["tier"] = "web" },
                        ["ownerReferences"] = new JsonArray(new JsonObject
                        {
                            ["apiVersion"] = "apps/v1",
                            ["kind"] = "ReplicaSet",
                            ["name"] = $"{name}-7d9f8b6c5",
                            ["uid"] = Guid.NewGuid().ToString(),
                            ["controller"] = true,
                        }),
                    },
                    ["spec"] = podSpec,
                });
                PodCount++;
            }
        }
    }

    private void Guardrails(ApiStore store, string ns, bool skipQuota = false, bool skipLimits = false, bool skipDeny = false)
    {
        if (!skipQuota)
        {
            Add(store, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "ResourceQuota",
                ["metadata"] = new JsonObject { ["name"] = "compute", ["namespace"] = ns },
                ["spec"] = new JsonObject { ["hard"] = new JsonObject { ["requests.cpu"] = "20", ["requests.memory"] = "64Gi", ["pods"] = "200" } },
            });
        }

        if (!skipLimits)
        {
            Add(store, new JsonObject
            {
                ["apiVersion"] = "v1",
                ["kind"] = "LimitRange",
                ["metadata"] = new JsonObject { ["name"] = "defaults", ["namespace"] = ns },
                ["spec"] = new JsonObject
                {
                    ["limits"] = new JsonArray(new JsonObject
                    {
                        ["type"] = "Container",
                        ["default"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "512Mi" },
                        ["defaultRequest"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "128Mi" },
                    }),
                },
            });
        }

        if (!skipDeny)
        {
            Add(store, new JsonObject
            {
                ["apiVersion"] = "networking.k8s.io/v1",
                ["kind"] = "NetworkPolicy",
                ["metadata"] = new JsonObject { ["name"] = "default-deny", ["namespace"] = ns },
                ["spec"] = new JsonObject { ["podSelector"] = new JsonObject(), ["policyTypes"] = new JsonArray("Ingress", "Egress") },
            });
        }

        // An ordinary allow policy next to it, as real namespaces have.
        Add(store, new JsonObject
        {
            ["apiVersion"] = "networking.k8s.io/v1",
            ["kind"] = "NetworkPolicy",
            ["metadata"] = new JsonObject { ["name"] = "allow-ingress-controller", ["namespace"] = ns },
            ["spec"] = new JsonObject
            {
                ["podSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["tier"] = "web" } },
                ["ingress"] = new JsonArray(new JsonObject { ["from"] = new JsonArray(new JsonObject { ["namespaceSelector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["kubernetes.io/metadata.name"] = "ingress" } } }) }),
            },
        });
    }

    private void QuietDefaultAccount(ApiStore store, string ns)
    {
        store.Delete("v1", "ServiceAccount", ns, "default");
        Add(store, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "ServiceAccount",
            ["metadata"] = new JsonObject { ["name"] = "default", ["namespace"] = ns },
            ["automountServiceAccountToken"] = false,
        });
    }

    private void Add(ApiStore store, JsonObject obj)
    {
        store.Create(obj);
        string kind = obj["kind"]!.GetValue<string>();
        Seeded[kind] = Seeded.GetValueOrDefault(kind) + 1;
    }

    private static JsonObject Namespace(string name, string? enforce)
    {
        var labels = new JsonObject { ["kubernetes.io/metadata.name"] = name };
        if (enforce is not null)
        {
            labels["pod-security.kubernetes.io/enforce"] = enforce;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = labels } };
    }

    private static JsonObject RestrictedContainer(string name) => new()
    {
        ["name"] = name,
        ["image"] = $"registry.example.com/{name}:1.4.2",
        ["resources"] = new JsonObject
        {
            ["requests"] = new JsonObject { ["cpu"] = "100m", ["memory"] = "128Mi" },
            ["limits"] = new JsonObject { ["cpu"] = "500m", ["memory"] = "256Mi" },
        },
        ["securityContext"] = new JsonObject
        {
            ["allowPrivilegeEscalation"] = false,
            ["runAsNonRoot"] = true,
            ["readOnlyRootFilesystem"] = true,
            ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
        },
    };

    private static JsonObject Pod(string purpose, params JsonObject[] containers) => new()
    {
        ["serviceAccountName"] = "app",
        ["automountServiceAccountToken"] = false,
        ["securityContext"] = new JsonObject
        {
            ["runAsNonRoot"] = true,
            ["runAsUser"] = 10001,
            ["runAsGroup"] = 10001,
            ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
        },
        ["containers"] = new JsonArray(containers.Select(c => (JsonNode)c).ToArray()),
    };

    private static JsonObject Template(string app, JsonObject spec) => new()
    {
        ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["app"] = app, ["tier"] = "web" } },
        ["spec"] = spec,
    };

    private static JsonObject Deployment(string ns, string name, JsonObject spec, int replicas)
    {
        var deployment = Workload(ns, "Deployment", "apps/v1", name, spec);
        deployment["spec"]!["replicas"] = replicas;
        return deployment;
    }

    private static JsonObject Workload(string ns, string kind, string apiVersion, string name, JsonObject spec) => new()
    {
        ["apiVersion"] = apiVersion,
        ["kind"] = kind,
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns, ["labels"] = new JsonObject { ["app"] = name } },
        ["spec"] = new JsonObject
        {
            ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["app"] = name } },
            ["template"] = Template(name, spec),
        },
    };

    private static JsonObject TlsSecret(string ns, string name, DateTimeOffset notBefore, DateTimeOffset notAfter) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["type"] = "kubernetes.io/tls",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["data"] = new JsonObject
        {
            ["tls.crt"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(CertificatePem($"{name}.{ns}.example.com", notBefore, notAfter))),
            ["tls.key"] = Convert.ToBase64String(Encoding.ASCII.GetBytes("-----BEGIN PRIVATE KEY-----\nCANARY-private-key\n-----END PRIVATE KEY-----\n")),
        },
    };

    private static JsonObject Rule(string[] verbs, string apiGroup, params string[] resources) => new()
    {
        ["apiGroups"] = new JsonArray(apiGroup),
        ["resources"] = new JsonArray(resources.Select(r => (JsonNode)r).ToArray()),
        ["verbs"] = new JsonArray(verbs.Select(v => (JsonNode)v).ToArray()),
    };

    private static JsonObject Role(string ns, string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "Role",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["rules"] = new JsonArray(rules.Select(r => (JsonNode)r).ToArray()),
    };

    private static JsonObject ClusterRole(string name, params JsonObject[] rules) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRole",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["rules"] = new JsonArray(rules.Select(r => (JsonNode)r).ToArray()),
    };

    private static JsonObject ServiceAccountSubject(string ns, string name) => new() { ["kind"] = "ServiceAccount", ["name"] = name, ["namespace"] = ns };

    private static JsonObject RoleBinding(string ns, string name, string roleKind, string role, params JsonObject[] subjects) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "RoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = role },
        ["subjects"] = new JsonArray(subjects.Select(s => (JsonNode)s).ToArray()),
    };

    private static JsonObject ClusterRoleBinding(string name, string role, params JsonObject[] subjects) => new()
    {
        ["apiVersion"] = "rbac.authorization.k8s.io/v1",
        ["kind"] = "ClusterRoleBinding",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = "ClusterRole", ["name"] = role },
        ["subjects"] = new JsonArray(subjects.Select(s => (JsonNode)s).ToArray()),
    };
}
