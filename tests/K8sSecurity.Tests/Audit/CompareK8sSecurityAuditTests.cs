using System.Management.Automation;
using K8sSecurity.Tests.Infrastructure;
using Xunit;

namespace K8sSecurity.Tests.Audit;

public sealed class CompareK8sSecurityAuditTests : IDisposable
{
    private readonly PsSession session = new();

    [Fact]
    public void ComparesTwoResultFiles()
    {
        string dir = TestPaths.NewTempDirectory();
        string before = WriteManifests(Path.Combine(dir, "before"), hostPid: true, quota: false);
        string after = WriteManifests(Path.Combine(dir, "after"), hostPid: false, quota: false, privileged: true);
        string oldJson = Path.Combine(dir, "old.json");
        string newJson = Path.Combine(dir, "new.json");
        session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -OutputPath $args[1] | Out-Null", before, oldJson).AssertNoErrors();
        session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -OutputPath $args[1] | Out-Null", after, newJson).AssertNoErrors();

        var changes = session.Invoke("Compare-K8sSecurityAudit -Reference $args[0] -Difference $args[1]", oldJson, newJson).AssertNoErrors()
            .Output.ToList();
        Assert.All(changes, c => Assert.Equal("K8sSecurity.Engine.Audit.AuditComparison", c.BaseObject.GetType().FullName));
        Assert.Equal(new[] { "PSS-BASELINE-PRIVILEGED" }, changes.Where(c => S(c, "Status") == "New").Select(c => S(c, "Id")));
        Assert.Equal(new[] { "PSS-BASELINE-HOSTNAMESPACES" }, changes.Where(c => S(c, "Status") == "Resolved").Select(c => S(c, "Id")));
        Assert.Contains(changes, c => S(c, "Status") == "Unchanged" && S(c, "Id") == "NS-NO-QUOTA");

        var withoutUnchanged = session.Invoke("Compare-K8sSecurityAudit $args[0] $args[1] -ExcludeUnchanged", oldJson, newJson).AssertNoErrors();
        Assert.Equal(2, withoutUnchanged.Output.Count);

        string view = session.Render("Compare-K8sSecurityAudit $args[0] $args[1] -ExcludeUnchanged", oldJson, newJson);
        Assert.Contains("Status", view, StringComparison.Ordinal);
        Assert.Contains("New", view, StringComparison.Ordinal);
        Assert.Contains("Resolved", view, StringComparison.Ordinal);
    }

    [Fact]
    public void AcceptsLiveObjectsFromThePipeline()
    {
        string dir = TestPaths.NewTempDirectory();
        string before = WriteManifests(Path.Combine(dir, "before"), hostPid: true, quota: false);
        string after = WriteManifests(Path.Combine(dir, "after"), hostPid: true, quota: true);
        string oldJson = Path.Combine(dir, "old.json");
        session.Invoke("Invoke-K8sSecurityAudit -Path $args[0] -OutputPath $args[1] | Out-Null", before, oldJson).AssertNoErrors();

        var result = session.Invoke(
            "Invoke-K8sSecurityAudit -Path $args[0] | Compare-K8sSecurityAudit -Reference $args[1] | Where-Object Status -ne 'Unchanged' | ForEach-Object { \"$($_.Status) $($_.Id)\" }",
            after, oldJson).AssertNoErrors();
        Assert.Equal(new[] { "Resolved NS-NO-QUOTA" }, result.Output.Select(o => o.ToString()));

        // Objects on both sides.
        var objects = session.Invoke(
            "$a = Invoke-K8sSecurityAudit -Path $args[0]; $b = Invoke-K8sSecurityAudit -Path $args[1]; Compare-K8sSecurityAudit -Reference $a -Difference $b -ExcludeUnchanged | ForEach-Object { \"$($_.Status) $($_.Id)\" }",
            before, after).AssertNoErrors();
        Assert.Equal(new[] { "Resolved NS-NO-QUOTA" }, objects.Output.Select(o => o.ToString()));
    }

    [Fact]
    public void RejectsWhatIsNotAuditResults()
    {
        string dir = TestPaths.NewTempDirectory();
        string notResults = Path.Combine(dir, "other.json");
        File.WriteAllText(notResults, "{\"kind\":\"Pod\"}");
        var result = session.Invoke("Compare-K8sSecurityAudit -Reference $args[0] -Difference $args[0]", notResults);
        Assert.StartsWith("K8sInvalidArgument", result.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
        Assert.Contains(notResults, result.TerminatingError.ToString(), StringComparison.Ordinal);

        var wrongObject = session.Invoke("Compare-K8sSecurityAudit -Reference 42 -Difference ([datetime]::Now)");
        Assert.StartsWith("K8sInvalidArgument", wrongObject.TerminatingError!.FullyQualifiedErrorId, StringComparison.Ordinal);
    }

    public void Dispose() => session.Dispose();

    private static string? S(PSObject o, string property) => o.Properties[property]?.Value?.ToString();

    private static string WriteManifests(string dir, bool hostPid, bool quota, bool privileged = false)
    {
        Directory.CreateDirectory(dir);
        string text = $$"""
            apiVersion: v1
            kind: Namespace
            metadata:
              name: shop
              labels:
                pod-security.kubernetes.io/enforce: baseline
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: shop
            spec:
              template:
                spec:
                  hostPID: {{(hostPid ? "true" : "false")}}
                  containers:
                  - name: web
                    image: nginx
                    securityContext:
                      privileged: {{(privileged ? "true" : "false")}}
            """;
        if (quota)
        {
            text += "\n---\napiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\n  namespace: shop\nspec:\n  hard:\n    pods: \"10\"\n";
        }

        File.WriteAllText(Path.Combine(dir, "shop.yaml"), text);
        return dir;
    }
}
