using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Handlers;

/// <summary>
/// certificatesigningrequests/approval (PUT/PATCH): the caller needs update on the subresource (router-checked,
/// golden 44) and "approve" on signers/&lt;signerName&gt; (CertificateApproval admission); conditions from the body
/// get their timestamps; Approved and Denied are mutually exclusive. Then the signer runs.
/// </summary>
internal static class Csr
{
    private static readonly string[] AllowedClientUsages = ["digital signature", "key encipherment", "client auth"];

    public static HandlerResult Approval(RequestContext rc)
    {
        var type = rc.RequiredType;
        var store = rc.Server.Store;
        var existing = store.GetRaw(type, null, rc.Name) ?? throw StatusResponses.NotFound(type, rc.Name);
        if (rc.Verb == "get")
        {
            return new HandlerResult(200, store.View(type, existing));
        }

        var signer = existing.Str("spec", "signerName") ?? "";
        if (!MayApprove(rc, signer))
        {
            throw StatusResponses.AdmissionForbidden(type, rc.Name, $"user not permitted to approve requests with signerName \"{signer}\"");
        }

        JsonObject body;
        if (rc.Verb == "patch")
        {
            var ct = rc.ContentType.Split(';')[0].Trim();
            var patch = rc.ParseBody();
            body = (ct == "application/json-patch+json" && patch is JsonArray ops ? Patch.ApplyJsonPatch(existing, ops) : Patch.MergePatch(existing, patch)) as JsonObject
                ?? throw StatusResponses.BadRequest("patch must produce an object");
        }
        else
        {
            body = rc.ParseObjectBody();
            var rv = body.Str("metadata", "resourceVersion");
            if (!string.IsNullOrEmpty(rv) && rv != existing.Str("metadata", "resourceVersion"))
            {
                throw StatusResponses.Conflict(type, rc.Name);
            }
        }

        var now = JsonUtil.Timestamp(DateTimeOffset.UtcNow);
        var conditions = new JsonArray();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var errors = new List<FieldError>();
        var i = 0;
        foreach (var c in body.Objects("status", "conditions"))
        {
            var copy = c.Clone();
            var ctype = copy.Str("type") ?? "";
            if (!seen.Add(ctype))
            {
                errors.Add(new FieldError("FieldValueDuplicate", $"status.conditions[{i}].type", $"Duplicate value: \"{ctype}\""));
            }

            copy["status"] ??= "True";
            copy["lastUpdateTime"] ??= now;
            copy["lastTransitionTime"] ??= now;
            conditions.Add(copy);
            i++;
        }

        if (seen.Contains("Approved") && seen.Contains("Denied"))
        {
            errors.Add(FieldError.InvalidValue($"status.conditions[{i - 1}].type", "\"Denied\"", "Approved and Denied conditions are mutually exclusive"));
        }

        if (errors.Count > 0)
        {
            throw StatusResponses.Invalid("CertificateSigningRequest", "certificates.k8s.io", rc.Name, errors);
        }

        var updated = existing.Clone();
        updated.Obj("status")["conditions"] = conditions;
        if (rc.DryRun)
        {
            return new HandlerResult(200, updated);
        }

        var result = store.Replace(type, updated, rc.FieldManager, "Update").Clone();
        if (rc.Server.Options.EnableSigner && seen.Contains("Approved"))
        {
            ScheduleSigning(rc.Server, rc.Name);
        }

        return new HandlerResult(200, result);
    }

    private static bool MayApprove(RequestContext rc, string signer)
    {
        var slash = signer.IndexOf('/', StringComparison.Ordinal);
        var wildcard = slash > 0 ? signer[..slash] + "/*" : signer;
        foreach (var name in new[] { signer, wildcard })
        {
            var attrs = new AuthzAttributes(rc.User, "approve", true, ApiGroup: "certificates.k8s.io", Resource: "signers", Name: name);
            if (rc.Server.Authorizer.Authorize(attrs).Allowed)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>SignerDelay zero and no held controllers: sign right after the approval is stored (still inside this
    /// request); else later.</summary>
    private static void ScheduleSigning(ServerContext server, string name)
    {
        var released = server.Options.BackgroundControllersReleased;
        if (server.Options.SignerDelay <= TimeSpan.Zero && released.IsCompleted)
        {
            Sign(server, name);
            return;
        }

        _ = Task.Run(async () =>
        {
            await Task.Delay(server.Options.SignerDelay).ConfigureAwait(false);
            await released.ConfigureAwait(false);
            lock (server.Store.SyncRoot)
            {
                Sign(server, name);
            }
        });
    }

    /// <summary>The kubernetes.io/kube-apiserver-client signer: client certs only; other signers are left alone.</summary>
    internal static void Sign(ServerContext server, string name)
    {
        var type = ResourceCatalog.Csrs;
        var csr = server.Store.GetRaw(type, null, name);
        if (csr is null || csr.Str("spec", "signerName") != "kubernetes.io/kube-apiserver-client" || csr.At("status", "certificate") is not null)
        {
            return;
        }

        var conds = csr.Objects("status", "conditions").ToList();
        if (!conds.Any(c => c.Str("type") == "Approved") || conds.Any(c => c.Str("type") is "Denied" or "Failed"))
        {
            return;
        }

        var updated = csr.Clone();
        var usages = csr.Strings("spec", "usages").ToList();
        var bad = usages.Where(u => !AllowedClientUsages.Contains(u)).ToList();
        var now = JsonUtil.Timestamp(DateTimeOffset.UtcNow);
        if (bad.Count > 0 || !usages.Contains("client auth"))
        {
            var message = bad.Count > 0 ? "invalid usage for client certificate: " + string.Join(", ", bad) : "missing required usage: client auth";
            ((JsonArray)updated.Obj("status")["conditions"]!).Add(new JsonObject
            {
                ["type"] = "Failed",
                ["status"] = "True",
                ["reason"] = "SignerValidationFailure",
                ["message"] = message,
                ["lastUpdateTime"] = now,
                ["lastTransitionTime"] = now,
            });
        }
        else
        {
            var pem = Encoding.ASCII.GetString(Convert.FromBase64String(csr.Str("spec", "request") ?? ""));
            var seconds = csr.Long("spec", "expirationSeconds") ?? (long)TimeSpan.FromDays(365).TotalSeconds;
            var flags = X509KeyUsageFlags.None;
            if (usages.Contains("digital signature"))
            {
                flags |= X509KeyUsageFlags.DigitalSignature;
            }

            if (usages.Contains("key encipherment"))
            {
                flags |= X509KeyUsageFlags.KeyEncipherment;
            }

            var cert = server.Ca.SignCsr(pem, TimeSpan.FromSeconds(Math.Max(600, seconds)), flags);
            updated.Obj("status")["certificate"] = Convert.ToBase64String(Encoding.ASCII.GetBytes(cert));
        }

        server.Store.Replace(type, updated, "kube-controller-manager", "Update");
    }
}
