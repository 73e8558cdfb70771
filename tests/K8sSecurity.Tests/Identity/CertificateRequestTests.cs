using K8sSecurity.Tests.Infrastructure;
using Xunit;
using static K8sSecurity.Tests.Identity.IdentityTools;

namespace K8sSecurity.Tests.Identity;

/// <summary>The cluster CSR workflow against the in-process API server (with the kube-apiserver-client signer).</summary>
public sealed class CertificateRequestTests : IClassFixture<IdentityServerFixture>, IDisposable
{
    private readonly IdentityServerFixture fixture;
    private readonly PsSession session = new();
    private readonly string directory = TestPaths.NewTempDirectory();

    public CertificateRequestTests(IdentityServerFixture fixture)
    {
        this.fixture = fixture;
        session.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", fixture.AdminKubeconfig).AssertNoErrors();
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];

    [Fact]
    public void SubmitApproveWaitWritesAKubeconfigThatAuthenticatesAsTheNewUser()
    {
        string request = Unique("sammy");
        string kubeconfig = Path.Combine(directory, "sammy.kubeconfig");
        var result = session.Invoke(
            "New-K8sUserCertificate -UserName sammy -Group developers,qa -Submit -Approve -Wait -Timeout 30 -RequestName $args[0] -OutputDirectory $args[1] -KubeconfigPath $args[2] -Kubeconfig $args[3] -Verbose",
            request, directory, kubeconfig, fixture.AdminKubeconfig).AssertNoErrors();

        var created = Assert.Single(result.Output);
        Assert.Equal("Issued", created.Properties["Status"].Value.ToString());
        Assert.Equal(request, created.Properties["RequestName"].Value);
        Assert.Equal("kubernetes.io/kube-apiserver-client", created.Properties["SignerName"].Value);

        // What was sent: a v1 CSR with the client usages of an RSA key and the validity as expirationSeconds.
        var post = fixture.Server.Requests.Last(r => r.Method == "POST" && r.Path.EndsWith("/certificatesigningrequests", StringComparison.Ordinal));
        Assert.Contains("\"signerName\":\"kubernetes.io/kube-apiserver-client\"", post.RequestBody);
        Assert.Contains("\"usages\":[\"digital signature\",\"key encipherment\",\"client auth\"]", post.RequestBody);
        Assert.Contains("\"expirationSeconds\":31536000", post.RequestBody);

        // openssl agrees on every artefact.
        Assert.Contains("subject=CN = sammy, O = developers, O = qa", OpenSsl("req", "-verify", "-noout", "-subject", "-in", Path.Combine(directory, "sammy.csr")));
        Assert.Contains("OK", OpenSsl("verify", "-CAfile", fixture.CaPath, Path.Combine(directory, "sammy.crt")));
        Assert.True(IsMode0600(Path.Combine(directory, "sammy.key")));
        Assert.Contains($"sammy@", AssertKubectlAccepts(kubeconfig));

        // The produced kubeconfig authenticates as sammy with the requested groups.
        using var asSammy = new PsSession();
        var connection = Assert.Single(asSammy.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output);
        Assert.Equal("sammy", connection.Properties["UserName"].Value);
        var groups = ((IEnumerable<string>)connection.Properties["Groups"].Value).ToList();
        Assert.Contains("developers", groups);
        Assert.Contains("qa", groups);
        Assert.Contains(fixture.Server.Requests, r => r.User == "sammy" && r.Groups.Contains("developers"));

        // Key material never in any stream.
        AssertNoSecretLines(File.ReadAllText(Path.Combine(directory, "sammy.key")), result.AllText());
    }

