using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Authorization;

/// <summary>Test-K8sAccess, Get-K8sEffectivePermission, Find-K8sSubject and Get-K8sAccessMatrix.</summary>
public static class AccessChecks
{
    /// <summary>The verbs an access matrix always shows (rakkess' columns).</summary>
    public static readonly IReadOnlyList<string> StandardVerbs = new[] { "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection" };

    /// <summary>Resources an access matrix shows when none are given: the ones security reviews ask about.</summary>
    public static readonly IReadOnlyList<string> DefaultMatrixResources = new[]
    {
        "pods", "pods/exec", "pods/attach", "pods/log", "pods/portforward", "deployments.apps", "statefulsets.apps", "daemonsets.apps",
        "replicasets.apps", "jobs.batch", "cronjobs.batch", "services", "endpoints", "configmaps", "secrets", "serviceaccounts",
        "serviceaccounts/token", "persistentvolumeclaims", "events", "ingresses.networking.k8s.io", "networkpolicies.networking.k8s.io",
        "roles.rbac.authorization.k8s.io", "rolebindings.rbac.authorization.k8s.io", "clusterroles.rbac.authorization.k8s.io",
        "clusterrolebindings.rbac.authorization.k8s.io", "namespaces", "nodes", "nodes/proxy", "persistentvolumes",
        "certificatesigningrequests.certificates.k8s.io", "customresourcedefinitions.apiextensions.k8s.io",
    };

