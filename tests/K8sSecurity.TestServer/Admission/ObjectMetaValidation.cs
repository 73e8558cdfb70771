using System.Text.RegularExpressions;

namespace K8sSecurity.TestServer.Admission;

/// <summary>metadata.name validation per type (RFC 1123 label/subdomain, RFC 1035 label, path segment), golden 06.</summary>
public sealed partial class ObjectMetaValidation : IAdmissionPlugin
{
    private const string LabelMsg = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    private const string SubdomainMsg = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    private const string Dns1035Msg = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

    public string Name => "ObjectMetaValidation";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation != AdmissionOperation.Create || r.Type.IsVirtual)
        {
            return;
        }

        var name = r.Name;
        if (string.IsNullOrEmpty(name))
        {
            throw StatusResponses.Invalid(r.Type.Kind, r.Type.Group, name, [FieldError.Required("metadata.name", "name or generateName is required")]);
        }

        var errors = ValidateName(r.Type.NameRule, name).Select(m => FieldError.InvalidValue("metadata.name", $"\"{name}\"", m)).ToList();
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
                if (name.Length > 253)
                {
                    yield return "must be no more than 253 characters";
                }

                if (!Subdomain().IsMatch(name))
                {
                    yield return SubdomainMsg;
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

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex("^[a-z]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1035();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
