using System.Text.Json.Nodes;
using K8sSecurity.TestServer.Handlers;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// NamespaceLifecycle: namespaced objects can only be created in an existing namespace (404 NotFound namespace) that
/// is not terminating (403, golden 112); default, kube-system and kube-public cannot be deleted. Also the namespace
/// DELETE itself: the namespace turns Terminating (golden 110/111), deleting it again answers the same object
/// (golden 113), and the namespace controller (when on) empties and removes it.
/// </summary>
public sealed class NamespaceLifecycle : IAdmissionPlugin
{
    public string Name => "NamespaceLifecycle";

    private static readonly string[] Immortal = ["default", "kube-system", "kube-public"];

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete && r.Type.Kind == "Namespace" && Immortal.Contains(r.Name))
        {
            throw StatusResponses.AdmissionForbidden(r.Type, r.Name, "this namespace may not be deleted");
        }

        if (r.Operation != AdmissionOperation.Create || !r.Type.Namespaced)
        {
            return;
        }

        var ns = r.Store.GetRaw(ResourceCatalog.Namespaces, null, r.Namespace) ?? throw StatusResponses.NamespaceNotFound(r.Namespace);
        if (ns.Str("status", "phase") == "Terminating")
        {
            var details = StatusResponses.Details(r.Name, r.Type);
            details["causes"] = new JsonArray(new JsonObject
            {
                ["reason"] = "NamespaceTerminating",
                ["message"] = $"namespace {r.Namespace} is being terminated",
                ["field"] = "metadata.namespace",
            });
            var prefix = string.IsNullOrEmpty(r.Name)
                ? StatusResponses.QualifiedResource(r.Type.Plural, r.Type.Group)
                : $"{StatusResponses.QualifiedResource(r.Type.Plural, r.Type.Group)} \"{r.Name}\"";
            throw new ApiException(403, "Forbidden", $"{prefix} is forbidden: unable to create new content in namespace {r.Namespace} because it is being terminated", details);
        }
    }

    /// <summary>DELETE of a namespace (the store lock is held).</summary>
    internal static HandlerResult Delete(RequestContext rc, JsonObject existing)
    {
        var store = rc.Server.Store;
        var type = ResourceCatalog.Namespaces;
        if (existing.Str("status", "phase") == "Terminating")
        {
            return new HandlerResult(200, store.View(type, existing));
        }

        var warnings = Generic.Admit(rc, AdmissionOperation.Delete, existing.Clone(), existing);
        var terminating = existing.Clone();
        terminating.Metadata()["deletionTimestamp"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow);
        terminating.Obj("status")["phase"] = "Terminating";
        if (rc.DryRun)
        {
            return new HandlerResult(200, JsonUtil.Ordered(terminating)) { Warnings = warnings };
        }

        var answer = store.ReplaceUntracked(type, terminating).Clone();
        var options = rc.Server.Options;
        if (options.NamespaceController)
        {
            var uid = existing.Str("metadata", "uid");
            var released = options.BackgroundControllersReleased;
            if (options.NamespaceFinalizationDelay <= TimeSpan.Zero && released.IsCompleted)
            {
                Finalize(store, rc.Name, uid);
            }
            else
            {
                _ = Task.Run(async () =>
                {
                    await Task.Delay(options.NamespaceFinalizationDelay).ConfigureAwait(false);
                    await released.ConfigureAwait(false);
                    lock (store.SyncRoot)
                    {
                        Finalize(store, rc.Name, uid);
                        store.RunControllers();
                    }
                });
            }
        }

        return new HandlerResult(200, answer) { Warnings = warnings };
    }

    /// <summary>What the namespace controller does: delete every object in the namespace, then the namespace.</summary>
    private static void Finalize(ApiStore store, string name, string? uid)
    {
        var ns = store.GetRaw(ResourceCatalog.Namespaces, null, name);
        if (ns is null || ns.Str("metadata", "uid") != uid || ns.Str("status", "phase") != "Terminating")
        {
            return;
        }

        store.RemoveNamespaceContents(name);
        store.Remove(ResourceCatalog.Namespaces, null, name);
    }
}
