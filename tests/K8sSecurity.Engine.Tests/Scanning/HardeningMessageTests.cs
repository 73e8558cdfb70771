using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// What the Polaris/kube-score style checks say per container: which capabilities are kept (Polaris' insecure list in
/// its order, NET_BIND_SERVICE allowed back after drop ALL as the Restricted standard allows), which ones are added,
/// which ids are low. The fixture tests in K8sSecurity.Tests only look at pass or fail.
/// </summary>
public sealed class HardeningMessageTests
{
    private static Dictionary<string, string> Failed(string containers)
    {
        string yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: shop}\nspec:\n  securityContext: {runAsUser: 10001}\n  containers:\n" + containers;
        var item = Assert.Single(ManifestReader.ReadText(yaml, "p.yaml", e => Assert.Fail(e.ToString())));
        var result = new WorkloadScanner(new ScanOptions { Profile = ScanProfile.Hardening }).Scan(item)!;
        return result.Violations.ToDictionary(v => v.CheckId, v => v.Message);
    }

    [Theory]
    [InlineData("{drop: [ALL]}", null)]
    [InlineData("{drop: [all], add: [net_bind_service]}", null)]
    [InlineData("{drop: [' CAP_ALL ']}", null)]
    [InlineData("{drop: [ALL], add: [NET_RAW, CAP_SETUID]}", "container \"a\" keeps NET_RAW, SETUID")]
    [InlineData("{drop: [ALL], add: [ALL]}", "container \"a\" keeps NET_ADMIN, CHOWN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, NET_RAW, SETGID, SETUID, SETFCAP, SETPCAP, SYS_CHROOT, KILL, AUDIT_WRITE")]
    [InlineData("{drop: [NET_RAW, SETUID, SETGID, cap_chown]}", "container \"a\" keeps NET_ADMIN, DAC_OVERRIDE, FSETID, FOWNER, MKNOD, SETFCAP, SETPCAP, NET_BIND_SERVICE, SYS_CHROOT, KILL, AUDIT_WRITE")]
    public void InsecureCapabilitiesNameWhatIsKept(string capabilities, string? expected)
    {
        var failed = Failed($"  - name: a\n    image: nginx:1\n    securityContext: {{capabilities: {capabilities}}}\n");
        Assert.Equal(expected is null ? null : $"insecure capabilities ({expected})", failed.GetValueOrDefault("BP-CAPABILITIES-INSECURE"));
    }

    [Fact]
    public void DangerousCapabilitiesQuoteWhatTheManifestWrote()
    {
        var failed = Failed("  - name: a\n    image: nginx:1\n    securityContext: {capabilities: {drop: [ALL], add: [cap_sys_admin, NET_RAW, all]}}\n"
            + "  - name: b\n    image: nginx:1\n    securityContext: {capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}}\n");
        Assert.Equal("dangerous capabilities (container \"a\" adds \"cap_sys_admin\", \"all\")", failed["BP-CAPABILITIES-DANGEROUS"]);
    }

    [Fact]
    public void LowIdsNameUserAndGroupPerContainer()
    {
        var failed = Failed("  - name: a\n    image: nginx:1\n    securityContext: {runAsGroup: 10001}\n"
            + "  - name: b\n    image: nginx:1\n    securityContext: {runAsUser: 1000}\n"
            + "  - name: c\n    image: nginx:1\n    securityContext: {runAsUser: 20000, runAsGroup: 0}\n");
        Assert.Equal(
            "user or group id below 10000 (container \"b\" runs as user 1000 and runAsGroup is not set; container \"c\" runs as group 0)",
            failed["BP-RUNAS-LOW-ID"]);
    }
}
