using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// The strategy validation of kube-apiserver (ValidateObjectMeta + the kind's Validate/ValidateUpdate), one 422 with
/// every cause: names per type on create (golden 06, 83), label keys and values and annotation keys on every write
/// (golden 81, 82), and for the kinds the module writes or reads back: pod specs (containers required, names, images,
/// enums), workload selectors matching their templates and immutable selectors (golden 85, 87), the immutable pod
/// template of a Job (golden 90), NetworkPolicy enums, ports, peers and CIDRs (golden 79), Service ports, quota
/// scopes, ConfigMap keys.
/// </summary>
public sealed partial class ObjectMetaValidation : IAdmissionPlugin
{
    private const string LabelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string Dns1035Msg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
    private const string QualifiedNameMsg = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    private const string LabelValueMsg = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
    private const string ConfigKeyMsg = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
    private const int TotalAnnotationSizeLimit = 256 * 1024;

    public string Name => "ObjectMetaValidation";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete || r.Type.IsVirtual || r.Subresource.Length > 0)
        {
            return;
        }

        var name = r.Name;
        var errors = new List<FieldError>();
        if (r.Operation == AdmissionOperation.Create)
        {
            if (string.IsNullOrEmpty(name))
            {
                throw StatusResponses.Invalid(r.Type.Kind, r.Type.Group, name, [FieldError.Required("metadata.name", "name or generateName is required")]);
            }

            errors.AddRange(ValidateName(r.Type.NameRule, name).Select(m => FieldError.InvalidValue("metadata.name", GoSyntax.Quote(name), m)));
        }

        var md = r.Object["metadata"] as JsonObject;
        errors.AddRange(ValidateLabels(md?["labels"], "metadata.labels"));
        errors.AddRange(ValidateAnnotations(md?["annotations"], "metadata.annotations"));
        errors.AddRange(KindValidation.Validate(r));
        if (errors.Count > 0)
        {
            throw StatusResponses.Invalid(r.Type.Kind, r.Type.Group, name, errors);
        }
    }

    public static IEnumerable<string> ValidateName(NameRule rule, string name)
    {
        switch (rule)
        {
            case NameRule.Dns1123Label:
                if (name.Length > 63)
                {
                    yield return "must be no more than 63 characters";
                }

                if (!Label().IsMatch(name))
                {
                    yield return LabelMsg;
                }

                break;
            case NameRule.Dns1035Label:
                if (name.Length > 63)
                {
                    yield return "must be no more than 63 characters";
                }

                if (!Dns1035().IsMatch(name))
                {
                    yield return Dns1035Msg;
                }

                break;
            case NameRule.Dns1123Subdomain:
                foreach (var m in Dns1123Subdomain(name))
                {
                    yield return m;
                }

                break;
            case NameRule.PathSegment:
                if (name is "." or "..")
                {
                    yield return $"may not be '{name}'";
                }

                foreach (var bad in new[] { "/", "%" })
                {
                    if (name.Contains(bad, StringComparison.Ordinal))
                    {
                        yield return $"may not contain '{bad}'";
                    }
                }

                break;
        }
    }

    public static IEnumerable<string> Dns1123Subdomain(string value)
    {
        if (value.Length > 253)
        {
            yield return "must be no more than 253 characters";
        }

        if (!Subdomain().IsMatch(value))
        {
            yield return SubdomainMsg;
        }
    }

    public static IEnumerable<string> Dns1123Label(string value)
    {
        if (value.Length > 63)
        {
            yield return "must be no more than 63 characters";
        }

        if (!Label().IsMatch(value))
        {
            yield return LabelMsg;
        }
    }

    /// <summary>validation.IsQualifiedName: [prefix/]name, the rule for label and annotation keys.</summary>
    public static List<string> QualifiedName(string value)
    {
        var errs = new List<string>();
        var parts = value.Split('/');
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
                    errs.Add("prefix part must be non-empty");
                }
                else
                {
                    errs.AddRange(Dns1123Subdomain(parts[0]).Select(m => "prefix part " + m));
                }

                break;
            default:
                errs.Add("a qualified name " + QualifiedNameMsg + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
                return errs;
        }

        if (name.Length == 0)
        {
            errs.Add("name part must be non-empty");
        }
        else if (name.Length > 63)
        {
            errs.Add("name part must be no more than 63 characters");
        }

        if (!QualifiedNameRegex().IsMatch(name))
        {
            errs.Add("name part " + QualifiedNameMsg);
        }

        return errs;
    }

    /// <summary>ValidateLabels: each key a qualified name, each value at most 63 characters of the label-value alphabet.</summary>
    public static List<FieldError> ValidateLabels(JsonNode? labels, string field)
    {
        var errors = new List<FieldError>();
        foreach (var (key, value) in labels.StringMap().OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            errors.AddRange(QualifiedName(key).Select(m => FieldError.InvalidValue(field, GoSyntax.Quote(key), m)));
            if (value.Length > 63)
            {
                errors.Add(FieldError.InvalidValue(field, GoSyntax.Quote(value), "must be no more than 63 characters"));
            }

            if (!LabelValueRegex().IsMatch(value))
            {
                errors.Add(FieldError.InvalidValue(field, GoSyntax.Quote(value), LabelValueMsg));
            }
        }

        return errors;
    }

    /// <summary>ValidateAnnotations: keys are qualified names (case-insensitive), 256 KiB in total.</summary>
    public static List<FieldError> ValidateAnnotations(JsonNode? annotations, string field)
    {
        var errors = new List<FieldError>();
        var map = annotations.StringMap();
        foreach (var key in map.Keys.Order(StringComparer.Ordinal))
        {
            errors.AddRange(QualifiedName(key.ToLowerInvariant()).Select(m => FieldError.InvalidValue(field, GoSyntax.Quote(key), m)));
        }

        if (map.Sum(kv => kv.Key.Length + kv.Value.Length) > TotalAnnotationSizeLimit)
        {
            errors.Add(new FieldError("FieldValueTooLong", field, $"Too long: may not be more than {TotalAnnotationSizeLimit} bytes"));
        }

        return errors;
    }

    public static bool IsConfigKey(string key) => key.Length <= 253 && ConfigKeyRegex().IsMatch(key);

    public static string ConfigKeyMessage => ConfigKeyMsg;

    public static bool IsCidr(string value)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || !IPAddress.TryParse(value[..slash], out var ip) || !int.TryParse(value[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var bits))
        {
            return false;
        }

        return bits <= (ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNameRegex();

    [GeneratedRegex("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")]
    private static partial Regex LabelValueRegex();

    [GeneratedRegex("^[-._a-zA-Z0-9]+$")]
    private static partial Regex ConfigKeyRegex();
}