    /// <summary>Asks the API server: SelfSubjectAccessReview for the caller, SubjectAccessReview for a subject.</summary>
    public static async Task<RbacAccessResult> CheckOnlineAsync(ClusterClient cluster, RbacIdentity? identity, AccessRequest request, CancellationToken cancellationToken)
    {
        var resourceAttributes = request.IsResourceRequest
            ? new V1ResourceAttributes
            {
                Verb = request.Verb,
                Group = request.ApiGroup ?? string.Empty,
                Resource = request.Resource,
                Subresource = request.Subresource,
                Name = request.Name,
                NamespaceProperty = request.Namespace,
            }
            : null;
        var nonResourceAttributes = request.IsResourceRequest ? null : new V1NonResourceAttributes { Verb = request.Verb, Path = request.NonResourceUrl };
        string operation = $"Checking access for \"{request}\"";
        V1SubjectAccessReviewStatus status;
        if (identity is null)
        {
            var review = new V1SelfSubjectAccessReview { Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = resourceAttributes, NonResourceAttributes = nonResourceAttributes } };
            var answer = await ApiErrorTranslator.CallAsync(() => cluster.Api.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(review, cancellationToken: cancellationToken), operation).ConfigureAwait(false);
            status = answer.Status;
        }
        else
        {
            var review = new V1SubjectAccessReview
            {
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = identity.UserName,
                    Groups = identity.Groups.Count == 0 ? null : identity.Groups.ToList(),
                    ResourceAttributes = resourceAttributes,
                    NonResourceAttributes = nonResourceAttributes,
                },
            };
            var answer = await ApiErrorTranslator.CallAsync(() => cluster.Api.AuthorizationV1.CreateSubjectAccessReviewAsync(review, cancellationToken: cancellationToken), operation).ConfigureAwait(false);
            status = answer.Status;
        }

        return Result(identity, request, status?.Allowed == true, status?.Denied == true, status?.Reason ?? string.Empty, status?.EvaluationError,
            identity is null ? "SelfSubjectAccessReview" : "SubjectAccessReview", Array.Empty<RbacGrant>());
    }

    /// <summary>The same answer computed from RBAC objects, naming the bindings and roles that grant it.</summary>
    public static RbacAccessResult CheckOffline(RbacPolicy policy, RbacIdentity identity, AccessRequest request)
    {
        var decision = policy.Authorize(identity, request);
        var result = Result(identity, request, decision.Allowed, false, decision.Reason, null, "Offline", decision.Grants);
        return policy.SkippedInputs.Count == 0 ? result : Incomplete(result, policy.SkippedInputs);
    }

    /// <summary>The caller's user name and groups (SelfSubjectReview), for offline checks without a subject.</summary>
    public static async Task<RbacIdentity> WhoAmIAsync(ClusterClient cluster, CancellationToken cancellationToken)
    {
        var connection = await cluster.VerifyAsync(cancellationToken).ConfigureAwait(false);
        return new RbacIdentity { UserName = connection.UserName, Groups = connection.Groups };
    }

    public static IReadOnlyList<RbacPermission> EffectivePermissions(RbacPolicy policy, RbacIdentity identity, string? ns) =>
        policy.RulesFor(identity, ns).Select(g => new RbacPermission { Subject = identity.ToString(), Grant = g }).ToList();

    /// <summary>For each resource, which standard verbs (and <paramref name="extraVerbs"/>) the identity may use.</summary>
    public static IReadOnlyList<RbacAccessMatrixRow> AccessMatrix(RbacPolicy policy, RbacIdentity identity, string? ns, IEnumerable<string>? resources, IEnumerable<string>? extraVerbs)
    {
        KubernetesNames.ValidateNamespace("Namespace", ns, optional: true);
        var verbs = StandardVerbs.Concat((extraVerbs ?? Enumerable.Empty<string>()).Where(v => !string.IsNullOrWhiteSpace(v))).Distinct(StringComparer.Ordinal).ToList();
        var rows = new List<RbacAccessMatrixRow>();
        foreach (string resource in (resources ?? DefaultMatrixResources).Where(r => !string.IsNullOrWhiteSpace(r)))
        {
            var allowed = new List<string>();
            AccessRequest? first = null;
            foreach (string verb in verbs)
            {
                var request = AccessRequest.Create(verb, resource, null, null, null, ns, null);
                first ??= request;
                if (policy.Authorize(identity, request).Allowed)
                {
                    allowed.Add(verb);
                }
            }

            string display = string.IsNullOrEmpty(first!.Subresource) ? first.Resource! : $"{first.Resource}/{first.Subresource}";
            rows.Add(new RbacAccessMatrixRow
            {
                Subject = identity.ToString(),
                Resource = display,
                ApiGroup = first.ApiGroup ?? string.Empty,
                Namespace = ns,
                Get = allowed.Contains("get"),
                List = allowed.Contains("list"),
                Watch = allowed.Contains("watch"),
                Create = allowed.Contains("create"),
                Update = allowed.Contains("update"),
                Patch = allowed.Contains("patch"),
                Delete = allowed.Contains("delete"),
                DeleteCollection = allowed.Contains("deletecollection"),
                AllowedVerbs = allowed,
            });
        }

        return rows;
    }

    // An offline answer from manifests some of which could not be read: it says so, in the reason and the list.
    private static RbacAccessResult Incomplete(RbacAccessResult result, IReadOnlyList<string> skipped) => new()
    {
        Allowed = result.Allowed,
        Denied = result.Denied,
        Reason = $"INCOMPLETE: {skipped.Count} input(s) could not be read, so this answer may be wrong. {result.Reason}",
        EvaluationError = result.EvaluationError,
        User = result.User,
        Groups = result.Groups,
        Verb = result.Verb,
        Resource = result.Resource,
        Subresource = result.Subresource,
        ApiGroup = result.ApiGroup,
        Name = result.Name,
        Namespace = result.Namespace,
        NonResourceUrl = result.NonResourceUrl,
        Method = result.Method,
        GrantedBy = result.GrantedBy,
        Request = result.Request,
        SkippedInputs = skipped,
    };

    private static RbacAccessResult Result(RbacIdentity? identity, AccessRequest request, bool allowed, bool denied, string reason, string? evaluationError, string method, IReadOnlyList<RbacGrant> grants) => new()
    {
        Allowed = allowed,
        Denied = denied,
        Reason = reason,
        EvaluationError = string.IsNullOrEmpty(evaluationError) ? null : evaluationError,
        User = identity is null ? null : identity.UserName,
        Groups = identity?.Groups ?? Array.Empty<string>(),
        Verb = request.Verb,
        Resource = request.Resource,
        Subresource = request.Subresource,
        ApiGroup = request.IsResourceRequest ? request.ApiGroup ?? string.Empty : null,
        Name = request.Name,
        Namespace = request.Namespace,
        NonResourceUrl = request.NonResourceUrl,
        Method = method,
        GrantedBy = grants,
        Request = request.ToString(),
    };
}
