using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>
/// The object store: one sorted map per resource type, guarded by a single lock (the server holds it for a whole
/// write so admission sees a consistent view). Objects are plain JsonObjects; metadata (uid, resourceVersion,
/// creationTimestamp, managedFields) is filled here. Seed with <see cref="Create"/> / <see cref="CreateJson"/>.
/// </summary>
public sealed class ApiStore
{
    private readonly Dictionary<string, SortedDictionary<string, StoredObject>> _byType = new(StringComparer.Ordinal);
    private long _resourceVersion = 100;

    internal object SyncRoot { get; } = new();

    /// <summary>Server-side defaulting applied to every create (namespace label/finalizers, …).</summary>
    internal Action<ResourceType, JsonObject>? Defaulter { get; set; }

    /// <summary>Side effects after a create (a namespace gets its default ServiceAccount and kube-root-ca.crt).</summary>
    internal Action<ResourceType, JsonObject>? AfterCreate { get; set; }

    /// <summary>Read-time view (aggregated ClusterRole rules, live ResourceQuota status) applied to GET/LIST results.</summary>
    internal Func<ResourceType, JsonObject, JsonObject>? ReadView { get; set; }

    internal long CurrentResourceVersion
    {
        get
        {
            lock (SyncRoot)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Stores a copy of <paramref name="obj"/> (apiVersion/kind pick the type). Creates a missing namespace for namespaced objects; defaults metadata.namespace to "default".</summary>
    public JsonObject Create(JsonObject obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var type = TypeOf(obj);
        var copy = obj.Clone();
        lock (SyncRoot)
        {
            var md = copy.Metadata();
            if (type.Namespaced)
            {
                var ns = md.Str("namespace");
                if (string.IsNullOrEmpty(ns))
                {
                    ns = "default";
                    md["namespace"] = ns;
                }

                if (GetRaw(ResourceCatalog.Namespaces, null, ns) is null)
                {
                    Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } });
                }
            }
            else
            {
                md.Remove("namespace");
            }

            var name = md.Str("name") ?? throw new ArgumentException("metadata.name is required");
            if (GetRaw(type, md.Str("namespace"), name) is not null)
            {
                throw StatusResponses.AlreadyExists(type, name);
            }

            Defaulter?.Invoke(type, copy);
            return Insert(type, copy, "k8ssecurity-test-seed").Clone();
        }
    }

    /// <summary>Seeds from JSON text: one object, a JSON array, or a *List with items.</summary>
    public JsonObject CreateJson(string json)
    {
        var node = JsonNode.Parse(json) ?? throw new ArgumentException("empty JSON");
        if (node is JsonArray arr)
        {
            JsonObject? last = null;
            foreach (var item in arr.OfType<JsonObject>())
            {
                last = Create(item);
            }

            return last ?? throw new ArgumentException("empty array");
        }

        var o = (JsonObject)node;
        if (o["items"] is JsonArray items && (o.Str("kind") ?? "").EndsWith("List", StringComparison.Ordinal))
        {
            JsonObject? last = null;
            var apiVersion = o.Str("apiVersion");
            var kind = o.Str("kind")![..^4];
            foreach (var item in items.OfType<JsonObject>())
            {
                var c = item.Clone();
                c["apiVersion"] ??= apiVersion;
                c["kind"] ??= kind;
                last = Create(c);
            }

            return last ?? throw new ArgumentException("empty list");
        }

        return Create(o);
    }

    /// <summary>Seeds from YAML (several documents separated by ---) or JSON; returns the last object stored.</summary>
    public JsonObject CreateYaml(string yamlOrJson)
    {
        if (JsonUtil.ParseOrNull(yamlOrJson) is not null)
        {
            return CreateJson(yamlOrJson);
        }

        JsonObject? last = null;
        foreach (var doc in Yaml.ParseAll(yamlOrJson).OfType<JsonObject>())
        {
            last = CreateJson(doc.ToJsonString());
        }

        return last ?? throw new ArgumentException("no YAML documents");
    }

    public JsonObject? Get(string apiVersion, string kind, string? @namespace, string name)
    {
        var type = ResourceCatalog.Require(apiVersion, kind);
        lock (SyncRoot)
        {
            var raw = GetRaw(type, @namespace, name);
            return raw is null ? null : View(type, raw);
        }
    }

    public IReadOnlyList<JsonObject> List(string apiVersion, string kind, string? @namespace = null)
    {
        var type = ResourceCatalog.Require(apiVersion, kind);
        lock (SyncRoot)
        {
            return ListRaw(type, @namespace).Select(o => View(type, o)).ToList();
        }
    }

    public bool Delete(string apiVersion, string kind, string? @namespace, string name)
    {
        var type = ResourceCatalog.Require(apiVersion, kind);
        lock (SyncRoot)
        {
            return Remove(type, @namespace, name);
        }
    }

    public int Count(string apiVersion, string kind)
    {
        var type = ResourceCatalog.Require(apiVersion, kind);
        lock (SyncRoot)
        {
            return _byType.TryGetValue(Key(type), out var m) ? m.Count : 0;
        }
    }

    // ---- internal API for handlers (callers hold SyncRoot) ----

    internal static ResourceType TypeOf(JsonObject obj)
    {
        var apiVersion = obj.Str("apiVersion") ?? throw new ArgumentException("apiVersion is required");
        var kind = obj.Str("kind") ?? throw new ArgumentException("kind is required");
        return ResourceCatalog.Require(apiVersion, kind);
    }

    internal JsonObject View(ResourceType type, JsonObject raw)
    {
        var copy = raw.Clone();
        return ReadView is null ? copy : ReadView(type, copy);
    }

    internal long NextResourceVersion() => ++_resourceVersion;

    private static string Key(ResourceType t) => t.Group + "/" + t.Plural;

    private static string ObjectKey(string? ns, string name) => string.IsNullOrEmpty(ns) ? name : ns + "/" + name;

    internal JsonObject? GetRaw(ResourceType type, string? ns, string name) =>
        _byType.TryGetValue(Key(type), out var m) && m.TryGetValue(ObjectKey(type.Namespaced ? ns : null, name), out var s) ? s.Object : null;

    internal StoredObject? GetEntry(ResourceType type, string? ns, string name) =>
        _byType.TryGetValue(Key(type), out var m) && m.TryGetValue(ObjectKey(type.Namespaced ? ns : null, name), out var s) ? s : null;

    /// <summary>Objects in key order (namespace/name), which is also the order paging continues in.</summary>
    internal IEnumerable<JsonObject> ListRaw(ResourceType type, string? ns) =>
        ListEntries(type, ns).Select(e => e.Value.Object);

    internal IEnumerable<KeyValuePair<string, StoredObject>> ListEntries(ResourceType type, string? ns)
    {
        if (!_byType.TryGetValue(Key(type), out var m))
        {
            return [];
        }

        if (string.IsNullOrEmpty(ns) || !type.Namespaced)
        {
            return m.ToList();
        }

        return m.Where(kv => kv.Value.Object.Str("metadata", "namespace") == ns).ToList();
    }

    /// <summary>Inserts a new object: uid, resourceVersion, creationTimestamp, managedFields (creator owns every field it set).</summary>
    internal JsonObject Insert(ResourceType type, JsonObject obj, string manager, string operation = "Update")
    {
        var md = obj.Metadata();
        md["uid"] = Guid.NewGuid().ToString();
        md["resourceVersion"] = NextResourceVersion().ToString(System.Globalization.CultureInfo.InvariantCulture);
        md["creationTimestamp"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow);
        md.Remove("managedFields");
        md.Remove("selfLink");
        var entry = new StoredObject(obj);
        var fields = FieldPaths.Leaves(obj);
        if (fields.Count > 0)
        {
            entry.Managers.Add(new ManagedFieldsEntry(manager, operation, type.ApiVersion, DateTimeOffset.UtcNow, fields));
        }

        entry.Render();
        if (!_byType.TryGetValue(Key(type), out var m))
        {
            m = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _byType[Key(type)] = m;
        }

        var stored = JsonUtil.Ordered(obj);
        entry.Object = stored;
        entry.Render();
        m[ObjectKey(type.Namespaced ? md.Str("namespace") : null, md.Str("name")!)] = entry;
        Notify("ADDED", type, stored);
        AfterCreate?.Invoke(type, stored);
        return stored;
    }

    /// <summary>Replaces an existing object with a new resourceVersion; the writer takes ownership of the leaf fields it changed.</summary>
    internal JsonObject Replace(ResourceType type, JsonObject obj, string manager, string operation = "Update", ISet<string>? appliedFields = null)
    {
        var md = obj.Metadata();
        var entry = GetEntry(type, md.Str("namespace"), md.Str("name")!) ?? throw StatusResponses.NotFound(type, md.Str("name")!);
        var old = entry.Object;
        md["uid"] = old.Str("metadata", "uid");
        md["creationTimestamp"] = old.Str("metadata", "creationTimestamp");
        md["resourceVersion"] = NextResourceVersion().ToString(System.Globalization.CultureInfo.InvariantCulture);
        md.Remove("managedFields");
        var before = FieldPaths.LeafValues(old);
        var after = FieldPaths.LeafValues(obj);
        var changed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, value) in after)
        {
            if (!before.TryGetValue(path, out var prev) || !JsonNode.DeepEquals(prev, value))
            {
                changed.Add(path);
            }
        }

        var owned = appliedFields ?? changed;
        foreach (var m in entry.Managers)
        {
            if (m.Manager != manager || m.Operation != operation)
            {
                m.Fields.ExceptWith(changed);
            }

            m.Fields.IntersectWith(after.Keys);
        }

        entry.Managers.RemoveAll(m => m.Fields.Count == 0 && !(m.Manager == manager && m.Operation == operation));
        var mine = entry.Managers.FirstOrDefault(m => m.Manager == manager && m.Operation == operation);
        if (mine is null)
        {
            if (owned.Count > 0)
            {
                entry.Managers.Add(new ManagedFieldsEntry(manager, operation, type.ApiVersion, DateTimeOffset.UtcNow, new HashSet<string>(owned, StringComparer.Ordinal)));
            }
        }
        else
        {
            if (appliedFields is not null)
            {
                mine.Fields.Clear();
            }

            mine.Fields.UnionWith(owned);
            mine.Time = DateTimeOffset.UtcNow;
        }

        entry.Object = JsonUtil.Ordered(obj);
        entry.Render();
        Notify("MODIFIED", type, entry.Object);
        return entry.Object;
    }

    internal bool Remove(ResourceType type, string? ns, string name)
    {
        if (!_byType.TryGetValue(Key(type), out var m) || !m.Remove(ObjectKey(type.Namespaced ? ns : null, name), out var removed))
        {
            return false;
        }

        Notify("DELETED", type, removed.Object);
        return true;
    }

    /// <summary>Watchers (called under the lock; they must only enqueue).</summary>
    internal event Action<string, ResourceType, JsonObject>? Changed;

    private void Notify(string eventType, ResourceType type, JsonObject obj) => Changed?.Invoke(eventType, type, obj);

    internal void RemoveNamespaceContents(string ns)
    {
        foreach (var t in ResourceCatalog.Types.Where(t => t.Namespaced))
        {
            if (_byType.TryGetValue(Key(t), out var m))
            {
                foreach (var k in m.Keys.Where(k => k.StartsWith(ns + "/", StringComparison.Ordinal)).ToList())
                {
                    if (m.Remove(k, out var removed))
                    {
                        Notify("DELETED", t, removed.Object);
                    }
                }
            }
        }
    }
}

