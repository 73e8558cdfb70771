using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// CertificateSigningRequest create strategy + validation: the requester's identity is recorded in
/// spec.username/groups/extra, status starts empty, spec.request must be a PEM CERTIFICATE REQUEST, signerName and
/// usages are required and usages must be known key usages. Usages a signer refuses (golden 38) are accepted here:
/// the signer marks the CSR Failed later.
/// </summary>
public sealed class CsrValidation : IAdmissionPlugin
{
    public static readonly string[] KnownUsages =
    [
        "signing", "digital signature", "content commitment", "key encipherment", "key agreement", "data encipherment",
        "cert sign", "crl sign", "encipher only", "decipher only", "any", "server auth", "client auth", "code signing",
        "email protection", "s/mime", "ipsec end system", "ipsec tunnel", "ipsec user", "timestamping", "ocsp signing",
        "microsoft sgc", "netscape sgc",
    ];

    public string Name => "CsrValidation";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation != AdmissionOperation.Create || r.Type.Kind != "CertificateSigningRequest")
        {
            return;
        }

        var o = r.Object;
        var spec = o.Obj("spec");
        spec["username"] = r.User.Name;
        if (r.User.Uid is not null)
        {
            spec["uid"] = r.User.Uid;
        }

        spec["groups"] = r.User.Groups.ToJsonArray();
        if (r.User.Extra is { Count: > 0 })
        {
            var extra = new JsonObject();
            foreach (var (k, v) in r.User.Extra)
            {
                extra[k] = v.ToJsonArray();
            }

            spec["extra"] = extra;
        }

        o["status"] = new JsonObject();
        var errors = new List<FieldError>();
        var request = spec.Str("request");
        if (string.IsNullOrEmpty(request))
        {
            errors.Add(FieldError.Required("spec.request"));
        }
        else
        {
            try
            {
                var pem = Encoding.ASCII.GetString(Convert.FromBase64String(request));
                CertificateAuthority.ReadCsrSubject(pem);
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException)
            {
                errors.Add(FieldError.InvalidValue("spec.request", "[]byte{...}", "PEM block type must be CERTIFICATE REQUEST"));
            }
        }

        if (string.IsNullOrEmpty(spec.Str("signerName")))
        {
            errors.Add(FieldError.Required("spec.signerName"));
        }

        var usages = spec.Strings("usages").ToList();
        if (usages.Count == 0)
        {
            errors.Add(FieldError.Required("spec.usages"));
        }

        for (var i = 0; i < usages.Count; i++)
        {
            if (!KnownUsages.Contains(usages[i]))
            {
                errors.Add(FieldError.NotSupported($"spec.usages[{i}]", $"\"{usages[i]}\"", KnownUsages));
            }
        }

        if (spec.Long("expirationSeconds") is { } exp && exp < 600)
        {
            errors.Add(FieldError.InvalidValue("spec.expirationSeconds", exp.ToString(System.Globalization.CultureInfo.InvariantCulture), "may not specify a duration less than 600 seconds (10 minutes)"));
        }

        if (errors.Count > 0)
        {
            throw StatusResponses.Invalid("CertificateSigningRequest", "certificates.k8s.io", r.Name, errors);
        }
    }
}
