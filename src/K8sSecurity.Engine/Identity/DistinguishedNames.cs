using System.Formats.Asn1;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Errors;

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

    /// <summary>
    /// The user name Kubernetes reads from the subject: Go's pkix.Name.CommonName, which the x509 authenticator uses,
    /// is the LAST common name in the subject (each one overwrites the one before), counting the entries of
    /// multi-valued RDNs too. "CN=alice, CN=bob" authenticates as bob.
    /// </summary>
    public static string? CommonName(X500DistinguishedName name) => Values(name, CommonNameOid).LastOrDefault();

    /// <summary>The groups Kubernetes reads: every O, in order, including those inside multi-valued RDNs ("O=a+O=b").</summary>
    public static IReadOnlyList<string> Organizations(X500DistinguishedName name) => Values(name, OrganizationOid).ToArray();

    /// <summary>
    /// The string values of one attribute type, in encoding order, as Go's FillFromRDNSequence collects them: every
    /// entry of every RDN (multi-valued RDNs are flattened), values of a string type only (Go's asn1 turns
    /// PrintableString, IA5String, T61String, UTF8String, NumericString and BMPString into strings).
    /// </summary>
    private static IEnumerable<string> Values(X500DistinguishedName name, string oid)
    {
        foreach (var rdn in name.EnumerateRelativeDistinguishedNames(reversed: false))
        {
            foreach (var (type, value) in Entries(rdn))
            {
                if (type == oid && value is not null)
                {
                    yield return value;
                }
            }
        }
    }

    private static List<(string Type, string? Value)> Entries(X500RelativeDistinguishedName rdn)
    {
        var entries = new List<(string, string?)>();
        try
        {
            var reader = new AsnReader(rdn.RawData, AsnEncodingRules.BER);
            var set = reader.ReadSetOf(skipSortOrderValidation: true);
            while (set.HasData)
            {
                var attribute = set.ReadSequence();
                string type = attribute.ReadObjectIdentifier();
                var tag = attribute.PeekTag();
                string? value = null;
                if (tag.TagClass == TagClass.Universal && (UniversalTagNumber)tag.TagValue is UniversalTagNumber.PrintableString or UniversalTagNumber.IA5String
                    or UniversalTagNumber.T61String or UniversalTagNumber.UTF8String or UniversalTagNumber.NumericString or UniversalTagNumber.BMPString)
                {
                    value = attribute.ReadCharacterString((UniversalTagNumber)tag.TagValue);
                }

                entries.Add((type, value));
            }
        }
        catch (AsnContentException ex)
        {
            // Go refuses such a subject outright; skipping the RDN could hide a group (system:masters): fail instead.
            throw new K8sOperationException(K8sErrorKind.Protocol, $"A certificate or request subject has an entry that cannot be decoded ({ex.Message}), so the user and groups Kubernetes would read are unknown.", null);
        }

        return entries;
    }
}
