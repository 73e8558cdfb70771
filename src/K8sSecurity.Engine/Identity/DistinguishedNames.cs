using System.Security.Cryptography.X509Certificates;

namespace K8sSecurity.Engine.Identity;

/// <summary>
/// Kubernetes reads a client certificate's identity from its subject: CN is the user name, every O is a group.
/// </summary>
public static class DistinguishedNames
{
    private const string CommonNameOid = "2.5.4.3";
    private const string OrganizationOid = "2.5.4.10";

    public static X500DistinguishedName Build(string commonName, IEnumerable<string>? organizations)
    {
        // The builder encodes the last added RDN first; adding in reverse yields CN=user, O=g1, O=g2 in order,
        // as `openssl req -subj "/CN=user/O=g1/O=g2"` does.
        var builder = new X500DistinguishedNameBuilder();
        foreach (string organization in (organizations ?? Array.Empty<string>()).Reverse())
        {
            builder.AddOrganizationName(organization);
        }

        builder.AddCommonName(commonName);
        return builder.Build();
    }

    public static string? CommonName(X500DistinguishedName name) => Values(name, CommonNameOid).FirstOrDefault();

    public static IReadOnlyList<string> Organizations(X500DistinguishedName name) => Values(name, OrganizationOid).ToArray();

    private static IEnumerable<string> Values(X500DistinguishedName name, string oid)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames(reversed: false))
        {
            if (rdn.HasMultipleElements)
            {
                continue;
            }

            if (rdn.GetSingleElementType().Value == oid && rdn.GetSingleElementValue() is { } value)
            {
                yield return value;
            }
        }
    }
}
