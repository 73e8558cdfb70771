using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using Xunit;
using static K8sSecurity.TestServer.Tests.TestClients;

namespace K8sSecurity.TestServer.Tests;

public sealed class CsrTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    private static (string CsrPem, string KeyPem) NewCsr(string cn, params string[] orgs)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var b = new X500DistinguishedNameBuilder();
        foreach (var o in orgs)
        {
            b.AddOrganizationName(o);
        }

        b.AddCommonName(cn);
        var req = new CertificateRequest(b.Build(), key, HashAlgorithmName.SHA256);
        return (req.CreateSigningRequestPem(), key.ExportPkcs8PrivateKeyPem());
    }

    private static JsonObject Csr(string name, string csrPem, string usages = """["digital signature","client auth"]""", long expiration = 3600) =>
        J($$$"""{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"{{{name}}}"},"spec":{"request":"{{{Convert.ToBase64String(Encoding.ASCII.GetBytes(csrPem))}}}","signerName":"kubernetes.io/kube-apiserver-client","expirationSeconds":{{{expiration}}},"usages":{{{usages}}}}}""");

    private static JsonObject WithCondition(JsonNode csr, string type) =>
        (JsonObject)JsonNode.Parse(csr.ToJsonString().Replace("\"status\":{}", $$$"""
            "status":{"conditions":[{"type":"{{{type}}}","status":"True","reason":"Test","message":"by test"}]}
            """.Trim(), StringComparison.Ordinal))!;

    [Fact]
    public async Task Approved_csr_is_signed_by_the_cluster_ca_and_the_certificate_authenticates()
    {
        var name = "alice-" + Guid.NewGuid().ToString("N")[..6];
        var (csrPem, keyPem) = NewCsr("alice", "devs", "ops");
        var (cs, created, _) = await f.Admin.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests", Csr(name, csrPem, expiration: 7200));
        Assert.Equal(201, cs);
        Assert.Equal("admin", created!["spec"]!["username"]!.GetValue<string>());
        var (as_, approved, _) = await f.Admin.KPut($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval", WithCondition(created, "Approved"));
        Assert.Equal(200, as_);
        Assert.NotNull(approved!["status"]!["conditions"]![0]!["lastUpdateTime"]);
        var (_, issued, _) = await f.Admin.KGet($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}");
        var certPem = Encoding.ASCII.GetString(Convert.FromBase64String(issued!["status"]!["certificate"]!.GetValue<string>()));
        using var cert = X509Certificate2.CreateFromPem(certPem);
        Assert.Contains("CN=alice", cert.Subject, StringComparison.Ordinal);
        Assert.InRange((cert.NotAfter.ToUniversalTime() - DateTime.UtcNow).TotalSeconds, 7000, 7300);
        using var ca = X509Certificate2.CreateFromPem(f.Server.CaCertificatePem);
        Assert.Equal(ca.Subject, cert.Issuer);

        using var alice = ForCertificate(f.Server, certPem, keyPem);
        var (ws, who, _) = await alice.KPost("/apis/authentication.k8s.io/v1/selfsubjectreviews", J("""{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"""));
        Assert.Equal(201, ws);
        Assert.Equal("alice", who!["status"]!["userInfo"]!["username"]!.GetValue<string>());
        Assert.Equal("""["devs","ops","system:authenticated"]""", who["status"]!["userInfo"]!["groups"]!.ToJsonString());
    }

    [Fact]
    public async Task Disallowed_usage_is_created_then_failed_by_the_signer_and_denied_stays_unsigned()
    {
        var (csrPem, _) = NewCsr("srv");
        var bad = "bad-" + Guid.NewGuid().ToString("N")[..6];
        var (cs, created, _) = await f.Admin.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests", Csr(bad, csrPem, """["server auth"]"""));
        Assert.Equal(201, cs);
        await f.Admin.KPut($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{bad}/approval", WithCondition(created!, "Approved"));
        var (_, failed, _) = await f.Admin.KGet($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{bad}");
        Assert.Contains(failed!["status"]!["conditions"]!.AsArray(), c => c!["type"]!.GetValue<string>() == "Failed");
        Assert.Null(failed["status"]!["certificate"]);

        var denied = "deny-" + Guid.NewGuid().ToString("N")[..6];
        var (_, c2, _) = await f.Admin.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests", Csr(denied, csrPem));
        var (ds, d, _) = await f.Admin.KPut($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{denied}/approval", WithCondition(c2!, "Denied"));
        Assert.Equal(200, ds);
        Assert.Equal("Denied", d!["status"]!["conditions"]![0]!["type"]!.GetValue<string>());
        Assert.Null(f.Server.Store.Get("certificates.k8s.io/v1", "CertificateSigningRequest", null, denied)!["status"]!["certificate"]);
    }

    [Fact]
    public async Task Approval_needs_update_on_approval_subresource_and_approve_on_the_signer()
    {
        var (csrPem, _) = NewCsr("x");
        var name = "perm-" + Guid.NewGuid().ToString("N")[..6];
        var (_, created, _) = await f.Admin.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests", Csr(name, csrPem));
        using var approver = ForUser(f.Server, "approver-" + name);
        var (s1, b1, _) = await approver.KPut($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval", WithCondition(created!, "Approved"));
        Assert.Equal(403, s1);
        Assert.Contains("cannot update resource \"certificatesigningrequests/approval\" in API group \"certificates.k8s.io\" at the cluster scope", b1!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        f.Server.Store.Create(J($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"{{{name}}}-approve"},"rules":[{"apiGroups":["certificates.k8s.io"],"resources":["certificatesigningrequests/approval"],"verbs":["update"]}]}"""));
        f.Server.Store.Create(J($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"{{{name}}}-approve"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{{name}}}-approve"},"subjects":[{"kind":"User","name":"approver-{{{name}}}","apiGroup":"rbac.authorization.k8s.io"}]}"""));
        var (s2, b2, _) = await approver.KPut($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval", WithCondition(created!, "Approved"));
        Assert.Equal(403, s2);
        Assert.EndsWith("user not permitted to approve requests with signerName \"kubernetes.io/kube-apiserver-client\"", b2!["message"]!.GetValue<string>(), StringComparison.Ordinal);

        f.Server.Store.Create(J($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"{{{name}}}-signer"},"rules":[{"apiGroups":["certificates.k8s.io"],"resources":["signers"],"resourceNames":["kubernetes.io/*"],"verbs":["approve"]}]}"""));
        f.Server.Store.Create(J($$$"""{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRoleBinding","metadata":{"name":"{{{name}}}-signer"},"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"{{{name}}}-signer"},"subjects":[{"kind":"User","name":"approver-{{{name}}}","apiGroup":"rbac.authorization.k8s.io"}]}"""));
        Assert.Equal(200, (await approver.KPut($"/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval", WithCondition(created!, "Approved"))).Status);
    }

    [Fact]
    public async Task Signer_delay_signs_in_the_background_and_disabled_signer_never_signs()
    {
        // The signer is held until the "not signed yet" state has been looked at: a timer alone races a loaded machine.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var slow = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { SignerDelay = TimeSpan.FromMilliseconds(200), BackgroundControllersReleased = release.Task });
        using var admin = Admin(slow);
        var (csrPem, _) = NewCsr("late");
        var (_, created, _) = await admin.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests", Csr("late", csrPem));
        var (approvedStatus, approved, _) = await admin.KPut("/apis/certificates.k8s.io/v1/certificatesigningrequests/late/approval", WithCondition(created!, "Approved"));
        Assert.Equal(200, approvedStatus);
        Assert.Null(approved!["status"]!["certificate"]);
        await Task.Delay(400);
        Assert.Null(slow.Store.Get("certificates.k8s.io/v1", "CertificateSigningRequest", null, "late")!["status"]!["certificate"]);
        release.SetResult();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (slow.Store.Get("certificates.k8s.io/v1", "CertificateSigningRequest", null, "late")!["status"]!["certificate"] is null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        Assert.NotNull(slow.Store.Get("certificates.k8s.io/v1", "CertificateSigningRequest", null, "late")!["status"]!["certificate"]);

        await using var off = await KubeApiTestServer.StartAsync(new KubeApiTestServerOptions { EnableSigner = false });
        using var admin2 = Admin(off);
        var (_, c2, _) = await admin2.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests", Csr("never", csrPem));
        await admin2.KPut("/apis/certificates.k8s.io/v1/certificatesigningrequests/never/approval", WithCondition(c2!, "Approved"));
        Assert.Null(off.Store.Get("certificates.k8s.io/v1", "CertificateSigningRequest", null, "never")!["status"]!["certificate"]);
    }

    [Fact]
    public async Task Csr_validation()
    {
        var (s1, b1, _) = await f.Admin.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests",
            J("""{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"junk"},"spec":{"request":"bm90IGEgY3Ny","signerName":"kubernetes.io/kube-apiserver-client","usages":["client auth"]}}"""));
        Assert.Equal(422, s1);
        Assert.Equal("spec.request", b1!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
        var (csrPem, _) = NewCsr("short");
        var (s2, b2, _) = await f.Admin.KPost("/apis/certificates.k8s.io/v1/certificatesigningrequests", Csr("short", csrPem, expiration: 60));
        Assert.Equal(422, s2);
        Assert.Equal("spec.expirationSeconds", b2!["details"]!["causes"]![0]!["field"]!.GetValue<string>());
    }

    [Fact]
    public async Task Token_request_minimum_and_audiences()
    {
        var ns = f.NewNamespace();
        var (s1, b1, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/serviceaccounts/default/token", J("""{"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{"expirationSeconds":599}}"""));
        Assert.Equal(422, s1);
        Assert.Equal("TokenRequest.authentication.k8s.io \"\" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes", b1!["message"]!.GetValue<string>());
        Assert.Equal(404, (await f.Admin.KPost($"/api/v1/namespaces/{ns}/serviceaccounts/nobody/token", J("""{"spec":{}}"""))).Status);
        var (_, other, _) = await f.Admin.KPost($"/api/v1/namespaces/{ns}/serviceaccounts/default/token", J("""{"spec":{"audiences":["vault"]}}"""));
        using var c = ForToken(f.Server, other!["status"]!["token"]!.GetValue<string>());
        Assert.Equal(401, (await c.KGet("/version")).Status);
        var (rs, review, _) = await f.Admin.KPost("/apis/authentication.k8s.io/v1/tokenreviews",
            new JsonObject { ["apiVersion"] = "authentication.k8s.io/v1", ["kind"] = "TokenReview", ["spec"] = new JsonObject { ["token"] = other["status"]!["token"]!.GetValue<string>(), ["audiences"] = new JsonArray("vault") } });
        Assert.Equal(201, rs);
        Assert.True(review!["status"]!["authenticated"]!.GetValue<bool>());
        Assert.Equal($"system:serviceaccount:{ns}:default", review["status"]!["user"]!["username"]!.GetValue<string>());
    }
}