    [Fact]
    public void PendingRequestsShowTheRequestedUserAndGroupsAndTheAdminPipelineSkipsSystemMasters()
    {
        string developer = Unique("dev");
        string root = Unique("root");
        session.Invoke("New-K8sUserCertificate dana developers -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", developer, directory).AssertNoErrors();
        session.Invoke("New-K8sUserCertificate rooty system:masters -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", root, directory).AssertNoErrors();

        var pending = session.Invoke("Get-K8sCertificateRequest -Name $args[0], $args[1] -Condition Pending", developer, root).AssertNoErrors().Output;
        Assert.Equal(2, pending.Count);
        var dev = pending.Single(p => (string)p.Properties["Name"].Value == developer);
        Assert.Equal("dana", dev.Properties["UserName"].Value);
        Assert.Equal(new[] { "developers" }, (IEnumerable<string>)dev.Properties["Groups"].Value);
        Assert.Equal("admin", dev.Properties["Requestor"].Value);
        Assert.Equal(true, dev.Properties["SignatureValid"].Value);
        Assert.Equal(new[] { "digital signature", "client auth" }, (IEnumerable<string>)dev.Properties["Usages"].Value);

        // The issue's pipeline: approve everything pending except system:masters.
        var approved = session.Invoke(
            "Get-K8sCertificateRequest -Name $args[0], $args[1] -Condition Pending | Where-Object Groups -notcontains 'system:masters' | Approve-K8sCertificateRequest -Reason ReviewedByOps -Message 'ticket 42'",
            developer, root).AssertNoErrors();
        var one = Assert.Single(approved.Output);
        Assert.Equal(developer, one.Properties["Name"].Value);
        Assert.Equal("Approved", one.Properties["Condition"].Value.ToString()); // the signer runs after the approval is stored
        Assert.Equal("Issued", Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0]", developer).AssertNoErrors().Output).Properties["Condition"].Value.ToString());
        Assert.Equal("ReviewedByOps", one.Properties["Reason"].Value);
        Assert.Equal("Pending", Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0]", root).AssertNoErrors().Output).Properties["Condition"].Value.ToString());

        // system:masters needs -Force.
        var refused = session.Invoke("Approve-K8sCertificateRequest $args[0]", root);
        var error = Assert.Single(refused.Errors);
        Assert.StartsWith("K8sInvalidArgument,", error.FullyQualifiedErrorId);
        Assert.Contains("system:masters", error.Exception.Message);
        Assert.Equal("Pending", Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0]", root).Output).Properties["Condition"].Value.ToString());
        var forced = session.Invoke("Approve-K8sCertificateRequest $args[0] -Force", root).AssertNoErrors();
        Assert.Equal("Approved", Assert.Single(forced.Output).Properties["Condition"].Value.ToString());
    }

    [Fact]
    public void ARequestHidingSystemMastersInAMultiValuedRdnNeedsForce()
    {
        // openssl -multivalue-rdn "/CN=carol/O=devs+O=system:masters": Go's x509 (and so the API server) reads both O
        // entries of the RDN as groups. Before, the module skipped multi-valued RDNs, showed no group, and approved
        // without -Force a certificate that authenticates as system:masters.
        string name = Unique("carol");
        string key = Path.Combine(directory, "carol.key");
        string csr = Path.Combine(directory, "carol.csr");
        OpenSsl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", csr, "-multivalue-rdn", "-subj", "/CN=carol/O=devs+O=system:masters");
        fixture.Server.Store.Create(new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "certificates.k8s.io/v1",
            ["kind"] = "CertificateSigningRequest",
            ["metadata"] = new System.Text.Json.Nodes.JsonObject { ["name"] = name },
            ["spec"] = new System.Text.Json.Nodes.JsonObject
            {
                ["request"] = Convert.ToBase64String(File.ReadAllBytes(csr)),
                ["signerName"] = "kubernetes.io/kube-apiserver-client",
                ["usages"] = new System.Text.Json.Nodes.JsonArray("client auth"),
                ["username"] = "mallory",
            },
        });

