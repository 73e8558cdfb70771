using System.Net;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Identity;

/// <summary>What Test-K8sCertificate checks against.</summary>
public sealed record CertificateCheckOptions
{
    public int WarningDays { get; init; } = 30;

    /// <summary>CAs the certificate must chain to (signature check); none means no issuer check.</summary>
    public IReadOnlyList<X509Certificate2> Authorities { get; init; } = Array.Empty<X509Certificate2>();

    public IReadOnlyList<string> ExpectedDnsNames { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> ExpectedIPAddresses { get; init; } = Array.Empty<string>();

    /// <summary>Extended usages the certificate must allow: ServerAuth, ClientAuth.</summary>
    public IReadOnlyList<string> ExpectedUsages { get; init; } = Array.Empty<string>();

    public DateTimeOffset? Now { get; init; }
}

/// <summary>Health checks for single certificates and for a whole kubeadm PKI folder.</summary>
public static class CertificateChecker
{
    /// <summary>kubeadm's certificates: path under the PKI folder, issuing CA (null for CAs), usages, required SANs.</summary>
    public static IReadOnlyList<KubeadmExpectation> KubeadmPki { get; } = new KubeadmExpectation[]
    {
        new("ca", null, Array.Empty<string>(), Array.Empty<string>()),
        new("front-proxy-ca", null, Array.Empty<string>(), Array.Empty<string>()),
        new("etcd/ca", null, Array.Empty<string>(), Array.Empty<string>()),
        new("apiserver", "ca", new[] { "ServerAuth" }, new[] { "kubernetes", "kubernetes.default", "kubernetes.default.svc" }),
        new("apiserver-kubelet-client", "ca", new[] { "ClientAuth" }, Array.Empty<string>()),
        new("apiserver-etcd-client", "etcd/ca", new[] { "ClientAuth" }, Array.Empty<string>()),
        new("front-proxy-client", "front-proxy-ca", new[] { "ClientAuth" }, Array.Empty<string>()),
        new("etcd/server", "etcd/ca", new[] { "ServerAuth", "ClientAuth" }, new[] { "localhost" }),
        new("etcd/peer", "etcd/ca", new[] { "ServerAuth", "ClientAuth" }, Array.Empty<string>()),
        new("etcd/healthcheck-client", "etcd/ca", new[] { "ClientAuth" }, Array.Empty<string>()),
    };

    /// <summary>
    /// kubeadm's kubeconfigs beside the PKI folder (/etc/kubernetes/*.conf) whose embedded client certificates it
    /// issues from the cluster CA and `kubeadm certs check-expiration` lists. kubelet.conf is not among them: the
    /// kubelet rotates its own client certificate (/var/lib/kubelet/pki).
    /// </summary>
    public static IReadOnlyList<string> KubeadmKubeconfigs { get; } = new[] { "admin.conf", "super-admin.conf", "controller-manager.conf", "scheduler.conf" };

    public static CertificateHealth Check(K8sCertificate certificate, CertificateCheckOptions options) => Check(certificate, options, certificate.Name);

