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

    /// <summary>
    /// Controllers that react to changes in a namespace (the quota controller keeps ResourceQuota status current). They
    /// run when the request that changed it is done (<see cref="RunControllers"/>), as a real controller acts after the
    /// write, not in the middle of admission.
    /// </summary>
    internal Action<string>? Controllers { get; set; }

    private readonly HashSet<string> _dirtyNamespaces = new(StringComparer.Ordinal);

    /// <summary>Lets the controllers catch up with every namespace changed since the last call (callers hold SyncRoot).</summary>
    internal void RunControllers()
    {
        for (var round = 0; round < 10 && _dirtyNamespaces.Count > 0; round++)
        {
            var dirty = _dirtyNamespaces.ToList();
            _dirtyNamespaces.Clear();
            foreach (var ns in dirty)
            {
                Controllers?.Invoke(ns);
            }
        }

        _dirtyNamespaces.Clear();
    }

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
    public JsonObject Create(JsonObject obj) => Create(obj, "k8ssecurity-test-seed");

    /// <summary>Like <see cref="Create(JsonObject)"/> with the field manager recorded in managedFields (the bootstrap policy is kube-apiserver's).</summary>
    public JsonObject Create(JsonObject obj, string manager)
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
                    Create(new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Namespace", ["metadata"] = new JsonObject { ["name"] = ns } }, manager);
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

            md.Remove("uid");
            md.Remove("creationTimestamp");
            Defaulter?.Invoke(type, copy);
            var stored = Insert(type, copy, manager).Clone();
            RunControllers();
            return stored;
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
            var removed = Remove(type, @namespace, name);
            RunControllers();
            return removed;
        }
    }

    /// <summary>
    /// Another writer's update (tests: a concurrent change): applies <paramref name="change"/> to the stored object and
    /// stores it as field manager <paramref name="manager"/> with a new resourceVersion. Returns the stored copy.
    /// </summary>
    public JsonObject Update(string apiVersion, string kind, string? @namespace, string name, Action<JsonObject> change, string manager = "other-writer")
    {
        var type = ResourceCatalog.Require(apiVersion, kind);
        lock (SyncRoot)
        {
            var current = GetRaw(type, @namespace, name)?.Clone() ?? throw StatusResponses.NotFound(type, name);
            change(current);
            var stored = Replace(type, current, manager).Clone();
            RunControllers();
            return stored;
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

    /// <summary>
    /// Inserts a new object: uid and creationTimestamp (unless the create path set them before defaulting, as
    /// BeforeCreate does), resourceVersion, managedFields (the creator owns every field it set).
    /// </summary>
    internal JsonObject Insert(ResourceType type, JsonObject obj, string manager, string operation = "Update", string subresource = "")
    {
        var entry = PrepareInsert(type, obj, manager, operation, subresource);
        obj.Metadata()["resourceVersion"] = NextResourceVersion().ToString(System.Globalization.CultureInfo.InvariantCulture);
        var stored = JsonUtil.Ordered(obj);
        entry.Object = stored;
        entry.Render();
        if (!_byType.TryGetValue(Key(type), out var m))
        {
            m = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _byType[Key(type)] = m;
        }

        m[ObjectKey(type.Namespaced ? stored.Str("metadata", "namespace") : null, stored.Str("metadata", "name")!)] = entry;
        Notify("ADDED", type, stored);
        AfterCreate?.Invoke(type, stored);
        return stored;
    }

    /// <summary>What a dry-run create answers: the object as it would be stored (managedFields included), without a resourceVersion.</summary>
    internal JsonObject PreviewInsert(ResourceType type, JsonObject obj, string manager, string operation = "Update")
    {
        var entry = PrepareInsert(type, obj, manager, operation, "");
        entry.Object = JsonUtil.Ordered(obj);
        entry.Render();
        return entry.Object;
    }

    private static StoredObject PrepareInsert(ResourceType type, JsonObject obj, string manager, string operation, string subresource)
    {
        var md = obj.Metadata();
        if (string.IsNullOrEmpty(md.Str("uid")))
        {
            md["uid"] = Guid.NewGuid().ToString();
        }

        if (string.IsNullOrEmpty(md.Str("creationTimestamp")))
        {
            md["creationTimestamp"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow);
        }

        md.Remove("managedFields");
        md.Remove("selfLink");
        var entry = new StoredObject(obj) { TracksManagedFields = type.TracksManagedFields };
        var fields = FieldPaths.Leaves(obj);
        if (operation != "Apply")
        {
            // An Update that creates a map also owns the map itself (fieldsV1 "f:data": {".": {}, …}).
            fields.UnionWith(FieldPaths.MapNodes(type, obj));
        }

        if (fields.Count > 0)
        {
            entry.Managers.Add(new ManagedFieldsEntry(manager, operation, type.ApiVersion, DateTimeOffset.UtcNow, fields, subresource));
        }

        return entry;
    }

    /// <summary>
    /// Replaces an existing object with a new resourceVersion; the writer takes ownership of the leaf fields it
    /// changed. A write that changes nothing is a no-op like in etcd3's GuaranteedUpdate: same resourceVersion, no
    /// event, managedFields untouched.
    /// </summary>
    internal JsonObject Replace(ResourceType type, JsonObject obj, string manager, string operation = "Update", ISet<string>? appliedFields = null, string subresource = "")
    {
        var md = obj.Metadata();
        var entry = GetEntry(type, md.Str("namespace"), md.Str("name")!) ?? throw StatusResponses.NotFound(type, md.Str("name")!);
        var next = ComputeReplace(type, entry, obj, manager, operation, appliedFields, subresource);
        if (next is null)
        {
            return entry.Object;
        }

        next.Object.Metadata()["resourceVersion"] = NextResourceVersion().ToString(System.Globalization.CultureInfo.InvariantCulture);
        entry.Object = next.Object;
        entry.Managers.Clear();
        entry.Managers.AddRange(next.Managers);
        entry.Render();
        Notify("MODIFIED", type, entry.Object);
        return entry.Object;
    }

    /// <summary>A write by the server itself that field management does not track (a namespace turning Terminating).</summary>
    internal JsonObject ReplaceUntracked(ResourceType type, JsonObject obj)
    {
        var md = obj.Metadata();
        var entry = GetEntry(type, md.Str("namespace"), md.Str("name")!) ?? throw StatusResponses.NotFound(type, md.Str("name")!);
        md["resourceVersion"] = NextResourceVersion().ToString(System.Globalization.CultureInfo.InvariantCulture);
        entry.Object = JsonUtil.Ordered(obj);
        entry.Render();
        Notify("MODIFIED", type, entry.Object);
        return entry.Object;
    }

    /// <summary>What a dry-run update answers: the object as Replace would store it, with the current resourceVersion.</summary>
    internal JsonObject PreviewReplace(ResourceType type, JsonObject obj, string manager, string operation = "Update", ISet<string>? appliedFields = null, string subresource = "")
    {
        var md = obj.Metadata();
        var entry = GetEntry(type, md.Str("namespace"), md.Str("name")!) ?? throw StatusResponses.NotFound(type, md.Str("name")!);
        var next = ComputeReplace(type, entry, obj, manager, operation, appliedFields, subresource);
        if (next is null)
        {
            return entry.Object.Clone();
        }

        next.Object.Metadata()["resourceVersion"] = entry.Object.Str("metadata", "resourceVersion");
        next.Render();
        return next.Object;
    }

    /// <summary>The stored object and managers after the write, or null when the write changes nothing.</summary>
    private static StoredObject? ComputeReplace(ResourceType type, StoredObject entry, JsonObject obj, string manager, string operation, ISet<string>? appliedFields, string subresource)
    {
        var md = obj.Metadata();
        var old = entry.Object;
        md["uid"] = old.Str("metadata", "uid");
        md["creationTimestamp"] = old.Str("metadata", "creationTimestamp");
        md["resourceVersion"] = old.Str("metadata", "resourceVersion");
        md.Remove("managedFields");
        var candidate = JsonUtil.Ordered(obj);
        if (SameContent(old, candidate))
        {
            return null;
        }

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

        if (subresource != "status")
        {
            // Status only changes through the status subresource (or server defaulting nobody owns).
            changed.RemoveWhere(FieldPaths.IsStatus);
        }
        else
        {
            changed.RemoveWhere(p => !FieldPaths.IsStatus(p));
        }

        var mapsBefore = FieldPaths.MapNodes(type, old);
        var mapsAfter = FieldPaths.MapNodes(type, obj);
        if (appliedFields is null)
        {
            changed.UnionWith(mapsAfter.Except(mapsBefore));
        }

        var present = new HashSet<string>(after.Keys, StringComparer.Ordinal);
        present.UnionWith(mapsAfter);
        var owned = appliedFields ?? changed;
        var managers = entry.Managers.Select(m => m.Clone()).ToList();
        bool Mine(ManagedFieldsEntry m) => m.Manager == manager && m.Operation == operation && m.Subresource == subresource;
        foreach (var m in managers)
        {
            if (!Mine(m))
            {
                m.Fields.ExceptWith(changed);
            }

            m.Fields.IntersectWith(present);
        }

        managers.RemoveAll(m => m.Fields.Count == 0 && !Mine(m));
        var mine = managers.FirstOrDefault(Mine);
        if (mine is null)
        {
            if (owned.Count > 0)
            {
                managers.Add(new ManagedFieldsEntry(manager, operation, type.ApiVersion, DateTimeOffset.UtcNow, new HashSet<string>(owned, StringComparer.Ordinal), subresource));
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

        var next = new StoredObject(candidate) { TracksManagedFields = entry.TracksManagedFields };
        next.Managers.AddRange(managers);
        return next;
    }

    /// <summary>Equal apart from managedFields: what the storage layer compares before it writes.</summary>
    private static bool SameContent(JsonObject a, JsonObject b)
    {
        var x = a.Clone();
        var y = b.Clone();
        x.Metadata().Remove("managedFields");
        y.Metadata().Remove("managedFields");
        return JsonNode.DeepEquals(x, y);
    }

    internal bool Remove(ResourceType type, string? ns, string name)
    {
        if (!_byType.TryGetValue(Key(type), out var m) || !m.Remove(ObjectKey(type.Namespaced ? ns : null, name), out var removed))
        {
            return false;
        }

        Notify("DELETED", type, Deleted(removed.Object));
        return true;
    }

    /// <summary>The object as a DELETED event carries it: with the resourceVersion of the deletion (etcd bumps it).</summary>
    private JsonObject Deleted(JsonObject obj)
    {
        var copy = obj.Clone();
        copy.Metadata()["resourceVersion"] = NextResourceVersion().ToString(System.Globalization.CultureInfo.InvariantCulture);
        return copy;
    }

    /// <summary>How many change events the watch history keeps (the watch cache's window).</summary>
    internal const int HistoryLimit = 10_000;

    private readonly Queue<WatchEvent> _history = new();
    private long _oldestRetained;
    private long _compacted;

    /// <summary>
    /// Like a cluster that moved on and had etcd compact it: every resourceVersion handed out so far becomes history that
    /// can no longer be read. Continue tokens issued before answer 410 Expired, and watches from an older
    /// resourceVersion get a 410 Expired ERROR event.
    /// </summary>
    public void Compact()
    {
        lock (SyncRoot)
        {
            _compacted = NextResourceVersion();
            while (_history.Count > 0 && _history.Peek().ResourceVersion <= _compacted)
            {
                _history.Dequeue();
            }

            _oldestRetained = Math.Max(_oldestRetained, _compacted);
        }
    }

    /// <summary>The resourceVersion up to which history is gone (0: nothing compacted).</summary>
    internal long CompactedResourceVersion => _compacted;

    /// <summary>
    /// Events after <paramref name="resourceVersion"/> in order, or null when some of them are no longer kept (the
    /// caller answers 410 Expired "too old resource version").
    /// </summary>
    internal List<WatchEvent>? EventsAfter(long resourceVersion)
    {
        if (resourceVersion < _oldestRetained)
        {
            return null;
        }

        return _history.Where(e => e.ResourceVersion > resourceVersion).ToList();
    }

    /// <summary>Watchers (called under the lock; they must only enqueue).</summary>
    internal event Action<string, ResourceType, JsonObject>? Changed;

    private void Notify(string eventType, ResourceType type, JsonObject obj)
    {
        _history.Enqueue(new WatchEvent(long.Parse(obj.Str("metadata", "resourceVersion") ?? "0", System.Globalization.CultureInfo.InvariantCulture), eventType, type, obj));
        while (_history.Count > HistoryLimit)
        {
            var dropped = _history.Dequeue();
            _oldestRetained = Math.Max(_oldestRetained, dropped.ResourceVersion);
        }

        Changed?.Invoke(eventType, type, obj);
        if (type.Namespaced && obj.Str("metadata", "namespace") is { Length: > 0 } ns)
        {
            _dirtyNamespaces.Add(ns);
        }
    }

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
                        Notify("DELETED", t, Deleted(removed.Object));
                    }
                }
            }
        }
    }
}

