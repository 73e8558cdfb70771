using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Hardening;
using Xunit;

namespace K8sSecurity.Engine.Tests.Hardening;

public sealed class AuditPolicyTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("k8ssec-audit").FullName;

    // The rules and requests of k8s.io/apiserver audit/policy checker_test.go, with the levels it expects.
    private static readonly Dictionary<string, string> Rules = new()
    {
        ["default"] = "- level: Metadata\n",
        ["create"] = "- level: Request\n  verbs: [create]\n",
        ["tims"] = "- level: Metadata\n  users: [tim@k8s.io]\n",
        ["humans"] = "- level: Metadata\n  userGroups: [humans]\n",
        ["serviceAccounts"] = "- level: Request\n  userGroups: ['system:serviceaccounts']\n",
        ["getPods"] = "- level: RequestResponse\n  verbs: [get]\n  resources: [{resources: [pods]}]\n",
        ["getPodLogs"] = "- level: Request\n  verbs: [get]\n  resources: [{resources: [pods/log]}]\n",
        ["getPodWildcardMatching"] = "- level: Request\n  verbs: [get]\n  resources: [{resources: ['*']}]\n",
        ["getPodResourceWildcardMatching"] = "- level: Request\n  verbs: [get]\n  resources: [{resources: ['*/log']}]\n",
        ["getPodSubResourceWildcardMatching"] = "- level: Request\n  verbs: [get]\n  resources: [{resources: ['pods/*']}]\n",
        ["getClusterRoles"] = "- level: RequestResponse\n  verbs: [get]\n  resources: [{group: rbac.authorization.k8s.io, resources: [clusterroles]}]\n  namespaces: ['']\n",
        ["getLogs"] = "- level: RequestResponse\n  verbs: [get]\n  nonResourceURLs: ['/logs*']\n",
        ["getMetrics"] = "- level: Request\n  verbs: [get]\n  nonResourceURLs: [/metrics]\n",
        ["clusterRoleEdit"] = "- level: Request\n  resources: [{group: rbac.authorization.k8s.io, resources: [clusterroles], resourceNames: [edit]}]\n",
    };

    private static readonly Dictionary<string, AuditRequest> Requests = new()
    {
        ["namespaced"] = new("tim@k8s.io", new[] { "humans", "developers" }, "get", "default", string.Empty, "pods", string.Empty, "busybox"),
        ["cluster"] = new("tim@k8s.io", new[] { "humans", "developers" }, "get", string.Empty, "rbac.authorization.k8s.io", "clusterroles", string.Empty, "edit"),
        ["subresource"] = new("tim@k8s.io", new[] { "humans", "developers" }, "get", "default", string.Empty, "pods", "log", "busybox"),
        ["Unauthorized"] = new(string.Empty, Array.Empty<string>(), "get", "default", string.Empty, "pods", string.Empty, "busybox"),
    };

    public static TheoryData<string, AuditLevel, string> UpstreamCheckerCases() => new()
    {
        { "namespaced", AuditLevel.Metadata, "default" },
        { "namespaced", AuditLevel.None, "create" },
        { "namespaced", AuditLevel.Metadata, "tims" },
        { "namespaced", AuditLevel.Metadata, "humans" },
        { "namespaced", AuditLevel.None, "serviceAccounts" },
        { "namespaced", AuditLevel.RequestResponse, "getPods" },
        { "namespaced", AuditLevel.None, "getClusterRoles" },
        { "namespaced", AuditLevel.None, "getLogs" },
        { "namespaced", AuditLevel.Metadata, "getMetrics,serviceAccounts,default" },
        { "namespaced", AuditLevel.RequestResponse, "getMetrics,getPods,default" },
        { "namespaced", AuditLevel.RequestResponse, "getPodLogs,getPods" },
        { "cluster", AuditLevel.Metadata, "default" },
        { "cluster", AuditLevel.None, "getPods" },
        { "cluster", AuditLevel.RequestResponse, "getClusterRoles" },
        { "cluster", AuditLevel.Request, "clusterRoleEdit,getClusterRoles" },
        { "cluster", AuditLevel.RequestResponse, "getMetrics,getClusterRoles,default" },
        { "cluster", AuditLevel.None, "getPodLogs,getPods" },
        { "subresource", AuditLevel.Request, "getPodLogs,getPods" },
        { "subresource", AuditLevel.Request, "getPodWildcardMatching" },
        { "subresource", AuditLevel.Request, "getPodResourceWildcardMatching" },
        { "subresource", AuditLevel.Request, "getPodSubResourceWildcardMatching" },
        { "Unauthorized", AuditLevel.None, "tims" },
        { "Unauthorized", AuditLevel.Metadata, "tims,default" },
        { "Unauthorized", AuditLevel.None, "humans" },
        { "Unauthorized", AuditLevel.Metadata, "humans,default" },
    };

    [Theory]
    [MemberData(nameof(UpstreamCheckerCases))]
    public void FirstMatchingRuleDecidesLikeKubeApiserver(string request, AuditLevel expected, string ruleNames)
    {
        string path = Write($"{request}-{ruleNames.Replace(',', '-')}.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n" + string.Concat(ruleNames.Split(',').Select(n => Rules[n])));
        var (policy, errors, _) = AuditPolicyService.Load(path);
        Assert.Empty(errors);
        Assert.Equal(expected, AuditPolicyRules.LevelOf(policy!, Requests[request]));
    }

    public static TheoryData<string, string> InvalidPolicies() => new()
    {
        { "rules:\n- users: [x]\n", "rules[0].level: Required value" },
        { "rules:\n- level: Everything\n", "Unsupported value: \"Everything\"" },
        { "rules:\n- level: metadata\n", "Unsupported value: \"metadata\"" },
        { "rules:\n- level: None\n  nonResourceURLs: [healthz]\n", "must begin with a '/' character" },
        { "rules:\n- level: None\n  nonResourceURLs: ['/he*lthz']\n", "wildcards '*' must be the final character" },
        { "rules:\n- level: None\n  resources: [{group: rbac.authorization.k8s.io/v1beta1, resources: [roles]}]\n", "resources.group: Invalid value" },
        { "rules:\n- level: None\n  resources: [{group: '', resourceNames: [x]}]\n", "using resourceNames requires at least one resource" },
        { "rules:\n- level: None\n  omitStages: [Received]\n", "allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic" },
        { "rules:\n- level: None\n  nonResourceURLs: [/healthz]\n  namespaces: [default]\n", "rules cannot apply to both regular resources and non-resource URLs" },
        { "rules: []\n", "loaded illegal policy with 0 rules" },
        { "rules:\n- level: None\n  verbs: get\n", "verbs: expected a list" },
    };

    [Theory]
    [MemberData(nameof(InvalidPolicies))]
    public void InvalidPoliciesAreRefusedLikeKubeApiserver(string body, string expected)
    {
        string path = Write("invalid.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\n" + body);
        Assert.Contains(AuditPolicyService.Load(path).Errors, e => e.Contains(expected, StringComparison.Ordinal));
        Assert.Equal(HardeningStatus.Fail, Assert.Single(AuditPolicyChecker.Check(path, Array.Empty<string>())).Status);
    }

    [Fact]
    public void GeneratedPolicyPassesEveryCheckAndLoadsInTheUpstreamSchema()
    {
        string path = Path.Combine(directory, "policy.yaml");
        var file = AuditPolicyService.New(new AuditPolicyRequest
        {
            Path = path,
            GroupLevels = new Dictionary<string, AuditLevel> { [string.Empty] = AuditLevel.RequestResponse, ["apps"] = AuditLevel.RequestResponse },
            SensitiveResources = new[] { "sealedsecrets.bitnami.com" },
        }, EngineLog.None);
        Assert.Contains("sealedsecrets.bitnami.com", file.MetadataOnly);

        var policy = UpstreamAuditSchema.Load(path);
        Assert.Equal(new[] { "RequestReceived" }, policy.OmitStages);
        Assert.Equal("Metadata", policy.Rules[^1].Level);
        Assert.All(policy.Rules, r => Assert.Contains(r.Level, new[] { "None", "Metadata", "Request", "RequestResponse" }));

        var results = AuditPolicyChecker.Check(path, new[] { "sealedsecrets.bitnami.com" }).ToList();
        Assert.All(results, r => Assert.True(r.Status == HardeningStatus.Pass, $"{r.Id}: {r.Message}"));
        Assert.Equal(5, results.Count(r => r.Id == "AUDIT-SECRET-BODIES"));

        // Levels the issue asks for, evaluated with the first-match semantics.
        var model = AuditPolicyService.Load(path).Policy!;
        var anyone = new[] { "system:authenticated" };
        Assert.Equal(AuditLevel.Metadata, AuditPolicyRules.LevelOf(model, new AuditRequest("alice", anyone, "create", "shop", string.Empty, "secrets", string.Empty, "db")));
        Assert.Equal(AuditLevel.Metadata, AuditPolicyRules.LevelOf(model, new AuditRequest("alice", anyone, "create", string.Empty, "authentication.k8s.io", "tokenreviews", string.Empty, string.Empty)));
        Assert.Equal(AuditLevel.RequestResponse, AuditPolicyRules.LevelOf(model, new AuditRequest("alice", anyone, "create", string.Empty, "rbac.authorization.k8s.io", "clusterrolebindings", string.Empty, "x")));
        Assert.Equal(AuditLevel.RequestResponse, AuditPolicyRules.LevelOf(model, new AuditRequest("alice", anyone, "create", "shop", string.Empty, "pods", "exec", "web")));
        Assert.Equal(AuditLevel.RequestResponse, AuditPolicyRules.LevelOf(model, new AuditRequest("alice", anyone, "get", "shop", string.Empty, "pods", string.Empty, "web")));
        Assert.Equal(AuditLevel.None, AuditPolicyRules.LevelOf(model, new AuditRequest("system:kube-proxy", anyone, "watch", string.Empty, string.Empty, "endpoints", string.Empty, string.Empty)));
        Assert.Equal(AuditLevel.Request, AuditPolicyRules.LevelOf(model, new AuditRequest("alice", anyone, "delete", "shop", "batch", "jobs", string.Empty, "x")));
        Assert.Equal(AuditLevel.Metadata, AuditPolicyRules.LevelOf(model, new AuditRequest("alice", anyone, "get", "shop", "batch", "jobs", string.Empty, "x")));
    }

    [Fact]
    public void ACatchAllBeforeTheSecretRuleLeaksBodiesAndTheCheckNamesTheRule()
    {
        // First match wins: the Metadata rule for secrets comes too late.
        string path = Write("order.yaml", """
            apiVersion: audit.k8s.io/v1
            kind: Policy
            omitStages: [RequestReceived]
            rules:
            - level: None
              users: ["system:kube-proxy"]
            - level: RequestResponse
              userGroups: ["system:masters"]
            - level: Metadata
              resources:
              - group: ""
                resources: ["secrets", "configmaps", "serviceaccounts/token"]
              - group: authentication.k8s.io
                resources: ["tokenreviews"]
            - level: Metadata
            """);
        var results = AuditPolicyChecker.Check(path, Array.Empty<string>()).Where(r => r.Id == "AUDIT-SECRET-BODIES").ToList();
        Assert.Equal(4, results.Count);
        Assert.All(results, r =>
        {
            Assert.Equal(HardeningStatus.Fail, r.Status);
            Assert.Equal("rules[1] level RequestResponse", r.Effective);
            Assert.Contains("system:masters", r.Message, StringComparison.Ordinal);
        });
    }

    [Fact]
    public void RequestLevelLeaksSecretWritesButNotTokenRequests()
    {
        string path = Write("request.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Request\n");
        var results = AuditPolicyChecker.Check(path, Array.Empty<string>()).Where(r => r.Id == "AUDIT-SECRET-BODIES").ToDictionary(r => r.Title.Split(' ')[0], r => r);
        Assert.Equal(HardeningStatus.Fail, results["secrets"].Status);
        Assert.Contains("create secrets", results["secrets"].Message, StringComparison.Ordinal);
        Assert.Equal(HardeningStatus.Fail, results["configmaps"].Status);
        Assert.Equal(HardeningStatus.Fail, results["tokenreviews.authentication.k8s.io"].Status);
        Assert.Equal(HardeningStatus.Pass, results["serviceaccounts/token"].Status); // the token is in the response only
    }

    [Fact]
    public void MisspeltSelectorIsIgnoredByTheApiServerSoTheRuleMatchesEverything()
    {
        // "resource" is not a field: kube-apiserver ignores it and the rule applies to every request.
        string path = Write("typo.yaml", "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n  resource:\n  - group: apps\n- level: Metadata\n");
        var results = AuditPolicyChecker.Check(path, Array.Empty<string>()).ToList();
        Assert.Equal(HardeningStatus.Warn, results.Single(r => r.Id == "AUDIT-UNKNOWN-FIELDS").Status);
        Assert.Contains("rules[0].resource", results.Single(r => r.Id == "AUDIT-UNKNOWN-FIELDS").Effective, StringComparison.Ordinal);
        Assert.Equal(HardeningStatus.Fail, results.First(r => r.Id == "AUDIT-SECRET-BODIES").Status);
    }

    [Fact]
    public void DroppedExecUnloggedRbacAndNoCatchAllAreFlagged()
    {
        string path = Write("gaps.yaml", "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: None\n  resources: [{group: '', resources: ['pods/*']}]\n- level: Metadata\n  resources: [{group: rbac.authorization.k8s.io}]\n");
        var results = AuditPolicyChecker.Check(path, Array.Empty<string>()).ToDictionary(r => r.Id == "AUDIT-SECRET-BODIES" ? r.Title : r.Id, r => r.Status);
        Assert.Equal(HardeningStatus.Fail, results["AUDIT-EXEC"]);
        Assert.Equal(HardeningStatus.Warn, results["AUDIT-RBAC-CHANGES"]);
        Assert.Equal(HardeningStatus.Warn, results["AUDIT-CATCH-ALL"]);
        Assert.Equal(HardeningStatus.Warn, results["AUDIT-API-VERSION"]);
        Assert.Equal(HardeningStatus.Warn, results["AUDIT-OMIT-REQUESTRECEIVED"]);
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, text);
        return path;
    }
}