    private static CertificateHealth Check(K8sCertificate certificate, CertificateCheckOptions options, string name)
    {
        var now = options.Now ?? DateTimeOffset.UtcNow;
        var verdicts = new List<(CertificateVerdict Verdict, string Problem)>();
        if (certificate.NotAfter <= now)
        {
            verdicts.Add((CertificateVerdict.Expired, $"expired on {certificate.NotAfter:yyyy-MM-dd HH:mm} UTC"));
        }
        else if (certificate.NotAfter <= now.AddDays(options.WarningDays))
        {
            // Whole days left, rounded down like the DaysRemaining column, so the message and the column agree.
            int days = (int)Math.Floor((certificate.NotAfter - now).TotalDays);
            string left = days switch { 0 => "within a day", 1 => "in 1 day", _ => $"in {days} days" };
            verdicts.Add((CertificateVerdict.ExpiringSoon, $"expires on {certificate.NotAfter:yyyy-MM-dd} ({left}, warning threshold {options.WarningDays})"));
        }

        if (certificate.NotBefore > now)
        {
            verdicts.Add((CertificateVerdict.NotYetValid, $"not valid before {certificate.NotBefore:yyyy-MM-dd HH:mm} UTC (clock skew or a future-dated certificate)"));
        }

        if (options.Authorities.Count > 0 && !options.Authorities.Any(ca => SignatureCheck.IsSignedBy(certificate.Certificate, ca)))
        {
            verdicts.Add((CertificateVerdict.IssuerMismatch,
                $"not signed by {string.Join(" or ", options.Authorities.Select(a => $"'{a.Subject}'"))} (issuer is '{certificate.Issuer}')"));
        }

        var missingDns = options.ExpectedDnsNames.Where(d => !certificate.DnsNames.Any(n => MatchesDns(n, d))).ToList();
        var missingIps = options.ExpectedIPAddresses
            .Where(ip => !certificate.IPAddresses.Any(have => IPAddress.TryParse(have, out var a) && IPAddress.TryParse(ip, out var b) && a.Equals(b)))
            .ToList();
        if (missingDns.Count + missingIps.Count > 0)
        {
            verdicts.Add((CertificateVerdict.MissingSan, $"lacks subject alternative names {string.Join(", ", missingDns.Concat(missingIps))}"));
        }

        if (certificate.KeyAlgorithm == "RSA" && certificate.KeySize < 2048)
        {
            verdicts.Add((CertificateVerdict.WeakKey, $"RSA key of {certificate.KeySize} bits (at least 2048 expected)"));
        }
        else if (certificate.KeyAlgorithm == "ECDSA" && certificate.KeySize < 256)
        {
            verdicts.Add((CertificateVerdict.WeakKey, $"ECDSA key of {certificate.KeySize} bits (at least P-256 expected)"));
        }
        else if (certificate.SignatureAlgorithm.Contains("sha1", StringComparison.OrdinalIgnoreCase) || certificate.SignatureAlgorithm.Contains("md5", StringComparison.OrdinalIgnoreCase))
        {
            verdicts.Add((CertificateVerdict.WeakKey, $"signed with {certificate.SignatureAlgorithm}"));
        }

        var usageProblems = UsageProblems(certificate, options);
        if (usageProblems.Count > 0)
        {
            verdicts.Add((CertificateVerdict.WrongUsage, string.Join("; ", usageProblems)));
        }

        return new CertificateHealth
        {
            Name = name,
            Status = verdicts.Count == 0 ? CertificateVerdict.Healthy : verdicts.Max(v => v.Verdict),
            Verdicts = verdicts.Select(v => v.Verdict).ToArray(),
            Problems = verdicts.Select(v => v.Problem).ToArray(),
            CommonName = certificate.CommonName,
            NotAfter = certificate.NotAfter,
            Issuer = certificate.Issuer,
            Source = certificate.Source,
            Certificate = certificate,
        };
    }

    /// <summary>
    /// Checks a kubeadm PKI folder: every expected certificate must exist, chain to its kubeadm CA and carry
    /// the usages and SANs kubeadm gives it; the client certificates of kubeadm's kubeconfigs beside the folder must
    /// chain to the cluster CA; other certificates in the folder are checked on their own.
    /// </summary>
    public static IEnumerable<CertificateHealth> CheckKubeadmFolder(string folder, CertificateCheckOptions options)
    {
        string root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw K8sOperationException.InvalidArgument("Path", root, "a kubeadm PKI check needs a folder such as /etc/kubernetes/pki");
        }

        var loaded = new Dictionary<string, K8sCertificate>(StringComparer.Ordinal);
        foreach (var expectation in KubeadmPki)
        {
            string file = Path.Combine(root, expectation.Name + ".crt");
            if (File.Exists(file))
            {
                loaded[expectation.Name] = CertificateInventory.ReadFile(file, expectation.Name)[0];
            }
        }

        foreach (var expectation in KubeadmPki)
        {
            string file = Path.Combine(root, expectation.Name + ".crt");
            if (!loaded.TryGetValue(expectation.Name, out var certificate))
            {
                yield return new CertificateHealth
                {
                    Name = expectation.Name,
                    Status = CertificateVerdict.Missing,
                    Verdicts = new[] { CertificateVerdict.Missing },
                    Problems = new[] { $"kubeadm expects '{file}', which does not exist" },
                    Source = file,
                };
                continue;
            }

            var authorities = new List<X509Certificate2>(options.Authorities);
            if (expectation.Issuer is not null && loaded.TryGetValue(expectation.Issuer, out var ca))
            {
                authorities.Add(ca.Certificate);
            }
            else if (expectation.Issuer is null)
            {
                authorities.Add(certificate.Certificate); // a kubeadm CA is self-signed
            }

            yield return Check(certificate, options with
            {
                Authorities = authorities,
                ExpectedUsages = expectation.Usages.Concat(options.ExpectedUsages).Distinct().ToArray(),
                ExpectedDnsNames = expectation.DnsNames.Concat(options.ExpectedDnsNames).Distinct().ToArray(),
                ExpectedIPAddresses = expectation.Name == "apiserver" ? options.ExpectedIPAddresses : Array.Empty<string>(),
            });
        }