/// <summary>One change as watchers see it.</summary>
internal sealed record WatchEvent(long ResourceVersion, string Type, ResourceType ResourceType, JsonObject Object);

/// <summary>A stored object plus its field managers (kept beside the object, rendered into metadata.managedFields).</summary>
internal sealed class StoredObject(JsonObject obj)
{
    public JsonObject Object { get; set; } = obj;

    public List<ManagedFieldsEntry> Managers { get; } = [];

    /// <summary>False for types whose objects carry no managedFields in the real server's answers (CSRs, golden 37-43).</summary>
    public bool TracksManagedFields { get; init; } = true;

    /// <summary>
    /// Writes metadata.managedFields in the order kube-apiserver sorts them: operation (Apply before Update), time
    /// (seconds), manager, subresource.
    /// </summary>
    public void Render()
    {
        var md = Object.Metadata();
        if (Managers.Count == 0 || !TracksManagedFields)
        {
            md.Remove("managedFields");
            return;
        }

        var arr = new JsonArray();
        var sorted = Managers
            .OrderBy(m => m.Operation, StringComparer.Ordinal)
            .ThenBy(m => m.Time.ToUnixTimeSeconds())
            .ThenBy(m => m.Manager, StringComparer.Ordinal)
            .ThenBy(m => m.Subresource, StringComparer.Ordinal);
        foreach (var m in sorted)
        {
            var entry = new JsonObject
            {
                ["manager"] = m.Manager,
                ["operation"] = m.Operation,
                ["apiVersion"] = m.ApiVersion,
                ["time"] = JsonUtil.Timestamp(m.Time),
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = FieldPaths.ToFieldsV1(m.Fields),
            };
            if (m.Subresource.Length > 0)
            {
                entry["subresource"] = m.Subresource;
            }

            arr.Add(entry);
        }

        md["managedFields"] = arr;
    }
}

