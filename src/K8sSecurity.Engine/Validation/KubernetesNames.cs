using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;

namespace K8sSecurity.Engine.Validation;

/// <summary>
/// The one place the module checks names, labels and quantities before anything is sent or written, with the API
/// server's own rules and messages (k8s.io/apimachinery/pkg/util/validation, api/validation/path, resource.Quantity):
/// <list type="bullet">
/// <item>namespaces: DNS-1123 label (IsDNS1123Label, at most 63);</item>
/// <item>most object names (service accounts, secrets, quotas, limit ranges, network policies, workloads, nodes):
/// DNS-1123 subdomain (at most 253);</item>
/// <item>Role, ClusterRole, RoleBinding, ClusterRoleBinding and CertificateSigningRequest names: path segment names
/// (ValidateRBACName = path.IsValidPathSegmentName: not "." or "..", no '/' or '%'; "system:aggregate-to-view" and
/// "Bad Name" are valid, as the API server accepts them);</item>
/// <item>label keys: qualified names with an optional DNS subdomain prefix; label values: at most 63 characters of
/// [A-Za-z0-9_.-] starting and ending alphanumeric, or empty;</item>
/// <item>quantities: parsed as resource.Quantity parses them, and refused when larger than the int64 the API server,
/// kubelet and quota controller compute with (1e400 parses upstream but overflows Value() and MilliValue()).</item>
/// </list>
/// Every failure is a K8sInvalidArgument naming the parameter and the value.
/// </summary>
public static partial class KubernetesNames
{
    public const int LabelMaxLength = 63;
    public const int SubdomainMaxLength = 253;

    private const string LabelMessage = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string SubdomainMessage = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string QualifiedNameMessage = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    private const string LabelValueMessage = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    private static readonly BigInteger MaxInt64 = new(long.MaxValue);

    /// <summary>IsDNS1123Label: the rule for namespace names.</summary>
    public static bool IsDns1123Label(string? value) => Dns1123LabelErrors(value).Count == 0;

    /// <summary>IsDNS1123Subdomain: the rule for most object names.</summary>
    public static bool IsDns1123Subdomain(string? value) => Dns1123SubdomainErrors(value).Count == 0;

    /// <summary>path.IsValidPathSegmentName: the rule for RBAC and CSR names.</summary>
    public static bool IsPathSegmentName(string? value) => PathSegmentErrors(value).Count == 0;

    public static bool IsQualifiedName(string? value) => QualifiedNameErrors(value).Count == 0;

    public static bool IsLabelValue(string? value) => LabelValueErrors(value).Count == 0;

    public static void ValidateNamespace(string parameter, string? value) => Throw(parameter, value, Dns1123LabelErrors(value));

    /// <summary>A namespace that may be left out (null: all namespaces or the context's).</summary>
    public static void ValidateNamespace(string parameter, string? value, bool optional)
    {
        if (!optional || value is not null)
        {
            ValidateNamespace(parameter, value);
        }
    }

    /// <summary>Object names that are DNS-1123 subdomains (ServiceAccount, Secret, ResourceQuota, LimitRange, NetworkPolicy, workloads, Node).</summary>
    public static void ValidateObjectName(string parameter, string? value) => Throw(parameter, value, Dns1123SubdomainErrors(value));

    /// <summary>Names that are DNS-1123 labels (namespaces created by name, Service names).</summary>
    public static void ValidateLabelName(string parameter, string? value) => Throw(parameter, value, Dns1123LabelErrors(value));

    /// <summary>Role, ClusterRole, RoleBinding, ClusterRoleBinding and CertificateSigningRequest names.</summary>
    public static void ValidatePathSegmentName(string parameter, string? value) => Throw(parameter, value, PathSegmentErrors(value));

    /// <summary>A single label key (qualified name with an optional DNS subdomain prefix).</summary>
    public static void ValidateLabelKey(string parameter, string? key) => Throw(parameter, key, QualifiedNameErrors(key));

    public static void ValidateLabelValue(string parameter, string key, string? value)
    {
        var errors = LabelValueErrors(value);
        if (errors.Count > 0)
        {
            throw K8sOperationException.InvalidArgument(parameter, $"{key}={value}", string.Join("; ", errors));
        }
    }

    /// <summary>metadata.labels or a selector's matchLabels: every key a qualified name, every value a label value.</summary>
    public static void ValidateLabels(string parameter, IEnumerable<KeyValuePair<string, string>>? labels)
    {
        foreach (var (key, value) in labels ?? Enumerable.Empty<KeyValuePair<string, string>>())
        {
            ValidateLabelKey(parameter, key);
            ValidateLabelValue(parameter, key, value);
        }
    }