/// <summary>A stored object plus its field managers (kept beside the object, rendered into metadata.managedFields).</summary>
internal sealed class StoredObject(JsonObject obj)
{
    public JsonObject Object { get; set; } = obj;

    public List<ManagedFieldsEntry> Managers { get; } = [];

    public void Render()
    {
        var md = Object.Metadata();
        if (Managers.Count == 0)
        {
            md.Remove("managedFields");
            return;
        }

        var arr = new JsonArray();
        foreach (var m in Managers)
        {
            arr.Add(new JsonObject
            {
                ["manager"] = m.Manager,
                ["operation"] = m.Operation,
                ["apiVersion"] = m.ApiVersion,
                ["time"] = JsonUtil.Timestamp(m.Time),
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = FieldPaths.ToFieldsV1(m.Fields),
            });
        }

        md["managedFields"] = arr;
    }
}

internal sealed class ManagedFieldsEntry(string manager, string operation, string apiVersion, DateTimeOffset time, HashSet<string> fields)
{
    public string Manager { get; } = manager;
    public string Operation { get; } = operation;
    public string ApiVersion { get; } = apiVersion;
    public DateTimeOffset Time { get; set; } = time;
    public HashSet<string> Fields { get; } = fields;
}

/// <summary>
/// Field paths for the simple field-ownership model: every leaf value (lists are atomic leaves) outside
/// apiVersion/kind/status and metadata except labels/annotations. Segments are joined with U+001F.
/// </summary>
internal static class FieldPaths
{
    public const char Sep = '\u001f';

