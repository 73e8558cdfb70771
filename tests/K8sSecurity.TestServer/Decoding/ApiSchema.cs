namespace K8sSecurity.TestServer.Decoding;

/// <summary>What a JSON value must be to decode into a Go field (the part of the Go type the decoder enforces).</summary>
public enum SchemaKind
{
    /// <summary>A struct: known fields only (others are unknown fields), unless <see cref="SchemaType.Open"/>.</summary>
    Struct,
    String,
    Bool,
    Int32,
    Int64,
    /// <summary>resource.Quantity: a string or a number (QuantityDecoding checks the syntax).</summary>
    Quantity,
    /// <summary>intstr.IntOrString: a string or an integer.</summary>
    IntOrString,
    /// <summary>metav1.Time: a string (RFC 3339) or null.</summary>
    Time,
    /// <summary>[]byte: a base64 string.</summary>
    Bytes,
    Map,
    Slice,
    /// <summary>RawExtension, FieldsV1 and similar: anything.</summary>
    Any,
}

/// <summary>A field's strategic-merge behaviour: Merge with MergeKey (null for a list of primitives), or RetainKeys.</summary>
public sealed record PatchStrategy(bool Merge, string? MergeKey, bool RetainKeys);

/// <summary>One Go type of the versioned API as far as JSON decoding is concerned.</summary>
public sealed class SchemaType
{
    public required SchemaKind Kind { get; init; }

    /// <summary>How Go prints the type in an UnmarshalTypeError ("v1.LabelSelector", "bool", "map[string]string").</summary>
    public required string GoName { get; init; }

    /// <summary>Struct fields by JSON name.</summary>
    public Dictionary<string, SchemaType> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Element type of maps (string keys) and slices.</summary>
    public SchemaType? Element { get; set; }

    /// <summary>A struct whose fields the test server does not list: every field is accepted, nothing is checked.</summary>
    public bool Open { get; init; }

    /// <summary>patchStrategy/patchMergeKey of struct fields (strategic merge patch): "merge" lists by key (or set
    /// union for primitives), "retainKeys" structs. Fields without an entry are replaced as a whole.</summary>
    public Dictionary<string, PatchStrategy> Strategies { get; } = new(StringComparer.Ordinal);

    /// <summary>The struct name alone ("NetworkPolicySpec"), as UnmarshalTypeError names the struct holding a field.</summary>
    public string StructName => GoName[(GoName.LastIndexOf('.') + 1)..];
}

/// <summary>
/// The versioned types of the kinds the module writes (and the golden files use), with every JSON field name, so the
/// decoder can report unknown and duplicate fields and wrong JSON types as kube-apiserver does. Pod specs list their
/// own and their containers' fields; deeper structures the module never writes (probes, affinity, volume sources…)
/// are open: accepted as they are. Kinds not listed here are not field-validated.
/// </summary>
public static class ApiSchema
{
    private static readonly Dictionary<string, SchemaType> Named = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, SchemaType> ByKind = new(StringComparer.Ordinal);

