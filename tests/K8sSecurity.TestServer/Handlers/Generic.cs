using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.TestServer.Admission;
using K8sSecurity.TestServer.Decoding;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// Generic REST storage for every catalogued type: get, list (selectors, paging), create, update (optimistic
/// concurrency), patch (merge / JSON / strategic / server-side apply), delete, deletecollection, status subresource,
/// dryRun=All. Callers hold the store lock.
/// </summary>
internal static class Generic
{
    public static HandlerResult Handle(RequestContext rc)
    {
        var type = rc.RequiredType;
        if (rc.Subresource.Length > 0 && rc.Subresource != "status")
        {
            throw new ApiException(405, "MethodNotAllowed",
                $"the test server does not implement the {type.Plural}/{rc.Subresource} subresource", StatusResponses.Details(rc.Name, type));
        }

        return rc.Verb switch
        {
            "get" => Get(rc),
            "list" => List(rc),
            "create" => Create(rc, rc.ParseObjectBody(), rc.FieldManager, "Update"),
            "update" => Update(rc),
            "patch" => PatchObject(rc),
            "delete" => Delete(rc),
            "deletecollection" => DeleteCollection(rc),
            _ => throw StatusResponses.MethodNotAllowed($"verb {rc.Verb} is not supported"),
        };
    }

    private static HandlerResult Get(RequestContext rc)
    {
        var type = rc.RequiredType;
        var raw = rc.Server.Store.GetRaw(type, rc.Namespace, rc.Name) ?? throw StatusResponses.NotFound(type, rc.Name);
        return new HandlerResult(200, rc.Server.Store.View(type, raw));
    }

