using System.Net;
using System.Security;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Authorization;

/// <summary>New/Get-K8sServiceAccount, Set-K8sWorkloadServiceAccount, New-K8sServiceAccountToken, New-K8sRegistrySecret.</summary>
public static class ServiceAccounts
{
    public static readonly IReadOnlyList<string> WorkloadKinds = new[] { "Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob" };

    private const string LegacyTokenType = "kubernetes.io/service-account-token";
    private const string ServiceAccountNameAnnotation = "kubernetes.io/service-account.name";

    /// <summary>
    /// Creates a service account with automountServiceAccountToken false unless <paramref name="automountToken"/>.
    /// An existing account with the same setting is left alone; a different setting needs <paramref name="force"/>.
    /// </summary>
    public static async Task<ServiceAccountInfo> CreateAsync(ClusterClient cluster, string ns, string name, bool automountToken, bool force, bool dryRun, EngineLog log, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("Name", name);
        var core = cluster.Api.CoreV1;
        string? dry = dryRun ? "All" : null;
        return await ReadModifyWrite.RunAsync($"Writing service account '{ns}:{name}'", name, async _ =>
        {
            var existing = await RbacManagement.GetOrNullAsync(() => core.ReadNamespacedServiceAccountAsync(name, ns, cancellationToken: cancellationToken), $"Reading service account '{ns}:{name}'").ConfigureAwait(false);
            if (existing is null)
            {
                log.Verbose($"Creating service account {ns}:{name} with automountServiceAccountToken={automountToken.ToString().ToLowerInvariant()}{DryRunNote(dryRun)}.");
                var body = new V1ServiceAccount { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns }, AutomountServiceAccountToken = automountToken };
                var created = await ReadModifyWrite.WriteAsync(WriteKind.Create, () => core.CreateNamespacedServiceAccountAsync(body, ns, dryRun: dry, cancellationToken: cancellationToken), $"Creating service account '{ns}:{name}'", name).ConfigureAwait(false);
                return Describe(created, ObjectChange.Created, dryRun);
            }

            if ((existing.AutomountServiceAccountToken ?? true) == automountToken)
            {
                log.Verbose($"Service account {ns}:{name} already exists with automountServiceAccountToken={automountToken.ToString().ToLowerInvariant()}.");
                return Describe(existing, ObjectChange.Unchanged, false);
            }

            if (!force)
            {
                throw new K8sOperationException(K8sErrorKind.AlreadyExists,
                    $"Service account '{ns}:{name}' already exists with automountServiceAccountToken={(existing.AutomountServiceAccountToken?.ToString().ToLowerInvariant() ?? "unset (true)")}; use -Force to set it to {automountToken.ToString().ToLowerInvariant()}.", name);
            }

            var patch = new V1Patch(new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = existing.Metadata.ResourceVersion }, ["automountServiceAccountToken"] = automountToken }.ToJsonString(), V1Patch.PatchType.MergePatch);
            var patched = await ReadModifyWrite.WriteAsync(WriteKind.Update, () => core.PatchNamespacedServiceAccountAsync(patch, name, ns, dryRun: dry, cancellationToken: cancellationToken), $"Updating service account '{ns}:{name}'", name).ConfigureAwait(false);
            return Describe(patched, ObjectChange.Updated, dryRun);
        }, log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Service accounts of a namespace (or all) with their bindings, workloads and legacy token secrets.</summary>
    public static async Task<IReadOnlyList<ServiceAccountInfo>> GetAsync(ClusterClient cluster, string? ns, Func<string, bool> nameFilter, EngineLog log, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns, optional: true);
        var core = cluster.Api.CoreV1;
        var accounts = ns is null
            ? await ApiErrorTranslator.CallAsync(() => core.ListServiceAccountForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing service accounts").ConfigureAwait(false)
            : await ApiErrorTranslator.CallAsync(() => core.ListNamespacedServiceAccountAsync(ns, cancellationToken: cancellationToken), $"Listing service accounts in namespace '{ns}'", ns).ConfigureAwait(false);
        var selected = accounts.Items.Where(a => nameFilter(a.Metadata.Name)).OrderBy(a => a.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(a => a.Metadata.Name, StringComparer.Ordinal).ToList();
        if (selected.Count == 0)
        {
            return Array.Empty<ServiceAccountInfo>();
        }

        var policy = await RbacSource.LoadFromClusterAsync(cluster, log, cancellationToken).ConfigureAwait(false);
        var workloads = await ListWorkloadUsersAsync(cluster, ns, cancellationToken).ConfigureAwait(false);
        var legacy = await ListLegacyTokenSecretsAsync(cluster, ns, cancellationToken).ConfigureAwait(false);
        return selected.Select(account =>
        {
            string accountNs = account.Metadata.NamespaceProperty;
            string name = account.Metadata.Name;
            var subject = new RbacSubject(RbacSubjectKind.ServiceAccount, name, accountNs);
            var bindings = RbacManagement.Rows(policy.AllBindings, s =>
                s == subject
                || (s.Kind == RbacSubjectKind.Group && (s.Name == "system:serviceaccounts" || s.Name == $"system:serviceaccounts:{accountNs}"))
                || (s.Kind == RbacSubjectKind.User && s.Name == subject.UserName),
                _ => true);
            return Describe(account, ObjectChange.Unchanged, false, bindings, workloads.GetValueOrDefault((accountNs, name)), legacy.GetValueOrDefault((accountNs, name)));
        }).ToList();
    }

    /// <summary>
    /// Points a workload's pod template at a service account (what kubectl set serviceaccount does). Unchanged when it
    /// already runs as it; warns when the account does not exist (pods would fail to start).
    /// </summary>
    public static async Task<WorkloadServiceAccountChange> SetWorkloadServiceAccountAsync(
        ClusterClient cluster, string kind, string ns, string name, string serviceAccount, bool dryRun, EngineLog log, CancellationToken cancellationToken)
    {
        string canonicalKind = WorkloadKinds.FirstOrDefault(k => k.Equals(kind, StringComparison.OrdinalIgnoreCase))
            ?? throw K8sOperationException.InvalidArgument("Kind", kind, $"expected one of {string.Join(", ", WorkloadKinds)}.");
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("Name", name);
        KubernetesNames.ValidateObjectName("ServiceAccount", serviceAccount);
        var api = cluster.Api;
        string target = $"{canonicalKind} '{ns}/{name}'";
        var account = await RbacManagement.GetOrNullAsync(() => api.CoreV1.ReadNamespacedServiceAccountAsync(serviceAccount, ns, cancellationToken: cancellationToken), $"Reading service account '{ns}:{serviceAccount}'").ConfigureAwait(false);
        if (account is null)
        {
            log.Warning($"Service account '{ns}:{serviceAccount}' does not exist: new pods of {target} will not start until it is created (New-K8sServiceAccount).");
        }

        string? dry = dryRun ? "All" : null;
        string operation = $"Setting the service account of {target}";
        return await ReadModifyWrite.RunAsync(operation, name, async _ =>
        {
            var (podSpec, meta) = await ReadWorkloadAsync(api, canonicalKind, ns, name, target, cancellationToken).ConfigureAwait(false);
            string previous = string.IsNullOrEmpty(podSpec?.ServiceAccountName) ? (string.IsNullOrEmpty(podSpec?.ServiceAccount) ? "default" : podSpec!.ServiceAccount) : podSpec!.ServiceAccountName;
            bool deprecatedFieldDiffers = !string.IsNullOrEmpty(podSpec?.ServiceAccount) && podSpec!.ServiceAccount != serviceAccount;
            if (previous == serviceAccount && !deprecatedFieldDiffers)
            {
                log.Verbose($"{target} already runs as '{serviceAccount}'.");
                return new WorkloadServiceAccountChange { Kind = canonicalKind, Name = name, Namespace = ns, ServiceAccount = serviceAccount, PreviousServiceAccount = previous, Change = ObjectChange.Unchanged };
            }

            if (canonicalKind == "Job")
            {
                // The API server refuses any change to a Job's pod template (spec.template: field is immutable).
                var owner = meta.OwnerReferences?.FirstOrDefault(o => o.Kind == "CronJob");
                string cronJob = owner is null
                    ? "or, if a CronJob creates it, on that CronJob (Set-K8sWorkloadServiceAccount -Kind CronJob): the Jobs it starts next use it"
                    : $"or on the CronJob that created it (Set-K8sWorkloadServiceAccount -Kind CronJob -Name {owner.Name} -Namespace {ns} -ServiceAccount {serviceAccount}): the Jobs it starts next use it";
                throw new K8sOperationException(
                    K8sErrorKind.InvalidArgument,
                    $"{target} runs as '{previous}' and cannot be changed: a Job's pod template is immutable once the Job exists, so the API server refuses the change. Nothing was sent. Recreate the Job with serviceAccountName '{serviceAccount}' (export it, delete it, create it again), {cronJob}.",
                    name);
            }

            var templateSpec = new JsonObject { ["serviceAccountName"] = serviceAccount };
            if (!string.IsNullOrEmpty(podSpec?.ServiceAccount))
            {
                templateSpec["serviceAccount"] = serviceAccount; // keep the deprecated alias consistent instead of contradicting it
            }

            var template = new JsonObject { ["spec"] = templateSpec };
            var patchBody = canonicalKind == "CronJob"
                ? new JsonObject { ["spec"] = new JsonObject { ["jobTemplate"] = new JsonObject { ["spec"] = new JsonObject { ["template"] = template } } } }
                : new JsonObject { ["spec"] = new JsonObject { ["template"] = template } };
            patchBody["metadata"] = new JsonObject { ["resourceVersion"] = meta.ResourceVersion };
            var patch = new V1Patch(patchBody.ToJsonString(), V1Patch.PatchType.MergePatch);
            log.Verbose($"{operation}: {previous} → {serviceAccount}{DryRunNote(dryRun)}.");
            await ReadModifyWrite.WriteAsync(WriteKind.Update, () => canonicalKind switch
            {
                "Deployment" => (Task)api.AppsV1.PatchNamespacedDeploymentAsync(patch, name, ns, dryRun: dry, cancellationToken: cancellationToken),
                "StatefulSet" => api.AppsV1.PatchNamespacedStatefulSetAsync(patch, name, ns, dryRun: dry, cancellationToken: cancellationToken),
                "DaemonSet" => api.AppsV1.PatchNamespacedDaemonSetAsync(patch, name, ns, dryRun: dry, cancellationToken: cancellationToken),
                _ => api.BatchV1.PatchNamespacedCronJobAsync(patch, name, ns, dryRun: dry, cancellationToken: cancellationToken),
            }, operation, name).ConfigureAwait(false);
            return new WorkloadServiceAccountChange { Kind = canonicalKind, Name = name, Namespace = ns, ServiceAccount = serviceAccount, PreviousServiceAccount = previous, Change = ObjectChange.Updated, DryRun = dryRun };
        }, log, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The pod spec and metadata of a workload, read fresh.</summary>
    private static async Task<(V1PodSpec? Spec, V1ObjectMeta Metadata)> ReadWorkloadAsync(IKubernetes api, string kind, string ns, string name, string target, CancellationToken cancellationToken)
    {
        switch (kind)
        {
            case "Deployment":
                var deployment = await ReadAsync(() => api.AppsV1.ReadNamespacedDeploymentAsync(name, ns, cancellationToken: cancellationToken), target).ConfigureAwait(false);
                return (deployment.Spec?.Template?.Spec, deployment.Metadata);
            case "StatefulSet":
                var statefulSet = await ReadAsync(() => api.AppsV1.ReadNamespacedStatefulSetAsync(name, ns, cancellationToken: cancellationToken), target).ConfigureAwait(false);
                return (statefulSet.Spec?.Template?.Spec, statefulSet.Metadata);
            case "DaemonSet":
                var daemonSet = await ReadAsync(() => api.AppsV1.ReadNamespacedDaemonSetAsync(name, ns, cancellationToken: cancellationToken), target).ConfigureAwait(false);
                return (daemonSet.Spec?.Template?.Spec, daemonSet.Metadata);
            case "Job":
                var job = await ReadAsync(() => api.BatchV1.ReadNamespacedJobAsync(name, ns, cancellationToken: cancellationToken), target).ConfigureAwait(false);
                return (job.Spec?.Template?.Spec, job.Metadata);
            default:
                var cronJob = await ReadAsync(() => api.BatchV1.ReadNamespacedCronJobAsync(name, ns, cancellationToken: cancellationToken), target).ConfigureAwait(false);
                return (cronJob.Spec?.JobTemplate?.Spec?.Template?.Spec, cronJob.Metadata);
        }
    }

    /// <summary>TokenRequest: a short-lived, audience-bound token, optionally bound to a Pod or Secret ("Kind/name").</summary>
    public static async Task<ServiceAccountToken> CreateTokenAsync(
        ClusterClient cluster, string ns, string serviceAccount, TimeSpan? duration, IReadOnlyList<string>? audiences, string? boundObject, EngineLog log, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("ServiceAccount", serviceAccount);
        if (duration is { } d && (d < TimeSpan.FromMinutes(10) || d.TotalSeconds > (1L << 32)))
        {
            throw K8sOperationException.InvalidArgument("Duration", d, "the API accepts 10 minutes up to 2^32 seconds.");
        }

        V1BoundObjectReference? bound = null;
        if (!string.IsNullOrWhiteSpace(boundObject))
        {
            var parts = boundObject.Split('/', 2);
            string boundKind = parts[0].Equals("pod", StringComparison.OrdinalIgnoreCase) ? "Pod"
                : parts[0].Equals("secret", StringComparison.OrdinalIgnoreCase) ? "Secret"
                : parts[0].Equals("node", StringComparison.OrdinalIgnoreCase) ? "Node" : string.Empty;
            if (parts.Length != 2 || boundKind.Length == 0 || !KubernetesNames.IsDns1123Subdomain(parts[1]))
            {
                throw K8sOperationException.InvalidArgument("BoundObject", boundObject, "expected Pod/<name>, Secret/<name> or Node/<name>.");
            }

            string boundName = parts[1];
            string? uid = boundKind switch
            {
                "Pod" => (await ReadAsync(() => cluster.Api.CoreV1.ReadNamespacedPodAsync(boundName, ns, cancellationToken: cancellationToken), $"Pod '{ns}/{boundName}'").ConfigureAwait(false)).Metadata.Uid,
                "Secret" => (await ReadAsync(() => cluster.Api.CoreV1.ReadNamespacedSecretAsync(boundName, ns, cancellationToken: cancellationToken), $"Secret '{ns}/{boundName}'").ConfigureAwait(false)).Metadata.Uid,
                _ => (await ReadAsync(() => cluster.Api.CoreV1.ReadNodeAsync(boundName, cancellationToken: cancellationToken), $"Node '{boundName}'").ConfigureAwait(false)).Metadata.Uid,
            };
            bound = new V1BoundObjectReference { ApiVersion = "v1", Kind = boundKind, Name = boundName, Uid = uid };
            boundObject = $"{boundKind}/{boundName}";
        }

        var request = new Authenticationv1TokenRequest
        {
            Spec = new V1TokenRequestSpec
            {
                Audiences = audiences is { Count: > 0 } ? audiences.ToList() : new List<string>(),
                ExpirationSeconds = duration is null ? null : (long)duration.Value.TotalSeconds,
                BoundObjectRef = bound,
            },
        };
        log.Verbose($"Requesting a token for service account {ns}:{serviceAccount}{(duration is null ? string.Empty : $" valid for {duration}")}.");
        var answer = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CoreV1.CreateNamespacedServiceAccountTokenAsync(request, serviceAccount, ns, cancellationToken: cancellationToken),
            $"Requesting a token for service account '{ns}:{serviceAccount}'", serviceAccount).ConfigureAwait(false);
        string token = answer.Status?.Token ?? throw new K8sOperationException(K8sErrorKind.Protocol, "The TokenRequest answer carried no token.", serviceAccount);
        var secure = new SecureString();
        foreach (char c in token)
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return new ServiceAccountToken
        {
            ServiceAccount = serviceAccount,
            Namespace = ns,
            Token = secure,
            ExpiresAt = answer.Status.ExpirationTimestamp is { } expiry ? new DateTimeOffset(DateTime.SpecifyKind(expiry, DateTimeKind.Utc)) : DateTimeOffset.UtcNow,
            Audiences = answer.Spec?.Audiences?.ToList() ?? new List<string>(),
            BoundObject = boundObject,
        };
    }

    /// <summary>
    /// Creates a kubernetes.io/dockerconfigjson Secret and adds it to service accounts' imagePullSecrets. Identical
    /// content is left alone; different content needs <paramref name="force"/>. The password never leaves the Secret.
    /// </summary>
    public static async Task<RegistrySecretInfo> CreateRegistrySecretAsync(
        ClusterClient cluster, string ns, string name, string server, NetworkCredential credential, string? email, IReadOnlyList<string> serviceAccounts,
        bool force, bool dryRun, EngineLog log, CancellationToken cancellationToken)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns);
        KubernetesNames.ValidateObjectName("Name", name);
        if (string.IsNullOrWhiteSpace(server) || server.Any(char.IsWhiteSpace))
        {
            throw K8sOperationException.InvalidArgument("Server", server, "give the registry host, e.g. registry.example.com or https://index.docker.io/v1/.");
        }

        if (string.IsNullOrEmpty(credential.UserName) || credential.Password.Length == 0)
        {
            throw K8sOperationException.InvalidArgument("Credential", credential.UserName, "the credential needs a user name and a password or token.");
        }

        foreach (string account in serviceAccounts)
        {
            KubernetesNames.ValidateObjectName("ServiceAccount", account);
        }

        var core = cluster.Api.CoreV1;

        // Every account to link must exist before the Secret is written: a missing one used to fail only after the
        // Secret had been created, leaving a credential in the namespace that nothing pulls with.
        var missing = new List<string>();
        foreach (string account in serviceAccounts.Distinct(StringComparer.Ordinal))
        {
            if (await RbacManagement.GetOrNullAsync(() => core.ReadNamespacedServiceAccountAsync(account, ns, cancellationToken: cancellationToken), $"Reading service account '{ns}:{account}'").ConfigureAwait(false) is null)
            {
                missing.Add(account);
            }
        }

        if (missing.Count > 0)
        {
            throw new K8sOperationException(
                K8sErrorKind.NotFound,
                $"Service account {string.Join(", ", missing.Select(a => $"'{ns}:{a}'"))} not found: nothing was written. Create it first (New-K8sServiceAccount) or leave it out of -ServiceAccount.",
                $"{ns}:{missing[0]}");
        }

        string? dry = dryRun ? "All" : null;
        var entry = new JsonObject
        {
            ["username"] = credential.UserName,
            ["password"] = credential.Password,
            ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.UserName}:{credential.Password}")),
        };
        if (!string.IsNullOrEmpty(email))
        {
            entry["email"] = email;
        }

        byte[] config = Encoding.UTF8.GetBytes(new JsonObject { ["auths"] = new JsonObject { [server] = entry } }.ToJsonString());
        var change = await ReadModifyWrite.RunAsync($"Writing secret '{ns}/{name}'", name, async _ =>
        {
            var existing = await RbacManagement.GetOrNullAsync(() => core.ReadNamespacedSecretAsync(name, ns, cancellationToken: cancellationToken), $"Reading secret '{ns}/{name}'").ConfigureAwait(false);
            if (existing is null)
            {
                log.Verbose($"Creating registry secret {ns}/{name} for {server} (user {credential.UserName}){DryRunNote(dryRun)}.");
                var body = new V1Secret
                {
                    Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns },
                    Type = "kubernetes.io/dockerconfigjson",
                    Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = config },
                };
                await ReadModifyWrite.WriteAsync(WriteKind.Create, () => core.CreateNamespacedSecretAsync(body, ns, dryRun: dry, cancellationToken: cancellationToken), $"Creating secret '{ns}/{name}'", name).ConfigureAwait(false);
                return ObjectChange.Created;
            }

            if (existing.Type == "kubernetes.io/dockerconfigjson" && existing.Data is { } data && data.TryGetValue(".dockerconfigjson", out var current) && SameJson(current, config))
            {
                log.Verbose($"Registry secret {ns}/{name} already holds this credential.");
                return ObjectChange.Unchanged;
            }

            if (!force)
            {
                throw new K8sOperationException(K8sErrorKind.AlreadyExists, $"Secret '{ns}/{name}' already exists with other content (type {existing.Type}); use -Force to replace it.", name);
            }

            if (existing.Type != "kubernetes.io/dockerconfigjson")
            {
                throw new K8sOperationException(K8sErrorKind.Conflict, $"Secret '{ns}/{name}' has type {existing.Type}; a Secret's type cannot change. Remove it first or choose another -Name.", name);
            }

            log.Verbose($"Replacing the credential in registry secret {ns}/{name}{DryRunNote(dryRun)}.");
            existing.Data = new Dictionary<string, byte[]> { [".dockerconfigjson"] = config };
            await ReadModifyWrite.WriteAsync(WriteKind.Update, () => core.ReplaceNamespacedSecretAsync(existing, name, ns, dryRun: dry, cancellationToken: cancellationToken), $"Replacing secret '{ns}/{name}'", name).ConfigureAwait(false);
            return ObjectChange.Updated;
        }, log, cancellationToken).ConfigureAwait(false);

        var linked = new List<string>();
        foreach (string account in serviceAccounts.Distinct(StringComparer.Ordinal))
        {
            bool added = await AddImagePullSecretAsync(core, ns, account, name, dryRun, log, cancellationToken).ConfigureAwait(false);
            if (added && change == ObjectChange.Unchanged)
            {
                change = ObjectChange.Updated;
            }

            linked.Add(account);
        }

        return new RegistrySecretInfo { Name = name, Namespace = ns, Server = server, UserName = credential.UserName, Change = change, ServiceAccounts = linked, DryRun = dryRun };
    }

    /// <summary>
    /// Appends the pull secret to a service account's imagePullSecrets. That list has no merge key (a strategic patch
    /// would replace it, dropping the account's other pull secrets), so the whole list is written back, conditional on
    /// the resourceVersion read, and read again when another writer changed the account first.
    /// </summary>
    private static Task<bool> AddImagePullSecretAsync(ICoreV1Operations core, string ns, string account, string secret, bool dryRun, EngineLog log, CancellationToken cancellationToken) =>
        ReadModifyWrite.RunAsync($"Adding '{secret}' to the imagePullSecrets of service account '{ns}:{account}'", account, async _ =>
        {
            var sa = await ReadAsync(() => core.ReadNamespacedServiceAccountAsync(account, ns, cancellationToken: cancellationToken), $"Service account '{ns}:{account}'").ConfigureAwait(false);
            var current = sa.ImagePullSecrets ?? new List<V1LocalObjectReference>();
            if (current.Any(r => r.Name == secret))
            {
                log.Verbose($"Service account {ns}:{account} already pulls with {secret}.");
                return false;
            }

            var list = new JsonArray();
            foreach (var reference in current)
            {
                list.Add(new JsonObject { ["name"] = reference.Name });
            }

            list.Add(new JsonObject { ["name"] = secret });
            var body = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = sa.Metadata.ResourceVersion }, ["imagePullSecrets"] = list };
            log.Verbose($"Adding {secret} to the imagePullSecrets of service account {ns}:{account}{DryRunNote(dryRun)}.");
            await ReadModifyWrite.WriteAsync(
                WriteKind.Update,
                () => core.PatchNamespacedServiceAccountAsync(new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch), account, ns, dryRun: dryRun ? "All" : null, cancellationToken: cancellationToken),
                $"Adding '{secret}' to the imagePullSecrets of service account '{ns}:{account}'", account).ConfigureAwait(false);
            return true;
        }, log, cancellationToken);

    private static bool SameJson(byte[] left, byte[] right)
    {
        try
        {
            return JsonNode.DeepEquals(JsonNode.Parse(left), JsonNode.Parse(right));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static async Task<Dictionary<(string Namespace, string Name), List<string>>> ListWorkloadUsersAsync(ClusterClient cluster, string? ns, CancellationToken cancellationToken)
    {
        var api = cluster.Api;
        var users = new Dictionary<(string, string), List<string>>();
        void Add(string kind, V1ObjectMeta meta, V1PodSpec? spec)
        {
            string account = string.IsNullOrEmpty(spec?.ServiceAccountName) ? (string.IsNullOrEmpty(spec?.ServiceAccount) ? "default" : spec!.ServiceAccount) : spec!.ServiceAccountName;
            var key = (meta.NamespaceProperty, account);
            if (!users.TryGetValue(key, out var list))
            {
                list = new List<string>();
                users[key] = list;
            }

            list.Add($"{kind}/{meta.Name}");
        }

        async Task<T?> TryList<T>(Func<Task<T>> call, string what)
            where T : class
        {
            try
            {
                return await ApiErrorTranslator.CallAsync(call, $"Listing {what}").ConfigureAwait(false);
            }
            catch (K8sOperationException ex) when (ex.Kind is K8sErrorKind.Forbidden or K8sErrorKind.NotFound)
            {
                return null; // partial answers beat none: a reader may not be allowed to list every kind
            }
        }

        var deployments = await TryList(() => ns is null ? api.AppsV1.ListDeploymentForAllNamespacesAsync(cancellationToken: cancellationToken) : api.AppsV1.ListNamespacedDeploymentAsync(ns, cancellationToken: cancellationToken), "deployments").ConfigureAwait(false);
        foreach (var item in deployments?.Items ?? new List<V1Deployment>())
        {
            Add("Deployment", item.Metadata, item.Spec?.Template?.Spec);
        }

        var statefulSets = await TryList(() => ns is null ? api.AppsV1.ListStatefulSetForAllNamespacesAsync(cancellationToken: cancellationToken) : api.AppsV1.ListNamespacedStatefulSetAsync(ns, cancellationToken: cancellationToken), "statefulsets").ConfigureAwait(false);
        foreach (var item in statefulSets?.Items ?? new List<V1StatefulSet>())
        {
            Add("StatefulSet", item.Metadata, item.Spec?.Template?.Spec);
        }

        var daemonSets = await TryList(() => ns is null ? api.AppsV1.ListDaemonSetForAllNamespacesAsync(cancellationToken: cancellationToken) : api.AppsV1.ListNamespacedDaemonSetAsync(ns, cancellationToken: cancellationToken), "daemonsets").ConfigureAwait(false);
        foreach (var item in daemonSets?.Items ?? new List<V1DaemonSet>())
        {
            Add("DaemonSet", item.Metadata, item.Spec?.Template?.Spec);
        }

        var cronJobs = await TryList(() => ns is null ? api.BatchV1.ListCronJobForAllNamespacesAsync(cancellationToken: cancellationToken) : api.BatchV1.ListNamespacedCronJobAsync(ns, cancellationToken: cancellationToken), "cronjobs").ConfigureAwait(false);
        foreach (var item in cronJobs?.Items ?? new List<V1CronJob>())
        {
            Add("CronJob", item.Metadata, item.Spec?.JobTemplate?.Spec?.Template?.Spec);
        }

        var jobs = await TryList(() => ns is null ? api.BatchV1.ListJobForAllNamespacesAsync(cancellationToken: cancellationToken) : api.BatchV1.ListNamespacedJobAsync(ns, cancellationToken: cancellationToken), "jobs").ConfigureAwait(false);
        foreach (var item in jobs?.Items ?? new List<V1Job>())
        {
            if (item.Metadata.OwnerReferences?.Any(o => o.Controller == true) != true)
            {
                Add("Job", item.Metadata, item.Spec?.Template?.Spec);
            }
        }

        // Bare pods only: pods owned by a controller are already counted through it.
        var pods = await TryList(() => ns is null ? api.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: cancellationToken) : api.CoreV1.ListNamespacedPodAsync(ns, cancellationToken: cancellationToken), "pods").ConfigureAwait(false);
        foreach (var item in pods?.Items ?? new List<V1Pod>())
        {
            if (item.Metadata.OwnerReferences?.Any(o => o.Controller == true) != true)
            {
                Add("Pod", item.Metadata, item.Spec);
            }
        }

        return users;
    }

    /// <summary>Names of legacy token Secrets per account. Only metadata is kept: the token values are never read out.</summary>
    private static async Task<Dictionary<(string Namespace, string Name), List<string>>> ListLegacyTokenSecretsAsync(ClusterClient cluster, string? ns, CancellationToken cancellationToken)
    {
        var result = new Dictionary<(string, string), List<string>>();
        V1SecretList? secrets;
        try
        {
            string selector = $"type={LegacyTokenType}";
            secrets = ns is null
                ? await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: selector, cancellationToken: cancellationToken), "Listing service account token secrets").ConfigureAwait(false)
                : await ApiErrorTranslator.CallAsync(() => cluster.Api.CoreV1.ListNamespacedSecretAsync(ns, fieldSelector: selector, cancellationToken: cancellationToken), "Listing service account token secrets").ConfigureAwait(false);
        }
        catch (K8sOperationException ex) when (ex.Kind == K8sErrorKind.Forbidden)
        {
            return result;
        }

        foreach (var secret in secrets.Items.Where(s => s.Type == LegacyTokenType))
        {
            if (secret.Metadata.Annotations?.TryGetValue(ServiceAccountNameAnnotation, out string? account) == true)
            {
                var key = (secret.Metadata.NamespaceProperty, account);
                if (!result.TryGetValue(key, out var list))
                {
                    list = new List<string>();
                    result[key] = list;
                }

                list.Add(secret.Metadata.Name);
            }
        }

        return result;
    }

    private static ServiceAccountInfo Describe(V1ServiceAccount account, ObjectChange change, bool dryRun, IReadOnlyList<RbacBindingRow>? bindings = null, List<string>? workloads = null, List<string>? legacy = null) => new()
    {
        Name = account.Metadata.Name,
        Namespace = account.Metadata.NamespaceProperty,
        AutomountToken = account.AutomountServiceAccountToken,
        ImagePullSecrets = account.ImagePullSecrets?.Select(r => r.Name).ToList() ?? new List<string>(),
        Bindings = bindings ?? Array.Empty<RbacBindingRow>(),
        Workloads = (IReadOnlyList<string>?)workloads?.Order(StringComparer.Ordinal).ToList() ?? Array.Empty<string>(),
        LegacyTokenSecrets = (IReadOnlyList<string>?)legacy?.Order(StringComparer.Ordinal).ToList() ?? Array.Empty<string>(),
        CreatedAt = account.Metadata.CreationTimestamp is { } created ? new DateTimeOffset(DateTime.SpecifyKind(created, DateTimeKind.Utc)) : null,
        Change = change,
        DryRun = dryRun,
    };

    private static async Task<T> ReadAsync<T>(Func<Task<T>> call, string what) =>
        await ApiErrorTranslator.CallAsync(call, $"Reading {what}", what).ConfigureAwait(false);

    private static string DryRunNote(bool dryRun) => dryRun ? " (server dry run: nothing is stored)" : string.Empty;
}
