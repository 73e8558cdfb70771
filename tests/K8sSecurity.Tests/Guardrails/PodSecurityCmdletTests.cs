using K8sSecurity.TestServer.Admission;
using Xunit;

namespace K8sSecurity.Tests.Guardrails;

public sealed class PodSecurityCmdletTests : GuardrailsServerTestBase
{
    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Server.Context.AdmissionPlugins.Add(new PodSecurityNamespacePreview());
        CreateNamespace("golden");
        foreach (string name in new[] { "nginx", "nginx-2" })
        {
            Server.Store.CreateJson("""{"apiVersion":"v1","kind":"Pod","metadata":{"name":"NAME","namespace":"golden"},"spec":{"containers":[{"name":"nginx","image":"nginx"}]}}""".Replace("NAME", name, StringComparison.Ordinal));
        }
    }

    [Fact]
    public void WhatIfPreviewsWithAServerDryRunAndRelaysTheWarnings()
    {
        Server.ClearRequests();
        var result = Session.Invoke("Set-K8sNamespacePodSecurity -Namespace golden -Enforce Restricted -WhatIf").AssertNoErrors();
        var preview = Assert.Single(result.Output);
        Assert.True((bool)Prop(preview, "Preview")!);
        // golden 64-namespace-label-dryrun-psa-preview.json
        Assert.Equal(
            new[]
            {
                "existing pods in namespace \"golden\" violate the new PodSecurity enforce level \"restricted:latest\"",
                "nginx (and 1 other pod): allowPrivilegeEscalation != false, unrestricted capabilities, runAsNonRoot != true, seccompProfile",
            },
            (IEnumerable<string>)Prop(preview, "Warnings")!);
        Assert.Equal(2, result.Warnings.Count);
        var patch = Assert.Single(Writes());
        Assert.Contains("dryRun=All", patch.Query, StringComparison.Ordinal);
        Assert.Null(Server.Store.Get("v1", "Namespace", null, "golden")!["metadata"]!["labels"]!["pod-security.kubernetes.io/enforce"]);
    }

    [Fact]
    public void SetsLabelsOnceAndReRunsChangeNothing()
    {
        var set = Assert.Single(Session.Invoke("'golden','default' | Set-K8sNamespacePodSecurity -Enforce Baseline -Warn Restricted -Version v1.30").AssertNoErrors().Output.Take(1));
        Assert.Equal(("baseline", "v1.30", "restricted"), ((string)Prop(set, "Enforce")!, (string)Prop(set, "EnforceVersion")!, (string)Prop(set, "Warn")!));
        var labels = Server.Store.Get("v1", "Namespace", null, "default")!["metadata"]!["labels"]!;
        Assert.Equal("restricted", labels["pod-security.kubernetes.io/warn"]!.GetValue<string>());
        Assert.Equal("v1.30", labels["pod-security.kubernetes.io/warn-version"]!.GetValue<string>());

        Server.ClearRequests();
        var again = Assert.Single(Session.Invoke("Set-K8sNamespacePodSecurity golden -Enforce Baseline -Warn Restricted -Version v1.30").AssertNoErrors().Output);
        Assert.False((bool)Prop(again, "Changed")!);
        Assert.Empty(Writes());

        Server.ClearRequests();
        var bad = Assert.Single(Session.Invoke("Set-K8sNamespacePodSecurity golden -Enforce Restricted -Version 1.30").Errors);
        Assert.StartsWith("K8sInvalidArgument", bad.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains("-Version '1.30'", bad.ToString(), StringComparison.Ordinal);
        Assert.Empty(Server.Requests);
    }

    [Fact]
    public void NamespaceSecurityIsOneRowPerNamespaceFromOneListPerKind()
    {
        Session.Invoke("Set-K8sNamespacePodSecurity golden -Enforce Baseline").AssertNoErrors();
        Session.Invoke("Set-K8sNamespaceQuota golden -Pods 10").AssertNoErrors();
        Session.Invoke("New-K8sNetworkPolicy golden -DefaultDeny Ingress").AssertNoErrors();
        Server.ClearRequests();

        var rows = Session.Invoke("Get-K8sNamespaceSecurity").AssertNoErrors().Output;
        Assert.Equal(6, Server.Requests.Count); // namespaces, quotas, limit ranges, policies, service accounts, pods
        Assert.Contains(rows, r => (string)Prop(r, "Namespace")! == "kube-system");
        var golden = rows.Single(r => (string)Prop(r, "Namespace")! == "golden");
        Assert.Equal("baseline", Prop(golden, "Enforce"));
        Assert.True((bool)Prop(golden, "HasQuota")!);
        Assert.False((bool)Prop(golden, "HasLimitRange")!);
        Assert.True((bool)Prop(golden, "DefaultDenyIngress")!);
        Assert.False((bool)Prop(golden, "DefaultDenyEgress")!);
        Assert.Equal(new[] { "default" }, (IEnumerable<string>)Prop(golden, "AutomountServiceAccounts")!);
        Assert.Equal(2, Prop(golden, "PodCount"));

        var piped = Session.Invoke("'golden' | Get-K8sNamespaceSecurity").AssertNoErrors().Output;
        Assert.Equal("golden", Prop(Assert.Single(piped), "Namespace"));
        string table = Session.Render("Get-K8sNamespaceSecurity golden");
        Assert.Contains("baseline", table, StringComparison.Ordinal);
        Assert.Contains("Pods", table, StringComparison.Ordinal);
    }
}
