using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Identity;
using Xunit;
using static K8sSecurity.Engine.Tests.Identity.Tools;

namespace K8sSecurity.Engine.Tests.Identity;

/// <summary>
/// The user and groups Kubernetes reads from a client certificate (and so from the CSR an admin approves): the x509
/// authenticator takes Go's pkix.Name CommonName and Organization, filled by FillFromRDNSequence, which walks every
/// entry of every RDN (multi-valued RDNs flattened), appends each O and overwrites CommonName with each CN, so the last
/// CN wins. Requests and certificates are made by openssl, the way a requester would craft them.
/// </summary>
public sealed class SubjectIdentityTests : IDisposable
{
    private readonly string directory = TempDirectory();

    [Theory]
    [InlineData("/CN=erin/O=a/O=b", false, "erin", "a,b")]
    [InlineData("/O=devs/CN=alice/CN=bob/O=system:masters", false, "bob", "devs,system:masters")]
    [InlineData("/CN=carol/O=devs+O=system:masters", true, "carol", "devs,system:masters")]
    [InlineData("/O=devs/CN=dave+O=ops", true, "dave", "devs,ops")]
    public void RequestsAndCertificatesNameWhomKubernetesAuthenticates(string subject, bool multiValued, string user, string groups)
    {
        string key = Path.Combine(directory, "user.key");
        string csr = Path.Combine(directory, "user.csr");
        var args = new List<string> { "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-subj", subject };
        if (multiValued)
        {
            args.Add("-multivalue-rdn");
        }

        OpenSsl(args.ToArray());
        var request = SigningRequests.Parse(File.ReadAllText(csr));
        Assert.Equal(user, request.UserName);
        Assert.Equal(groups.Split(','), request.Groups);

        string ca = Path.Combine(directory, "ca");
        OpenSsl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt", "-subj", "/CN=ca", "-days", "2");
        string crt = Path.Combine(directory, "user.crt");
        OpenSsl("x509", "-req", "-in", csr, "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial", "-out", crt, "-days", "1");
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(crt));
        var read = K8sCertificate.From(certificate, "user", CertificateSourceKind.File, crt, crt);
        Assert.Equal(user, read.CommonName);
        Assert.Equal(groups.Split(','), read.Organizations);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
