using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// The filter chain of kube-apiserver in miniature: authenticate (401), parse RequestInfo, authorize (403),
/// route to a handler, render Status errors, record the exchange.
/// </summary>
internal sealed class Router(ServerContext server, Action<RecordedRequest> record, CancellationToken stopping)
{
    /// <summary>Marks a watch request; the router streams instead of writing one body.</summary>
    private sealed record WatchResult(RequestContext Context) : HandlerResult(200, new JsonObject());

    private static readonly HashSet<string> NamespaceSubresources = new(StringComparer.Ordinal) { "status", "finalize" };

    public async Task HandleAsync(HttpContext ctx)
    {
        string? body = null;
        byte[]? bytes = null;
        if (ctx.Request.ContentLength > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            using var ms = new MemoryStream();
            await ctx.Request.Body.CopyToAsync(ms, ctx.RequestAborted).ConfigureAwait(false);
            bytes = ms.ToArray();
            body = ctx.Request.ContentType?.Contains("protobuf", StringComparison.OrdinalIgnoreCase) == true
                ? "protobuf:" + Convert.ToBase64String(bytes)
                : Encoding.UTF8.GetString(bytes);
        }

        UserInfo? user = null;
        UserInfo? authenticated = null;
        var impersonationHeaders = Impersonation.Headers(ctx.Request.Headers);
        RequestContext? lastContext = null;
        int status;
        string payload;
        var contentType = "application/json";
        var warnings = new List<string>();
        try
        {
            user = authenticated = server.Authentication.Authenticate(ctx);
            user = Impersonation.Apply(ctx, user, server.Authorizer);
            var result = Dispatch(ctx, user, body, bytes, out lastContext);
            if (result is WatchResult watch)
            {
                record(new RecordedRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value?.TrimStart('?') ?? "",
                    user.Name, user.Groups, 200, body, ctx.Request.ContentType, authenticated.Name, impersonationHeaders));
                await Watch.RunAsync(ctx, watch.Context, stopping).ConfigureAwait(false);
                return;
            }

            status = result.StatusCode;
            warnings = result.Warnings;
            if (lastContext?.DecodeWarnings is { Count: > 0 } decodeWarnings && !ReferenceEquals(warnings, decodeWarnings))
            {
                warnings = [.. decodeWarnings, .. warnings];
            }
            if (result.Body is JsonValue v && v.TryGetValue<string>(out var text))
            {
                payload = text;
                contentType = "text/plain; charset=utf-8";
            }
            else
            {
                payload = result.Body.ToJsonString(JsonUtil.Compact);
            }
        }
        catch (ApiException ex)
        {
            status = ex.Code;
            payload = ex.ToStatus().ToJsonString(JsonUtil.Compact);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            status = 500;
            payload = StatusResponses.Failure(500, "InternalError", "test server error: " + ex, null).ToJsonString(JsonUtil.Compact);
        }

