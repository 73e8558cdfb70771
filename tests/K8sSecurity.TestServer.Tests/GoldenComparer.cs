using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sSecurity.TestServer.Tests;

/// <summary>
/// Compares a test-server response with the real server's by value: same keys at every level, arrays of the same
/// length in the same order, equal strings, numbers and booleans. Values the server generates are checked for
/// presence and format instead, and mapped: a golden uid, resourceVersion, cluster IP or generated name seen once
/// must stand for the same value of ours everywhere after (a label holding the Job's uid, a Status message quoting
/// the uid or resourceVersion in record, a no-op patch keeping the resourceVersion). One comparer follows a whole
/// replay so the mappings carry from exchange to exchange.
/// </summary>
internal sealed partial class GoldenComparer
{
    private readonly Mapping _uids = new("uid", injective: true);
    private readonly Mapping _objectVersions = new("resourceVersion", injective: true);
    private readonly Mapping _listVersions = new("list resourceVersion", injective: false);
    private readonly Mapping _ips = new("cluster IP", injective: true);
    private readonly Mapping _names = new("generated name", injective: true);
    private bool _listBody;
    private IReadOnlyDictionary<string, string> _skipped = new Dictionary<string, string>();

    /// <summary>What our server's value of a golden generated value was (request bodies and queries are mapped with it).</summary>
    public string MapResourceVersion(string golden) => _objectVersions.TryMap(golden) ?? _listVersions.TryMap(golden) ?? golden;

    /// <summary>Differences as "path: what"; empty when equal. <paramref name="shapeOnly"/>: paths compared by shape (documented reasons).</summary>
    public List<string> Compare(JsonNode? golden, JsonNode? actual, IReadOnlyDictionary<string, string>? shapeOnly = null, IReadOnlyDictionary<string, string>? skipped = null)
    {
        _skipped = skipped ?? new Dictionary<string, string>();
        var diffs = new List<string>();
        _listBody = golden?["kind"] is JsonValue kind && kind.TryGetValue<string>(out var k) && k.EndsWith("List", StringComparison.Ordinal);
        Walk(golden, actual, "", "", diffs, shapeOnly ?? new Dictionary<string, string>());
        return diffs;
    }

    private void Walk(JsonNode? g, JsonNode? a, string path, string key, List<string> diffs, IReadOnlyDictionary<string, string> shapeOnly)
    {
        if (key == "fieldsV1")
        {
            // The field sets of managedFields: the test server's ownership model keeps lists atomic (no k:{…}/v:…
            // keys) and counts fields set by admission (see tests/K8sSecurity.TestServer/README.md). Presence is
            // checked; manager, operation, apiVersion, fieldsType and time are compared like any other field.
            if (g is JsonObject != a is JsonObject)
            {
                diffs.Add($"{path}: golden {Show(g)}, test server {Show(a)}");
            }

            return;
        }

        if (shapeOnly.TryGetValue(path, out var reason))
        {
            diffs.AddRange(ShapeComparer.Compare(g, a).Select(d => $"{path}{d} (compared by shape: {reason})"));
            return;
        }

        if (g is null || a is null)
        {
            if (g is not null || a is not null)
            {
                diffs.Add($"{path}: golden {Show(g)}, test server {Show(a)}");
            }

            return;
        }

        switch (g)
        {
            case JsonObject go when a is JsonObject ao:
                foreach (var (k, v) in go)
                {
                    var p = path + "." + k;
                    if (_skipped.ContainsKey(p))
                    {
                        continue;
                    }

                    if (!ao.TryGetPropertyValue(k, out var av))
                    {
                        diffs.Add($"{p}: missing in test server response (golden {Show(v)})");
                        continue;
                    }

                    Walk(v, av, p, k, diffs, shapeOnly);
                }

                foreach (var (k, v) in ao)
                {
                    if (!go.ContainsKey(k) && !_skipped.ContainsKey(path + "." + k))
                    {
                        diffs.Add($"{path}.{k}: not in golden response (test server {Show(v)})");
                    }
                }

                break;
            case JsonArray ga0 when a is JsonArray aa0:
                // managedFields are sorted by operation, then time in seconds, then manager: entries written in the same
                // second by the real server may be a second apart here, so their order is compared without the time.
                var (ga, aa) = key == "managedFields" ? (ByManager(ga0), ByManager(aa0)) : (ga0, aa0);
                if (ga.Count != aa.Count)
                {
                    diffs.Add($"{path}: golden has {ga.Count} items, test server {aa.Count}: golden {Show(ga)}, test server {Show(aa)}");
                    break;
                }

                for (var i = 0; i < ga.Count; i++)
                {
                    Walk(ga[i], aa[i], $"{path}[{i}]", key, diffs, shapeOnly);
                }

                break;
            case JsonValue gv when a is JsonValue av:
                CompareValues(gv, av, path, key, diffs);
                break;
            default:
                diffs.Add($"{path}: golden is {g.GetValueKind()}, test server sent {a.GetValueKind()}");
                break;
        }
    }