    /// <summary>A label selector requirement (matchExpressions): key, operator and values as ValidateLabelSelectorRequirement checks them.</summary>
    public static void ValidateSelectorRequirement(string parameter, string key, string op, IReadOnlyCollection<string> values)
    {
        ValidateLabelKey(parameter, key);
        switch (op)
        {
            case "In":
            case "NotIn":
                if (values.Count == 0)
                {
                    throw K8sOperationException.InvalidArgument(parameter, $"{key} {op}", "must be specified when `operator` is 'In' or 'NotIn'");
                }

                break;
            case "Exists":
            case "DoesNotExist":
                if (values.Count > 0)
                {
                    throw K8sOperationException.InvalidArgument(parameter, $"{key} {op}", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
                }

                break;
            default:
                throw K8sOperationException.InvalidArgument(parameter, op, "not a valid selector operator (In, NotIn, Exists, DoesNotExist)");
        }

        foreach (string value in values)
        {
            ValidateLabelValue(parameter, key, value);
        }
    }

    /// <summary>
    /// Parses a quantity exactly as resource.ParseQuantity does and refuses one beyond the int64 range the cluster
    /// computes with; <paramref name="shown"/> is how the value is named in the error (e.g. "requests.cpu=1e400").
    /// </summary>
    public static Quantity ParseQuantity(string parameter, string? text, string? shown = null)
    {
        string trimmed = text?.Trim() ?? string.Empty;
        if (!Quantity.TryParse(trimmed, out var quantity, out string? error))
        {
            throw K8sOperationException.InvalidArgument(parameter, shown ?? trimmed, error!);
        }

        if (BigInteger.Abs(quantity.Value) > MaxInt64)
        {
            throw K8sOperationException.InvalidArgument(
                parameter, shown ?? trimmed,
                "the quantity is larger than Kubernetes can compute with (the API server, kubelet and quota controller read quantities as 64-bit integers, up to 9223372036854775807; larger values overflow)");
        }

        return quantity;
    }

    /// <summary>
    /// A port as a NetworkPolicy, container or Service names it: a number (apimachinery's IsValidPortNum) or a port
    /// name (IsValidPortName, an IANA_SVC_NAME), with their messages.
    /// </summary>
    public static void ValidatePort(string parameter, string? value) => Throw(parameter, value, PortErrors(value));

    public static IReadOnlyList<string> PortErrors(string? value)
    {
        value ??= string.Empty;
        if (value.Length > 0 && value.All(char.IsAsciiDigit))
        {
            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number is >= 1 and <= 65535
                ? Array.Empty<string>()
                : new[] { "must be between 1 and 65535, inclusive" };
        }

        var errors = new List<string>();
        if (value.Length > 15)
        {
            errors.Add("must be no more than 15 characters");
        }

        if (value.Length == 0 || !value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-'))
        {
            errors.Add("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
        }

        if (!value.Any(char.IsAsciiLetterLower))
        {
            errors.Add("must contain at least one letter (a-z)");
        }

        if (value.Contains("--", StringComparison.Ordinal))
        {
            errors.Add("must not contain consecutive hyphens");
        }

        if (value.Length > 0 && (value[0] == '-' || value[^1] == '-'))
        {
            errors.Add("must not begin or end with a hyphen");
        }

        return errors;
    }

    /// <summary>Names kept in kubeconfigs (context, cluster, user): kubectl cannot select an empty or space-padded name.</summary>
    public static void ValidateKubeconfigName(string parameter, string? value)
    {
        if (value is null)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(value) || value != value.Trim() || value.Any(char.IsControl))
        {
            throw K8sOperationException.InvalidArgument(parameter, value, "a kubeconfig name must be non-empty, without control characters or leading/trailing spaces (kubectl --context/--cluster/--user cannot select it otherwise)");
        }
    }

    public static IReadOnlyList<string> Dns1123LabelErrors(string? value)
    {
        var errors = new List<string>();
        value ??= string.Empty;
        if (value.Length > LabelMaxLength)
        {
            errors.Add($"must be no more than {LabelMaxLength} characters");
        }

        if (!Dns1123Label().IsMatch(value))
        {
            errors.Add(LabelMessage);
        }

        return errors;
    }

    public static IReadOnlyList<string> Dns1123SubdomainErrors(string? value)
    {
        var errors = new List<string>();
        value ??= string.Empty;
        if (value.Length > SubdomainMaxLength)
        {
            errors.Add($"must be no more than {SubdomainMaxLength} characters");
        }

        if (!Dns1123Subdomain().IsMatch(value))
        {
            errors.Add(SubdomainMessage);
        }

        return errors;
    }

    public static IReadOnlyList<string> PathSegmentErrors(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return new[] { "name is required" };
        }

        if (value is "." or "..")
        {
            return new[] { $"may not be '{value}'" };
        }

        return new[] { "/", "%" }.Where(bad => value.Contains(bad, StringComparison.Ordinal)).Select(bad => $"may not contain '{bad}'").ToList();
    }

    public static IReadOnlyList<string> QualifiedNameErrors(string? value)
    {
        var errors = new List<string>();
        value ??= string.Empty;
        string[] parts = value.Split('/');
        string name;
        switch (parts.Length)
        {
            case 1:
                name = parts[0];
                break;
            case 2:
                name = parts[1];
                if (parts[0].Length == 0)
                {
                    errors.Add("prefix part must be non-empty");
                }
                else
                {
                    errors.AddRange(Dns1123SubdomainErrors(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                return new[] { "a qualified name " + QualifiedNameMessage + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')" };
        }

        if (name.Length == 0)
        {
            errors.Add("name part must be non-empty");
        }
        else if (name.Length > LabelMaxLength)
        {
            errors.Add($"name part must be no more than {LabelMaxLength} characters");
        }

        if (!QualifiedNamePart().IsMatch(name))
        {
            errors.Add("name part " + QualifiedNameMessage);
        }

        return errors;
    }

    public static IReadOnlyList<string> LabelValueErrors(string? value)
    {
        var errors = new List<string>();
        value ??= string.Empty;
        if (value.Length > LabelMaxLength)
        {
            errors.Add($"must be no more than {LabelMaxLength} characters");
        }

        if (!LabelValue().IsMatch(value))
        {
            errors.Add(LabelValueMessage);
        }

        return errors;
    }

    private static void Throw(string parameter, string? value, IReadOnlyList<string> errors)
    {
        if (errors.Count > 0)
        {
            throw K8sOperationException.InvalidArgument(parameter, value, string.Join("; ", errors));
        }
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\z", RegexOptions.CultureInvariant)]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(@"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]\z", RegexOptions.CultureInvariant)]
    private static partial Regex QualifiedNamePart();

    [GeneratedRegex(@"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?\z", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();
}