    // name | go name | fields ("json:type" separated by spaces). Types: string bool int32 int64 quantity intorstring
    // time bytes any, []T, map[T] (string keys), a named type, or "open" for a struct accepted as is. A suffix
    // "/merge=key", "/merge" or "/retainKeys" is the field's patchStrategy (k8s.io/api struct tags).
    private static readonly string[] Definitions =
    [
        "ObjectMeta|v1.ObjectMeta|name:string generateName:string namespace:string selfLink:string uid:string resourceVersion:string generation:int64 creationTimestamp:time deletionTimestamp:time deletionGracePeriodSeconds:int64 labels:map[string] annotations:map[string] ownerReferences:[]OwnerReference/merge=uid finalizers:[]string/merge managedFields:[]ManagedFieldsEntry",
        "OwnerReference|v1.OwnerReference|apiVersion:string kind:string name:string uid:string controller:bool blockOwnerDeletion:bool",
        "ManagedFieldsEntry|v1.ManagedFieldsEntry|manager:string operation:string apiVersion:string time:time fieldsType:string fieldsV1:any subresource:string",
        "LabelSelector|v1.LabelSelector|matchLabels:map[string] matchExpressions:[]LabelSelectorRequirement",
        "LabelSelectorRequirement|v1.LabelSelectorRequirement|key:string operator:string values:[]string",
        "ObjectReference|v1.ObjectReference|kind:string namespace:string name:string uid:string apiVersion:string resourceVersion:string fieldPath:string",
        "LocalObjectReference|v1.LocalObjectReference|name:string",

        "ConfigMap|v1.ConfigMap|apiVersion:string kind:string metadata:ObjectMeta immutable:bool data:map[string] binaryData:map[bytes]",
        "Secret|v1.Secret|apiVersion:string kind:string metadata:ObjectMeta immutable:bool data:map[bytes] stringData:map[string] type:string",
        "ServiceAccount|v1.ServiceAccount|apiVersion:string kind:string metadata:ObjectMeta secrets:[]ObjectReference/merge=name imagePullSecrets:[]LocalObjectReference automountServiceAccountToken:bool",
        "Namespace|v1.Namespace|apiVersion:string kind:string metadata:ObjectMeta spec:NamespaceSpec status:NamespaceStatus",
        "NamespaceSpec|v1.NamespaceSpec|finalizers:[]string",
        "NamespaceStatus|v1.NamespaceStatus|phase:string conditions:[]any",
        "ResourceQuota|v1.ResourceQuota|apiVersion:string kind:string metadata:ObjectMeta spec:ResourceQuotaSpec status:ResourceQuotaStatus",
        "ResourceQuotaSpec|v1.ResourceQuotaSpec|hard:map[quantity] scopes:[]string scopeSelector:ScopeSelector",
        "ScopeSelector|v1.ScopeSelector|matchExpressions:[]ScopedResourceSelectorRequirement",
        "ScopedResourceSelectorRequirement|v1.ScopedResourceSelectorRequirement|scopeName:string operator:string values:[]string",
        "ResourceQuotaStatus|v1.ResourceQuotaStatus|hard:map[quantity] used:map[quantity]",
        "LimitRange|v1.LimitRange|apiVersion:string kind:string metadata:ObjectMeta spec:LimitRangeSpec",
        "LimitRangeSpec|v1.LimitRangeSpec|limits:[]LimitRangeItem",
        "LimitRangeItem|v1.LimitRangeItem|type:string max:map[quantity] min:map[quantity] default:map[quantity] defaultRequest:map[quantity] maxLimitRequestRatio:map[quantity]",

        "NetworkPolicy|v1.NetworkPolicy|apiVersion:string kind:string metadata:ObjectMeta spec:NetworkPolicySpec",
        "NetworkPolicySpec|v1.NetworkPolicySpec|podSelector:LabelSelector ingress:[]NetworkPolicyIngressRule egress:[]NetworkPolicyEgressRule policyTypes:[]string",
        "NetworkPolicyIngressRule|v1.NetworkPolicyIngressRule|ports:[]NetworkPolicyPort from:[]NetworkPolicyPeer",
        "NetworkPolicyEgressRule|v1.NetworkPolicyEgressRule|ports:[]NetworkPolicyPort to:[]NetworkPolicyPeer",
        "NetworkPolicyPort|v1.NetworkPolicyPort|protocol:string port:intorstring endPort:int32",
        "NetworkPolicyPeer|v1.NetworkPolicyPeer|podSelector:LabelSelector namespaceSelector:LabelSelector ipBlock:IPBlock",
        "IPBlock|v1.IPBlock|cidr:string except:[]string",

        "PolicyRule|v1.PolicyRule|verbs:[]string apiGroups:[]string resources:[]string resourceNames:[]string nonResourceURLs:[]string",
        "Role|v1.Role|apiVersion:string kind:string metadata:ObjectMeta rules:[]PolicyRule",
        "ClusterRole|v1.ClusterRole|apiVersion:string kind:string metadata:ObjectMeta rules:[]PolicyRule aggregationRule:AggregationRule",
        "AggregationRule|v1.AggregationRule|clusterRoleSelectors:[]LabelSelector",
        "Subject|v1.Subject|kind:string apiGroup:string name:string namespace:string",
        "RoleRef|v1.RoleRef|apiGroup:string kind:string name:string",
        "RoleBinding|v1.RoleBinding|apiVersion:string kind:string metadata:ObjectMeta subjects:[]Subject roleRef:RoleRef",
        "ClusterRoleBinding|v1.ClusterRoleBinding|apiVersion:string kind:string metadata:ObjectMeta subjects:[]Subject roleRef:RoleRef",

        "CertificateSigningRequest|v1.CertificateSigningRequest|apiVersion:string kind:string metadata:ObjectMeta spec:CertificateSigningRequestSpec status:CertificateSigningRequestStatus",
        "CertificateSigningRequestSpec|v1.CertificateSigningRequestSpec|request:bytes signerName:string expirationSeconds:int32 usages:[]string username:string uid:string groups:[]string extra:map[[]string]",
        "CertificateSigningRequestStatus|v1.CertificateSigningRequestStatus|conditions:[]CertificateSigningRequestCondition certificate:bytes",
        "CertificateSigningRequestCondition|v1.CertificateSigningRequestCondition|type:string status:string reason:string message:string lastUpdateTime:time lastTransitionTime:time",
        "TokenRequest|v1.TokenRequest|apiVersion:string kind:string metadata:ObjectMeta spec:TokenRequestSpec status:TokenRequestStatus",
        "TokenRequestSpec|v1.TokenRequestSpec|audiences:[]string expirationSeconds:int64 boundObjectRef:BoundObjectReference",
        "BoundObjectReference|v1.BoundObjectReference|kind:string apiVersion:string name:string uid:string",
        "TokenRequestStatus|v1.TokenRequestStatus|token:string expirationTimestamp:time",
        "ResourceAttributes|v1.ResourceAttributes|namespace:string verb:string group:string version:string resource:string subresource:string name:string fieldSelector:any labelSelector:any",
        "NonResourceAttributes|v1.NonResourceAttributes|path:string verb:string",
        "SubjectAccessReviewSpec|v1.SubjectAccessReviewSpec|resourceAttributes:ResourceAttributes nonResourceAttributes:NonResourceAttributes user:string groups:[]string extra:map[[]string] uid:string",
        "SubjectAccessReview|v1.SubjectAccessReview|apiVersion:string kind:string metadata:ObjectMeta spec:SubjectAccessReviewSpec status:any",
        "LocalSubjectAccessReview|v1.LocalSubjectAccessReview|apiVersion:string kind:string metadata:ObjectMeta spec:SubjectAccessReviewSpec status:any",
        "SelfSubjectAccessReviewSpec|v1.SelfSubjectAccessReviewSpec|resourceAttributes:ResourceAttributes nonResourceAttributes:NonResourceAttributes",
        "SelfSubjectAccessReview|v1.SelfSubjectAccessReview|apiVersion:string kind:string metadata:ObjectMeta spec:SelfSubjectAccessReviewSpec status:any",
        "SelfSubjectRulesReviewSpec|v1.SelfSubjectRulesReviewSpec|namespace:string",
        "SelfSubjectRulesReview|v1.SelfSubjectRulesReview|apiVersion:string kind:string metadata:ObjectMeta spec:SelfSubjectRulesReviewSpec status:any",
        "SelfSubjectReview|v1.SelfSubjectReview|apiVersion:string kind:string metadata:ObjectMeta status:any",
        "TokenReviewSpec|v1.TokenReviewSpec|token:string audiences:[]string",
        "TokenReview|v1.TokenReview|apiVersion:string kind:string metadata:ObjectMeta spec:TokenReviewSpec status:any",

        "ServicePort|v1.ServicePort|name:string protocol:string appProtocol:string port:int32 targetPort:intorstring nodePort:int32",
        "ServiceSpec|v1.ServiceSpec|ports:[]ServicePort/merge=port selector:map[string] clusterIP:string clusterIPs:[]string type:string externalIPs:[]string sessionAffinity:string loadBalancerIP:string loadBalancerSourceRanges:[]string externalName:string externalTrafficPolicy:string healthCheckNodePort:int32 publishNotReadyAddresses:bool sessionAffinityConfig:open ipFamilies:[]string ipFamilyPolicy:string allocateLoadBalancerNodePorts:bool loadBalancerClass:string internalTrafficPolicy:string trafficDistribution:string",
        "Service|v1.Service|apiVersion:string kind:string metadata:ObjectMeta spec:ServiceSpec status:open",

        "ContainerPort|v1.ContainerPort|name:string hostPort:int32 containerPort:int32 protocol:string hostIP:string",
        "EnvVar|v1.EnvVar|name:string value:string valueFrom:open",
        "ResourceRequirements|v1.ResourceRequirements|limits:map[quantity] requests:map[quantity] claims:[]any",
        "Container|v1.Container|name:string image:string command:[]string args:[]string workingDir:string ports:[]ContainerPort/merge=containerPort envFrom:[]any env:[]EnvVar/merge=name resources:ResourceRequirements resizePolicy:[]any restartPolicy:string volumeMounts:[]any/merge=mountPath volumeDevices:[]any/merge=devicePath livenessProbe:open readinessProbe:open startupProbe:open lifecycle:open terminationMessagePath:string terminationMessagePolicy:string imagePullPolicy:string securityContext:open stdin:bool stdinOnce:bool tty:bool",
        "PodSpec|v1.PodSpec|volumes:[]any/merge=name initContainers:[]Container/merge=name containers:[]Container/merge=name ephemeralContainers:[]any/merge=name restartPolicy:string terminationGracePeriodSeconds:int64 activeDeadlineSeconds:int64 dnsPolicy:string nodeSelector:map[string] serviceAccountName:string serviceAccount:string automountServiceAccountToken:bool nodeName:string hostNetwork:bool hostPID:bool hostIPC:bool shareProcessNamespace:bool securityContext:open imagePullSecrets:[]LocalObjectReference/merge=name hostname:string subdomain:string affinity:open schedulerName:string tolerations:[]any hostAliases:[]any/merge=ip priorityClassName:string priority:int32 dnsConfig:open readinessGates:[]any runtimeClassName:string enableServiceLinks:bool preemptionPolicy:string overhead:map[quantity] topologySpreadConstraints:[]any/merge=topologyKey setHostnameAsFQDN:bool os:open hostUsers:bool schedulingGates:[]any/merge=name resourceClaims:[]any/merge=name resources:open",
        "PodTemplateSpec|v1.PodTemplateSpec|metadata:ObjectMeta spec:PodSpec",
        "Pod|v1.Pod|apiVersion:string kind:string metadata:ObjectMeta spec:PodSpec status:open",
        "DeploymentSpec|v1.DeploymentSpec|replicas:int32 selector:LabelSelector template:PodTemplateSpec strategy:open/retainKeys minReadySeconds:int32 revisionHistoryLimit:int32 paused:bool progressDeadlineSeconds:int32",
        "Deployment|v1.Deployment|apiVersion:string kind:string metadata:ObjectMeta spec:DeploymentSpec status:open",
        "StatefulSetSpec|v1.StatefulSetSpec|replicas:int32 selector:LabelSelector template:PodTemplateSpec volumeClaimTemplates:[]any serviceName:string podManagementPolicy:string updateStrategy:open revisionHistoryLimit:int32 minReadySeconds:int32 persistentVolumeClaimRetentionPolicy:open ordinals:open",
        "StatefulSet|v1.StatefulSet|apiVersion:string kind:string metadata:ObjectMeta spec:StatefulSetSpec status:open",
        "DaemonSetSpec|v1.DaemonSetSpec|selector:LabelSelector template:PodTemplateSpec updateStrategy:open minReadySeconds:int32 revisionHistoryLimit:int32",
        "DaemonSet|v1.DaemonSet|apiVersion:string kind:string metadata:ObjectMeta spec:DaemonSetSpec status:open",
        "JobSpec|v1.JobSpec|parallelism:int32 completions:int32 activeDeadlineSeconds:int64 podFailurePolicy:open successPolicy:open backoffLimit:int32 backoffLimitPerIndex:int32 maxFailedIndexes:int32 selector:LabelSelector manualSelector:bool template:PodTemplateSpec ttlSecondsAfterFinished:int32 completionMode:string suspend:bool podReplacementPolicy:string managedBy:string",
        "Job|v1.Job|apiVersion:string kind:string metadata:ObjectMeta spec:JobSpec status:open",
        "JobTemplateSpec|v1.JobTemplateSpec|metadata:ObjectMeta spec:JobSpec",
        "CronJobSpec|v1.CronJobSpec|schedule:string timeZone:string startingDeadlineSeconds:int64 concurrencyPolicy:string suspend:bool jobTemplate:JobTemplateSpec successfulJobsHistoryLimit:int32 failedJobsHistoryLimit:int32",
        "CronJob|v1.CronJob|apiVersion:string kind:string metadata:ObjectMeta spec:CronJobSpec status:open",
    ];