    private void CompareValues(JsonValue g, JsonValue a, string path, string key, List<string> diffs)
    {
        if (g.GetValueKind() != a.GetValueKind())
        {
            diffs.Add($"{path}: golden {Show(g)}, test server {Show(a)}");
            return;
        }

        if (g.GetValueKind() != JsonValueKind.String)
        {
            if (!JsonNode.DeepEquals(g, a))
            {
                diffs.Add($"{path}: golden {Show(g)}, test server {Show(a)}");
            }

            return;
        }

        var gs = g.GetValue<string>();
        var @as = a.GetValue<string>();
        var error = Generated(path, key, gs, @as);
        if (error is not null)
        {
            if (error.Length > 0)
            {
                diffs.Add($"{path}: {error}");
            }

            return;
        }

        var expected = Substitute(gs);
        if (!string.Equals(PointerRegex().Replace(expected, "0xPTR"), PointerRegex().Replace(@as, "0xPTR"), StringComparison.Ordinal))
        {
            diffs.Add($"{path}: golden {JsonSerializer.Serialize(expected)}, test server {JsonSerializer.Serialize(@as)}");
        }
    }

    /// <summary>
    /// Null when the value is not server-generated (compare it as is); "" when it is and passes; else the failure.
    /// </summary>
    private string? Generated(string path, string key, string golden, string actual)
    {
        var parent = ParentKey(path);
        switch (key)
        {
            case "uid" when parent is "metadata" or "details":
                return Format(UuidRegex(), golden, actual) ?? _uids.Check(golden, actual);
            case "resourceVersion" when parent == "metadata":
                return Format(DigitsRegex(), golden, actual) ?? (_listBody && path == ".metadata.resourceVersion"
                    ? _listVersions.Check(golden, actual)
                    : _objectVersions.Check(golden, actual));
            case "creationTimestamp" or "deletionTimestamp" or "lastUpdateTime" or "lastTransitionTime" or "expirationTimestamp" or "time" or "buildDate":
                return Format(TimestampRegex(), golden, actual) ?? "";
            case "continue" when parent == "metadata":
                return CompareContinue(golden, actual);
            case "token" when parent == "status":
                return Format(JwtRegex(), golden, actual) ?? "";
            case "certificate" when parent == "status":
                return IsBase64Pem(actual, "CERTIFICATE") ? "" : $"expected a base64 PEM certificate, got {actual}";
            case "clusterIP" or "clusterIPs":
                return Format(Ipv4Regex(), golden, actual) ?? _ips.Check(golden, actual);
            case "controller-uid" or "batch.kubernetes.io/controller-uid":
                return Format(UuidRegex(), golden, actual) ?? _uids.Check(golden, actual);
            case "authentication.kubernetes.io/credential-id":
                return Format(CredentialIdRegex(), golden, actual) ?? "";
        }

        if (GeneratedNameRegex().IsMatch(golden))
        {
            return Format(GeneratedNameRegex(), golden, actual) ?? _names.Check(golden, actual);
        }

        return null;
    }

    private string CompareContinue(string golden, string actual)
    {
        var g = DecodeContinue(golden);
        var a = DecodeContinue(actual);
        if (g is null || a is null)
        {
            return $"continue token not decodable: golden {golden}, test server {actual}";
        }

        if (g.Str("start") != a.Str("start") || g.Str("v") != a.Str("v"))
        {
            return $"continue token differs: golden {g.ToJsonString()}, test server {a.ToJsonString()}";
        }

        return _listVersions.Check(g["rv"]!.ToJsonString(), a["rv"]!.ToJsonString()) ?? "";
    }

