using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>The apiserver's rules for resource names and values in quotas and limit ranges.</summary>
public static class ResourceNames
{
    /// <summary>Resources whose quantities must be whole numbers (helper.IsIntegerResourceName).</summary>
    private static readonly HashSet<string> IntegerResources = new(StringComparer.Ordinal)
    {
        "pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
    };

    /// <summary>helper.IsStandardQuotaResourceName (names without a '/').</summary>
    private static readonly HashSet<string> StandardQuotaResources = new(StringComparer.Ordinal)
    {
        "pods", "services", "replicationcontrollers", "resourcequotas", "secrets", "configmaps",
        "persistentvolumeclaims", "services.nodeports", "services.loadbalancers",
        "cpu", "memory", "ephemeral-storage", "storage",
        "requests.cpu", "requests.memory", "requests.storage", "requests.ephemeral-storage",
        "limits.cpu", "limits.memory", "limits.ephemeral-storage",
    };

    public static readonly IReadOnlyList<string> QuotaScopes = new[]
    {
        "Terminating", "NotTerminating", "BestEffort", "NotBestEffort", "PriorityClass", "CrossNamespacePodAffinity", "VolumeAttributesClass",
    };

    public static bool IsExtended(string name) =>
        name.Contains('/', StringComparison.Ordinal) && !name.StartsWith("kubernetes.io/", StringComparison.Ordinal)
        && !name.StartsWith("requests.", StringComparison.Ordinal) && !name.StartsWith("count/", StringComparison.Ordinal);

    public static bool IsInteger(string name) =>
        IntegerResources.Contains(name) || IsExtended(name) || name.StartsWith("count/", StringComparison.Ordinal);

    public static bool IsStandardQuotaResource(string name) =>
        StandardQuotaResources.Contains(name)
        || name.StartsWith("hugepages-", StringComparison.Ordinal)
        || name.StartsWith("requests.hugepages-", StringComparison.Ordinal);

    /// <summary>Parses a non-negative quantity (integers for countable resources) or throws an InvalidArgument naming the parameter.</summary>
    public static Quantity ParseValue(string parameter, string resource, object? value)
    {
        string text = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)?.Trim() ?? string.Empty;
        var quantity = KubernetesNames.ParseQuantity(parameter, text, $"{resource}={text}");

        if (quantity.Sign < 0)
        {
            throw K8sOperationException.InvalidArgument(parameter, $"{resource}={text}", "must be greater than or equal to 0");
        }

        if (IsInteger(resource) && quantity.MilliValue % 1000 != 0)
        {
            throw K8sOperationException.InvalidArgument(parameter, $"{resource}={text}", "must be an integer");
        }

        return quantity;
    }

    public static void ValidateQuotaResourceName(string parameter, string name)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw K8sOperationException.InvalidArgument(parameter, name, "a resource name is required");
        }

        KubernetesNames.ValidateLabelKey(parameter, name); // validateResourceName: a qualified name

        if (!name.Contains('/', StringComparison.Ordinal) && !IsStandardQuotaResource(name))
        {
            throw K8sOperationException.InvalidArgument(parameter, name, "must be a standard resource for quota (pods, requests.cpu, limits.memory, services.loadbalancers, count/<resource>.<group>, requests.<extended-resource>, …)");
        }
    }
}
