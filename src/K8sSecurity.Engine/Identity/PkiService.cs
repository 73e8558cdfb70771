using System.Net;
using System.Net.Sockets;
using System.Numerics;
using System.Security.Cryptography;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Identity;

/// <summary>What New-K8sCertificateAuthority creates.</summary>
public sealed record CertificateAuthorityRequest
{
    public string CommonName { get; init; } = "kubernetes";

    public IReadOnlyList<string> Organizations { get; init; } = Array.Empty<string>();

    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.Rsa2048;

    public int ValidityDays { get; init; } = 3650;

    /// <summary>File base name: NAME.crt and NAME.key (kubeadm: ca, front-proxy-ca, etcd/ca).</summary>
    public string Name { get; init; } = "ca";

    public required string OutputDirectory { get; init; }

    public bool Force { get; init; }
}

/// <summary>What New-K8sCertificate creates: a profile, optionally a kubeadm component preset, names and SANs.</summary>
public sealed record LeafCertificateRequest
{
    public KubeadmComponent Component { get; init; }

    public CertificateProfile? Profile { get; init; }

    public string? CommonName { get; init; }

    public IReadOnlyList<string>? Organizations { get; init; }

    public IReadOnlyList<string> DnsNames { get; init; } = Array.Empty<string>();

    public IReadOnlyList<string> IPAddresses { get; init; } = Array.Empty<string>();

    public string? NodeName { get; init; }

    public string ClusterDomain { get; init; } = "cluster.local";

    /// <summary>The service CIDR; its first address is the kubernetes Service IP in the API server's SANs.</summary>
    public string ServiceCidr { get; init; } = "10.96.0.0/12";

    public string? Name { get; init; }

    public required string OutputDirectory { get; init; }

    public required string CACertificatePath { get; init; }

    public required string CAKeyPath { get; init; }

    public KeyAlgorithm KeyAlgorithm { get; init; } = KeyAlgorithm.Rsa2048;

    public int ValidityDays { get; init; } = 365;

    public bool Force { get; init; }
}

/// <summary>Cluster PKI generation: CAs and component certificates with kubeadm's names and SANs.</summary>
public static class PkiService
{
    public static (string CertificatePath, string KeyPath) AuthorityPaths(CertificateAuthorityRequest request)
    {
        string baseName = Path.Combine(Path.GetFullPath(request.OutputDirectory), request.Name);
        return (baseName + ".crt", baseName + ".key");
    }

    public static K8sCertificate NewAuthority(CertificateAuthorityRequest request, EngineLog log)
    {
        if (string.IsNullOrWhiteSpace(request.CommonName))
        {
            throw K8sOperationException.InvalidArgument("CommonName", request.CommonName, "a CA needs a common name");
        }

        ValidateName(request.Name);
        ValidateDays(request.ValidityDays, 36500);
        var (certificatePath, keyPath) = AuthorityPaths(request);
        SecureFile.EnsureWritable(new[] { keyPath, certificatePath }, request.Force, log);

        using var key = KeyMaterial.Generate(request.KeyAlgorithm);
        var certificate = CertificateIssuer.CreateAuthority(request.CommonName, request.Organizations, key, request.ValidityDays);
        WritePair(keyPath, key, certificatePath, certificate, request.Force, log);
        log.Verbose($"Wrote CA '{certificate.Subject}' to '{certificatePath}' and its key to '{keyPath}' (mode 0600).");
        return K8sCertificate.From(certificate, request.Name, CertificateSourceKind.Generated, certificatePath, certificatePath, keyPath);
    }