    private static JsonNode? DecodeContinue(string token)
    {
        try
        {
            var b64 = token.Replace('-', '+').Replace('_', '/');
            b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
            return JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(b64)));
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return null;
        }
    }

    /// <summary>Golden uids and resourceVersions quoted inside strings (Status messages) become ours.</summary>
    private string Substitute(string golden)
    {
        var text = UuidInTextRegex().Replace(golden, m => _uids.TryMap(m.Value) ?? m.Value);
        return RecordVersionRegex().Replace(text, m => m.Groups[1].Value + (_objectVersions.TryMap(m.Groups[2].Value) ?? m.Groups[2].Value) + ")");
    }

    private static string? Format(Regex format, string golden, string actual)
    {
        if (!format.IsMatch(golden))
        {
            return $"golden value {golden} is not of the expected generated format {format}";
        }

        return format.IsMatch(actual) ? null : $"expected a value like {golden} ({format}), test server sent {actual}";
    }

    private static bool IsBase64Pem(string value, string label)
    {
        try
        {
            var pem = Encoding.ASCII.GetString(Convert.FromBase64String(value));
            return pem.StartsWith($"-----BEGIN {label}-----", StringComparison.Ordinal) && pem.TrimEnd().EndsWith($"-----END {label}-----", StringComparison.Ordinal);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static JsonArray ByManager(JsonArray entries) =>
        new(entries.Select(e => e?.DeepClone())
            .OrderBy(e => e.Str("operation"), StringComparer.Ordinal)
            .ThenBy(e => e.Str("manager"), StringComparer.Ordinal)
            .ThenBy(e => e.Str("subresource") ?? "", StringComparer.Ordinal)
            .ToArray());

    private static string ParentKey(string path)
    {
        var trimmed = IndexRegex().Replace(path, "");
        var parts = trimmed.Split('.');
        return parts.Length >= 2 ? parts[^2] : "";
    }

    private static string Show(JsonNode? n)
    {
        var text = n?.ToJsonString() ?? "null";
        return text.Length > 300 ? text[..300] + "…" : text;
    }

    /// <summary>golden → ours for one kind of generated value; the same golden value must always be the same of ours.</summary>
    private sealed class Mapping(string what, bool injective)
    {
        private readonly Dictionary<string, string> _forward = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _backward = new(StringComparer.Ordinal);

        public string? TryMap(string golden) => _forward.GetValueOrDefault(golden);

        public string? Check(string golden, string actual)
        {
            if (_forward.TryGetValue(golden, out var known))
            {
                return known == actual ? "" : $"golden {what} {golden} stood for {known} before, test server now sent {actual}";
            }

            if (injective && _backward.TryGetValue(actual, out var other))
            {
                return $"test server {what} {actual} stands for golden {other} already, but golden has {golden} here";
            }

            _forward[golden] = actual;
            _backward[actual] = golden;
            return "";
        }
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    private static partial Regex UuidRegex();

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex UuidInTextRegex();

    [GeneratedRegex(@"(ResourceVersion in record \()(\d+)\)")]
    private static partial Regex RecordVersionRegex();

    [GeneratedRegex("^[0-9]+$")]
    private static partial Regex DigitsRegex();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")]
    private static partial Regex TimestampRegex();

    [GeneratedRegex(@"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")]
    private static partial Regex JwtRegex();

    [GeneratedRegex(@"^10\.\d{1,3}\.\d{1,3}\.\d{1,3}$")]
    private static partial Regex Ipv4Regex();

    [GeneratedRegex("^(X509SHA256=[0-9a-f]{64}|JTI=[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$")]
    private static partial Regex CredentialIdRegex();

    [GeneratedRegex("^kube-api-access-[bcdfghjklmnpqrstvwxz2456789]{5}$")]
    private static partial Regex GeneratedNameRegex();

    [GeneratedRegex("0xc[0-9a-f]{6,}")]
    private static partial Regex PointerRegex();

    [GeneratedRegex(@"\[\d+\]")]
    private static partial Regex IndexRegex();
}
