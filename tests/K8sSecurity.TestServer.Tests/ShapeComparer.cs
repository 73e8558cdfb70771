using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Tests;

/// <summary>
/// Compares a response with a golden one by shape: same keys at every level (managedFields ignored, a null on
/// either side matches anything), same JSON value kinds, arrays compared element by element up to the shorter.
/// Values are not compared (uids, timestamps, resourceVersions differ by design).
/// </summary>
internal static class ShapeComparer
{
    public static List<string> Compare(JsonNode? golden, JsonNode? actual, ISet<string>? ignoredPaths = null)
    {
        var diffs = new List<string>();
        Walk(golden, actual, "", diffs, ignoredPaths ?? new HashSet<string>());
        return diffs;
    }

    private static void Walk(JsonNode? g, JsonNode? a, string path, List<string> diffs, ISet<string> ignored)
    {
        if (ignored.Contains(path) || g is null || a is null)
        {
            return;
        }

        switch (g)
        {
            case JsonObject go when a is JsonObject ao:
                foreach (var (k, v) in go)
                {
                    var p = path + "." + k;
                    if (k == "managedFields" || ignored.Contains(p))
                    {
                        continue;
                    }

                    if (!ao.TryGetPropertyValue(k, out var av))
                    {
                        diffs.Add($"{p}: missing in test server response");
                        continue;
                    }

                    Walk(v, av, p, diffs, ignored);
                }

                foreach (var (k, _) in ao)
                {
                    var p = path + "." + k;
                    if (k != "managedFields" && !go.ContainsKey(k) && !ignored.Contains(p))
                    {
                        diffs.Add($"{p}: not in golden response");
                    }
                }

                break;
            case JsonArray ga when a is JsonArray aa:
                for (var i = 0; i < Math.Min(ga.Count, aa.Count); i++)
                {
                    Walk(ga[i], aa[i], $"{path}[{i}]", diffs, ignored);
                }

                break;
            default:
                if (g.GetValueKind() != a.GetValueKind() && !(IsBool(g) && IsBool(a)))
                {
                    diffs.Add($"{path}: golden is {g.GetValueKind()}, test server sent {a.GetValueKind()}");
                }

                break;
        }
    }

    private static bool IsBool(JsonNode n) => n.GetValueKind() is JsonValueKind.True or JsonValueKind.False;
}