    static ApiSchema()
    {
        var parsed = Definitions.Select(d => d.Split('|')).ToList();
        foreach (var p in parsed)
        {
            Named[p[0]] = new SchemaType { Kind = SchemaKind.Struct, GoName = p[1] };
        }

        foreach (var p in parsed)
        {
            foreach (var field in p[2].Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                var colon = field.IndexOf(':', StringComparison.Ordinal);
                var name = field[..colon];
                var spec = field[(colon + 1)..];
                var slash = spec.IndexOf('/', StringComparison.Ordinal);
                if (slash >= 0)
                {
                    var strategy = spec[(slash + 1)..];
                    spec = spec[..slash];
                    Named[p[0]].Strategies[name] = strategy == "retainKeys"
                        ? new PatchStrategy(false, null, true)
                        : new PatchStrategy(true, strategy.StartsWith("merge=", StringComparison.Ordinal) ? strategy[6..] : null, false);
                }

                Named[p[0]].Fields[name] = Resolve(spec);
            }
        }

        foreach (var kind in new[]
        {
            "ConfigMap", "Secret", "ServiceAccount", "Namespace", "ResourceQuota", "LimitRange", "NetworkPolicy", "Role", "ClusterRole",
            "RoleBinding", "ClusterRoleBinding", "CertificateSigningRequest", "TokenRequest", "SubjectAccessReview", "LocalSubjectAccessReview",
            "SelfSubjectAccessReview", "SelfSubjectRulesReview", "SelfSubjectReview", "TokenReview", "Service", "Pod", "Deployment",
            "StatefulSet", "DaemonSet", "Job", "CronJob",
        })
        {
            ByKind[kind] = Named[kind];
        }
    }