    public static HashSet<string> Leaves(JsonObject obj) => new(LeafValues(obj).Keys, StringComparer.Ordinal);

    public static Dictionary<string, JsonNode?> LeafValues(JsonObject obj)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (k, v) in obj)
        {
            if (k is "apiVersion" or "kind" or "status")
            {
                continue;
            }

            if (k == "metadata")
            {
                foreach (var mk in new[] { "labels", "annotations" })
                {
                    if (v?[mk] is JsonObject mo)
                    {
                        Walk(mo, "metadata" + Sep + mk, result);
                    }
                }

                continue;
            }

            Walk(v, k, result);
        }

        return result;
    }

    private static void Walk(JsonNode? node, string prefix, Dictionary<string, JsonNode?> into)
    {
        if (node is JsonObject o && o.Count > 0)
        {
            foreach (var (k, v) in o)
            {
                Walk(v, prefix + Sep + k, into);
            }
        }
        else
        {
            into[prefix] = node;
        }
    }

    public static string Display(string path) => "." + path.Replace(Sep, '.');

    public static JsonObject ToFieldsV1(IEnumerable<string> paths)
    {
        var root = new JsonObject();
        foreach (var p in paths.Order(StringComparer.Ordinal))
        {
            var cur = root;
            foreach (var seg in p.Split(Sep))
            {
                cur = cur.Obj("f:" + seg);
            }
        }

        return root;
    }

    public static JsonNode? ValueAt(JsonObject obj, string path)
    {
        JsonNode? cur = obj;
        foreach (var seg in path.Split(Sep))
        {
            if (cur is not JsonObject o || !o.TryGetPropertyValue(seg, out cur))
            {
                return null;
            }
        }

        return cur;
    }

    public static void RemoveAt(JsonObject obj, string path)
    {
        var segs = path.Split(Sep);
        JsonNode? cur = obj;
        for (var i = 0; i < segs.Length - 1; i++)
        {
            if (cur is not JsonObject o || !o.TryGetPropertyValue(segs[i], out cur))
            {
                return;
            }
        }

        (cur as JsonObject)?.Remove(segs[^1]);
    }

    public static string Serialize(JsonNode? n) => n?.ToJsonString(JsonUtil.Compact) ?? "null";
}
