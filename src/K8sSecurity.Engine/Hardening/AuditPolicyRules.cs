using System.Text.RegularExpressions;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// kube-apiserver's audit policy semantics: its validation (k8s.io/apiserver apis/audit/validation, plus "0 rules"
/// from the policy reader) and its rule matching (audit/policy/checker.go): rules are tried in order and the first
/// rule that matches decides the level; no match means None.
/// </summary>
internal static partial class AuditPolicyRules
{
    public static List<string> Validate(AuditPolicyModel policy)
    {
        var errors = new List<string>();
        ValidateStages(policy.OmitStages, "omitStages", errors);
        for (int i = 0; i < policy.Rules.Count; i++)
        {
            var rule = policy.Rules[i];
            string path = $"rules[{i}]";
            if (rule.Level.Length == 0)
            {
                errors.Add($"{path}.level: Required value");
            }
            else if (!Enum.TryParse<AuditLevel>(rule.Level, ignoreCase: false, out var level) || !Enum.IsDefined(level) || rule.Level != level.ToString())
            {
                errors.Add($"{path}.level: Unsupported value: \"{rule.Level}\": supported values: \"None\", \"Metadata\", \"Request\", \"RequestResponse\"");
            }

            for (int j = 0; j < rule.NonResourceURLs.Count; j++)
            {
                string url = rule.NonResourceURLs[j];
                if (url == "*")
                {
                    continue;
                }

                if (!url.StartsWith('/'))
                {
                    errors.Add($"{path}.nonResourceURLs[{j}]: Invalid value: \"{url}\": non-resource URL rules must begin with a '/' character");
                }

                if (url.Length > 0 && url[..^1].Contains('*', StringComparison.Ordinal))
                {
                    errors.Add($"{path}.nonResourceURLs[{j}]: Invalid value: \"{url}\": non-resource URL wildcards '*' must be the final character of the rule");
                }
            }

            foreach (var resources in rule.Resources)
            {
                if (resources.Group.Length > 0 && !DnsSubdomain().IsMatch(resources.Group))
                {
                    errors.Add($"{path}.resources.group: Invalid value: \"{resources.Group}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'");
                }

                if (resources.ResourceNames.Count > 0 && resources.Resources.Count == 0)
                {
                    errors.Add($"{path}.resources.resourceNames: Invalid value: using resourceNames requires at least one resource");
                }
            }

            ValidateStages(rule.OmitStages, $"{path}.omitStages", errors);
            if (rule.NonResourceURLs.Count > 0 && (rule.Resources.Count > 0 || rule.Namespaces.Count > 0))
            {
                errors.Add($"{path}.nonResourceURLs: Invalid value: rules cannot apply to both regular resources and non-resource URLs");
            }
        }

        if (policy.Rules.Count == 0)
        {
            errors.Add("loaded illegal policy with 0 rules");
        }

        return errors;
    }

    /// <summary>The index of the first rule that matches, or -1 (then the level is None).</summary>
    public static int FirstMatch(AuditPolicyModel policy, AuditRequest request)
    {
        for (int i = 0; i < policy.Rules.Count; i++)
        {
            if (Matches(policy.Rules[i], request))
            {
                return i;
            }
        }

        return -1;
    }

    public static AuditLevel LevelOf(AuditPolicyModel policy, AuditRequest request)
    {
        int index = FirstMatch(policy, request);
        return index < 0 ? AuditLevel.None : policy.Rules[index].ParsedLevel;
    }

    /// <summary>ruleMatches for a resource request (the only kind this module evaluates).</summary>
    public static bool Matches(AuditPolicyRule rule, AuditRequest request)
    {
        if (rule.Users.Count > 0 && !rule.Users.Contains(request.User, StringComparer.Ordinal))
        {
            return false;
        }

        if (rule.UserGroups.Count > 0 && !request.Groups.Any(g => rule.UserGroups.Contains(g, StringComparer.Ordinal)))
        {
            return false;
        }

        if (rule.Verbs.Count > 0 && !rule.Verbs.Contains(request.Verb, StringComparer.Ordinal))
        {
            return false;
        }

        if (rule.Namespaces.Count > 0 || rule.Resources.Count > 0)
        {
            return MatchesResource(rule, request);
        }

        // A rule with only nonResourceURLs never matches a resource request; one with neither matches everything.
        return rule.NonResourceURLs.Count == 0;
    }

    private static bool MatchesResource(AuditPolicyRule rule, AuditRequest request)
    {
        if (rule.Namespaces.Count > 0 && !rule.Namespaces.Contains(request.Namespace, StringComparer.Ordinal))
        {
            return false;
        }

        if (rule.Resources.Count == 0)
        {
            return true;
        }

        string combined = request.Subresource.Length > 0 ? $"{request.Resource}/{request.Subresource}" : request.Resource;
        foreach (var groupResources in rule.Resources)
        {
            if (groupResources.Group != request.Group)
            {
                continue;
            }

            if (groupResources.Resources.Count == 0)
            {
                return true;
            }

            foreach (string resource in groupResources.Resources)
            {
                if (groupResources.ResourceNames.Count > 0 && !groupResources.ResourceNames.Contains(request.Name, StringComparer.Ordinal))
                {
                    continue;
                }

                if (resource == combined || resource == "*"
                    || (request.Subresource.Length > 0 && resource.StartsWith("*/", StringComparison.Ordinal) && request.Subresource == resource[2..])
                    || (resource.EndsWith("/*", StringComparison.Ordinal) && request.Resource == resource[..^2]))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static void ValidateStages(List<string> stages, string path, List<string> errors)
    {
        for (int i = 0; i < stages.Count; i++)
        {
            if (Array.IndexOf(AuditPolicyModel.Stages, stages[i]) < 0)
            {
                errors.Add($"{path}[{i}]: Invalid value: \"{stages[i]}\": allowed stages are {string.Join(',', AuditPolicyModel.Stages)}");
            }
        }
    }

    [GeneratedRegex(@"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
