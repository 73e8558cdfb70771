using System.Text;
using K8sSecurity.TestServer.Admission;
using Microsoft.AspNetCore.Http;

namespace K8sSecurity.TestServer;

/// <summary>
/// Impersonate-User / -Group / -Uid / -Extra-* headers (kubectl --as/--as-group/--as-uid, kubeconfig as*), checked
/// like kube-apiserver's impersonation filter (apiserver/pkg/endpoints/filters/impersonation.go, v1.32):
/// the requests are the user (a ServiceAccount when the name is system:serviceaccount:&lt;valid ns&gt;:&lt;valid name&gt;),
/// each Impersonate-Group line, each extra value (key = header suffix lower-cased, then %-unescaped; a malformed
/// escape keeps the key as sent), then the uid; the caller needs "impersonate" on users / serviceaccounts (in the
/// namespace) / groups / userextras/&lt;key&gt; and uids (authentication.k8s.io) for each, and the first refusal is a
/// 403 of the authorization filter's form. Groups, extra or uid without a user is 400 "requested [...] without
/// impersonating a user". The new user gets system:authenticated unless the groups hold it or
/// system:unauthenticated (system:anonymous gets system:unauthenticated), and a ServiceAccount gets its groups only
/// when no Impersonate-Group line was sent.
/// </summary>
internal static class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string GroupHeader = "Impersonate-Group";
    public const string UidHeader = "Impersonate-Uid";
    public const string ExtraHeaderPrefix = "Impersonate-Extra-";
    private const string AuthenticationGroup = "authentication.k8s.io";
    private const string AuthenticationVersion = "authentication.k8s.io/v1";
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>One thing to impersonate (the filter's v1.ObjectReference: Kind, Namespace, Name, APIVersion, FieldPath).</summary>
    private sealed record Request(string Kind, string Namespace, string Name, string ApiVersion = "", string FieldPath = "")
    {
        /// <summary>Go's %v of the v1.ObjectReference (Kind Namespace Name UID APIVersion ResourceVersion FieldPath).</summary>
        public override string ToString() => "{" + string.Join(' ', Kind, Namespace, Name, "", ApiVersion, "", FieldPath) + "}";
    }

    /// <summary>The Impersonate-* header lines of a request, in order, names as received.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Headers(IHeaderDictionary headers) =>
        headers.Where(h => h.Key.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase))
            .SelectMany(h => h.Value.Select(v => new KeyValuePair<string, string>(h.Key, v ?? "")))
            .ToList();

    public static UserInfo Apply(HttpContext ctx, UserInfo caller, RbacAuthorizer authorizer)
    {
        var headers = ctx.Request.Headers;
        var requests = BuildRequests(headers);
        if (requests.Count == 0)
        {
            return caller;
        }

        bool groupsSpecified = headers[GroupHeader].Count > 0;
        string username = "";
        var groups = new List<string>();
        var extra = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        string uid = "";
        foreach (var request in requests)
        {
            AuthzAttributes attributes;
            switch (request.Kind)
            {
                case "ServiceAccount":
                    attributes = Attributes(caller, "", "serviceaccounts", "", request.Namespace, request.Name);
                    username = ServiceAccountPrefix + request.Namespace + ":" + request.Name;
                    if (!groupsSpecified)
                    {
                        groups = ["system:serviceaccounts", "system:serviceaccounts:" + request.Namespace];
                    }

                    break;
                case "User":
                    attributes = Attributes(caller, "", "users", "", "", request.Name);
                    username = request.Name;
                    break;
                case "Group":
                    attributes = Attributes(caller, "", "groups", "", "", request.Name);
                    groups.Add(request.Name);
                    break;
                case "UserExtra":
                    attributes = Attributes(caller, AuthenticationGroup, "userextras", request.FieldPath, "", request.Name);
                    if (!extra.TryGetValue(request.FieldPath, out var values))
                    {
                        extra[request.FieldPath] = values = [];
                    }

                    values.Add(request.Name);
                    break;
                default:
                    attributes = Attributes(caller, AuthenticationGroup, "uids", "", "", request.Name);
                    uid = request.Name;
                    break;
            }

            if (!authorizer.Authorize(attributes).Allowed)
            {
                throw StatusResponses.Forbidden(attributes);
            }
        }

        if (username != UserInfo.Anonymous)
        {
            if (!groups.Contains("system:authenticated") && !groups.Contains("system:unauthenticated"))
            {
                groups.Add("system:authenticated");
            }
        }
        else if (!groups.Contains("system:unauthenticated"))
        {
            groups.Add("system:unauthenticated");
        }

        return new UserInfo(username, groups, uid.Length > 0 ? uid : null, extra.Count > 0 ? extra.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal) : null);
    }

    private static List<Request> BuildRequests(IHeaderDictionary headers)
    {
        var requests = new List<Request>();
        string requestedUser = headers[UserHeader].FirstOrDefault() ?? "";
        bool hasUser = requestedUser.Length > 0;
        if (hasUser)
        {
            requests.Add(SplitServiceAccount(requestedUser) is var (ns, name) && ns is not null
                ? new Request("ServiceAccount", ns, name!)
                : new Request("User", "", requestedUser));
        }

        bool hasGroups = false;
        foreach (var group in headers[GroupHeader])
        {
            hasGroups = true;
            requests.Add(new Request("Group", "", group ?? ""));
        }

        bool hasUserExtra = false;
        foreach (var (headerName, values) in headers)
        {
            if (!headerName.StartsWith(ExtraHeaderPrefix, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            hasUserExtra = true;
            string extraKey = UnescapeExtraKey(headerName[ExtraHeaderPrefix.Length..].ToLowerInvariant());
            foreach (var value in values)
            {
                requests.Add(new Request("UserExtra", "", value ?? "", AuthenticationVersion, extraKey));
            }
        }

        string requestedUid = headers[UidHeader].FirstOrDefault() ?? "";
        bool hasUid = requestedUid.Length > 0;
        if (hasUid)
        {
            requests.Add(new Request("UID", "", requestedUid, AuthenticationVersion));
        }

        if ((hasGroups || hasUserExtra || hasUid) && !hasUser)
        {
            throw StatusResponses.BadRequest($"requested [{string.Join(' ', requests)}] without impersonating a user");
        }

        return requests;
    }

    /// <summary>serviceaccount.SplitUsername: system:serviceaccount:&lt;namespace&gt;:&lt;name&gt; with a valid namespace and name.</summary>
    private static (string? Namespace, string? Name) SplitServiceAccount(string username)
    {
        if (!username.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return (null, null);
        }

        var parts = username[ServiceAccountPrefix.Length..].Split(':');
        return parts.Length == 2 && !ObjectMetaValidation.Dns1123Label(parts[0]).Any() && !ObjectMetaValidation.Dns1123Subdomain(parts[1]).Any()
            ? (parts[0], parts[1])
            : (null, null);
    }

    /// <summary>unescapeExtraKey: url.PathUnescape, or the key as sent when an escape is malformed.</summary>
    private static string UnescapeExtraKey(string encoded)
    {
        var bytes = new List<byte>(encoded.Length);
        for (int i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] != '%')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(encoded[i].ToString()));
                continue;
            }

            if (i + 2 >= encoded.Length || !Uri.IsHexDigit(encoded[i + 1]) || !Uri.IsHexDigit(encoded[i + 2]))
            {
                return encoded;
            }

            bytes.Add(Convert.ToByte(encoded.Substring(i + 1, 2), 16));
            i += 2;
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static AuthzAttributes Attributes(UserInfo caller, string group, string resource, string subresource, string ns, string name) =>
        new(caller, "impersonate", true, ApiGroup: group, Resource: resource, Subresource: subresource, Namespace: ns, Name: name);
}
