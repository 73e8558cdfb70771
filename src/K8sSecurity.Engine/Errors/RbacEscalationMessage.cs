using System.Text.RegularExpressions;

namespace K8sSecurity.Engine.Errors;

/// <summary>
/// Turns kube-apiserver's RBAC escalation-prevention refusal ("… is attempting to grant RBAC permissions not currently
/// held: {APIGroups:[…], Resources:[…], Verbs:[…]} …") into a message that names the missing rights in words and
/// says how to get past it: hold those rights, or the bind verb on the role (bindings) / the escalate verb on roles
/// (role writes), or have an administrator do it.
/// </summary>
internal static partial class RbacEscalationMessage
{
    private const string Marker = "is attempting to grant RBAC permissions not currently held:";

    public static bool Matches(string? message) => message?.Contains(Marker, StringComparison.Ordinal) == true;

    public static string Explain(string message)
    {
        int marker = message.IndexOf(Marker, StringComparison.Ordinal);
        string head = message[..marker];
        var user = UserRegex().Match(head);
        string who = user.Success ? $"'{user.Groups[1].Value}'" : "the caller";
        bool binding = head.StartsWith("rolebindings", StringComparison.Ordinal) || head.StartsWith("clusterrolebindings", StringComparison.Ordinal);
        var missing = message[(marker + Marker.Length)..]
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(Describe)
            .ToList();
        string fix = binding
            ? "Ask for those rights, or for the 'bind' verb on the role being bound (rbac.authorization.k8s.io roles/clusterroles, resourceNames: the role), or have a cluster administrator create the binding."
            : "Ask for those rights, or for the 'escalate' verb on roles/clusterroles (rbac.authorization.k8s.io), or have a cluster administrator create the role.";
        string what = binding ? "bind a role that grants" : "create a role that grants";
        return $"RBAC escalation prevention: {who} may only {what} rights it holds itself, and lacks {missing.Count} of them: {string.Join("; ", missing)}. {fix}";
    }

    /// <summary>"{APIGroups:["apps"], Resources:["deployments"], Verbs:["get" "list"]}" → "get, list deployments.apps".</summary>
    private static string Describe(string rule)
    {
        var groups = Values(rule, "APIGroups");
        var resources = Values(rule, "Resources");
        var urls = Values(rule, "NonResourceURLs");
        var names = Values(rule, "ResourceNames");
        var verbs = Values(rule, "Verbs");
        if (verbs.Count == 0)
        {
            return rule;
        }

        string verbList = string.Join(", ", verbs);
        if (urls.Count > 0)
        {
            return $"{verbList} {string.Join(", ", urls)}";
        }

        string group = groups.FirstOrDefault() ?? string.Empty;
        string resource = string.Join(", ", resources.Select(r => group.Length == 0 ? r : $"{r}.{group}"));
        return names.Count > 0 ? $"{verbList} {resource} named {string.Join(", ", names)}" : $"{verbList} {resource}";
    }

    private static List<string> Values(string rule, string field)
    {
        var match = Regex.Match(rule, field + @":\[([^\]]*)\]", RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
        return match.Success
            ? QuotedRegex().Matches(match.Groups[1].Value).Select(m => m.Groups[1].Value).ToList()
            : new List<string>();
    }

    [GeneratedRegex("user \"([^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex UserRegex();

    [GeneratedRegex("\"([^\"]*)\"", RegexOptions.CultureInvariant)]
    private static partial Regex QuotedRegex();
}
