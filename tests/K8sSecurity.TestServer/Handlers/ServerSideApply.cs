using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// Server-side apply with a simple field-ownership model: every leaf field (lists are atomic) belongs to the
/// managers that last set it. Applying a different value to a field owned by another manager is a 409 conflict
/// (golden 15) unless force=true, which takes the field over. Fields the applier owned before and no longer
/// applies are removed if nobody else owns them. The merge itself is the strategic-merge approximation.
/// </summary>
internal static class ServerSideApply
{
    public static HandlerResult Apply(RequestContext rc, JsonObject? existing)
    {
        var type = rc.RequiredType;
        var manager = rc.QueryValue("fieldManager");
        if (manager.Length == 0)
        {
            throw new ApiException(400, "BadRequest", "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch");
        }

        var applied = rc.ParseObjectBody();
        if (applied.Str("metadata", "name") is { } n && n != rc.Name)
        {
            throw StatusResponses.BadRequest($"the name of the object ({n}) does not match the name on the URL ({rc.Name})");
        }

        applied.Metadata()["name"] = rc.Name;
        if (existing is null)
        {
            return Generic.Create(rc, applied, manager, "Apply");
        }

        var force = rc.QueryValue("force") == "true";
        var appliedValues = FieldPaths.LeafValues(applied).Where(kv => !FieldPaths.IsStatus(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var entry = rc.Server.Store.GetEntry(type, rc.Namespace, rc.Name)!;
        var conflicts = new List<(string Manager, string ApiVersion, string Path)>();
        foreach (var (path, value) in appliedValues)
        {
            var live = FieldPaths.ValueAt(existing, path);
            if (JsonNode.DeepEquals(live, value))
            {
                continue;
            }

            foreach (var m in entry.Managers.Where(m => !(m.Manager == manager && m.Operation == "Apply") && m.Fields.Contains(path)))
            {
                conflicts.Add((m.Manager, m.ApiVersion, path));
            }
        }

        if (conflicts.Count > 0 && !force)
        {
            var causes = new JsonArray();
            foreach (var c in conflicts)
            {
                causes.Add(new JsonObject
                {
                    ["reason"] = "FieldManagerConflict",
                    ["message"] = $"conflict with \"{c.Manager}\" using {c.ApiVersion}",
                    ["field"] = FieldPaths.Display(c.Path),
                });
            }

            string message;
            if (conflicts.Count == 1)
            {
                var c = conflicts[0];
                message = $"Apply failed with 1 conflict: conflict with \"{c.Manager}\" using {c.ApiVersion}: {FieldPaths.Display(c.Path)}";
            }
            else
            {
                var byManager = conflicts.GroupBy(c => (c.Manager, c.ApiVersion))
                    .Select(g => $"conflicts with \"{g.Key.Manager}\" using {g.Key.ApiVersion}:\n" + string.Join("\n", g.Select(c => "- " + FieldPaths.Display(c.Path))));
                message = $"Apply failed with {conflicts.Count} conflicts: " + string.Join("\n", byManager);
            }

            throw new ApiException(409, "Conflict", message, new JsonObject { ["causes"] = causes });
        }

        var merged = (JsonObject)Patch.StrategicMergePatch(type, existing, applied)!;
        var previous = entry.Managers.FirstOrDefault(m => m.Manager == manager && m.Operation == "Apply");
        if (previous is not null)
        {
            foreach (var path in previous.Fields.Where(p => !appliedValues.ContainsKey(p)))
            {
                var ownedByOthers = entry.Managers.Any(m => m != previous && m.Fields.Contains(path));
                if (!ownedByOthers)
                {
                    FieldPaths.RemoveAt(merged, path);
                }
            }
        }

        if (force && !rc.DryRun)
        {
            foreach (var m in entry.Managers.Where(m => m != previous))
            {
                m.Fields.ExceptWith(appliedValues.Keys);
            }
        }

        return Generic.Write(rc, merged, existing, manager, "Apply", new HashSet<string>(appliedValues.Keys, StringComparer.Ordinal));
    }
}