    private static HandlerResult List(RequestContext rc)
    {
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        var labels = LabelSelector.Parse(rc.QueryValue("labelSelector"));
        var fields = FieldSelector.Parse(rc.QueryValue("fieldSelector"), type);
        var limit = long.TryParse(rc.QueryValue("limit"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) && l > 0 ? l : long.MaxValue;
        var (start, tokenVersion) = DecodeContinue(rc.QueryValue("continue"));
        if (start is not null && tokenVersion >= 0 && tokenVersion < store.CompactedResourceVersion)
        {
            // etcd3's list with a compacted continue token: 410 Expired, with a token to go on inconsistently.
            throw new ApiException(410, "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.")
            {
                ListContinue = EncodeContinue(-1, start),
            };
        }

        var scoped = type.Namespaced && rc.Namespace.Length > 0;

        var matching = new List<(string Key, JsonObject Obj)>();
        foreach (var (key, entry) in store.ListEntries(type, rc.Namespace))
        {
            var rel = scoped ? key[(rc.Namespace.Length + 1)..] : key;
            if (start is not null && string.CompareOrdinal(rel, start) < 0)
            {
                continue;
            }

            var obj = entry.Object;
            if (!labels.Matches(obj.StringMap("metadata", "labels")) || !fields.Matches(obj))
            {
                continue;
            }

            matching.Add((rel, obj));
        }

        var rv = store.CurrentResourceVersion;
        var items = new JsonArray();
        foreach (var (_, obj) in matching.Take((int)Math.Min(limit, int.MaxValue)))
        {
            var view = store.View(type, obj);
            view.Remove("kind");
            view.Remove("apiVersion");
            items.Add(view);
        }

        var md = new JsonObject { ["resourceVersion"] = rv.ToString(CultureInfo.InvariantCulture) };
        if (matching.Count > limit)
        {
            var lastKey = matching[(int)limit - 1].Key;
            md["continue"] = EncodeContinue(rv, lastKey + "\u0000");
            if (labels.IsEmpty && fields.IsEmpty)
            {
                // Like etcd-backed lists: remainingItemCount only when no selector filtered the result.
                md["remainingItemCount"] = matching.Count - limit;
            }
        }

        return new HandlerResult(200, new JsonObject
        {
            ["kind"] = type.Kind + "List",
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = md,
            ["items"] = items,
        });
    }

    private static string EncodeContinue(long rv, string start) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject { ["v"] = "meta.k8s.io/v1", ["rv"] = rv, ["start"] = start }.ToJsonString()))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The start key and resourceVersion of a continue token (null start: no token).</summary>
    private static (string? Start, long ResourceVersion) DecodeContinue(string token)
    {
        if (token.Length == 0)
        {
            return (null, 0);
        }

        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            var node = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(b64)));
            return (node.Str("start") ?? throw new FormatException(), node.Long("rv") ?? 0);
        }
        catch (Exception ex) when (ex is FormatException or System.Text.Json.JsonException)
        {
            throw StatusResponses.BadRequest("continue key is not valid: " + ex.Message);
        }
    }

    /// <summary>
    /// Shared create path (POST, apply-create): options, decoding (unknown/duplicate fields, types), metadata as
    /// BeforeCreate sets it (uid, creationTimestamp before admission so defaulting can use the uid), admission,
    /// AlreadyExists, persist unless dryRun.
    /// </summary>
    public static HandlerResult Create(RequestContext rc, JsonObject obj, string manager, string operation)
    {
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        ValidateOptions(rc, "CreateOptions");
        CheckKind(type, obj);
        var warnings = RequestDecoder.Decode(type, obj, rc.FieldValidation, rc.DuplicateFields);
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        var md = obj.Metadata();
        NormaliseNamespace(rc, md);
        if (string.IsNullOrEmpty(md.Str("name")) && md.Str("generateName") is { Length: > 0 } gen)
        {
            md["name"] = gen + ObjectDefaults.RandomSuffix();
        }

        foreach (var k in new[] { "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "managedFields", "selfLink", "generation" })
        {
            md.Remove(k);
        }

        if (type.Subresources?.Contains("status") == true && type.Kind != "Namespace")
        {
            // PrepareForCreate of types with a status subresource drops client-sent status (golden 51: "status": {}).
            obj["status"] = new JsonObject();
        }

        md["uid"] = Guid.NewGuid().ToString();
        md["creationTimestamp"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow);
        warnings.AddRange(Admit(rc, AdmissionOperation.Create, obj, null));
        var name = md.Str("name") ?? "";
        if (store.GetRaw(type, md.Str("namespace"), name) is not null)
        {
            throw StatusResponses.AlreadyExists(type, name);
        }

        // Golden 07: a dry-run create answers with uid, creationTimestamp and managedFields but no resourceVersion.
        var result = rc.DryRun ? store.PreviewInsert(type, obj, manager, operation) : store.Insert(type, obj, manager, operation).Clone();
        return new HandlerResult(201, result) { Warnings = warnings };
    }

    /// <summary>
    /// Query options every write validates before anything else (apimachinery ValidateCreateOptions and friends):
    /// dryRun may only be "All" (golden 72), fieldValidation only Ignore/Warn/Strict.
    /// </summary>
    public static void ValidateOptions(RequestContext rc, string optionsKind)
    {
        var errors = new List<FieldError>();
        var dryRun = rc.DryRunValues;
        if (dryRun.Any(v => v != "All"))
        {
            errors.Add(FieldError.NotSupported("dryRun", GoSyntax.StringSlice(dryRun), "All"));
        }

        var fieldValidation = rc.QueryValue("fieldValidation");
        if (fieldValidation is not ("" or "Ignore" or "Strict" or "Warn"))
        {
            errors.Add(FieldError.NotSupported("fieldValidation", $"\"{fieldValidation}\"", "", "Ignore", "Strict", "Warn"));
        }

        if (errors.Count > 0)
        {
            throw StatusResponses.Invalid(optionsKind, "meta.k8s.io", "", errors);
        }
    }

    private static void CheckKind(ResourceType type, JsonObject obj)
    {
        var kind = obj.Str("kind");
        var apiVersion = obj.Str("apiVersion");
        if ((kind is not null && kind != type.Kind) || (apiVersion is not null && apiVersion != type.ApiVersion))
        {
            throw StatusResponses.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({type.ApiVersion})");
        }
    }

    private static void NormaliseNamespace(RequestContext rc, JsonObject md)
    {
        var type = rc.RequiredType;
        if (!type.Namespaced)
        {
            md.Remove("namespace");
            return;
        }

        var bodyNs = md.Str("namespace");
        if (string.IsNullOrEmpty(bodyNs))
        {
            md["namespace"] = rc.Namespace;
        }
        else if (bodyNs != rc.Namespace)
        {
            throw StatusResponses.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
    }

    public static List<string> Admit(RequestContext rc, AdmissionOperation op, JsonObject obj, JsonObject? old)
    {
        var req = new AdmissionRequest
        {
            Operation = op,
            Type = rc.RequiredType,
            Subresource = rc.Subresource,
            Object = obj,
            OldObject = old,
            User = rc.User,
            Store = rc.Server.Store,
            Server = rc.Server,
            DryRun = rc.DryRun,
        };
        foreach (var plugin in rc.Server.AdmissionPlugins)
        {
            plugin.Admit(req);
        }

        return req.Warnings;
    }

    private static HandlerResult Update(RequestContext rc)
    {
        ValidateOptions(rc, "UpdateOptions");
        var obj = rc.ParseObjectBody();
        var type = rc.RequiredType;
        CheckKind(type, obj);
        var warnings = RequestDecoder.Decode(type, obj, rc.FieldValidation, rc.DuplicateFields);
        var bodyName = obj.Str("metadata", "name");
        if (!string.IsNullOrEmpty(bodyName) && bodyName != rc.Name)
        {
            throw StatusResponses.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({rc.Name})");
        }

        var existing = rc.Server.Store.GetRaw(type, rc.Namespace, rc.Name) ?? throw StatusResponses.NotFound(type, rc.Name);
        var rv = obj.Str("metadata", "resourceVersion");
        if (!string.IsNullOrEmpty(rv) && rv != existing.Str("metadata", "resourceVersion"))
        {
            throw StatusResponses.Conflict(type, rc.Name);
        }

        var result = Write(rc, obj, existing, rc.FieldManager, "Update");
        result.Warnings.InsertRange(0, warnings);
        return result;
    }

    /// <summary>Common tail of update/patch: keep identity, honour the status subresource split, admit, persist.</summary>
    public static HandlerResult Write(RequestContext rc, JsonObject obj, JsonObject existing, string manager, string operation, ISet<string>? appliedFields = null)
    {
        var type = rc.RequiredType;
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        var md = obj.Metadata();
        md["name"] = rc.Name;
        NormaliseNamespace(rc, md);
        foreach (var k in new[] { "uid", "creationTimestamp", "managedFields", "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            md.Remove(k);
        }

        foreach (var k in new[] { "deletionTimestamp", "deletionGracePeriodSeconds" })
        {
            if (existing.At("metadata", k) is { } kept)
            {
                md[k] = kept.DeepClone();
            }
        }

        md.Remove("resourceVersion");
        if (existing.At("metadata", "generation") is { } gen)
        {
            md["generation"] = gen.DeepClone();
        }

        if (type.Subresources?.Contains("status") == true)
        {
            // Main resource writes cannot change status; status writes change nothing but status.
            if (rc.Subresource == "status")
            {
                var status = obj["status"]?.DeepClone();
                obj = existing.Clone();
                obj["status"] = status;
                md = obj.Metadata();
            }
            else
            {
                obj["status"] = existing["status"]?.DeepClone();
                if (obj["status"] is null)
                {
                    obj.Remove("status");
                }
            }
        }

        var warnings = Admit(rc, AdmissionOperation.Update, obj, existing);
        var store = rc.Server.Store;
        var result = rc.DryRun
            ? store.PreviewReplace(type, obj, manager, operation, appliedFields, rc.Subresource)
            : store.Replace(type, obj, manager, operation, appliedFields, rc.Subresource).Clone();
        return new HandlerResult(200, result) { Warnings = warnings };
    }

    private static HandlerResult PatchObject(RequestContext rc)
    {
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        ValidateOptions(rc, "PatchOptions");
        var ct = rc.ContentType.Split(';')[0].Trim().ToLowerInvariant();
        var existing = store.GetRaw(type, rc.Namespace, rc.Name);
        if (ct == "application/apply-patch+yaml" || ct == "application/apply-patch+json")
        {
            return ServerSideApply.Apply(rc, existing);
        }

        if (existing is null)
        {
            throw StatusResponses.NotFound(type, rc.Name);
        }

        var body = rc.ParseBody();
        JsonNode? patched = ct switch
        {
            "application/merge-patch+json" => Patch.MergePatch(existing, body),
            "application/strategic-merge-patch+json" => Patch.StrategicMergePatch(type, existing, body),
            "application/json-patch+json" => body is JsonArray ops ? Patch.ApplyJsonPatch(existing, ops) : throw StatusResponses.BadRequest("json patch must be an array"),
            _ => throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json"),
        };
        if (patched is not JsonObject po)
        {
            throw StatusResponses.BadRequest("the patch produced something that is not an object");
        }

        var warnings = RequestDecoder.Decode(type, po, rc.FieldValidation, rc.DuplicateFields);
        var rv = po.Str("metadata", "resourceVersion");
        if (!string.IsNullOrEmpty(rv) && rv != existing.Str("metadata", "resourceVersion"))
        {
            // A resourceVersion in the patch is a precondition (golden 96).
            throw StatusResponses.Conflict(type, rc.Name);
        }

        var result = Write(rc, po, existing, rc.FieldManager, "Update");
        result.Warnings.InsertRange(0, warnings);
        return result;
    }

    private static HandlerResult Delete(RequestContext rc)
    {
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        ValidateOptions(rc, "DeleteOptions");
        var existing = store.GetRaw(type, rc.Namespace, rc.Name) ?? throw StatusResponses.NotFound(type, rc.Name);
        CheckPreconditions(rc, type, existing);
        if (type.Kind == "Namespace")
        {
            return NamespaceLifecycle.Delete(rc, existing);
        }

        var warnings = Admit(rc, AdmissionOperation.Delete, existing.Clone(), existing);
        if (!rc.DryRun)
        {
            store.Remove(type, rc.Namespace, rc.Name);
            if (type.Kind == "ServiceAccount")
            {
                rc.Server.Authentication.RevokeServiceAccount(rc.Namespace, rc.Name);
            }
        }

        return new HandlerResult(200, StatusResponses.Success(rc.Name, type, existing.Str("metadata", "uid"))) { Warnings = warnings };
    }

    /// <summary>DeleteOptions.preconditions (rest.BeforeDelete): uid and resourceVersion must match the record (golden 94, 95).</summary>
    private static void CheckPreconditions(RequestContext rc, ResourceType type, JsonObject existing)
    {
        if (rc.DeleteOptions?["preconditions"] is not JsonObject pre)
        {
            return;
        }

        var resource = StatusResponses.QualifiedKind(type.Kind, type.Group);
        var uid = existing.Str("metadata", "uid");
        if (pre.Str("uid") is { } wantedUid && wantedUid != uid)
        {
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {resource} \"{rc.Name}\": the UID in the precondition ({wantedUid}) does not match the UID in record ({uid}). The object might have been deleted and then recreated",
                StatusResponses.Details(rc.Name, type.Group, type.Kind));
        }

        var rv = existing.Str("metadata", "resourceVersion");
        if (pre.Str("resourceVersion") is { } wantedRv && wantedRv != rv)
        {
            throw new ApiException(409, "Conflict",
                $"Operation cannot be fulfilled on {resource} \"{rc.Name}\": the ResourceVersion in the precondition ({wantedRv}) does not match the ResourceVersion in record ({rv}). The object might have been modified",
                StatusResponses.Details(rc.Name, type.Group, type.Kind));
        }
    }

    private static HandlerResult DeleteCollection(RequestContext rc)
    {
        ValidateOptions(rc, "DeleteOptions");
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        var labels = LabelSelector.Parse(rc.QueryValue("labelSelector"));
        var fields = FieldSelector.Parse(rc.QueryValue("fieldSelector"), type);
        var items = new JsonArray();
        foreach (var obj in store.ListRaw(type, rc.Namespace).ToList())
        {
            if (!labels.Matches(obj.StringMap("metadata", "labels")) || !fields.Matches(obj))
            {
                continue;
            }

            var view = obj.Clone();
            view.Remove("kind");
            view.Remove("apiVersion");
            items.Add(view);
            if (!rc.DryRun)
            {
                store.Remove(type, obj.Str("metadata", "namespace"), obj.Str("metadata", "name")!);
            }
        }

        return new HandlerResult(200, new JsonObject
        {
            ["kind"] = type.Kind + "List",
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject { ["resourceVersion"] = store.CurrentResourceVersion.ToString(CultureInfo.InvariantCulture) },
            ["items"] = items,
        });
    }
}
