using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// SubjectAccessReview, LocalSubjectAccessReview, SelfSubjectAccessReview, SelfSubjectRulesReview (golden 32-36)
/// answered by the same RBAC authorizer that guards the server. Nothing is stored.
/// </summary>
internal static class AccessReview
{
    public static HandlerResult Handle(RequestContext rc)
    {
        var type = rc.RequiredType;
        var body = rc.DecodeObjectBody();
        var spec = body["spec"] as JsonObject ?? new JsonObject();
        return type.Kind switch
        {
            "SelfSubjectRulesReview" => RulesReview(rc, spec),
            "SelfSubjectAccessReview" => Review(rc, type, spec, rc.User, ""),
            "LocalSubjectAccessReview" => Review(rc, type, spec, FromSpec(rc, type, spec), rc.Namespace),
            _ => Review(rc, type, spec, FromSpec(rc, type, spec), ""),
        };
    }

    private static UserInfo FromSpec(RequestContext rc, ResourceType type, JsonObject spec)
    {
        var user = spec.Str("user") ?? "";
        var groups = spec.Strings("groups").ToList();
        if (user.Length == 0 && groups.Count == 0)
        {
            throw StatusResponses.Invalid(type.Kind, type.Group, "", [FieldError.InvalidValue("spec.user", "\"\"", "at least one of user or group must be specified")]);
        }

        var extra = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (spec["extra"] is JsonObject e)
        {
            foreach (var (k, _) in e)
            {
                extra[k] = e.Strings(k).ToArray();
            }
        }

        _ = rc;
        return new UserInfo(user, groups, spec.Str("uid"), extra);
    }

    private static HandlerResult Review(RequestContext rc, ResourceType type, JsonObject spec, UserInfo user, string localNamespace)
    {
        var ra = spec["resourceAttributes"] as JsonObject;
        var nra = spec["nonResourceAttributes"] as JsonObject;
        if ((ra is null) == (nra is null))
        {
            throw StatusResponses.Invalid(type.Kind, type.Group, "",
                [FieldError.InvalidValue("spec.resourceAttributes", "null", "exactly one of nonResourceAttributes or resourceAttributes must be specified")]);
        }

        if (localNamespace.Length > 0)
        {
            if (ra is null)
            {
                throw StatusResponses.Invalid(type.Kind, type.Group, "", [FieldError.InvalidValue("spec.nonResourceAttributes", "{}", "disallowed on this kind of request")]);
            }

            var ns = ra.Str("namespace");
            if (string.IsNullOrEmpty(ns))
            {
                ra["namespace"] = localNamespace;
            }
            else if (ns != localNamespace)
            {
                throw StatusResponses.Invalid(type.Kind, type.Group, "", [FieldError.InvalidValue("spec.resourceAttributes.namespace", $"\"{ns}\"", "must match metadata.namespace")]);
            }
        }

        var attrs = ra is not null
            ? new AuthzAttributes(user, ra.Str("verb") ?? "", true, ApiGroup: ra.Str("group") ?? "", Resource: ra.Str("resource") ?? "",
                Subresource: ra.Str("subresource") ?? "", Namespace: ra.Str("namespace") ?? "", Name: ra.Str("name") ?? "")
            : new AuthzAttributes(user, nra!.Str("verb") ?? "", false, Path: nra.Str("path") ?? "");
        var decision = rc.Server.Authorizer.Authorize(attrs);
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0)
        {
            status["reason"] = decision.Reason;
        }

        var md = new JsonObject { ["creationTimestamp"] = null };
        if (localNamespace.Length > 0)
        {
            md["namespace"] = localNamespace;
        }

        // Like any create, the answer carries the caller's managedFields entry (golden 32-35).
        md["managedFields"] = FieldPaths.Entry(rc.FieldManager, type.ApiVersion, new JsonObject { ["spec"] = spec.DeepClone() });
        return new HandlerResult(201, new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = md,
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        });
    }

    private static HandlerResult RulesReview(RequestContext rc, JsonObject spec)
    {
        var ns = spec.Str("namespace") ?? "";
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var rule in rc.Server.Authorizer.RulesFor(rc.User, ns))
        {
            if (rule["nonResourceURLs"] is JsonArray urls && urls.Count > 0)
            {
                nonResourceRules.Add(new JsonObject { ["verbs"] = rule["verbs"]?.DeepClone(), ["nonResourceURLs"] = urls.DeepClone() });
                continue;
            }

            var r = new JsonObject
            {
                ["verbs"] = rule["verbs"]?.DeepClone(),
                ["apiGroups"] = rule["apiGroups"]?.DeepClone(),
                ["resources"] = rule["resources"]?.DeepClone(),
            };
            if (rule["resourceNames"] is JsonArray names && names.Count > 0)
            {
                r["resourceNames"] = names.DeepClone();
            }

            resourceRules.Add(r);
        }

        // Golden 36: the answer's spec is empty even though the request named a namespace.
        return new HandlerResult(201, new JsonObject
        {
            ["kind"] = "SelfSubjectRulesReview",
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = new JsonObject(),
            ["status"] = new JsonObject
            {
                ["resourceRules"] = resourceRules,
                ["nonResourceRules"] = nonResourceRules,
                ["incomplete"] = false,
            },
        });
    }
}
