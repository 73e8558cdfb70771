using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

public sealed class WorkloadScannerTests
{
    private static ManifestObject One(string yaml, string source = "test.yaml")
    {
        var errors = new List<ManifestParseError>();
        var item = Assert.Single(ManifestReader.ReadText(yaml, source, errors.Add));
        Assert.Empty(errors);
        return item;
    }

    private static WorkloadScanResult Scan(string yaml, ScanOptions? options = null) =>
        new WorkloadScanner(options ?? new ScanOptions()).Scan(One(yaml))!;

    [Fact]
    public void MessagesReadLikeTheAdmissionPluginsForbiddenDetails()
    {
        var result = Scan("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: shop}
            spec:
              template:
                spec:
                  hostNetwork: true
                  hostPID: true
                  initContainers:
                  - {name: init, image: busybox, securityContext: {privileged: true}}
                  containers:
                  - name: a
                    image: nginx:1.27
                    ports: [{containerPort: 80, hostPort: 80}, {containerPort: 443, hostPort: 443}]
                    securityContext: {privileged: true, capabilities: {add: [NET_RAW, SYS_ADMIN]}}
            """, new ScanOptions { Level = PodSecurityLevel.Baseline, Profile = ScanProfile.PodSecurityStandards });

        Assert.False(result.Compliant);
        var messages = result.Violations.ToDictionary(v => v.PssCheckId!, v => v.Message);
        Assert.Equal("host namespaces (hostNetwork, hostPID)", messages["hostNamespaces"]);
        Assert.Equal("privileged (containers \"init\", \"a\" must not set securityContext.privileged=true)", messages["privileged"]);
        Assert.Equal("non-default capabilities (container \"a\" must not include \"NET_RAW\", \"SYS_ADMIN\" in securityContext.capabilities.add)", messages["capabilities_baseline"]);
        Assert.Equal("hostPort (container \"a\" uses hostPorts 443, 80)", messages["hostPorts"]);
        var privileged = result.Violations.Single(v => v.PssCheckId == "privileged");
        Assert.Equal(new[] { "spec.template.spec.initContainers[0].securityContext.privileged", "spec.template.spec.containers[0].securityContext.privileged" }, privileged.Fields);
        Assert.Equal("test.yaml:1", result.Source);
        Assert.Equal(FindingSeverity.Critical, result.HighestSeverity);
        Assert.Equal("PSS-BASELINE-PRIVILEGED", privileged.CheckId);
    }

    [Fact]
    public void RestrictedMessagesNameContainersAndPodLevel()
    {
        var result = Scan("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              securityContext: {runAsNonRoot: false, runAsUser: 0}
              containers:
              - {name: a, image: x:1, securityContext: {runAsNonRoot: false}}
              - {name: b, image: x:1}
            """, new ScanOptions { Profile = ScanProfile.PodSecurityStandards });

        var messages = result.Violations.ToDictionary(v => v.PssCheckId!, v => v.Message);
        Assert.Equal("runAsNonRoot != true (pod and container \"a\" must not set securityContext.runAsNonRoot=false)", messages["runAsNonRoot"]);
        Assert.Equal("runAsUser=0 (pod must not set runAsUser=0)", messages["runAsUser"]);
        Assert.Equal("allowPrivilegeEscalation != false (containers \"a\", \"b\" must set securityContext.allowPrivilegeEscalation=false)", messages["allowPrivilegeEscalation"]);
        Assert.Equal("unrestricted capabilities (containers \"a\", \"b\" must set securityContext.capabilities.drop=[\"ALL\"])", messages["capabilities_restricted"]);
        Assert.Equal("seccompProfile (pod or containers \"a\", \"b\" must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\")", messages["seccompProfile_restricted"]);
        Assert.DoesNotContain(result.Results, r => r.PssCheckId is "capabilities_baseline" or "seccompProfile_baseline" or "hostPathVolumes" or "procMount");
    }

