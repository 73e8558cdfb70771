using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>Thrown anywhere in request handling; rendered as a metav1.Status body with the same shape kube-apiserver uses.</summary>
public sealed class ApiException : Exception
{
    public ApiException(int code, string reason, string message, JsonObject? details = null)
        : base(message)
    {
        Code = code;
        Reason = reason;
        Details = details;
    }

    public int Code { get; }
    public string Reason { get; }
    public JsonObject? Details { get; }

    /// <summary>metadata.continue of the Status (an expired list continue token's inconsistent successor).</summary>
    public string? ListContinue { get; init; }

    public JsonObject ToStatus()
    {
        var status = StatusResponses.Failure(Code, Reason, Message, Details);
        if (ListContinue is not null)
        {
            status["metadata"] = new JsonObject { ["continue"] = ListContinue };
        }

        return status;
    }
}

/// <summary>Builders for the Status bodies captured in the golden files (NotFound, AlreadyExists, Conflict, Invalid, Forbidden…).</summary>
public static class StatusResponses
{
    public static JsonObject Failure(int code, string reason, string message, JsonObject? details)
    {
        var o = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = message,
            ["reason"] = reason,
        };
        if (details is not null)
        {
            o["details"] = details;
        }

        o["code"] = code;
        return o;
    }

    public static JsonObject Success(string name, ResourceType type, string? uid)
    {
        var details = Details(name, type);
        if (uid is not null)
        {
            details["uid"] = uid;
        }

        return new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["details"] = details,
        };
    }

    /// <summary>"configmaps" for core, "roles.rbac.authorization.k8s.io" for named groups: how the apiserver names a resource in messages.</summary>
    public static string QualifiedResource(string resource, string group) =>
        string.IsNullOrEmpty(group) ? resource : resource + "." + group;

    public static string QualifiedKind(string kind, string group) =>
        string.IsNullOrEmpty(group) ? kind : kind + "." + group;

    /// <summary>details {name, group, kind=plural resource}: used by NotFound, AlreadyExists, Conflict, Forbidden.</summary>
    public static JsonObject Details(string? name, ResourceType type) => Details(name, type.Group, type.Plural);

    public static JsonObject Details(string? name, string group, string kindOrResource)
    {
        var d = new JsonObject();
        if (!string.IsNullOrEmpty(name))
        {
            d["name"] = name;
        }

        if (!string.IsNullOrEmpty(group))
        {
            d["group"] = group;
        }

        d["kind"] = kindOrResource;
        return d;
    }

    public static ApiException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{QualifiedResource(type.Plural, type.Group)} \"{name}\" not found", Details(name, type));

    public static ApiException NamespaceNotFound(string ns) =>
        new(404, "NotFound", $"namespaces \"{ns}\" not found", Details(ns, "", "namespaces"));

    public static ApiException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{QualifiedResource(type.Plural, type.Group)} \"{name}\" already exists", Details(name, type));

    public static ApiException Conflict(ResourceType type, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {QualifiedResource(type.Plural, type.Group)} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            Details(name, type));

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException Unauthorized() => new(401, "Unauthorized", "Unauthorized");

    /// <summary>
    /// responsewriters.Forbidden as the authorization and impersonation filters call it (golden 24, 44):
    /// NewForbidden(group resource, name, forbiddenMessage) with the message's &amp;, &lt; and &gt; HTML-escaped and
    /// strings quoted with Go's %q.
    /// </summary>
    public static ApiException Forbidden(AuthzAttributes a)
    {
        string user = GoSyntax.Quote(a.User.Name);
        if (!a.IsResourceRequest)
        {
            return new ApiException(403, "Forbidden", $"forbidden: {SanitizeHtml($"User {user} cannot {a.Verb} path {GoSyntax.Quote(a.Path)}")}", new JsonObject());
        }

        var resource = a.Subresource.Length > 0 ? a.Resource + "/" + a.Subresource : a.Resource;
        var scope = a.Namespace.Length > 0 ? $"in the namespace {GoSyntax.Quote(a.Namespace)}" : "at the cluster scope";
        var reason = SanitizeHtml($"User {user} cannot {a.Verb} resource {GoSyntax.Quote(resource)} in API group {GoSyntax.Quote(a.ApiGroup)} {scope}");
        var qualified = QualifiedResource(a.Resource, a.ApiGroup);
        var message = a.Name.Length > 0 ? $"{qualified} {GoSyntax.Quote(a.Name)} is forbidden: {reason}" : $"{qualified} is forbidden: {reason}";
        return new ApiException(403, "Forbidden", message, Details(a.Name, a.ApiGroup, a.Resource));
    }

    private static string SanitizeHtml(string s) =>
        s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Admission plugins (LimitRanger, ResourceQuota…) deny with 403 Forbidden naming the object.</summary>
    public static ApiException AdmissionForbidden(ResourceType type, string? name, string reason)
    {
        var prefix = string.IsNullOrEmpty(name)
            ? QualifiedResource(type.Plural, type.Group)
            : $"{QualifiedResource(type.Plural, type.Group)} \"{name}\"";
        return new ApiException(403, "Forbidden", $"{prefix} is forbidden: {reason}", Details(name, type));
    }

    /// <summary>422 Invalid with details.causes; message format follows apimachinery's NewInvalid (one cause bare, several in brackets).</summary>
    public static ApiException Invalid(string kind, string group, string? name, IReadOnlyList<FieldError> errors)
    {
        var causes = new JsonArray();
        foreach (var e in errors)
        {
            causes.Add(new JsonObject { ["reason"] = e.Reason, ["message"] = e.Message, ["field"] = e.Field });
        }

        var details = Details(name, group, kind);
        details["causes"] = causes;
        var joined = errors.Count == 1
            ? errors[0].ToString()
            : "[" + string.Join(", ", errors.Select(e => e.ToString())) + "]";
        return new ApiException(422, "Invalid", $"{QualifiedKind(kind, group)} \"{name}\" is invalid: {joined}", details);
    }
}

/// <summary>One field.Error: "field: message" in the aggregate message, separate cause in details.</summary>
public sealed record FieldError(string Reason, string Field, string Message)
{
    public static FieldError InvalidValue(string field, string valueRepr, string detail) =>
        new("FieldValueInvalid", field, $"Invalid value: {valueRepr}: {detail}");

    public static FieldError Required(string field, string? detail = null) =>
        new("FieldValueRequired", field, string.IsNullOrEmpty(detail) ? "Required value" : "Required value: " + detail);

    public static FieldError NotSupported(string field, string valueRepr, params string[] supported) =>
        new("FieldValueNotSupported", field,
            $"Unsupported value: {valueRepr}: supported values: {string.Join(", ", supported.Select(s => "\"" + s + "\""))}");

    public override string ToString() => $"{Field}: {Message}";
}