        record(new RecordedRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value?.TrimStart('?') ?? "",
            user?.Name ?? "", user?.Groups ?? [], status, body, ctx.Request.ContentType, authenticated?.Name ?? "", impersonationHeaders));
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        foreach (var w in warnings)
        {
            ctx.Response.Headers.Append("Warning", "299 - \"" + w.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"");
        }

        await ctx.Response.WriteAsync(payload, ctx.RequestAborted).ConfigureAwait(false);
    }

    private HandlerResult Dispatch(HttpContext ctx, UserInfo user, string? body, byte[]? bytes, out RequestContext? context)
    {
        context = null;
        var path = ctx.Request.Path.Value ?? "/";
        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        var method = ctx.Request.Method.ToUpperInvariant();
        string group, version;
        string[] rest;
        if (parts.Length >= 3 && parts[0] == "api")
        {
            (group, version, rest) = ("", parts[1], parts[2..]);
        }
        else if (parts.Length >= 4 && parts[0] == "apis")
        {
            (group, version, rest) = (parts[1], parts[2], parts[3..]);
        }
        else
        {
            return NonResource(path, method, user);
        }

        var ns = "";
        if (rest[0] == "namespaces" && rest.Length > 1)
        {
            ns = rest[1];
            if (rest.Length > 2 && !NamespaceSubresources.Contains(rest[2]))
            {
                rest = rest[2..];
            }
        }

        var resource = rest[0];
        var name = rest.Length >= 2 ? rest[1] : "";
        var sub = rest.Length >= 3 ? rest[2] : "";
        var verb = method switch
        {
            "GET" or "HEAD" => name.Length > 0 ? "get" : (ctx.Request.Query["watch"] is { Count: > 0 } w && w[0] is "true" or "1" ? "watch" : "list"),
            "POST" => "create",
            "PUT" => "update",
            "PATCH" => "patch",
            "DELETE" => name.Length > 0 ? "delete" : "deletecollection",
            _ => throw StatusResponses.MethodNotAllowed($"method {method} is not supported"),
        };

        var attrs = new AuthzAttributes(user, verb, true, path, group, resource, sub, ns, name);
        var decision = server.Authorizer.Authorize(attrs);
        if (!decision.Allowed)
        {
            throw StatusResponses.Forbidden(attrs);
        }

        var type = ResourceCatalog.ByPlural(group, version, resource);
        if (type is null || rest.Length > 3
            || (!type.Namespaced && ns.Length > 0 && type.Kind != "Namespace")
            || (type.Namespaced && ns.Length == 0 && verb is not ("list" or "watch" or "deletecollection"))
            || (sub.Length > 0 && type.Subresources?.Contains(sub) != true))
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject());
        }

        var rc = new RequestContext
        {
            Method = method,
            Path = path,
            Query = ctx.Request.Query,
            User = user,
            Server = server,
            Body = body,
            BodyBytes = bytes,
            ContentType = ctx.Request.ContentType ?? "",
            UserAgent = ctx.Request.Headers.UserAgent.ToString(),
            IsResourceRequest = true,
            Verb = verb,
            Type = type,
            Namespace = type.Namespaced ? ns : "",
            Name = name,
            Subresource = sub,
        };
        context = rc;

        if (verb == "watch")
        {
            if (type.IsVirtual || sub.Length > 0)
            {
                throw StatusResponses.MethodNotAllowed($"watch is not supported on {type.Plural}");
            }

            return new WatchResult(rc);
        }

        server.BeforeRequest?.Invoke(rc);
        lock (server.Store.SyncRoot)
        {
            try
            {
                return Locked(rc, type, verb, sub);
            }
            finally
            {
                server.Store.RunControllers();
            }
        }
    }

    /// <summary>The request under the store lock.</summary>
    private static HandlerResult Locked(RequestContext rc, ResourceType type, string verb, string sub)
    {
        {
            if (type.IsVirtual)
            {
                if (verb != "create")
                {
                    throw StatusResponses.MethodNotAllowed($"{type.Plural} only supports create");
                }

                return type.Kind switch
                {
                    "SelfSubjectReview" => Tokens.SelfSubjectReview(rc),
                    "TokenReview" => Tokens.TokenReview(rc),
                    _ => AccessReview.Handle(rc),
                };
            }

            if (type.Kind == "ServiceAccount" && sub == "token")
            {
                return verb == "create" ? Tokens.TokenRequest(rc) : throw StatusResponses.MethodNotAllowed("serviceaccounts/token only supports create");
            }

            if (type.Kind == "CertificateSigningRequest" && sub == "approval")
            {
                return Csr.Approval(rc);
            }

            return Generic.Handle(rc);
        }
    }

    private HandlerResult NonResource(string path, string method, UserInfo user)
    {
        var attrs = new AuthzAttributes(user, method.ToLowerInvariant(), false, Path: path);
        if (!server.Authorizer.Authorize(attrs).Allowed)
        {
            throw StatusResponses.Forbidden(attrs);
        }

        var parts = path.Trim('/').Split('/', StringSplitOptions.RemoveEmptyEntries);
        JsonNode? result = parts switch
        {
            ["version"] => Discovery.Version(server.Options.GitVersion),
            ["healthz" or "livez" or "readyz", ..] => JsonValue.Create("ok"),
            ["api"] => Discovery.ApiVersions(server.BaseAddress),
            ["api", var v] => Discovery.ResourceList("", v),
            ["apis"] => Discovery.GroupList(),
            ["apis", var g] => Discovery.GroupOrNull(g),
            ["apis", var g, var v] => Discovery.ResourceList(g, v),
            _ => null,
        };
        return result is null
            ? throw new ApiException(404, "NotFound", "the server could not find the requested resource", new JsonObject())
            : new HandlerResult(200, result);
    }
}
