using System.Globalization;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>TokenRequest (serviceaccounts/&lt;name&gt;/token, golden 46/47), SelfSubjectReview (26/48) and TokenReview.</summary>
internal static class Tokens
{
    public static HandlerResult TokenRequest(RequestContext rc)
    {
        var store = rc.Server.Store;
        Generic.ValidateOptions(rc, "CreateOptions");
        var body = rc.DecodeObjectBody("TokenRequest");
        var sa = store.GetRaw(ResourceCatalog.ServiceAccounts, rc.Namespace, rc.Name) ?? throw StatusResponses.NotFound(ResourceCatalog.ServiceAccounts, rc.Name);
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        var seconds = spec.Long("expirationSeconds") ?? 3600;
        if (seconds < 600)
        {
            throw StatusResponses.Invalid("TokenRequest", "authentication.k8s.io", "",
                [FieldError.InvalidValue("spec.expirationSeconds", seconds.ToString(CultureInfo.InvariantCulture), "may not specify a duration less than 10 minutes")]);
        }

        if (seconds > 1L << 32)
        {
            throw StatusResponses.Invalid("TokenRequest", "authentication.k8s.io", "",
                [FieldError.InvalidValue("spec.expirationSeconds", seconds.ToString(CultureInfo.InvariantCulture), "may not specify a duration larger than 2^32 seconds")]);
        }

        var audiences = spec.Strings("audiences").ToList();
        if (audiences.Count == 0)
        {
            audiences.Add(Authentication.ApiAudience);
        }

        var expires = DateTimeOffset.UtcNow.AddSeconds(seconds);
        var token = rc.Server.Authentication.IssueServiceAccountToken(rc.Namespace, rc.Name, sa.Str("metadata", "uid") ?? "", expires, audiences);
        return new HandlerResult(201, new JsonObject
        {
            ["kind"] = "TokenRequest",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = rc.Name,
                ["namespace"] = rc.Namespace,
                ["creationTimestamp"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow),
                ["managedFields"] = FieldPaths.Entry(rc.FieldManager, "authentication.k8s.io/v1", new JsonObject { ["spec"] = spec.DeepClone() }, "token"),
            },
            ["spec"] = new JsonObject
            {
                ["audiences"] = audiences.ToJsonArray(),
                ["expirationSeconds"] = seconds,
                ["boundObjectRef"] = spec["boundObjectRef"]?.DeepClone(),
            },
            ["status"] = new JsonObject
            {
                ["token"] = token,
                ["expirationTimestamp"] = JsonUtil.Timestamp(expires),
            },
        });
    }

    public static HandlerResult SelfSubjectReview(RequestContext rc) => new(201, new JsonObject
    {
        ["kind"] = "SelfSubjectReview",
        ["apiVersion"] = "authentication.k8s.io/v1",
        ["metadata"] = new JsonObject { ["creationTimestamp"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow) },
        ["status"] = new JsonObject { ["userInfo"] = rc.User.ToJson() },
    });

    public static HandlerResult TokenReview(RequestContext rc)
    {
        var body = rc.DecodeObjectBody();
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        var audiences = spec.Strings("audiences").ToList();
        var user = rc.Server.Authentication.ReviewToken(spec.Str("token") ?? "", audiences);
        var status = new JsonObject();
        if (user is null)
        {
            status["user"] = new JsonObject();
            status["error"] = "[invalid bearer token, token lookup failed]";
        }
        else
        {
            status["authenticated"] = true;
            status["user"] = user.ToJson();
            status["audiences"] = (audiences.Count > 0 ? audiences : [Authentication.ApiAudience]).ToJsonArray();
        }

        return new HandlerResult(201, new JsonObject
        {
            ["kind"] = "TokenReview",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        });
    }
}
