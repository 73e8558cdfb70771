using System.Globalization;
using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// Verifies an API server's certificate the way kubectl does (Go's crypto/x509 as called by crypto/tls):
/// validity period, then the name (IP SANs for an IP, DNS SANs otherwise, never the Common Name), then the chain
/// to the kubeconfig's CA (or the system roots when it pins none), then the serverAuth extended key usage of every
/// certificate in the chain. Failures carry Go's own wording, so errors read like kubectl's.
/// </summary>
internal static class ServerCertificateVerifier
{
    private const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    private const string AnyExtendedKeyUsageOid = "2.5.29.37.0";
    private const string SubjectAltNameOid = "2.5.29.17";
    private const string CommonNameOid = "2.5.4.3";

    /// <summary>Null when the certificate is acceptable for <paramref name="serverName"/>; otherwise kubectl's reason.</summary>
    /// <param name="leaf">The certificate the server presented.</param>
    /// <param name="presented">Further certificates the server sent (intermediates); never trusted as roots.</param>
    /// <param name="roots">The kubeconfig's CA certificates; null means the system roots.</param>
    /// <param name="serverName">tls-server-name when the kubeconfig sets it, else the host of the server URL.</param>
    public static string? Verify(X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, X509Certificate2Collection? roots, string serverName, DateTime utcNow)
    {
        string? problem = CheckValidity(leaf, utcNow) ?? CheckHostname(leaf, serverName);
        if (problem is not null)
        {
            return problem;
        }

        return VerifyChain(leaf, presented, roots, utcNow);
    }

    private static string? CheckValidity(X509Certificate2 leaf, DateTime utcNow)
    {
        if (utcNow < leaf.NotBefore.ToUniversalTime())
        {
            return $"x509: certificate has expired or is not yet valid: current time {Rfc3339(utcNow)} is before {Rfc3339(leaf.NotBefore)}";
        }

        if (utcNow > leaf.NotAfter.ToUniversalTime())
        {
            return $"x509: certificate has expired or is not yet valid: current time {Rfc3339(utcNow)} is after {Rfc3339(leaf.NotAfter)}";
        }

        return null;
    }

    /// <summary>Go's Certificate.VerifyHostname and the text of its HostnameError.</summary>
    internal static string? CheckHostname(X509Certificate2 certificate, string host)
    {
        var (dnsNames, ipAddresses, hasSanExtension) = ReadSubjectAltNames(certificate);
        string candidateIp = host.Length >= 3 && host[0] == '[' && host[^1] == ']' ? host[1..^1] : host;
        bool isIp = IPAddress.TryParse(candidateIp, out var ip) && !candidateIp.Contains('%', StringComparison.Ordinal);
        if (isIp)
        {
            if (ipAddresses.Any(candidate => SameAddress(candidate, ip!)))
            {
                return null;
            }
        }
        else
        {
            string candidateName = AsciiLower(host);
            bool validCandidate = IsValidHostname(candidateName, isPattern: false);
            foreach (string name in dnsNames)
            {
                bool matches = validCandidate && IsValidHostname(name, isPattern: true)
                    ? MatchHostnames(name, candidateName)
                    : MatchExactly(name, candidateName);
                if (matches)
                {
                    return null;
                }
            }
        }

        string errorHost = isIp ? candidateIp : host;
        if (!hasSanExtension && MatchHostnames(CommonName(certificate) ?? string.Empty, errorHost))
        {
            return "x509: certificate relies on legacy Common Name field, use SANs instead";
        }

        string valid;
        if (isIp)
        {
            if (ipAddresses.Count == 0)
            {
                return $"x509: cannot validate certificate for {errorHost} because it doesn't contain any IP SANs";
            }

            valid = string.Join(", ", ipAddresses.Select(a => a.ToString()));
        }
        else
        {
            valid = string.Join(", ", dnsNames);
        }

        return valid.Length == 0
            ? $"x509: certificate is not valid for any names, but wanted to match {errorHost}"
            : $"x509: certificate is valid for {valid}, not {errorHost}";
    }

    /// <summary>A chain from the leaf to a trusted root whose every certificate allows serverAuth.</summary>
    private static string? VerifyChain(X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, X509Certificate2Collection? roots, DateTime utcNow)
    {
        string? problem = VerifyChainOnce(leaf, presented, roots, utcNow);
        if (problem is null || roots is not { Count: > 1 })
        {
            return problem;
        }

        // Go tries every root that could have issued the chain; .NET builds one chain and may pick a root of the
        // same name but another key (a bundle of the old and the new CA during a CA rotation). Try each root alone.
        foreach (var root in roots)
        {
            if (VerifyChainOnce(leaf, presented, new X509Certificate2Collection(root), utcNow) is null)
            {
                return null;
            }
        }

        return problem;
    }