    [Fact]
    public void ChecksFollowTheVersionTable()
    {
        Assert.DoesNotContain(PodSecurityStandards.ChecksFor(PodSecurityLevel.Baseline, new PssVersion(33)), d => d.PssCheckId == "hostProbesAndHostLifecycle");
        Assert.Contains(PodSecurityStandards.ChecksFor(PodSecurityLevel.Baseline, new PssVersion(34)), d => d.PssCheckId == "hostProbesAndHostLifecycle");
        var restricted21 = PodSecurityStandards.ChecksFor(PodSecurityLevel.Restricted, new PssVersion(21)).Select(d => d.PssCheckId).ToList();
        Assert.Contains("capabilities_baseline", restricted21);
        Assert.DoesNotContain("capabilities_restricted", restricted21);
        Assert.DoesNotContain("hostPathVolumes", restricted21);
        var restricted35 = PodSecurityStandards.ChecksFor(PodSecurityLevel.Restricted, PssVersion.Latest).Select(d => d.PssCheckId).ToList();
        Assert.Contains("procMount_restricted", restricted35);
        Assert.DoesNotContain("procMount", restricted35);
        Assert.Equal(19 - 4, restricted35.Count);
        Assert.Equal(12, PodSecurityStandards.ChecksFor(PodSecurityLevel.Baseline, PssVersion.Latest).Count);
    }

    [Theory]
    [InlineData("latest", 36)]
    [InlineData("v1.0", 0)]
    [InlineData("V1.25", 25)]
    [InlineData("1.36", 36)]
    public void ParsesVersions(string text, int minor) => Assert.Equal(minor, PssVersion.Parse(text).Minor);

