using System.Globalization;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>/version, /api, /apis, /api/v1, /apis/&lt;g&gt;[/&lt;v&gt;] in the legacy (non-aggregated) discovery format.</summary>
internal static class Discovery
{
    /// <summary>The commit the golden v1.32.13 server reported (golden 01); other versions get zeros.</summary>
    private const string V1_32_13Commit = "63adf010aa20e104c0b7043b47f42f50c9f72b17";

    public static JsonObject Version(string gitVersion)
    {
        var parts = gitVersion.TrimStart('v').Split('.', '-', '+');
        return new JsonObject
        {
            ["major"] = parts.ElementAtOrDefault(0) ?? "1",
            ["minor"] = parts.ElementAtOrDefault(1) ?? "0",
            ["gitVersion"] = gitVersion,
            ["gitCommit"] = gitVersion == "v1.32.13" ? V1_32_13Commit : "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = JsonUtil.Timestamp(DateTimeOffset.UtcNow),
            ["goVersion"] = "go1.23.5",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        };
    }

    public static JsonObject ApiVersions(Uri? baseAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject
        {
            ["clientCIDR"] = "0.0.0.0/0",
            ["serverAddress"] = baseAddress is null ? "127.0.0.1:443" : $"{baseAddress.Host}:{baseAddress.Port.ToString(CultureInfo.InvariantCulture)}",
        }),
    };

    public static JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var g in ResourceCatalog.GroupVersions().GroupBy(x => x.Group))
        {
            groups.Add(Group(g.Key, g.Select(x => x.Version).ToList()));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public static JsonObject? GroupOrNull(string group)
    {
        var versions = ResourceCatalog.GroupVersions().Where(x => x.Group == group).Select(x => x.Version).ToList();
        if (versions.Count == 0)
        {
            return null;
        }

        var g = Group(group, versions);
        g["kind"] = "APIGroup";
        g["apiVersion"] = "v1";
        return g;
    }

    private static JsonObject Group(string name, List<string> versions)
    {
        var vs = new JsonArray();
        foreach (var v in versions)
        {
            vs.Add(new JsonObject { ["groupVersion"] = name + "/" + v, ["version"] = v });
        }

        return new JsonObject
        {
            ["name"] = name,
            ["versions"] = vs,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = name + "/" + versions[0], ["version"] = versions[0] },
        };
    }

    public static JsonObject? ResourceList(string group, string version)
    {
        var types = ResourceCatalog.Types.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var t in types.OrderBy(t => t.Plural, StringComparer.Ordinal))
        {
            var r = new JsonObject
            {
                ["name"] = t.Plural,
                ["singularName"] = t.Singular ?? t.Kind.ToLowerInvariant(),
                ["namespaced"] = t.Namespaced,
                ["kind"] = t.Kind,
                ["verbs"] = (t.Kind == "Namespace" ? t.Verbs.Where(v => v != "deletecollection") : t.Verbs).ToJsonArray(),
            };
            if (t.ShortNames is { Length: > 0 })
            {
                r["shortNames"] = t.ShortNames.ToJsonArray();
            }

            resources.Add(r);
            foreach (var sub in t.Subresources ?? [])
            {
                var (kind, verbs, subGroup) = sub switch
                {
                    "status" => (t.Kind, new[] { "get", "patch", "update" }, null),
                    "scale" => ("Scale", ["get", "patch", "update"], "autoscaling"),
                    "token" => ("TokenRequest", ["create"], "authentication.k8s.io"),
                    "approval" => (t.Kind, ["get", "patch", "update"], null),
                    "exec" => ("PodExecOptions", ["create", "get"], null),
                    "attach" => ("PodAttachOptions", ["create", "get"], null),
                    "portforward" => ("PodPortForwardOptions", ["create", "get"], null),
                    "proxy" => (t.Kind + "ProxyOptions", ["create", "delete", "get", "patch", "update"], null),
                    "finalize" => (t.Kind, ["update"], null),
                    "log" => ("Pod", ["get"], null),
                    "eviction" => ("Eviction", ["create"], "policy"),
                    "binding" => ("Binding", ["create"], null),
                    _ => (t.Kind, new[] { "get", "patch", "update" }, (string?)null),
                };
                var s = new JsonObject { ["name"] = t.Plural + "/" + sub, ["singularName"] = "", ["namespaced"] = t.Namespaced };
                if (subGroup is not null)
                {
                    s["group"] = subGroup;
                    s["version"] = "v1";
                }

                s["kind"] = kind;
                s["verbs"] = verbs.ToJsonArray();
                resources.Add(s);
            }
        }

        // The core group's list has no apiVersion field (golden 69); named groups' lists do.
        var list = new JsonObject { ["kind"] = "APIResourceList" };
        if (group.Length > 0)
        {
            list["apiVersion"] = "v1";
        }

        list["groupVersion"] = group.Length == 0 ? version : group + "/" + version;
        list["resources"] = resources;
        return list;
    }
}
