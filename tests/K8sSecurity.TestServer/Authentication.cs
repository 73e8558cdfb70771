using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace K8sSecurity.TestServer;

/// <summary>Who is calling (user.Info): name, groups (always including system:authenticated when authenticated), uid, extra.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups, string? Uid = null, IReadOnlyDictionary<string, string[]>? Extra = null)
{
    public const string Anonymous = "system:anonymous";

    public JsonObject ToJson(bool includeUid = true)
    {
        var o = new JsonObject { ["username"] = Name };
        if (includeUid && Uid is not null)
        {
            o["uid"] = Uid;
        }

        o["groups"] = Groups.ToJsonArray();
        if (Extra is { Count: > 0 })
        {
            var e = new JsonObject();
            foreach (var (k, v) in Extra)
            {
                e[k] = v.ToJsonArray();
            }

            o["extra"] = e;
        }

        return o;
    }

    public static IReadOnlyList<string> WithAuthenticated(IEnumerable<string> groups)
    {
        var list = groups.Where(g => g != "system:authenticated").ToList();
        list.Add("system:authenticated");
        return list;
    }

    public static UserInfo ServiceAccount(string ns, string name, string? uid, IReadOnlyDictionary<string, string[]>? extra = null) =>
        new($"system:serviceaccount:{ns}:{name}", ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"], uid, extra);
}

/// <summary>
/// Authenticators in kube-apiserver order: bearer token (static tokens from AddToken, ServiceAccount tokens from
/// TokenRequest), then x509 client certificate (CN=user, O=groups, chain to the cluster CA), else anonymous.
/// A bearer token that is present but unknown, expired or for another audience is a 401, like golden 25/48.
/// </summary>
public sealed class Authentication(CertificateAuthority ca)
{
    /// <summary>The audience ServiceAccount tokens must carry to be accepted by this API server (the issuer, as in kubeadm clusters).</summary>
    public const string ApiAudience = "https://kubernetes.default.svc.cluster.local";

    private readonly ConcurrentDictionary<string, TokenEntry> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, UserInfo?> _certCache = new(StringComparer.Ordinal);

    private sealed record TokenEntry(UserInfo User, DateTimeOffset? Expires, IReadOnlyList<string> Audiences);

    public string AddToken(string user, IEnumerable<string> groups)
    {
        var token = "k8ssec-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = new TokenEntry(new UserInfo(user, UserInfo.WithAuthenticated(groups)), null, [ApiAudience]);
        return token;
    }

    /// <summary>A JWT-shaped ServiceAccount token (unsigned: only this server validates it, by lookup).</summary>
    public string IssueServiceAccountToken(string ns, string name, string saUid, DateTimeOffset expires, IReadOnlyList<string> audiences)
    {
        var jti = Guid.NewGuid().ToString();
        var now = DateTimeOffset.UtcNow;
        var header = B64(new JsonObject { ["alg"] = "RS256", ["kid"] = "k8ssecurity-test" }.ToJsonString());
        var payload = B64(new JsonObject
        {
            ["aud"] = audiences.ToJsonArray(),
            ["exp"] = expires.ToUnixTimeSeconds(),
            ["iat"] = now.ToUnixTimeSeconds(),
            ["iss"] = ApiAudience,
            ["jti"] = jti,
            ["kubernetes.io"] = new JsonObject { ["namespace"] = ns, ["serviceaccount"] = new JsonObject { ["name"] = name, ["uid"] = saUid } },
            ["nbf"] = now.ToUnixTimeSeconds(),
            ["sub"] = $"system:serviceaccount:{ns}:{name}",
        }.ToJsonString());
        var token = header + "." + payload + "." + B64(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)));
        var extra = new Dictionary<string, string[]>(StringComparer.Ordinal) { ["authentication.kubernetes.io/credential-id"] = ["JTI=" + jti] };
        _tokens[token] = new TokenEntry(UserInfo.ServiceAccount(ns, name, saUid, extra), expires, audiences);
        return token;
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>TokenReview semantics: the user for a token if valid for one of <paramref name="audiences"/> (API audience when empty).</summary>
    public UserInfo? ReviewToken(string token, IReadOnlyList<string>? audiences = null)
    {
        if (!_tokens.TryGetValue(token, out var e))
        {
            return null;
        }

        if (e.Expires is { } exp && exp < DateTimeOffset.UtcNow)
        {
            return null;
        }

        var wanted = audiences is { Count: > 0 } ? audiences : [ApiAudience];
        return e.Audiences.Intersect(wanted, StringComparer.Ordinal).Any() ? e.User : null;
    }

    /// <summary>Revokes every token of a ServiceAccount (used when the ServiceAccount is deleted).</summary>
    public void RevokeServiceAccount(string ns, string name)
    {
        var user = $"system:serviceaccount:{ns}:{name}";
        foreach (var (k, v) in _tokens)
        {
            if (v.User.Name == user && v.Expires is not null)
            {
                _tokens.TryRemove(k, out _);
            }
        }
    }

    public UserInfo Authenticate(HttpContext ctx)
    {
        var auth = ctx.Request.Headers.Authorization.ToString();
        if (auth.Length > 0)
        {
            if (!auth.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            {
                throw StatusResponses.Unauthorized();
            }

            return ReviewToken(auth["Bearer ".Length..].Trim()) ?? throw StatusResponses.Unauthorized();
        }

        var cert = ctx.Connection.ClientCertificate;
        if (cert is not null)
        {
            return FromCertificate(cert) ?? throw StatusResponses.Unauthorized();
        }

        return new UserInfo(UserInfo.Anonymous, ["system:unauthenticated"]);
    }

    private UserInfo? FromCertificate(X509Certificate2 cert) =>
        _certCache.GetOrAdd(cert.Thumbprint + cert.NotAfter.Ticks, _ =>
        {
            if (!ca.Validates(cert))
            {
                return null;
            }

            var (cn, orgs) = CertificateAuthority.ReadSubject(cert.SubjectName);
            if (string.IsNullOrEmpty(cn))
            {
                return null;
            }

            var extra = new Dictionary<string, string[]>(StringComparer.Ordinal)
            {
                ["authentication.kubernetes.io/credential-id"] = ["X509SHA256=" + CertificateAuthority.Sha256Hex(cert.RawData)],
            };
            return new UserInfo(cn, UserInfo.WithAuthenticated(orgs), null, extra);
        }) is { } u && cert.NotAfter > DateTime.Now ? u : null;
}
