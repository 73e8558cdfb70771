using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// RBAC privilege-escalation prevention (pkg/registry/rbac/escalation_check.go, validation.ConfirmNoEscalation):
/// a Role/ClusterRole may only be written by someone who already holds every rule in it (or has "escalate" on it);
/// a binding may only be written by someone who holds every rule of the referenced role (or has "bind" on it).
/// system:masters are exempt. Missing rules are listed one atomic rule per line.
/// </summary>
public sealed class RbacEscalation : IAdmissionPlugin
{
    private const string Rbac = "rbac.authorization.k8s.io";

    public string Name => "RbacEscalation";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete || r.Type.Group != Rbac || r.User.Groups.Contains("system:masters"))
        {
            return;
        }

        var authorizer = r.Server.Authorizer;
        var ns = r.Type.Namespaced ? r.Namespace : "";
        List<JsonObject> wanted;
        if (r.Type.Kind is "Role" or "ClusterRole")
        {
            if (Allowed(r, "escalate", r.Type.Plural, ns, r.Name))
            {
                return;
            }

            wanted = r.Object.Objects("rules").ToList();
        }
        else
        {
            var kind = r.Object.Str("roleRef", "kind");
            var roleName = r.Object.Str("roleRef", "name") ?? "";
            var plural = kind == "Role" ? "roles" : "clusterroles";
            if (Allowed(r, "bind", plural, ns, roleName))
            {
                return;
            }

            var role = kind == "Role"
                ? r.Store.GetRaw(ResourceCatalog.Roles, ns, roleName)
                : r.Store.GetRaw(ResourceCatalog.ClusterRoles, null, roleName);
            if (role is null)
            {
                throw StatusResponses.AdmissionForbidden(r.Type, r.Name, $"{(kind == "Role" ? "roles" : "clusterroles")}.{Rbac} \"{roleName}\" not found");
            }

            wanted = kind == "Role" ? role.Objects("rules").ToList() : authorizer.EffectiveClusterRoleRules(role);
        }

        var held = authorizer.RulesFor(r.User, ns);
        var missing = wanted.SelectMany(Atoms).Where(a => !held.Any(h => Covers(h, a))).ToList();
        if (missing.Count > 0)
        {
            var groups = string.Join(" ", r.User.Groups.Select(g => $"\"{g}\""));
            throw StatusResponses.AdmissionForbidden(r.Type, r.Name,
                $"user \"{r.User.Name}\" (groups=[{groups}]) is attempting to grant RBAC permissions not currently held:\n" + string.Join("\n", Compact(missing)));
        }
    }

    /// <summary>
    /// validation.CompactRules + CompactString + sets.NewString: the missing one-verb rules of one group and resource
    /// become one rule with their verbs in the order they were missing; the lines are deduplicated and sorted.
    /// </summary>
    private static IEnumerable<string> Compact(List<Atom> missing)
    {
        var lines = new List<string>();
        var simple = new Dictionary<(string?, string?, string?), List<string>>();
        var order = new List<(string?, string?, string?)>();
        foreach (var a in missing)
        {
            if (a.Url is not null)
            {
                lines.Add(Describe(a.Url, a.Verb));
                continue;
            }

            var key = (a.Group, a.Resource, a.Name);
            if (!simple.TryGetValue(key, out var verbs))
            {
                verbs = [];
                simple[key] = verbs;
                order.Add(key);
            }

            verbs.Add(a.Verb);
        }

        foreach (var (group, resource, name) in order)
        {
            var verbs = string.Join(" ", simple[(group, resource, name)].Select(v => $"\"{v}\""));
            lines.Add(name!.Length > 0
                ? $"{{APIGroups:[\"{group}\"], Resources:[\"{resource}\"], ResourceNames:[\"{name}\"], Verbs:[{verbs}]}}"
                : $"{{APIGroups:[\"{group}\"], Resources:[\"{resource}\"], Verbs:[{verbs}]}}");
        }

        return lines.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);

        static string Describe(string url, string verb) => $"{{NonResourceURLs:[\"{url}\"], Verbs:[\"{verb}\"]}}";
    }

    private static bool Allowed(AdmissionRequest r, string verb, string resource, string ns, string name) =>
        r.Server.Authorizer.Authorize(new AuthzAttributes(r.User, verb, true, ApiGroup: Rbac, Resource: resource, Namespace: ns, Name: name)).Allowed;

    private sealed record Atom(string Verb, string? Group, string? Resource, string? Name, string? Url);

    /// <summary>A rule broken into single verb × group × resource × name (or verb × URL) permissions.</summary>
    private static IEnumerable<Atom> Atoms(JsonObject rule)
    {
        var verbs = rule.Strings("verbs").ToList();
        var urls = rule.Strings("nonResourceURLs").ToList();
        foreach (var v in verbs)
        {
            foreach (var u in urls)
            {
                yield return new Atom(v, null, null, null, u);
            }

            foreach (var g in rule.Strings("apiGroups"))
            {
                foreach (var res in rule.Strings("resources"))
                {
                    var names = rule.Strings("resourceNames").ToList();
                    foreach (var n in names.Count == 0 ? [""] : names)
                    {
                        yield return new Atom(v, g, res, n, null);
                    }
                }
            }
        }
    }

    private static bool Covers(JsonObject owner, Atom a)
    {
        if (!owner.Strings("verbs").Any(v => v == "*" || v == a.Verb))
        {
            return false;
        }

        if (a.Url is not null)
        {
            return owner.Strings("nonResourceURLs").Any(u => u == "*" || u == a.Url || (u.EndsWith('*') && a.Url.StartsWith(u[..^1], StringComparison.Ordinal)));
        }

        if (!owner.Strings("apiGroups").Any(g => g == "*" || g == a.Group))
        {
            return false;
        }

        var slash = a.Resource!.IndexOf('/', StringComparison.Ordinal);
        if (!owner.Strings("resources").Any(x => x == "*" || x == a.Resource || (slash > 0 && x == "*" + a.Resource[slash..])))
        {
            return false;
        }

        var names = owner.Strings("resourceNames").ToList();
        return names.Count == 0 || (a.Name!.Length > 0 && names.Contains(a.Name));
    }
}