    [Theory]
    [InlineData("v1.37")]
    [InlineData("v2.0")]
    [InlineData("1.x")]
    public void RejectsUnknownVersionsNamingTheValue(string text)
    {
        var ex = Assert.Throws<K8sOperationException>(() => PssVersion.Parse(text));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(text, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BestPracticesFindImageResourceTokenAndSecretProblems()
    {
        var result = Scan("""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: api, namespace: default}
            spec:
              template:
                spec:
                  containers:
                  - name: api
                    image: docker.io/acme/api
                    env:
                    - name: DB_PASSWORD
                      valueFrom: {secretKeyRef: {name: db, key: password}}
                  - name: pinned
                    image: ghcr.io/acme/sidecar:1.2@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
                    imagePullPolicy: IfNotPresent
                    resources:
                      requests: {cpu: 10m, memory: 16Mi}
                      limits: {cpu: 100m, memory: 64Mi}
                    securityContext: {readOnlyRootFilesystem: true}
                    livenessProbe: {httpGet: {port: 8080}}
                    readinessProbe: {httpGet: {port: 8080}}
            """, new ScanOptions { AllowedRegistries = new[] { "ghcr.io/acme" } });

        var failed = result.Violations.Where(v => v.Category == "BestPractice").ToDictionary(v => v.CheckId, v => v.Message);
        Assert.Contains("container \"api\" uses image \"docker.io/acme/api\" without a version tag", failed["BP-IMAGE-TAG"], StringComparison.Ordinal);
        Assert.DoesNotContain("container \"pinned\"", failed["BP-IMAGE-DIGEST"], StringComparison.Ordinal);
        Assert.Contains("registry docker.io", failed["BP-IMAGE-REGISTRY"], StringComparison.Ordinal);
        Assert.DoesNotContain("container \"pinned\"", failed["BP-IMAGE-REGISTRY"], StringComparison.Ordinal);
        Assert.Contains("container \"api\" has no cpu or memory request", failed["BP-RESOURCES-REQUESTS"], StringComparison.Ordinal);
        Assert.Contains("BP-SA-TOKEN-AUTOMOUNT", failed.Keys);
        Assert.Contains("reads secret \"db\"", failed["BP-SECRET-ENV"], StringComparison.Ordinal);
        Assert.Contains("BP-DEFAULT-NAMESPACE", failed.Keys);
        Assert.Contains("container \"api\" has no livenessProbe or readinessProbe", failed["BP-PROBES"], StringComparison.Ordinal);
        Assert.DoesNotContain("BP-IMAGE-PULL-POLICY", failed.Keys); // :latest defaults to Always; pinned is immutable
        Assert.InRange(result.Score, 1, 99);
    }

    [Fact]
    public void ProfileAllPassesAHardenedWorkload()
    {
        var result = Scan(File.ReadAllText(Path.Combine(SharedFixtures.RepoRoot, "examples", "manifests", "secure-deployment.yaml")),
            new ScanOptions { AllowedRegistries = new[] { "registry.example.com" } });
        Assert.True(result.Compliant, string.Join('\n', result.Violations.Select(v => v.ToString())));
        Assert.Equal(100, result.Score);
    }

    [Fact]
    public void ExcludeCheckAndIgnoreAnnotationSkipWithReasons()
    {
        const string yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: legacy
              annotations:
                k8ssecurity.io/ignore: "PSS-RESTRICTED-RUNASNONROOT, BP-*"
                k8ssecurity.io/ignore-reason: "vendor image runs as root; ticket SEC-42"
            spec:
              template:
                spec:
                  securityContext: {seccompProfile: {type: RuntimeDefault}}
                  containers:
                  - name: app
                    image: vendor/app:7
                    securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, privileged: true}
            """;
        var result = Scan(yaml, new ScanOptions { ExcludeChecks = new[] { "privileged" } });

        Assert.True(result.Compliant, string.Join('\n', result.Violations.Select(v => v.ToString())));
        var skipped = result.Results.Where(r => r.Status == FindingStatus.Skipped).ToList();
        var runAsNonRoot = skipped.Single(r => r.PssCheckId == "runAsNonRoot");
        Assert.Equal("Ignored by annotation k8ssecurity.io/ignore on the workload: vendor image runs as root; ticket SEC-42", runAsNonRoot.SkipReason);
        Assert.Equal("Excluded by -ExcludeCheck privileged", skipped.Single(r => r.PssCheckId == "privileged").SkipReason);
        Assert.Contains(skipped, r => r.CheckId == "BP-IMAGE-DIGEST");
        Assert.Equal(skipped.Count, result.SkippedCount);
    }

    [Fact]
    public void UnknownExcludeCheckIsRejectedBeforeScanning()
    {
        var ex = Assert.Throws<K8sOperationException>(() => new WorkloadScanner(new ScanOptions { ExcludeChecks = new[] { "PSS-NOPE" } }));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("PSS-NOPE", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ControllerOwnedObjectsAreReportedThroughTheirControllerOnly()
    {
        const string dump = """
            apiVersion: v1
            kind: List
            items:
            - apiVersion: v1
              kind: Pod
              metadata:
                name: web-7d4b9-abcde
                namespace: shop
                ownerReferences: [{apiVersion: apps/v1, kind: ReplicaSet, name: web-7d4b9, controller: true, uid: "1"}]
              spec: {containers: [{name: web, image: nginx:1.27}]}
            - apiVersion: apps/v1
              kind: ReplicaSet
              metadata:
                name: web-7d4b9
                namespace: shop
                ownerReferences: [{apiVersion: apps/v1, kind: Deployment, name: web, controller: true, uid: "2"}]
              spec: {template: {spec: {containers: [{name: web, image: nginx:1.27}]}}}
            - apiVersion: apps/v1
              kind: Deployment
              metadata: {name: web, namespace: shop}
              spec: {template: {spec: {containers: [{name: web, image: nginx:1.27}]}}}
            - apiVersion: v1
              kind: Pod
              metadata:
                name: orphan-of-rollout
                namespace: shop
                ownerReferences: [{apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: r, controller: true, uid: "3"}]
              spec: {containers: [{name: web, image: nginx:1.27}]}
            - apiVersion: v1
              kind: Service
              metadata: {name: web, namespace: shop}
            """;
        var skipped = new List<string>();
        var results = new WorkloadScanner(new ScanOptions()).ScanBatch(ManifestReader.ReadText(dump, "dump.yaml", _ => { }).ToList(), skipped.Add).ToList();

        Assert.Equal(new[] { "Deployment/web", "Pod/orphan-of-rollout" }, results.Select(r => $"{r.Kind}/{r.Name}"));
        Assert.Equal(2, skipped.Count);
    }

    [Fact]
    public void ReportFindingsCarryFileLineAndRuleMetadata()
    {
        var result = Scan("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: ns}\nspec: {containers: [{name: c, image: x:1, securityContext: {privileged: true}}]}\n");
        var finding = result.ToReportFindings().Single(f => f.RuleId == "PSS-BASELINE-PRIVILEGED");
        Assert.Equal(FindingStatus.Failed, finding.Status);
        Assert.Equal("test.yaml", finding.SourceFile);
        Assert.Equal(1, finding.Line);
        Assert.Equal("Pod", finding.ResourceKind);
        Assert.Equal("ns", finding.Namespace);
        Assert.Equal("spec.containers[0].securityContext.privileged", finding.Evidence["fields"]);
        Assert.False(string.IsNullOrEmpty(finding.Remediation));
        Assert.Equal("PodSecurityScan", result.ReportKind);
    }
}