    /// <summary>The subject, SANs, profile and file name a request resolves to (kubeadm presets applied).</summary>
    public static (LeafCertificateSpec Spec, string FileName) Resolve(LeafCertificateRequest request)
    {
        // A node is a Node object (a DNS-1123 subdomain name); kubeadm checks the cluster domain the same way.
        if (!string.IsNullOrEmpty(request.NodeName))
        {
            KubernetesNames.ValidateObjectName("NodeName", request.NodeName);
        }

        KubernetesNames.ValidateObjectName("ClusterDomain", request.ClusterDomain);
        var dns = new List<string>();
        var ips = new List<IPAddress>();
        string? commonName;
        IReadOnlyList<string> organizations = Array.Empty<string>();
        CertificateProfile profile;
        string? fileName;
        string Node() => !string.IsNullOrWhiteSpace(request.NodeName)
            ? request.NodeName!
            : throw K8sOperationException.InvalidArgument("NodeName", request.NodeName, $"the {request.Component} certificate is named after the node; pass -NodeName");

        switch (request.Component)
        {
            case KubeadmComponent.ApiServer:
                profile = CertificateProfile.Server;
                commonName = "kube-apiserver";
                fileName = "apiserver";
                if (!string.IsNullOrWhiteSpace(request.NodeName))
                {
                    dns.Add(request.NodeName!);
                }

                dns.AddRange(new[] { "kubernetes", "kubernetes.default", "kubernetes.default.svc", $"kubernetes.default.svc.{request.ClusterDomain}" });
                ips.Add(FirstServiceIp(request.ServiceCidr));
                break;
            case KubeadmComponent.ApiServerKubeletClient:
                (profile, commonName, organizations, fileName) = (CertificateProfile.Client, "kube-apiserver-kubelet-client", new[] { "kubeadm:cluster-admins" }, "apiserver-kubelet-client");
                break;
            case KubeadmComponent.ApiServerEtcdClient:
                (profile, commonName, fileName) = (CertificateProfile.Client, "kube-apiserver-etcd-client", "apiserver-etcd-client");
                break;
            case KubeadmComponent.FrontProxyClient:
                (profile, commonName, fileName) = (CertificateProfile.Client, "front-proxy-client", "front-proxy-client");
                break;
            case KubeadmComponent.EtcdServer:
            case KubeadmComponent.EtcdPeer:
                profile = CertificateProfile.Peer;
                commonName = Node();
                fileName = request.Component == KubeadmComponent.EtcdServer ? "etcd/server" : "etcd/peer";
                dns.AddRange(new[] { Node(), "localhost" });
                ips.AddRange(new[] { IPAddress.Loopback, IPAddress.IPv6Loopback });
                break;
            case KubeadmComponent.EtcdHealthcheckClient:
                (profile, commonName, fileName) = (CertificateProfile.Client, "kube-etcd-healthcheck-client", "etcd/healthcheck-client");
                break;
            case KubeadmComponent.Admin:
                (profile, commonName, organizations, fileName) = (CertificateProfile.Client, "kubernetes-admin", new[] { "system:masters" }, "admin");
                break;
            case KubeadmComponent.ControllerManager:
                (profile, commonName, fileName) = (CertificateProfile.Client, "system:kube-controller-manager", "controller-manager");
                break;
            case KubeadmComponent.Scheduler:
                (profile, commonName, fileName) = (CertificateProfile.Client, "system:kube-scheduler", "scheduler");
                break;
            case KubeadmComponent.KubeProxy:
                (profile, commonName, organizations, fileName) = (CertificateProfile.Client, "system:kube-proxy", new[] { "system:node-proxier" }, "kube-proxy");
                break;
            case KubeadmComponent.Kubelet:
                profile = CertificateProfile.Kubelet;
                commonName = null;
                fileName = null;
                break;
            default:
                profile = request.Profile ?? CertificateProfile.Client;
                commonName = request.CommonName;
                fileName = null;
                break;
        }

        if (request.Profile is { } explicitProfile && request.Component != KubeadmComponent.None && explicitProfile != profile)
        {
            throw K8sOperationException.InvalidArgument("Profile", explicitProfile, $"the {request.Component} preset is a {profile} certificate");
        }

        if (profile == CertificateProfile.Kubelet)
        {
            // A node authenticates as system:node:NAME in group system:nodes (Node authorizer, NodeRestriction).
            string node = Node();
            commonName = $"system:node:{node}";
            organizations = new[] { "system:nodes" };
            fileName ??= "kubelet";
            dns.Insert(0, node);
        }

        if (request.Component == KubeadmComponent.None || !string.IsNullOrWhiteSpace(request.CommonName))
        {
            commonName = request.CommonName ?? commonName;
        }

        if (request.Organizations is { Count: > 0 })
        {
            organizations = request.Organizations;

            // Like approving such a CSR: a client certificate in system:masters is cluster-admin that RBAC cannot revoke.
            if (organizations.Contains(CertificateRequestService.SystemMasters, StringComparer.Ordinal) && !request.Force)
            {
                throw K8sOperationException.InvalidArgument(
                    "Organization", CertificateRequestService.SystemMasters,
                    "a certificate for system:masters grants cluster-admin that RBAC cannot revoke; use -Force if you really mean it");
            }
        }

        if (string.IsNullOrWhiteSpace(commonName))
        {
            throw K8sOperationException.InvalidArgument("CommonName", commonName, "the certificate needs a common name (or a -Component preset)");
        }

        foreach (string name in request.DnsNames)
        {
            if (!IsDnsName(name))
            {
                throw K8sOperationException.InvalidArgument("DnsName", name, "not a valid DNS name");
            }

            dns.Add(name);
        }

        foreach (string text in request.IPAddresses)
        {
            if (!IPAddress.TryParse(text, out var ip))
            {
                throw K8sOperationException.InvalidArgument("IPAddress", text, "not a valid IPv4 or IPv6 address");
            }

            ips.Add(ip);
        }

        if (profile is CertificateProfile.Server or CertificateProfile.Peer && dns.Count == 0 && ips.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("DnsName", null, $"a {profile} certificate needs at least one -DnsName or -IPAddress (clients verify the server by SAN)");
        }

        fileName = request.Name ?? fileName ?? UserCertificateService.FileBaseName(commonName!);
        ValidateName(fileName);
        ValidateDays(request.ValidityDays, 3650);
        return (new LeafCertificateSpec
        {
            CommonName = commonName!,
            Organizations = organizations,
            DnsNames = dns.Distinct(StringComparer.OrdinalIgnoreCase).ToArray(),
            IPAddresses = ips.Distinct().ToArray(),
            Profile = profile,
            ValidityDays = request.ValidityDays,
        }, fileName);
    }

