using System.Security.Cryptography;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// Server-side defaulting (API defaults + strategy PrepareForCreate) for the types whose shape the module reads:
/// Namespace, Pod (as in golden 55 incl. the kube-api-access projected volume), workload templates (golden 65),
/// Service, Secret. Also bumps metadata.generation when a spec changes.
/// </summary>
public sealed class ObjectDefaults : IAdmissionPlugin
{
    public string Name => "ObjectDefaults";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete || r.Subresource.Length > 0)
        {
            return;
        }

        var o = r.Object;
        if (r.Operation == AdmissionOperation.Create)
        {
            Apply(r.Type, o, r.Store);
            return;
        }

        // Defaulting runs on every decode: an update that introduces e.g. serviceAccountName also gets the
        // deprecated serviceAccount mirror (golden 66). Pod-creation-only steps (token volume) are not repeated.
        ApplyOnUpdate(r.Type, o);
        if (r.OldObject?.Long("metadata", "generation") is { } generation)
        {
            // Like the workload strategies: generation moves only when the spec changes.
            o.Metadata()["generation"] = JsonNode.DeepEquals(o["spec"], r.OldObject["spec"]) ? generation : generation + 1;
        }
    }

    private static void ApplyOnUpdate(ResourceType type, JsonObject o)
    {
        switch (type.Kind)
        {
            case "Pod":
                DefaultPodSpec(o.Obj("spec"));
                break;
            case "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet" or "ReplicationController":
                if (o["spec"] is JsonObject { } spec && spec["template"] is JsonObject)
                {
                    DefaultTemplate(spec);
                }

                break;
            case "Job":
                if (o["spec"] is JsonObject { } jspec && jspec["template"] is JsonObject)
                {
                    DefaultTemplate(jspec, "Never");
                }

                break;
            case "CronJob":
                if (o.At("spec", "jobTemplate", "spec") is JsonObject { } cspec && cspec["template"] is JsonObject)
                {
                    DefaultTemplate(cspec, "Never");
                }

                break;
        }
    }

    /// <summary>Defaults applied on every create (also to objects seeded through <see cref="ApiStore.Create"/>).</summary>
    public static void Apply(ResourceType type, JsonObject o, ApiStore store)
    {
        switch (type.Kind)
        {
            case "Namespace":
                {
                    var name = o.Str("metadata", "name") ?? "";
                    o.Metadata().Obj("labels")["kubernetes.io/metadata.name"] = name;
                    o.Obj("spec")["finalizers"] ??= new JsonArray("kubernetes");
                    o.Obj("status")["phase"] ??= "Active";
                    break;
                }

            case "Pod":
                DefaultPod(o, store);
                break;
            case "Deployment":
                {
                    o.Metadata()["generation"] = 1;
                    var spec = o.Obj("spec");
                    spec["replicas"] ??= 1;
                    if (spec["strategy"] is null)
                    {
                        spec["strategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" } };
                    }

                    spec["revisionHistoryLimit"] ??= 10;
                    spec["progressDeadlineSeconds"] ??= 600;
                    DefaultTemplate(spec);
                    o["status"] ??= new JsonObject();
                    break;
                }

            case "ReplicaSet" or "StatefulSet" or "DaemonSet" or "ReplicationController":
                o.Metadata()["generation"] = 1;
                if (type.Kind != "DaemonSet")
                {
                    o.Obj("spec")["replicas"] ??= 1;
                }

                DefaultTemplate(o.Obj("spec"));
                o["status"] ??= new JsonObject();
                break;
            case "Job":
                o.Metadata()["generation"] = 1;
                DefaultJob(o);
                o["status"] ??= new JsonObject();
                break;
            case "CronJob":
                {
                    o.Metadata()["generation"] = 1;
                    var spec = o.Obj("spec");
                    spec["concurrencyPolicy"] ??= "Allow";
                    spec["suspend"] ??= false;
                    var jobTemplate = spec.Obj("jobTemplate");
                    var jmd = jobTemplate.Obj("metadata");
                    if (!jmd.ContainsKey("creationTimestamp"))
                    {
                        jmd["creationTimestamp"] = null;
                    }

                    DefaultTemplate(jobTemplate.Obj("spec"), "Never");
                    spec["successfulJobsHistoryLimit"] ??= 3;
                    spec["failedJobsHistoryLimit"] ??= 1;
                    o["status"] ??= new JsonObject();
                    break;
                }
            case "NetworkPolicy" or "Ingress" or "PodDisruptionBudget":
                o.Metadata()["generation"] = 1;
                break;
            case "Service":
                DefaultService(o);
                break;
            case "Secret":
                o["type"] ??= "Opaque";
                if (o["stringData"] is JsonObject sd)
                {
                    // stringData is write-only: merged into data (base64) on write.
                    var data = o.Obj("data");
                    foreach (var (k, v) in sd)
                    {
                        data[k] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(v.Str() ?? ""));
                    }

                    o.Remove("stringData");
                }

                break;
        }
    }

    /// <summary>
    /// SetDefaults_Job plus the job strategy's generated selector (golden 88): the controller-uid selector and the four
    /// labels on the template, copied to the Job itself when it has none. Needs metadata.uid, which the create path sets
    /// before admission (as BeforeCreate does before PrepareForCreate).
    /// </summary>
    private static void DefaultJob(JsonObject job)
    {
        var spec = job.Obj("spec");
        if (spec["completions"] is null && spec["parallelism"] is null)
        {
            spec["parallelism"] = 1;
            spec["completions"] = 1;
        }

        spec["parallelism"] ??= 1;
        spec["backoffLimit"] ??= 6;
        var uid = job.Str("metadata", "uid");
        var name = job.Str("metadata", "name");
        if (spec.Bool("manualSelector") != true && uid is not null && name is not null)
        {
            spec["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { ["batch.kubernetes.io/controller-uid"] = uid } };
            spec["manualSelector"] = false;
            var labels = spec.Obj("template").Obj("metadata").Obj("labels");
            labels["batch.kubernetes.io/controller-uid"] = uid;
            labels["batch.kubernetes.io/job-name"] = name;
            labels["controller-uid"] = uid;
            labels["job-name"] = name;
        }

        DefaultTemplate(spec, "Never");
        if (job.Metadata()["labels"] is not JsonObject { Count: > 0 } && spec.At("template", "metadata", "labels") is JsonObject templateLabels)
        {
            job.Metadata()["labels"] = templateLabels.DeepClone();
        }

        spec["completionMode"] ??= "NonIndexed";
        spec["suspend"] ??= false;
        if (spec["podFailurePolicy"] is null)
        {
            spec["podReplacementPolicy"] ??= "TerminatingOrFailed";
        }
    }

    private static void DefaultTemplate(JsonObject spec, string restartPolicy = "Always")
    {
        var template = spec.Obj("template");
        var md = template.Obj("metadata");
        if (!md.ContainsKey("creationTimestamp"))
        {
            md["creationTimestamp"] = null;
        }

        DefaultPodSpec(template.Obj("spec"), restartPolicy);
    }

    private static void DefaultPodSpec(JsonObject spec, string restartPolicy = "Always")
    {
        foreach (var list in new[] { "initContainers", "containers" })
        {
            foreach (var c in spec.Objects(list))
            {
                DefaultContainer(c);
            }
        }

        spec["restartPolicy"] ??= restartPolicy;
        spec["terminationGracePeriodSeconds"] ??= 30;
        spec["dnsPolicy"] ??= "ClusterFirst";
        spec["securityContext"] ??= new JsonObject();
        spec["schedulerName"] ??= "default-scheduler";
        if (spec.Str("serviceAccountName") is { } sa)
        {
            spec["serviceAccount"] = sa;
        }
    }

    private static void DefaultContainer(JsonObject c)
    {
        foreach (var p in c.Objects("ports"))
        {
            p["protocol"] ??= "TCP";
        }

        var res = c.Obj("resources");
        // API defaulting: a limit without a request means request = limit.
        if (res["limits"] is JsonObject limits)
        {
            foreach (var (k, v) in limits)
            {
                var requests = res.Obj("requests");
                requests[k] ??= v?.DeepClone();
            }
        }

        c["terminationMessagePath"] ??= "/dev/termination-log";
        c["terminationMessagePolicy"] ??= "File";
        if (c["imagePullPolicy"] is null)
        {
            var image = c.Str("image") ?? "";
            var lastSegment = image[(image.LastIndexOf('/') + 1)..];
            var hasTag = lastSegment.Contains(':', StringComparison.Ordinal) || image.Contains('@', StringComparison.Ordinal);
            c["imagePullPolicy"] = !hasTag || image.EndsWith(":latest", StringComparison.Ordinal) ? "Always" : "IfNotPresent";
        }
    }

    private static void DefaultPod(JsonObject pod, ApiStore store)
    {
        var spec = pod.Obj("spec");
        spec["serviceAccountName"] ??= spec["serviceAccount"]?.DeepClone() ?? "default";
        DefaultPodSpec(spec);
        var ns = pod.Str("metadata", "namespace") ?? "default";
        var sa = store.GetRaw(ResourceCatalog.ServiceAccounts, ns, spec.Str("serviceAccountName")!);
        var automount = spec.Bool("automountServiceAccountToken") ?? sa?.Bool("automountServiceAccountToken") ?? true;
        if (automount)
        {
            // The ServiceAccount admission plugin's token volume, exactly as in golden 55.
            var volName = "kube-api-access-" + RandomSuffix();
            var volumes = spec["volumes"] as JsonArray ?? [];
            spec["volumes"] = volumes;
            volumes.Add(new JsonObject
            {
                ["name"] = volName,
                ["projected"] = new JsonObject
                {
                    ["sources"] = new JsonArray(
                        new JsonObject { ["serviceAccountToken"] = new JsonObject { ["expirationSeconds"] = 3607, ["path"] = "token" } },
                        new JsonObject { ["configMap"] = new JsonObject { ["name"] = "kube-root-ca.crt", ["items"] = new JsonArray(new JsonObject { ["key"] = "ca.crt", ["path"] = "ca.crt" }) } },
                        new JsonObject { ["downwardAPI"] = new JsonObject { ["items"] = new JsonArray(new JsonObject { ["path"] = "namespace", ["fieldRef"] = new JsonObject { ["apiVersion"] = "v1", ["fieldPath"] = "metadata.namespace" } }) } }),
                    ["defaultMode"] = 420,
                },
            });
            foreach (var c in spec.Objects("containers").Concat(spec.Objects("initContainers")))
            {
                var mounts = c["volumeMounts"] as JsonArray ?? [];
                c["volumeMounts"] = mounts;
                mounts.Add(new JsonObject { ["name"] = volName, ["readOnly"] = true, ["mountPath"] = "/var/run/secrets/kubernetes.io/serviceaccount" });
            }
        }

        spec["tolerations"] ??= new JsonArray(
            new JsonObject { ["key"] = "node.kubernetes.io/not-ready", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 },
            new JsonObject { ["key"] = "node.kubernetes.io/unreachable", ["operator"] = "Exists", ["effect"] = "NoExecute", ["tolerationSeconds"] = 300 });
        spec["priority"] ??= 0;
        spec["enableServiceLinks"] ??= true;
        spec["preemptionPolicy"] ??= "PreemptLowerPriority";
        var status = pod.Obj("status");
        status["phase"] ??= "Pending";
        status["qosClass"] = QosClass(spec);
    }

    /// <summary>Guaranteed when every container's cpu+memory requests equal limits; BestEffort with no resources at all.</summary>
    public static string QosClass(JsonObject spec)
    {
        var containers = spec.Objects("containers").Concat(spec.Objects("initContainers")).ToList();
        var any = false;
        var guaranteed = containers.Count > 0;
        foreach (var c in containers)
        {
            var req = c.StringMap("resources", "requests");
            var lim = c.StringMap("resources", "limits");
            if (req.Count > 0 || lim.Count > 0)
            {
                any = true;
            }

            foreach (var r in new[] { "cpu", "memory" })
            {
                if (!lim.TryGetValue(r, out var l) || !req.TryGetValue(r, out var q) || Quantity.Parse(l) != Quantity.Parse(q))
                {
                    guaranteed = false;
                }
            }
        }

        return !any ? "BestEffort" : guaranteed ? "Guaranteed" : "Burstable";
    }

    private static void DefaultService(JsonObject svc)
    {
        var spec = svc.Obj("spec");
        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        foreach (var p in spec.Objects("ports"))
        {
            p["protocol"] ??= "TCP";
            p["targetPort"] ??= p["port"]?.DeepClone();
        }

        if (spec.Str("clusterIP") != "None")
        {
            var ip = $"10.96.{RandomNumberGenerator.GetInt32(0, 255)}.{RandomNumberGenerator.GetInt32(1, 254)}";
            spec["clusterIP"] ??= ip;
            spec["clusterIPs"] ??= new JsonArray(spec.Str("clusterIP"));
        }

        spec["ipFamilies"] ??= new JsonArray("IPv4");
        spec["ipFamilyPolicy"] ??= "SingleStack";
        spec["internalTrafficPolicy"] ??= "Cluster";
        svc.Obj("status")["loadBalancer"] ??= new JsonObject();
    }

    public static string RandomSuffix(int length = 5)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return new string(Enumerable.Range(0, length).Select(_ => alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)]).ToArray());
    }
}
