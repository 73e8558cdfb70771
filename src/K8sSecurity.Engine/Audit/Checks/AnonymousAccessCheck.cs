using k8s;
using k8s.Models;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// What an unauthenticated caller may do: the server's own authorizer answers SubjectAccessReviews for
/// `system:anonymous` (group `system:unauthenticated`), and any binding that gives the anonymous user or group more
/// than the cluster's default policy does is flagged (that part also works offline). The default bindings themselves
/// (system:public-info-viewer: /version, /healthz…) are recognised by their content, not by their labels.
/// </summary>
public sealed class AnonymousAccessCheck : IAuditCheck
{
    public const string AnonymousUser = "system:anonymous";

    /// <summary>The questions asked, most dangerous first.</summary>
    public static IReadOnlyList<AnonymousQuestion> Questions { get; } = new[]
    {
        new AnonymousQuestion("list", string.Empty, "secrets", FindingSeverity.Critical),
        new AnonymousQuestion("create", string.Empty, "pods", FindingSeverity.Critical),
        new AnonymousQuestion("list", string.Empty, "pods", FindingSeverity.High),
        new AnonymousQuestion("list", "rbac.authorization.k8s.io", "clusterrolebindings", FindingSeverity.High),
        new AnonymousQuestion("list", string.Empty, "namespaces", FindingSeverity.Medium),
    };

    private static readonly string[] AnonymousSubjects = { AnonymousUser, "system:unauthenticated" };

    public AuditCategory Category => AuditCategory.AnonymousAccess;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = new[] { AuditKind.Role, AuditKind.ClusterRole, AuditKind.RoleBinding, AuditKind.ClusterRoleBinding };

    public IReadOnlyCollection<AuditKind> EvaluatedKinds { get; } = new[] { AuditKind.RoleBinding, AuditKind.ClusterRoleBinding };

    public async Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        int evaluated = 0;
        int defaults = 0;
        var policy = context.Rbac;
        var bindingsByKey = policy.AllBindings.GroupBy(b => (b.Kind.ToString(), b.Namespace, b.Name)).ToDictionary(g => g.Key, g => g.First());
        var defaultPolicy = policy.Defaults ?? DefaultRbacPolicy.Newest;
        foreach (var binding in context.Inventory.Of(AuditKind.ClusterRoleBinding).Concat(context.Inventory.Of(AuditKind.RoleBinding)))
        {
            bindingsByKey.TryGetValue((binding.Kind ?? string.Empty, binding.Kind == "RoleBinding" ? binding.Namespace : null, binding.Name ?? string.Empty), out var model);
            var role = model is null ? null : policy.ResolveRole(model);
            if (model is not null && model.IsDefault && role is { IsDefault: true })
            {
                defaults++;
                continue;
            }

            evaluated++;
            var anonymous = binding.Body.Objects("subjects")
                .Where(s => s.Str("kind") is "User" or "Group" && AnonymousSubjects.Contains(s.Str("name"), StringComparer.Ordinal))
                .Select(s => s.Str("name")!)
                .ToList();

            // Giving anonymous users what the default policy gives them already (public-info-viewer) adds nothing; a
            // binding to a role that does not exist yet is flagged, because the role may appear later.
            bool beyondDefaults = role is null || anonymous.Any(name => role.Rules.Any(rule => !defaultPolicy.GrantsByDefault(
                new RbacSubject(name == AnonymousUser ? RbacSubjectKind.User : RbacSubjectKind.Group, name), model!.Kind == RbacBindingKind.RoleBinding ? model.Namespace : null, rule)));
            if (anonymous.Count == 0 || !beyondDefaults)
            {
                continue;
            }

            string roleRef = $"{binding.Body.Str("roleRef", "kind")}/{binding.Body.Str("roleRef", "name")}";
            findings.Add(context.Finding(binding, Category, "ANON-BINDING", FindingSeverity.Critical, "Binding grants rights to unauthenticated users",
                $"{binding.Kind} '{binding.Name}' grants {roleRef} to {string.Join(" and ", anonymous)}: anyone who can reach the API server gets it.",
                "Remove the anonymous subjects from the binding (or delete it); bind the role to authenticated identities only.",
                new Dictionary<string, string> { ["subjects"] = string.Join(", ", anonymous), ["roleRef"] = roleRef }));
        }

        var excluded = defaults == 0 ? Array.Empty<string>() : new[] { $"{defaults} binding(s) of the default RBAC policy {policy.Defaults!.Version}" };
        if (context.Cluster is null)
        {
            return new AuditCheckResult { Findings = findings, Evaluated = evaluated, ExcludedDefaults = excluded };
        }

        foreach (var question in Questions)
        {
            evaluated++;
            var review = new V1SubjectAccessReview
            {
                ApiVersion = "authorization.k8s.io/v1",
                Kind = "SubjectAccessReview",
                Spec = new V1SubjectAccessReviewSpec
                {
                    User = AnonymousUser,
                    Groups = new List<string> { "system:unauthenticated" },
                    ResourceAttributes = new V1ResourceAttributes { Verb = question.Verb, Group = question.ApiGroup, Resource = question.Resource },
                },
            };
            var answer = await ApiErrorTranslator.CallAsync(
                () => context.Cluster.Api.AuthorizationV1.CreateSubjectAccessReviewAsync(review, cancellationToken: cancellationToken),
                $"Asking whether {AnonymousUser} may {question.Verb} {question.Resource}",
                AnonymousUser).ConfigureAwait(false);
            if (answer.Status?.Allowed == true)
            {
                findings.Add(context.Finding(Category, $"ANON-{question.Verb.ToUpperInvariant()}-{question.Resource.ToUpperInvariant()}", question.Severity,
                    "Unauthenticated users have API access", "User", AnonymousUser, null,
                    $"The API server allows {AnonymousUser} to {question.Verb} {question.Resource} cluster-wide.",
                    "Remove bindings to system:anonymous / system:unauthenticated, or start kube-apiserver with --anonymous-auth=false.",
                    new Dictionary<string, string>
                    {
                        ["subjectAccessReview"] = $"{question.Verb} {(question.ApiGroup.Length == 0 ? string.Empty : question.ApiGroup + "/")}{question.Resource}: allowed",
                        ["reason"] = answer.Status.Reason ?? string.Empty,
                    }));
            }
        }

        return new AuditCheckResult { Findings = findings, Evaluated = evaluated, ExcludedDefaults = excluded };
    }
}

/// <summary>One SubjectAccessReview the anonymous check asks.</summary>
public sealed record AnonymousQuestion(string Verb, string ApiGroup, string Resource, FindingSeverity Severity);