    /// <summary>The schema of a top-level kind, or null when the test server does not validate its fields.</summary>
    public static SchemaType? ForKind(string kind) => ByKind.GetValueOrDefault(kind);

    private static SchemaType Resolve(string spec)
    {
        if (spec.StartsWith("[]", StringComparison.Ordinal))
        {
            var element = Resolve(spec[2..]);
            return new SchemaType { Kind = SchemaKind.Slice, GoName = "[]" + element.GoName, Element = element };
        }

        if (spec.StartsWith("map[", StringComparison.Ordinal))
        {
            var element = Resolve(spec[4..^1]);
            return new SchemaType { Kind = SchemaKind.Map, GoName = "map[string]" + element.GoName, Element = element };
        }

        return spec switch
        {
            "string" => new SchemaType { Kind = SchemaKind.String, GoName = "string" },
            "bool" => new SchemaType { Kind = SchemaKind.Bool, GoName = "bool" },
            "int32" => new SchemaType { Kind = SchemaKind.Int32, GoName = "int32" },
            "int64" => new SchemaType { Kind = SchemaKind.Int64, GoName = "int64" },
            "quantity" => new SchemaType { Kind = SchemaKind.Quantity, GoName = "resource.Quantity" },
            "intorstring" => new SchemaType { Kind = SchemaKind.IntOrString, GoName = "intstr.IntOrString" },
            "time" => new SchemaType { Kind = SchemaKind.Time, GoName = "v1.Time" },
            "bytes" => new SchemaType { Kind = SchemaKind.Bytes, GoName = "[]uint8" },
            "any" => new SchemaType { Kind = SchemaKind.Any, GoName = "runtime.RawExtension" },
            "open" => new SchemaType { Kind = SchemaKind.Struct, GoName = "open", Open = true },
            _ => Named.TryGetValue(spec, out var named) ? named : throw new InvalidOperationException("unknown schema type " + spec),
        };
    }
}