internal sealed class ManagedFieldsEntry(string manager, string operation, string apiVersion, DateTimeOffset time, HashSet<string> fields, string subresource = "")
{
    public string Manager { get; } = manager;
    public string Operation { get; } = operation;
    public string ApiVersion { get; } = apiVersion;
    public DateTimeOffset Time { get; set; } = time;
    public HashSet<string> Fields { get; } = fields;

    /// <summary>"status" for writes through the status subresource (quota usage), "" otherwise.</summary>
    public string Subresource { get; } = subresource;

    public ManagedFieldsEntry Clone() => new(Manager, Operation, ApiVersion, Time, new HashSet<string>(Fields, StringComparer.Ordinal), Subresource);
}

/// <summary>
/// Field paths for the simple field-ownership model: every leaf value (lists are atomic leaves) outside
/// apiVersion/kind/status and metadata except labels/annotations. Segments are joined with U+001F.
/// </summary>
internal static class FieldPaths
{
    public const char Sep = '\u001f';

    /// <summary>Leaf paths outside status: what a create or a main-resource write can set.</summary>
    public static HashSet<string> Leaves(JsonObject obj) => new(LeafValues(obj).Keys.Where(k => !IsStatus(k)), StringComparer.Ordinal);

    public static bool IsStatus(string path) => path == "status" || path.StartsWith("status" + Sep, StringComparison.Ordinal);

