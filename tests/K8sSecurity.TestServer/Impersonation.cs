using Microsoft.AspNetCore.Http;

namespace K8sSecurity.TestServer;

/// <summary>
/// Impersonate-User / -Group / -Uid / -Extra-* headers (kubectl --as/--as-group), checked like the apiserver's
/// impersonation filter: the caller needs "impersonate" on users (or serviceaccounts), groups, uids and
/// userextras/&lt;key&gt;; the result carries system:authenticated (and the ServiceAccount groups).
/// </summary>
internal static class Impersonation
{
    public static UserInfo Apply(HttpContext ctx, UserInfo caller, RbacAuthorizer authorizer)
    {
        var h = ctx.Request.Headers;
        var user = h["Impersonate-User"].ToString();
        var groups = h["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)).Select(g => g!).ToList();
        var uid = h["Impersonate-Uid"].ToString();
        var extra = h.Where(kv => kv.Key.StartsWith("Impersonate-Extra-", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(kv => Uri.UnescapeDataString(kv.Key["Impersonate-Extra-".Length..]).ToLowerInvariant(), kv => kv.Value.Select(v => v ?? "").ToArray(), StringComparer.Ordinal);
        if (user.Length == 0)
        {
            if (groups.Count > 0 || uid.Length > 0 || extra.Count > 0)
            {
                throw StatusResponses.BadRequest("requested impersonation of groups, uid or extra without impersonating a user");
            }

            return caller;
        }

        const string saPrefix = "system:serviceaccount:";
        if (user.StartsWith(saPrefix, StringComparison.Ordinal) && user[saPrefix.Length..].Split(':') is [var ns, var sa])
        {
            Check(caller, authorizer, "serviceaccounts", "", sa, ns);
            groups.AddRange(["system:serviceaccounts", "system:serviceaccounts:" + ns]);
        }
        else
        {
            Check(caller, authorizer, "users", "", user, "");
        }

        foreach (var g in h["Impersonate-Group"].Where(g => !string.IsNullOrEmpty(g)))
        {
            Check(caller, authorizer, "groups", "", g!, "");
        }

        if (uid.Length > 0)
        {
            Check(caller, authorizer, "uids", "authentication.k8s.io", uid, "");
        }

        foreach (var (key, values) in extra)
        {
            foreach (var v in values)
            {
                Check(caller, authorizer, "userextras", "authentication.k8s.io", v, "", key);
            }
        }

        if (user != UserInfo.Anonymous && !groups.Contains("system:authenticated"))
        {
            groups.Add("system:authenticated");
        }

        return new UserInfo(user, groups.Distinct(StringComparer.Ordinal).ToList(), uid.Length > 0 ? uid : null, extra.Count > 0 ? extra : null);
    }

    private static void Check(UserInfo caller, RbacAuthorizer authorizer, string resource, string group, string name, string ns, string subresource = "")
    {
        var attrs = new AuthzAttributes(caller, "impersonate", true, ApiGroup: group, Resource: resource, Subresource: subresource, Namespace: ns, Name: name);
        if (authorizer.Authorize(attrs).Allowed)
        {
            return;
        }

        var res = subresource.Length > 0 ? resource + "/" + subresource : resource;
        var scope = ns.Length > 0 ? $"in the namespace \"{ns}\"" : "at the cluster scope";
        throw new ApiException(403, "Forbidden",
            $"{StatusResponses.QualifiedResource(resource, group)} \"{name}\" is forbidden: User \"{caller.Name}\" cannot impersonate resource \"{res}\" in API group \"{group}\" {scope}",
            StatusResponses.Details(name, group, resource));
    }
}
