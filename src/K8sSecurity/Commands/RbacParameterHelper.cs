using System.Collections;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Commands;

/// <summary>Turns -User/-Group/-ServiceAccount (also from Import-Csv rows with empty cells) into RBAC subjects.</summary>
internal static class RbacParameterHelper
{
    public static List<RbacSubject> Subjects(string[]? users, string[]? groups, string[]? serviceAccounts, string? serviceAccountNamespace)
    {
        var subjects = new List<RbacSubject>();
        foreach (string user in NonEmpty(users))
        {
            subjects.Add(new RbacSubject(RbacSubjectKind.User, user));
        }

        foreach (string group in NonEmpty(groups))
        {
            subjects.Add(new RbacSubject(RbacSubjectKind.Group, group));
        }

        foreach (string account in NonEmpty(serviceAccounts))
        {
            subjects.Add(RbacSubject.ParseServiceAccount(account, serviceAccountNamespace));
        }

        return subjects;
    }

    /// <summary>Exactly one of -Role / -ClusterRole (either may come from the pipeline, the other then being empty).</summary>
    public static (RbacRoleKind Kind, string Name) RoleOf(string? role, string? clusterRole)
    {
        bool hasRole = !string.IsNullOrWhiteSpace(role);
        bool hasClusterRole = !string.IsNullOrWhiteSpace(clusterRole);
        if (hasRole == hasClusterRole)
        {
            throw K8sOperationException.InvalidArgument(hasRole ? "Role" : "ClusterRole", hasRole ? role : clusterRole, "give exactly one of -Role (a namespaced Role) or -ClusterRole.");
        }

        return hasRole ? (RbacRoleKind.Role, role!.Trim()) : (RbacRoleKind.ClusterRole, clusterRole!.Trim());
    }

    /// <summary>
    /// An empty -Namespace (an empty CSV cell) must not silently turn a namespaced grant into a cluster-wide one.
    /// </summary>
    public static void RejectEmptyNamespace(IDictionary<string, object> boundParameters, string? ns)
    {
        if (boundParameters.ContainsKey("Namespace") && ns is not null && string.IsNullOrWhiteSpace(ns))
        {
            throw K8sOperationException.InvalidArgument("Namespace", ns, "the namespace is empty; omit -Namespace (and the Namespace column) to grant or revoke cluster-wide.");
        }
    }

    /// <summary>-Label / -AggregationSelector hashtables as label maps (checked by RbacManagement.ValidateRole).</summary>
    public static Dictionary<string, string> Labels(Hashtable? table, string parameterName) =>
        GuardrailArguments.ToMap(table, parameterName) ?? new Dictionary<string, string>(StringComparer.Ordinal);

    private static IEnumerable<string> NonEmpty(string[]? values) =>
        (values ?? Array.Empty<string>()).SelectMany(v => (v ?? string.Empty).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
}
