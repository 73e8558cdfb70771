using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>authorizer.Attributes: what a request wants to do.</summary>
public sealed record AuthzAttributes(
    UserInfo User,
    string Verb,
    bool IsResourceRequest,
    string Path = "",
    string ApiGroup = "",
    string Resource = "",
    string Subresource = "",
    string Namespace = "",
    string Name = "");

public readonly record struct AuthzDecision(bool Allowed, string Reason);

/// <summary>
/// RBAC written from plugin/pkg/auth/authorizer/rbac (rbac.go, subject_locator.go, validation/rule.go):
/// ClusterRoleBindings first, then RoleBindings of the request namespace; first rule that allows wins and the reason
/// names the binding, role and subject the way kube-apiserver does. Members of system:masters bypass RBAC (privileged
/// group authorizer, empty reason). ClusterRoles with an aggregationRule get their rules computed on read.
/// </summary>
public sealed class RbacAuthorizer(ApiStore store)
{
    public AuthzDecision Authorize(AuthzAttributes a)
    {
        if (a.User.Groups.Contains("system:masters"))
        {
            return new AuthzDecision(true, "");
        }

        lock (store.SyncRoot)
        {
            foreach (var (binding, role, subject) in ApplicableBindings(a.User, a.Namespace))
            {
                foreach (var rule in role.Rules)
                {
                    if (RuleAllows(a, rule))
                    {
                        return new AuthzDecision(true, $"RBAC: allowed by {binding} of {role.Describe} to {subject}");
                    }
                }
            }
        }

        return new AuthzDecision(false, "");
    }

    /// <summary>All rules that apply to the user in a namespace (SelfSubjectRulesReview), cluster-wide ones first.</summary>
    public List<JsonObject> RulesFor(UserInfo user, string ns)
    {
        if (user.Groups.Contains("system:masters"))
        {
            return
            [
                new JsonObject { ["verbs"] = new JsonArray("*"), ["apiGroups"] = new JsonArray("*"), ["resources"] = new JsonArray("*") },
                new JsonObject { ["verbs"] = new JsonArray("*"), ["nonResourceURLs"] = new JsonArray("*") },
            ];
        }

        lock (store.SyncRoot)
        {
            return ApplicableBindings(user, ns).SelectMany(b => b.Role.Rules).Select(r => r.Clone()).ToList();
        }
    }

    private sealed record RoleRules(string Describe, List<JsonObject> Rules);

    private IEnumerable<(string Binding, RoleRules Role, string Subject)> ApplicableBindings(UserInfo user, string ns)
    {
        foreach (var crb in store.ListRaw(ResourceCatalog.ClusterRoleBindings, null))
        {
            var subject = MatchingSubject(crb, user, "");
            if (subject is null)
            {
                continue;
            }

            var role = ResolveRole(crb, "");
            if (role is not null)
            {
                yield return ($"ClusterRoleBinding \"{crb.Str("metadata", "name")}\"", role, subject);
            }
        }

        if (string.IsNullOrEmpty(ns))
        {
            yield break;
        }

        foreach (var rb in store.ListRaw(ResourceCatalog.RoleBindings, ns))
        {
            var subject = MatchingSubject(rb, user, ns);
            if (subject is null)
            {
                continue;
            }

            var role = ResolveRole(rb, ns);
            if (role is not null)
            {
                yield return ($"RoleBinding \"{rb.Str("metadata", "name")}/{ns}\"", role, subject);
            }
        }
    }

    private RoleRules? ResolveRole(JsonObject binding, string ns)
    {
        var kind = binding.Str("roleRef", "kind");
        var name = binding.Str("roleRef", "name") ?? "";
        if (kind == "ClusterRole")
        {
            var cr = store.GetRaw(ResourceCatalog.ClusterRoles, null, name);
            return cr is null ? null : new RoleRules($"ClusterRole \"{name}\"", EffectiveClusterRoleRules(cr));
        }

        if (kind == "Role" && ns.Length > 0)
        {
            var r = store.GetRaw(ResourceCatalog.Roles, ns, name);
            return r is null ? null : new RoleRules($"Role \"{name}\"", r.Objects("rules").ToList());
        }

        return null;
    }

    /// <summary>The rules the clusterrole-aggregation controller would converge to: union of matching ClusterRoles' rules.</summary>
    public List<JsonObject> EffectiveClusterRoleRules(JsonObject clusterRole) => Effective(clusterRole, new HashSet<string>(StringComparer.Ordinal));

    private List<JsonObject> Effective(JsonObject role, HashSet<string> visiting)
    {
        var name = role.Str("metadata", "name") ?? "";
        if (role["aggregationRule"] is not JsonObject agg || !visiting.Add(name))
        {
            return role.Objects("rules").ToList();
        }

        var selectors = agg.Objects("clusterRoleSelectors").Select(LabelSelector.FromObject).ToList();
        var result = new List<JsonObject>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var other in store.ListRaw(ResourceCatalog.ClusterRoles, null))
        {
            if (other.Str("metadata", "name") == name)
            {
                continue;
            }

            var labels = other.StringMap("metadata", "labels");
            if (!selectors.Any(s => s.Matches(labels)))
            {
                continue;
            }

            foreach (var r in Effective(other, visiting))
            {
                if (seen.Add(r.ToJsonString()))
                {
                    result.Add(r);
                }
            }
        }

        visiting.Remove(name);
        return result;
    }

    /// <summary>appliesTo: User by name, Group by membership, ServiceAccount by system:serviceaccount:ns:name (ns defaults to the binding's).</summary>
    private static string? MatchingSubject(JsonObject binding, UserInfo user, string bindingNamespace)
    {
        foreach (var s in binding.Objects("subjects"))
        {
            var kind = s.Str("kind");
            var name = s.Str("name") ?? "";
            switch (kind)
            {
                case "User" when user.Name == name:
                    return $"User \"{name}\"";
                case "Group" when user.Groups.Contains(name):
                    return $"Group \"{name}\"";
                case "ServiceAccount":
                    {
                        var sns = s.Str("namespace");
                        if (string.IsNullOrEmpty(sns))
                        {
                            sns = bindingNamespace;
                        }

                        if (sns.Length > 0 && user.Name == $"system:serviceaccount:{sns}:{name}")
                        {
                            return $"ServiceAccount \"{name}/{sns}\"";
                        }

                        break;
                    }
            }
        }

        return null;
    }

    public static bool RuleAllows(AuthzAttributes a, JsonObject rule)
    {
        if (!VerbMatches(rule, a.Verb))
        {
            return false;
        }

        if (!a.IsResourceRequest)
        {
            return rule.Strings("nonResourceURLs").Any(u => u == "*" || u == a.Path || (u.EndsWith('*') && a.Path.StartsWith(u[..^1], StringComparison.Ordinal)));
        }

        if (!rule.Strings("apiGroups").Any(g => g == "*" || g == a.ApiGroup))
        {
            return false;
        }

        var combined = a.Subresource.Length > 0 ? a.Resource + "/" + a.Subresource : a.Resource;
        if (!rule.Strings("resources").Any(r => r == "*" || r == combined || (a.Subresource.Length > 0 && r == "*/" + a.Subresource)))
        {
            return false;
        }

        var names = rule.Strings("resourceNames").ToList();
        return names.Count == 0 || names.Contains(a.Name);
    }

    private static bool VerbMatches(JsonObject rule, string verb) => rule.Strings("verbs").Any(v => v == "*" || v == verb);
}