    public static Dictionary<string, JsonNode?> LeafValues(JsonObject obj)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var (k, v) in obj)
        {
            if (k is "apiVersion" or "kind")
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

    /// <summary>
    /// Paths of the non-empty map-typed fields (labels, data, spec.hard, selectors…, per <see cref="Decoding.ApiSchema"/>;
    /// only metadata's maps for kinds without a schema). A map node is a field of its own in managedFields.
    /// </summary>
    public static HashSet<string> MapNodes(ResourceType type, JsonObject obj)
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        var schema = Decoding.ApiSchema.ForKind(type.Kind);
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
                    if (v?[mk] is JsonObject { Count: > 0 })
                    {
                        result.Add("metadata" + Sep + mk);
                    }
                }

                continue;
            }

            if (schema?.Fields.GetValueOrDefault(k) is { } fieldSchema)
            {
                WalkMaps(v, fieldSchema, k, result);
            }
        }

        return result;
    }

    private static void WalkMaps(JsonNode? node, Decoding.SchemaType schema, string path, HashSet<string> into)
    {
        if (node is not JsonObject o || o.Count == 0)
        {
            return;
        }

        if (schema.Kind == Decoding.SchemaKind.Map)
        {
            into.Add(path);
            return;
        }

        if (schema.Kind == Decoding.SchemaKind.Struct && !schema.Open)
        {
            foreach (var (k, v) in o)
            {
                if (schema.Fields.GetValueOrDefault(k) is { } child)
                {
                    WalkMaps(v, child, path + Sep + k, into);
                }
            }
        }
    }

    public static string Display(string path) => "." + path.Replace(Sep, '.');

    /// <summary>A managedFields array with one Update entry for what <paramref name="written"/> sets (answers of review and token requests, which are never stored).</summary>
    public static JsonArray Entry(string manager, string apiVersion, JsonObject written, string subresource = "")
    {
        var entry = new JsonObject
        {
            ["manager"] = manager,
            ["operation"] = "Update",
            ["apiVersion"] = apiVersion,
            ["time"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow),
            ["fieldsType"] = "FieldsV1",
            ["fieldsV1"] = ToFieldsV1(Leaves(written)),
        };
        if (subresource.Length > 0)
        {
            entry["subresource"] = subresource;
        }

        return new JsonArray(entry);
    }

    /// <summary>fieldsV1 of a field set: nested "f:" keys; "." marks a member that also has members below it.</summary>
    public static JsonObject ToFieldsV1(IEnumerable<string> paths)
    {
        var members = paths.ToHashSet(StringComparer.Ordinal);
        var root = new JsonObject();
        foreach (var p in members.Order(StringComparer.Ordinal))
        {
            var cur = root;
            foreach (var seg in p.Split(Sep))
            {
                cur = cur.Obj("f:" + seg);
            }
        }

        foreach (var p in members)
        {
            var node = root;
            foreach (var seg in p.Split(Sep))
            {
                node = (JsonObject)node["f:" + seg]!;
            }

            if (node.Count > 0)
            {
                var children = node.ToList();
                node.Clear();
                node["."] = new JsonObject();
                foreach (var (k, v) in children)
                {
                    node[k] = v;
                }
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