    private static string? VerifyChainOnce(X509Certificate2 leaf, IEnumerable<X509Certificate2> presented, X509Certificate2Collection? roots, DateTime utcNow)
    {
        const string UnknownAuthority = "x509: certificate signed by unknown authority";
        const string IncompatibleUsage = "x509: certificate specifies an incompatible key usage";

        // Go accepts a leaf that is itself one of the roots (a self-signed serving certificate pinned as the CA).
        if (roots is not null && roots.Any(r => SameCertificate(r, leaf)))
        {
            return AllowsServerAuth(leaf) ? null : IncompatibleUsage;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.VerificationTime = utcNow.ToLocalTime();
        chain.ChainPolicy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (roots is not null)
        {
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        }

        foreach (var certificate in presented)
        {
            if (!SameCertificate(certificate, leaf))
            {
                chain.ChainPolicy.ExtraStore.Add(certificate);
            }
        }

        if (!chain.Build(leaf) || chain.ChainElements.Count == 0)
        {
            return UnknownAuthority;
        }

        var anchor = chain.ChainElements[^1].Certificate;
        if (roots is not null && !roots.Any(r => SameCertificate(r, anchor)))
        {
            return UnknownAuthority;
        }

        return chain.ChainElements.All(e => AllowsServerAuth(e.Certificate)) ? null : IncompatibleUsage;
    }

    private static bool SameCertificate(X509Certificate2 a, X509Certificate2 b) => a.RawDataMemory.Span.SequenceEqual(b.RawDataMemory.Span);

    /// <summary>Go's checkChainForKeyUsage for serverAuth: a certificate without the extension allows any usage.</summary>
    private static bool AllowsServerAuth(X509Certificate2 certificate)
    {
        var extension = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault();
        if (extension is null)
        {
            return true;
        }

        var usages = extension.EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value).ToList();
        if (usages.Count == 0)
        {
            return true;
        }

        return usages.Contains(AnyExtendedKeyUsageOid) || usages.Contains(ServerAuthOid);
    }

    private static (List<string> DnsNames, List<IPAddress> IpAddresses, bool HasExtension) ReadSubjectAltNames(X509Certificate2 certificate)
    {
        var dns = new List<string>();
        var ips = new List<IPAddress>();
        bool hasExtension = false;
        foreach (var extension in certificate.Extensions)
        {
            if (extension.Oid?.Value != SubjectAltNameOid)
            {
                continue;
            }

            hasExtension = true;
            var san = extension as X509SubjectAlternativeNameExtension ?? new X509SubjectAlternativeNameExtension(extension.RawData, extension.Critical);
            dns.AddRange(san.EnumerateDnsNames());
            ips.AddRange(san.EnumerateIPAddresses());
        }

        return (dns, ips, hasExtension);
    }

    /// <summary>Go keeps the last CN of the subject.</summary>
    private static string? CommonName(X509Certificate2 certificate)
    {
        string? commonName = null;
        foreach (var rdn in certificate.SubjectName.EnumerateRelativeDistinguishedNames())
        {
            if (rdn.GetSingleElementType().Value == CommonNameOid)
            {
                commonName = rdn.GetSingleElementValue();
            }
        }

        return commonName;
    }

    private static bool SameAddress(IPAddress a, IPAddress b)
    {
        if (a.IsIPv4MappedToIPv6)
        {
            a = a.MapToIPv4();
        }

        if (b.IsIPv4MappedToIPv6)
        {
            b = b.MapToIPv4();
        }

        return a.Equals(b);
    }

    /// <summary>Go's validHostname: letters, digits, '-' (not first), '_'; a pattern may start with a whole "*" label.</summary>
    private static bool IsValidHostname(string host, bool isPattern)
    {
        if (!isPattern && host.EndsWith('.'))
        {
            host = host[..^1];
        }

        if (host.Length == 0 || host == "*")
        {
            return false;
        }

        string[] labels = host.Split('.');
        for (int i = 0; i < labels.Length; i++)
        {
            string label = labels[i];
            if (label.Length == 0)
            {
                return false;
            }

            if (isPattern && i == 0 && label == "*")
            {
                continue;
            }

            for (int j = 0; j < label.Length; j++)
            {
                char c = label[j];
                bool ok = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '_' || (c == '-' && j != 0);
                if (!ok)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool MatchExactly(string a, string b) =>
        a is not ("" or ".") && b is not ("" or ".") && AsciiLower(a) == AsciiLower(b);

    /// <summary>Go lower-cases ASCII letters only.</summary>
    private static string AsciiLower(string value) =>
        string.Create(value.Length, value, (span, source) =>
        {
            for (int i = 0; i < source.Length; i++)
            {
                char c = source[i];
                span[i] = c is >= 'A' and <= 'Z' ? (char)(c + 32) : c;
            }
        });

    /// <summary>Go's matchHostnames: same number of labels, a leading "*" label matches any one label.</summary>
    private static bool MatchHostnames(string pattern, string host)
    {
        pattern = AsciiLower(pattern);
        host = AsciiLower(host);
        if (host.EndsWith('.'))
        {
            host = host[..^1];
        }

        if (pattern.Length == 0 || host.Length == 0)
        {
            return false;
        }

        string[] patternParts = pattern.Split('.');
        string[] hostParts = host.Split('.');
        if (patternParts.Length != hostParts.Length)
        {
            return false;
        }

        for (int i = 0; i < patternParts.Length; i++)
        {
            if (i == 0 && patternParts[i] == "*")
            {
                continue;
            }

            if (patternParts[i] != hostParts[i])
            {
                return false;
            }
        }

        return true;
    }

    private static string Rfc3339(DateTime time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
