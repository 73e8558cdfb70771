namespace K8sSecurity.Engine.Authorization;

/// <summary>
/// The rule matching of the Kubernetes RBAC authorizer (plugin/pkg/auth/authorizer/rbac: RuleAllows and the
/// rbacv1helpers VerbMatches, APIGroupMatches, ResourceMatches, ResourceNameMatches, NonResourceURLMatches),
/// reproduced exactly: case-sensitive, "*" wildcards, "*/subresource", resourceNames only restricting named
/// requests, and non-resource URLs with a trailing "*" as a prefix match.
/// </summary>
public static class RbacRuleMatcher
{
    public const string All = "*";

    public static bool RuleAllows(AccessRequest request, RbacPolicyRule rule)
    {
        if (request.IsResourceRequest)
        {
            string combined = string.IsNullOrEmpty(request.Subresource) ? request.Resource! : request.Resource + "/" + request.Subresource;
            return VerbMatches(rule, request.Verb)
                && ApiGroupMatches(rule, request.ApiGroup ?? string.Empty)
                && ResourceMatches(rule, combined, request.Subresource ?? string.Empty)
                && ResourceNameMatches(rule, request.Name ?? string.Empty);
        }

        return VerbMatches(rule, request.Verb) && NonResourceUrlMatches(rule, request.NonResourceUrl!);
    }

    public static bool VerbMatches(RbacPolicyRule rule, string verb)
    {
        foreach (string ruleVerb in rule.Verbs)
        {
            if (ruleVerb == All || ruleVerb == verb)
            {
                return true;
            }
        }

        return false;
    }

    public static bool ApiGroupMatches(RbacPolicyRule rule, string group)
    {
        foreach (string ruleGroup in rule.ApiGroups)
        {
            if (ruleGroup == All || ruleGroup == group)
            {
                return true;
            }
        }

        return false;
    }

    public static bool ResourceMatches(RbacPolicyRule rule, string combinedResource, string subresource)
    {
        foreach (string ruleResource in rule.Resources)
        {
            if (ruleResource == All || ruleResource == combinedResource)
            {
                return true;
            }

            // "*/scale" matches the scale subresource of every resource; nothing else does.
            if (subresource.Length > 0
                && ruleResource.Length == subresource.Length + 2
                && ruleResource.StartsWith("*/", StringComparison.Ordinal)
                && ruleResource.EndsWith(subresource, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>No resourceNames = any name; with resourceNames, requests without a name (list, create…) never match.</summary>
    public static bool ResourceNameMatches(RbacPolicyRule rule, string name)
    {
        if (rule.ResourceNames.Count == 0)
        {
            return true;
        }

        foreach (string ruleName in rule.ResourceNames)
        {
            if (ruleName == name)
            {
                return true;
            }
        }

        return false;
    }

    public static bool NonResourceUrlMatches(RbacPolicyRule rule, string url)
    {
        foreach (string ruleUrl in rule.NonResourceUrls)
        {
            if (ruleUrl == All || ruleUrl == url)
            {
                return true;
            }

            // strings.HasSuffix(ruleURL, "*") && strings.HasPrefix(url, strings.TrimRight(ruleURL, "*"))
            if (ruleUrl.EndsWith('*') && url.StartsWith(ruleUrl.TrimEnd('*'), StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