        // Only the kubeconfigs that exist: super-admin.conf is on the first control-plane node only (v1.29+), and a
        // PKI folder copied elsewhere has none beside it.
        string? configFolder = Path.GetDirectoryName(root);
        foreach (string kubeconfig in configFolder is null ? Array.Empty<string>() : KubeadmKubeconfigs.ToArray())
        {
            string file = Path.Combine(configFolder!, kubeconfig);
            if (!File.Exists(file))
            {
                continue;
            }

            List<K8sCertificate> clients;
            string? unreadable = null;
            try
            {
                clients = KubeconfigInspector.Certificates(file).Where(c => !c.IsCA).ToList();
            }
            catch (K8sOperationException ex)
            {
                clients = new List<K8sCertificate>();
                unreadable = ex.Message;
            }

            if (clients.Count == 0)
            {
                yield return new CertificateHealth
                {
                    Name = kubeconfig,
                    Status = CertificateVerdict.Missing,
                    Verdicts = new[] { CertificateVerdict.Missing },
                    Problems = new[] { unreadable ?? $"'{file}' has no client certificate (kubeadm embeds one signed by the cluster CA)" },
                    Source = file,
                };
                continue;
            }

            var authorities = new List<X509Certificate2>(options.Authorities);
            if (loaded.TryGetValue("ca", out var clusterCa))
            {
                authorities.Add(clusterCa.Certificate);
            }

            foreach (var client in clients)
            {
                yield return Check(client, options with
                {
                    Authorities = authorities,
                    ExpectedUsages = options.ExpectedUsages.Append("ClientAuth").Distinct().ToArray(),
                    ExpectedDnsNames = Array.Empty<string>(),
                    ExpectedIPAddresses = Array.Empty<string>(),
                }, kubeconfig);
            }
        }

        var known = KubeadmPki.Select(e => Path.Combine(root, e.Name + ".crt")).ToHashSet(StringComparer.Ordinal);
        foreach (var (file, name) in CertificateInventory.Expand(root))
        {
            if (known.Contains(file) || !CertificateExtensionsOnly(file))
            {
                continue;
            }

            foreach (var certificate in CertificateInventory.ReadFile(file, name))
            {
                yield return Check(certificate, options with { ExpectedDnsNames = Array.Empty<string>(), ExpectedIPAddresses = Array.Empty<string>() });
            }
        }
    }

    private static bool CertificateExtensionsOnly(string file) =>
        Path.GetExtension(file).ToLowerInvariant() is ".crt" or ".pem" or ".cer" or ".der";

    private static List<string> UsageProblems(K8sCertificate certificate, CertificateCheckOptions options)
    {
        var problems = new List<string>();
        bool hasEku = certificate.Certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Any();
        var expected = options.ExpectedUsages.ToList();
        if (expected.Count == 0 && (options.ExpectedDnsNames.Count > 0 || options.ExpectedIPAddresses.Count > 0))
        {
            expected.Add("ServerAuth"); // expected SANs mean it serves TLS
        }

        if (certificate.IsCA)
        {
            if (certificate.KeyUsages.Count > 0 && !certificate.KeyUsages.Contains("KeyCertSign"))
            {
                problems.Add("a CA certificate without the keyCertSign key usage cannot sign certificates");
            }
        }
        else if (certificate.KeyUsages.Contains("KeyCertSign"))
        {
            problems.Add("keyCertSign on a certificate that is not a CA");
        }

        foreach (string usage in expected.Where(u => !certificate.IsCA))
        {
            // Without an extendedKeyUsage extension every usage is allowed (RFC 5280).
            if (hasEku && !certificate.ExtendedKeyUsages.Contains(usage, StringComparer.OrdinalIgnoreCase))
            {
                problems.Add($"{usage} is not among its extended key usages ({string.Join(", ", certificate.ExtendedKeyUsages)})");
            }
        }

        return problems;
    }

    private static bool MatchesDns(string have, string want)
    {
        if (string.Equals(have, want, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // A wildcard covers exactly one label.
        return have.StartsWith("*.", StringComparison.Ordinal)
            && want.IndexOf('.', StringComparison.Ordinal) is int dot and > 0
            && string.Equals(want[(dot + 1)..], have[2..], StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>One certificate kubeadm creates in its PKI folder.</summary>
public sealed record KubeadmExpectation(string Name, string? Issuer, IReadOnlyList<string> Usages, IReadOnlyList<string> DnsNames);