        var shown = Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0]", name).AssertNoErrors().Output);
        Assert.Equal("carol", shown.Properties["UserName"].Value);
        Assert.Equal(new[] { "devs", "system:masters" }, (IEnumerable<string>)shown.Properties["Groups"].Value);
        Assert.Equal(true, shown.Properties["RequestsSystemMasters"].Value);

        var refused = session.Invoke("Get-K8sCertificateRequest $args[0] | Where-Object Groups -notcontains 'system:masters' | Approve-K8sCertificateRequest", name).AssertNoErrors();
        Assert.Empty(refused.Output);
        var error = Assert.Single(session.Invoke("Approve-K8sCertificateRequest $args[0]", name).Errors);
        Assert.StartsWith("K8sInvalidArgument,", error.FullyQualifiedErrorId);
        Assert.Equal("Pending", Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0]", name).Output).Properties["Condition"].Value.ToString());
    }

    [Fact]
    public void ApprovingTwiceChangesNothingAndWhatIfSendsNothing()
    {
        string name = Unique("twice");
        session.Invoke("New-K8sUserCertificate tom -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, directory).AssertNoErrors();
        int ApprovalPuts() => fixture.Server.Requests.Count(r => r.Method == "PUT" && r.Path.EndsWith($"/{name}/approval", StringComparison.Ordinal));

        session.Invoke("Approve-K8sCertificateRequest $args[0] -WhatIf", name).AssertNoErrors();
        Assert.Equal(0, ApprovalPuts());
        Assert.Equal("Pending", Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0]", name).Output).Properties["Condition"].Value.ToString());

        session.Invoke("Approve-K8sCertificateRequest $args[0]", name).AssertNoErrors();
        var again = session.Invoke("Approve-K8sCertificateRequest $args[0] -Verbose", name).AssertNoErrors();
        Assert.Equal(1, ApprovalPuts());
        Assert.Contains(again.Verbose, v => v.Contains("already approved", StringComparison.Ordinal));
    }

    [Fact]
    public void DenyRecordsReasonAndADecisionCannotBeReversed()
    {
        string name = Unique("deny");
        session.Invoke("New-K8sUserCertificate mallory -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, directory).AssertNoErrors();
        var denied = Assert.Single(session.Invoke("$args[0] | Deny-K8sCertificateRequest -Reason NotAnEmployee -Message 'no such person'", name).AssertNoErrors().Output);
        Assert.Equal("Denied", denied.Properties["Condition"].Value.ToString());
        Assert.Equal("NotAnEmployee", denied.Properties["Reason"].Value);
        Assert.Equal("no such person", denied.Properties["Message"].Value);

        var approve = session.Invoke("Approve-K8sCertificateRequest $args[0]", name);
        Assert.StartsWith("K8sConflict,", Assert.Single(approve.Errors).FullyQualifiedErrorId);

        var receive = session.Invoke("Receive-K8sCertificate $args[0] -Wait -Timeout 5 -OutputDirectory $args[1]", name, directory);
        var error = Assert.Single(receive.Errors);
        Assert.StartsWith("K8sForbidden,", error.FullyQualifiedErrorId);
        Assert.Contains("NotAnEmployee", error.Exception.Message);
        Assert.False(File.Exists(Path.Combine(directory, "mallory.crt")));
    }

    [Fact]
    public void ReceiveTakesPipelineInputFromGetAndFromNewAndCanWriteTheKubeconfig()
    {
        string name = Unique("recv");
        string first = Path.Combine(directory, "first");
        var created = session.Invoke("New-K8sUserCertificate rita ops -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP384", name, first).AssertNoErrors();
        Assert.Equal("Pending", Assert.Single(created.Output).Properties["Status"].Value.ToString());

        // Not issued yet and no -Wait: a clear error, nothing written.
        var early = session.Invoke("Get-K8sCertificateRequest $args[0] | Receive-K8sCertificate -OutputDirectory $args[1]", name, first);
        Assert.StartsWith("K8sInvalidArgument,", Assert.Single(early.Errors).FullyQualifiedErrorId);
        Assert.False(File.Exists(Path.Combine(first, "rita.crt")));

        session.Invoke("Approve-K8sCertificateRequest $args[0]", name).AssertNoErrors();
        var fromGet = Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0] | Receive-K8sCertificate -OutputDirectory $args[1]", name, first).AssertNoErrors().Output);
        Assert.Equal(Path.Combine(first, "rita.crt"), fromGet.Properties["CertificatePath"].Value);
        Assert.Contains("OK", OpenSsl("verify", "-CAfile", fixture.CaPath, Path.Combine(first, "rita.crt")));

        // From New-K8sUserCertificate's output: RequestName and KeyPath bind by property name.
        string second = Path.Combine(directory, "second");
        string kubeconfig = Path.Combine(second, "rita.kubeconfig");
        var fromNew = session.Invoke(
            "$args[0] | Receive-K8sCertificate -OutputDirectory $args[1] -KubeconfigPath $args[2] -Namespace ops",
            created.Output[0], second, kubeconfig).AssertNoErrors();
        Assert.Equal(kubeconfig, Assert.Single(fromNew.Output).Properties["KubeconfigPath"].Value);
        Assert.Contains("\"namespace\": \"ops\"", AssertKubectlAccepts(kubeconfig));
        using var asRita = new PsSession();
        Assert.Equal("rita", Assert.Single(asRita.Invoke("Connect-K8sCluster -Kubeconfig $args[0]", kubeconfig).AssertNoErrors().Output).Properties["UserName"].Value);

        // Receiving again without -Force refuses and keeps the file.
        byte[] before = File.ReadAllBytes(Path.Combine(first, "rita.crt"));
        var again = session.Invoke("Receive-K8sCertificate $args[0] -OutputDirectory $args[1]", name, first);
        Assert.StartsWith("K8sFileSystem,", Assert.Single(again.Errors).FullyQualifiedErrorId);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(first, "rita.crt")));
    }

    [Fact]
    public void WaitingForAnUnapprovedRequestTimesOutWithK8sTimeout()
    {
        string name = Unique("wait");
        var result = session.Invoke("New-K8sUserCertificate walt -Submit -Wait -Timeout 1 -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, directory);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("K8sTimeout,", error.FullyQualifiedErrorId);
        Assert.Contains("Pending", error.Exception.Message);
        Assert.True(File.Exists(Path.Combine(directory, "walt.key"))); // the key of the submitted request is kept for Receive-K8sCertificate
        Assert.False(File.Exists(Path.Combine(directory, "walt.crt")));
    }

    [Fact]
    public void AnExistingRequestNameIsRefusedBeforeAnyFileIsWritten()
    {
        string name = Unique("dup");
        string firstDir = Path.Combine(directory, "a");
        string secondDir = Path.Combine(directory, "b");
        session.Invoke("New-K8sUserCertificate dup -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, firstDir).AssertNoErrors();
        var again = session.Invoke("New-K8sUserCertificate dup -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, secondDir);
        Assert.StartsWith("K8sAlreadyExists,", Assert.Single(again.Errors).FullyQualifiedErrorId);
        Assert.False(Directory.Exists(secondDir) && Directory.EnumerateFiles(secondDir).Any());
    }

    [Fact]
    public void RemoveDeletesAndGetReportsMissingNames()
    {
        string name = Unique("gone");
        session.Invoke("New-K8sUserCertificate gina -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, directory).AssertNoErrors();
        session.Invoke("Remove-K8sCertificateRequest $args[0] -WhatIf", name).AssertNoErrors();
        Assert.Single(session.Invoke("Get-K8sCertificateRequest $args[0]", name).AssertNoErrors().Output);

        session.Invoke("Get-K8sCertificateRequest $args[0] | Remove-K8sCertificateRequest -Confirm:$false", name).AssertNoErrors();
        var missing = session.Invoke("Get-K8sCertificateRequest $args[0]", name);
        var error = Assert.Single(missing.Errors);
        Assert.StartsWith("K8sNotFound,", error.FullyQualifiedErrorId);
        Assert.Contains(name, error.Exception.Message);
        Assert.StartsWith("K8sNotFound,", Assert.Single(session.Invoke("Remove-K8sCertificateRequest $args[0]", name).Errors).FullyQualifiedErrorId);
    }

    [Fact]
    public void DefaultViewListsRequestsLikeKubectlGetCsr()
    {
        string name = Unique("view");
        session.Invoke("New-K8sUserCertificate vera viewers -Submit -RequestName $args[0] -OutputDirectory $args[1] -KeyAlgorithm EcdsaP256", name, directory).AssertNoErrors();
        string text = session.Render("Get-K8sCertificateRequest $args[0]", name);
        Assert.Matches(@"Name\s+Condition\s+UserName\s+Groups\s+Requestor\s+Age", text);
        Assert.Matches(@"Pending\s+vera\s+viewers\s+admin\s+\d+[smhd]", text);
        Assert.Contains(name[..Math.Min(name.Length, 22)], text, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        session.Dispose();
        Directory.Delete(directory, recursive: true);
    }
}
