using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer;

/// <summary>
/// Label selectors: the query-string syntax (a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a) and the
/// metav1.LabelSelector object form (matchLabels + matchExpressions) used by aggregation rules.
/// </summary>
public sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r(labels));

    public static LabelSelector Parse(string? text)
    {
        var sel = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return sel;
        }

        foreach (var raw in SplitTopLevel(text))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                continue;
            }

            var inIdx = IndexOfWord(part, " notin ");
            if (inIdx > 0)
            {
                var key = part[..inIdx].Trim();
                var values = ParseSet(part[(inIdx + 7)..]);
                sel._requirements.Add(l => !l.TryGetValue(key, out var v) || !values.Contains(v));
                continue;
            }

            inIdx = IndexOfWord(part, " in ");
            if (inIdx > 0)
            {
                var key = part[..inIdx].Trim();
                var values = ParseSet(part[(inIdx + 4)..]);
                sel._requirements.Add(l => l.TryGetValue(key, out var v) && values.Contains(v));
                continue;
            }

            var ne = part.IndexOf("!=", StringComparison.Ordinal);
            if (ne > 0)
            {
                var key = part[..ne].Trim();
                var value = part[(ne + 2)..].Trim();
                sel._requirements.Add(l => !l.TryGetValue(key, out var v) || v != value);
                continue;
            }

            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                var key = part[..eq].Trim();
                var value = part[(eq + 1)..].TrimStart('=').Trim();
                sel._requirements.Add(l => l.TryGetValue(key, out var v) && v == value);
                continue;
            }

            if (part.StartsWith('!'))
            {
                var key = part[1..].Trim();
                sel._requirements.Add(l => !l.ContainsKey(key));
                continue;
            }

            if (part.IndexOfAny(['(', ')', ' ', '<', '>']) >= 0)
            {
                throw StatusResponses.BadRequest($"unable to parse requirement: found '{part}', expected: '=', '!=', '==', 'in', notin'");
            }

            var k = part;
            sel._requirements.Add(l => l.ContainsKey(k));
        }

        return sel;
    }

    /// <summary>metav1.LabelSelector; an empty selector matches everything, a null one nothing (callers decide).</summary>
    public static LabelSelector FromObject(JsonObject? selector)
    {
        var sel = new LabelSelector();
        if (selector is null)
        {
            return sel;
        }

        foreach (var (k, v) in selector.StringMap("matchLabels"))
        {
            sel._requirements.Add(l => l.TryGetValue(k, out var x) && x == v);
        }

        foreach (var expr in selector.Objects("matchExpressions"))
        {
            var key = expr.Str("key") ?? "";
            var values = expr.Strings("values").ToHashSet(StringComparer.Ordinal);
            switch (expr.Str("operator"))
            {
                case "In":
                    sel._requirements.Add(l => l.TryGetValue(key, out var x) && values.Contains(x));
                    break;
                case "NotIn":
                    sel._requirements.Add(l => !l.TryGetValue(key, out var x) || !values.Contains(x));
                    break;
                case "Exists":
                    sel._requirements.Add(l => l.ContainsKey(key));
                    break;
                case "DoesNotExist":
                    sel._requirements.Add(l => !l.ContainsKey(key));
                    break;
                default:
                    sel._requirements.Add(_ => false);
                    break;
            }
        }

        return sel;
    }

    private static int IndexOfWord(string s, string word) => s.IndexOf(word, StringComparison.Ordinal);

    private static HashSet<string> ParseSet(string s)
    {
        s = s.Trim();
        if (!s.StartsWith('(') || !s.EndsWith(')'))
        {
            throw StatusResponses.BadRequest($"unable to parse requirement: found '{s}', expected: '('");
        }

        return s[1..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Splits on commas that are not inside a parenthesised value set.</summary>
    private static IEnumerable<string> SplitTopLevel(string s)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '(')
            {
                depth++;
            }
            else if (s[i] == ')')
            {
                depth--;
            }
            else if (s[i] == ',' && depth == 0)
            {
                yield return s[start..i];
                start = i + 1;
            }
        }

        yield return s[start..];
    }
}

/// <summary>Field selectors: only the fields kube-apiserver supports per type; anything else is a 400 like the real server.</summary>
public sealed class FieldSelector
{
    private readonly List<(string Field, string Value, bool Negate)> _terms = [];

    public bool IsEmpty => _terms.Count == 0;

    public static FieldSelector Parse(string? text, ResourceType type)
    {
        var sel = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return sel;
        }

        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string field, value;
            var negate = false;
            var ne = raw.IndexOf("!=", StringComparison.Ordinal);
            if (ne > 0)
            {
                (field, value, negate) = (raw[..ne], raw[(ne + 2)..], true);
            }
            else
            {
                var eq = raw.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    throw StatusResponses.BadRequest($"invalid selector: '{text}'; can't understand '{raw}'");
                }

                (field, value) = (raw[..eq], raw[(eq + 1)..].TrimStart('='));
            }

            if (!Supported(type, field))
            {
                throw StatusResponses.BadRequest($"field label not supported: {field}");
            }

            sel._terms.Add((field, value, negate));
        }

        return sel;
    }

    private static bool Supported(ResourceType type, string field)
    {
        if (field is "metadata.name" || (field is "metadata.namespace" && type.Namespaced))
        {
            return true;
        }

        return (type.Plural, field) switch
        {
            ("pods", "status.phase" or "spec.nodeName" or "spec.serviceAccountName" or "spec.restartPolicy" or "spec.schedulerName" or "status.podIP" or "status.nominatedNodeName" or "spec.hostNetwork") => true,
            ("secrets", "type") => true,
            ("namespaces", "status.phase") => true,
            ("nodes", "spec.unschedulable") => true,
            ("events", "involvedObject.kind" or "involvedObject.name" or "involvedObject.namespace" or "involvedObject.uid" or "reason" or "type" or "source") => true,
            ("certificatesigningrequests", "spec.signerName") => true,
            ("replicationcontrollers", "status.replicas") => true,
            ("jobs", "status.successful") => true,
            _ => false,
        };
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var (field, value, negate) in _terms)
        {
            var actual = obj.Str(field.Split('.')) ?? "";
            if (field == "spec.hostNetwork" && actual.Length == 0)
            {
                actual = "false";
            }

            if ((actual == value) == negate)
            {
                return false;
            }
        }

        return true;
    }
}
