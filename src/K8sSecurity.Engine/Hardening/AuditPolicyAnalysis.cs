namespace K8sSecurity.Engine.Hardening;

/// <summary>A resource whose bodies must never reach the audit log.</summary>
internal sealed record SensitiveResource(string Group, string Resource, string Subresource, bool RequestBodyIsSecret)
{
    /// <summary>The resources upstream logs at Metadata only: "Secrets, ConfigMaps, TokenRequest and TokenReviews can contain sensitive data".</summary>
    public static readonly IReadOnlyList<SensitiveResource> Defaults = new[]
    {
        new SensitiveResource(string.Empty, "secrets", string.Empty, true),
        new SensitiveResource(string.Empty, "configmaps", string.Empty, true),
        new SensitiveResource(string.Empty, "serviceaccounts", "token", false), // TokenRequest: the token is in the response
        new SensitiveResource("authentication.k8s.io", "tokenreviews", string.Empty, true), // the token is in the request
    };

    /// <summary>"secrets", "serviceaccounts/token", "sealedsecrets.bitnami.com", "tokenreviews.authentication.k8s.io".</summary>
    public static SensitiveResource Parse(string text)
    {
        int dot = text.IndexOf('.', StringComparison.Ordinal);
        string resource = dot >= 0 ? text[..dot] : text;
        string group = dot >= 0 ? text[(dot + 1)..] : string.Empty;
        int slash = resource.IndexOf('/', StringComparison.Ordinal);
        return slash >= 0
            ? new SensitiveResource(group, resource[..slash], resource[(slash + 1)..], false)
            : new SensitiveResource(group, resource, string.Empty, true);
    }

    public string Name => (Subresource.Length > 0 ? $"{Resource}/{Subresource}" : Resource) + (Group.Length > 0 ? "." + Group : string.Empty);

    /// <summary>Would a request at <paramref name="level"/> put secret content into the log?</summary>
    public bool Leaks(AuditLevel level, string verb) =>
        level == AuditLevel.RequestResponse
        || (level == AuditLevel.Request && RequestBodyIsSecret && verb is "create" or "update" or "patch");
}

/// <summary>
/// Evaluates a policy for every kind of request that can reach a resource. Rules compare users, groups, verbs,
/// namespaces and names by equality, so the values the policy names plus one value it does not name cover every
/// case; a user is tried with no group and with each named group (more groups can only match earlier rules).
/// </summary>
internal static class AuditPolicyAnalysis
{
    public static readonly string[] Verbs = { "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection" };

    private const string Unlisted = "k8ssecurity:unlisted";

    public static IEnumerable<AuditRequest> Requests(AuditPolicyModel policy, string group, string resource, string subresource, IEnumerable<string> verbs)
    {
        var users = policy.Rules.SelectMany(r => r.Users).Append(Unlisted).Distinct(StringComparer.Ordinal).ToList();
        var groups = policy.Rules.SelectMany(r => r.UserGroups).Append("system:authenticated").Distinct(StringComparer.Ordinal)
            .Select(g => (IReadOnlyList<string>)new[] { g }).Prepend(Array.Empty<string>()).ToList();
        var namespaces = policy.Rules.SelectMany(r => r.Namespaces).Append(Unlisted).Append(string.Empty).Distinct(StringComparer.Ordinal).ToList();
        var names = policy.Rules.SelectMany(r => r.Resources).SelectMany(r => r.ResourceNames).Append(Unlisted).Append(string.Empty).Distinct(StringComparer.Ordinal).ToList();
        var verbList = verbs.Concat(policy.Rules.SelectMany(r => r.Verbs)).Distinct(StringComparer.Ordinal).ToList();
        foreach (string verb in verbList)
        {
            foreach (string user in users)
            {
                foreach (var userGroups in groups)
                {
                    foreach (string ns in namespaces)
                    {
                        foreach (string name in names)
                        {
                            yield return new AuditRequest(user, userGroups, verb, ns, group, resource, subresource, name);
                        }
                    }
                }
            }
        }
    }

    /// <summary>The first request (and the rule deciding it) whose audit event would hold the resource's secret content.</summary>
    public static (AuditRequest Request, int Rule)? FindLeak(AuditPolicyModel policy, SensitiveResource sensitive)
    {
        foreach (var request in Requests(policy, sensitive.Group, sensitive.Resource, sensitive.Subresource, Verbs))
        {
            int rule = AuditPolicyRules.FirstMatch(policy, request);
            if (rule >= 0 && sensitive.Leaks(policy.Rules[rule].ParsedLevel, request.Verb))
            {
                return (request, rule);
            }
        }

        return null;
    }

    /// <summary>The first request logged below <paramref name="minimum"/>, with the deciding rule (-1: no rule matched).</summary>
    public static (AuditRequest Request, int Rule, AuditLevel Level)? FindBelow(AuditPolicyModel policy, string group, IEnumerable<string> resources, IEnumerable<string> verbs, AuditLevel minimum)
    {
        var verbList = verbs.ToList();
        foreach (string combined in resources)
        {
            int slash = combined.IndexOf('/', StringComparison.Ordinal);
            string resource = slash >= 0 ? combined[..slash] : combined;
            string subresource = slash >= 0 ? combined[(slash + 1)..] : string.Empty;
            foreach (var request in Requests(policy, group, resource, subresource, verbList).Where(r => verbList.Contains(r.Verb, StringComparer.Ordinal)))
            {
                int rule = AuditPolicyRules.FirstMatch(policy, request);
                var level = rule < 0 ? AuditLevel.None : policy.Rules[rule].ParsedLevel;
                if (level < minimum)
                {
                    return (request, rule, level);
                }
            }
        }

        return null;
    }
}