    public static (string CertificatePath, string KeyPath) LeafPaths(LeafCertificateRequest request, string fileName)
    {
        string baseName = Path.Combine(Path.GetFullPath(request.OutputDirectory), fileName);
        return (baseName + ".crt", baseName + ".key");
    }

    public static K8sCertificate NewCertificate(LeafCertificateRequest request, EngineLog log)
    {
        var (spec, fileName) = Resolve(request);
        var (certificatePath, keyPath) = LeafPaths(request, fileName);
        SecureFile.EnsureWritable(new[] { keyPath, certificatePath }, request.Force, log);
        using var authority = CertificateAuthorityKeyPair.Load(request.CACertificatePath, request.CAKeyPath, log);
        using var key = KeyMaterial.Generate(request.KeyAlgorithm);
        var certificate = CertificateIssuer.Issue(spec, key, authority, log);
        WritePair(keyPath, key, certificatePath, certificate, request.Force, log);
        log.Verbose($"Wrote {spec.Profile} certificate '{certificate.Subject}' to '{certificatePath}' and its key to '{keyPath}' (mode 0600).");
        return K8sCertificate.From(certificate, fileName, CertificateSourceKind.Generated, certificatePath, certificatePath, keyPath);
    }

    /// <summary>A key and its certificate replace the old pair together or not at all (see SecureFile.WriteAll).</summary>
    private static void WritePair(string keyPath, AsymmetricAlgorithm key, string certificatePath, System.Security.Cryptography.X509Certificates.X509Certificate2 certificate, bool force, EngineLog log) =>
        SecureFile.WriteAll(
            new[]
            {
                SecureFileContent.Text(keyPath, KeyMaterial.ExportPkcs8Pem(key)),
                SecureFileContent.Text(certificatePath, CertificateFiles.ToPem(certificate), privateFile: false),
            },
            force,
            log);

    /// <summary>The first usable address of a CIDR (10.96.0.0/12 → 10.96.0.1), kubeadm's kubernetes Service IP.</summary>
    public static IPAddress FirstServiceIp(string cidr)
    {
        string[] parts = cidr.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var network) || !int.TryParse(parts[1], out int prefix)
            || prefix < 0 || prefix > (network.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            throw K8sOperationException.InvalidArgument("ServiceCidr", cidr, "expected a CIDR such as 10.96.0.0/12");
        }

        byte[] bytes = network.GetAddressBytes();
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true);
        int bits = bytes.Length * 8;
        var mask = ((BigInteger.One << prefix) - 1) << (bits - prefix);
        var first = (value & mask) + 1;
        byte[] result = first.ToByteArray(isUnsigned: true, isBigEndian: true);
        byte[] padded = new byte[bytes.Length];
        result.CopyTo(padded, padded.Length - result.Length);
        return new IPAddress(padded);
    }

    private static bool IsDnsName(string name) =>
        name.Length is > 0 and <= 253
        && name.TrimStart('*', '.').Split('.').All(label => label.Length is > 0 and <= 63
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && label[0] != '-' && label[^1] != '-')
        && (!name.Contains('*') || (name.StartsWith("*.", StringComparison.Ordinal) && name.LastIndexOf('*') == 0));

    private static void ValidateName(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Split('/').Any(p => p is "" or "." or "..") || name.IndexOfAny(Path.GetInvalidPathChars()) >= 0 || Path.IsPathRooted(name))
        {
            throw K8sOperationException.InvalidArgument("Name", name, "use a relative file base name such as 'apiserver' or 'etcd/server'");
        }
    }

    private static void ValidateDays(int days, int max)
    {
        if (days < 1 || days > max)
        {
            throw K8sOperationException.InvalidArgument("ValidityDays", days, $"use 1 to {max} days");
        }
    }
}
