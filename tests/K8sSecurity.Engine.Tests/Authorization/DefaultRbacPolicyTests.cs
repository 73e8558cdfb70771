using System.Reflection;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using Xunit;

namespace K8sSecurity.Engine.Tests.Authorization;

/// <summary>
/// The default RBAC policy the engine holds is the one a real cluster creates (../shared/k8s-bootstrap-rbac/v1.32.json,
/// captured from a fresh v1.32.13 cluster), and an offline analysis of manifests that lack it answers exactly as one
/// whose input holds it.
/// </summary>
public sealed class DefaultRbacPolicyTests
{
    private static readonly string RepoRoot = Path.GetFullPath(
        typeof(DefaultRbacPolicyTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!);

    /// <summary>../shared/k8s-bootstrap-rbac/v1.32.json next to the repository (a worktree finds it further up).</summary>
    internal static string Capture
    {
        get
        {
            for (var dir = new DirectoryInfo(RepoRoot); dir?.Parent is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.Parent.FullName, "shared", "k8s-bootstrap-rbac", "v1.32.json");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }

            throw new FileNotFoundException("The default RBAC policy capture is missing: expected ../shared/k8s-bootstrap-rbac/v1.32.json next to the repository root.");
        }
    }

    internal static string IssueFolder => Path.Combine(RepoRoot, "tests", "TestData", "rbac-folder");

    private static List<ManifestObject> ReadCapture() => ManifestReader.ReadFile(Capture, e => throw new InvalidOperationException(e.ToString())).ToList();

    private static List<ManifestObject> ReadFolder() =>
        ManifestReader.ExpandPaths(new[] { IssueFolder }).SelectMany(f => ManifestReader.ReadFile(f, e => throw new InvalidOperationException(e.ToString()))).ToList();

    [Fact]
    public void TheV132PolicyIsTheCaptureOfARealCluster()
    {
        // The embedded data is the capture, object for object and field for field.
        using var stream = typeof(DefaultRbacPolicy).Assembly.GetManifestResourceStream("DefaultRbacPolicy.v1.32.json")!;
        var embedded = JsonNode.Parse(stream)!;
        var captured = JsonNode.Parse(File.ReadAllText(Capture))!;
        Assert.True(JsonNode.DeepEquals(captured, embedded), "the embedded v1.32 policy differs from ../shared/k8s-bootstrap-rbac/v1.32.json");

        // And the model the engine builds from it holds every object with its rules, labels, aggregation and subjects.
        var policy = DefaultRbacPolicy.For("v1.32");
        var (roles, bindings) = RbacSource.Read(ReadCapture(), EngineLog.None);
        Assert.Equal(65 + 7, roles.Count);
        Assert.Equal(46 + 7, bindings.Count);
        Assert.Equal(roles.Select(Describe).Order(StringComparer.Ordinal), policy.Roles.Select(Describe).Order(StringComparer.Ordinal));
        Assert.Equal(bindings.Select(Describe).Order(StringComparer.Ordinal), policy.Bindings.Select(Describe).Order(StringComparer.Ordinal));
        Assert.All(roles, r => Assert.True(policy.IsDefault(r), $"{r} is not recognised as default"));
        Assert.All(bindings, b => Assert.True(policy.IsDefault(b), $"{b} is not recognised as default"));
        Assert.All(policy.Roles.Concat<object>(policy.Bindings), o => Assert.Contains("default policy v1.32", o is RbacRole r ? r.Source : ((RbacBinding)o).Source, StringComparison.Ordinal));
    }

    [Fact]
    public void AggregatingTheDefaultRolesGivesWhatTheControllerFilledIn()
    {
        var defaults = DefaultRbacPolicy.For("1.32");
        var policy = new RbacPolicy(defaults.Roles, defaults.Bindings);
        foreach (string name in new[] { "admin", "edit", "view" })
        {
            var captured = defaults.Roles.Single(r => r.Name == name && r.Kind == RbacRoleKind.ClusterRole);
            Assert.True(policy.TryGetClusterRole(name, out var aggregated));
            Assert.Equal(captured.Rules, aggregated.Rules);
            Assert.NotEmpty(aggregated.AggregatedFrom);
        }
    }

    [Fact]
    public void WithoutTheBootstrapObjectsTheAnswersAreTheSameAsWithThem()
    {
        var capture = ReadCapture();
        var folder = ReadFolder();
        var (mixedRoles, mixedBindings) = RbacSource.Read(capture.Concat(folder), EngineLog.None);
        var withBootstrap = new RbacPolicy(mixedRoles, mixedBindings);

        // The same input with every bootstrap object removed, completed from the engine's own default policy.
        var bootstrapKeys = capture.Select(o => (o.Kind, o.Namespace, o.Name)).ToHashSet();
        var userOnly = capture.Concat(folder).Where(o => !bootstrapKeys.Contains((o.Kind, o.Namespace, o.Name))).ToList();
        Assert.Equal(folder.Count, userOnly.Count);
        var (userRoles, userBindings) = RbacSource.Read(userOnly, EngineLog.None);
        var completed = new RbacPolicy(userRoles, userBindings).WithDefaults(DefaultRbacPolicy.For("v1.32"), addMissing: true);

        int compared = 0;
        foreach (var request in Requests(mixedRoles))
        {
            var expected = withBootstrap.WhoCan(request).Select(Describe).Order(StringComparer.Ordinal).ToList();
            var actual = completed.WhoCan(request).Select(Describe).Order(StringComparer.Ordinal).ToList();
            Assert.True(expected.SequenceEqual(actual), $"{request}: with the bootstrap objects {string.Join("; ", expected)} — completed {string.Join("; ", actual)}");
            foreach (var identity in Identities)
            {
                var a = withBootstrap.Authorize(identity, request);
                var b = completed.Authorize(identity, request);
                Assert.True(a.Allowed == b.Allowed && a.Reason == b.Reason, $"{identity} {request}: {a.Reason} ≠ {b.Reason}");
                compared++;
            }
        }

        Assert.True(compared > 10_000, $"only {compared} answers compared");

        // The aggregation controller feeds the user's aggregate-to-view role into view, edit and admin.
        var widgets = AccessRequest.Create("list", "widgets.example.com", null, null, null, "team-a", null);
        var devs = new RbacIdentity { UserName = "dana", Groups = new[] { "devs", "system:authenticated" } };
        Assert.True(completed.Authorize(devs, widgets).Allowed);
        Assert.True(completed.TryGetClusterRole("admin", out var admin));
        Assert.Contains("widget-viewer", admin.AggregatedFrom.Concat(completed.ClusterRoles.Single(r => r.Name == "view").AggregatedFrom));
    }

    [Fact]
    public void TheIssueCasesGetTheClustersAnswers()
    {
        var completed = RbacSource.LoadFromObjects(ReadFolder(), EngineLog.None).WithDefaults(DefaultRbacPolicy.Newest, addMissing: true);

        // dave may delete nodes (cluster-admin), through the folder's binding and the default role.
        var dave = new RbacIdentity { UserName = "dave", Groups = new[] { "system:authenticated" } };
        var decision = completed.Authorize(dave, AccessRequest.Create("delete", "nodes", null, null, null, null, null));
        Assert.True(decision.Allowed);
        var grant = Assert.Single(decision.Grants);
        Assert.Equal("ClusterRoleBinding/ops-admin", grant.Binding);
        Assert.Equal("ClusterRole/cluster-admin", grant.Role);
        Assert.Contains("ops-admin.yaml:", grant.BindingSource, StringComparison.Ordinal);
        Assert.Equal("default policy v1.32", grant.RoleSource);
        Assert.False(grant.FromDefaultPolicy);

        // Every cluster lets authenticated users ask about themselves: a grant of the default policy itself.
        var nobody = new RbacIdentity { UserName = "nobody", Groups = new[] { "system:authenticated" } };
        var review = completed.Authorize(nobody, AccessRequest.Create("create", "selfsubjectaccessreviews.authorization.k8s.io", null, null, null, null, null));
        Assert.True(Assert.Single(review.Grants).FromDefaultPolicy);

        // Without the default policy the folder answers nothing about cluster-admin: the bug of issue 12.
        var alone = RbacSource.LoadFromObjects(ReadFolder(), EngineLog.None);
        Assert.False(alone.Authorize(dave, AccessRequest.Create("delete", "nodes", null, null, null, null, null)).Allowed);
    }

    [Fact]
    public void TheInputWinsOverADefaultObjectOfTheSameName()
    {
        const string yaml = """
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRole
            metadata: { name: view }
            rules: [{ apiGroups: [''], resources: [configmaps], verbs: [get] }]
            ---
            apiVersion: rbac.authorization.k8s.io/v1
            kind: ClusterRoleBinding
            metadata: { name: readers }
            roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view }
            subjects: [{ kind: User, name: rita, apiGroup: rbac.authorization.k8s.io }]
            """;
        var policy = RbacSource.LoadFromObjects(ManifestReader.ReadText(yaml, "view.yaml", e => throw new InvalidOperationException(e.ToString())), EngineLog.None)
            .WithDefaults(DefaultRbacPolicy.Newest, addMissing: true);
        var rita = new RbacIdentity { UserName = "rita" };
        Assert.True(policy.Authorize(rita, AccessRequest.Create("get", "configmaps", null, null, null, "x", null)).Allowed);
        Assert.False(policy.Authorize(rita, AccessRequest.Create("get", "pods", null, null, null, "x", null)).Allowed);
        Assert.True(policy.TryGetClusterRole("view", out var view));
        Assert.False(view.IsDefault);
        Assert.Equal("view.yaml:1", view.Source);

        // Other default objects are still added.
        Assert.True(policy.TryGetClusterRole("cluster-admin", out var clusterAdmin));
        Assert.True(clusterAdmin.IsDefault);
    }

    [Fact]
    public void ADefaultObjectWithChangedContentIsNotDefault()
    {
        var defaults = DefaultRbacPolicy.Newest;
        var viewer = defaults.Roles.Single(r => r.Name == "system:public-info-viewer");
        var widened = new RbacRole
        {
            Kind = viewer.Kind,
            Name = viewer.Name,
            Labels = viewer.Labels,
            Rules = viewer.Rules.Append(new RbacPolicyRule { Verbs = new[] { "get" }, NonResourceUrls = new[] { "/metrics" } }).ToList(),
        };
        Assert.True(defaults.IsDefault(viewer));
        Assert.False(defaults.IsDefault(widened));

        var binding = defaults.Bindings.Single(b => b.Name == "system:public-info-viewer");
        var rebound = new RbacBinding
        {
            Kind = binding.Kind,
            Name = binding.Name,
            RoleKind = binding.RoleKind,
            RoleName = binding.RoleName,
            Subjects = binding.Subjects.Append(new RbacSubject(RbacSubjectKind.User, "system:anonymous")).ToList(),
        };
        Assert.False(defaults.IsDefault(rebound));

        // Rules listed in another order are the same content.
        var reordered = new RbacRole { Kind = viewer.Kind, Name = viewer.Name, Rules = viewer.Rules.Reverse().Select(r => new RbacPolicyRule { Verbs = r.Verbs, NonResourceUrls = r.NonResourceUrls.Reverse().ToList() }).ToList() };
        Assert.True(defaults.IsDefault(reordered));
    }

    [Theory]
    [InlineData("1.32")]
    [InlineData("v1.32")]
    [InlineData("v1.32.13")]
    [InlineData("latest")]
    [InlineData(null)]
    public void AcceptsTheVersionsItHolds(string? version) => Assert.Equal("v1.32", DefaultRbacPolicy.For(version).Version);

    [Theory]
    [InlineData("v1.31")]
    [InlineData("1.37")]
    [InlineData("2.0")]
    [InlineData("newest")]
    public void OtherVersionsAreAnErrorNamingTheOnesHeld(string version)
    {
        var ex = Assert.Throws<K8sOperationException>(() => DefaultRbacPolicy.For(version));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("v1.32", ex.Message, StringComparison.Ordinal);
        Assert.Contains(version, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ServersOfOtherVersionsAreComparedWithTheNewestPolicyHeld()
    {
        Assert.Equal("v1.32", DefaultRbacPolicy.ForServer("v1.32.13").Version);
        Assert.Equal(DefaultRbacPolicy.Newest.Version, DefaultRbacPolicy.ForServer("v1.35.2-gke.100").Version);
        Assert.Equal(DefaultRbacPolicy.Newest.Version, DefaultRbacPolicy.ForServer(null).Version);
    }

    [Fact]
    public void KnowsWhatEveryoneIsGrantedByDefault()
    {
        var defaults = DefaultRbacPolicy.Newest;
        var anonymous = new RbacSubject(RbacSubjectKind.User, "system:anonymous");
        var unauthenticated = new RbacSubject(RbacSubjectKind.Group, "system:unauthenticated");
        var authenticated = new RbacSubject(RbacSubjectKind.Group, "system:authenticated");
        var allServiceAccounts = new RbacSubject(RbacSubjectKind.Group, "system:serviceaccounts");
        static RbacPolicyRule Urls(params string[] urls) => new() { Verbs = new[] { "get" }, NonResourceUrls = urls };
        static RbacPolicyRule Resource(string verb, string group, string resource) => new() { Verbs = new[] { verb }, ApiGroups = new[] { group }, Resources = new[] { resource } };

        Assert.True(defaults.GrantsByDefault(anonymous, null, Urls("/healthz", "/version")));
        Assert.True(defaults.GrantsByDefault(unauthenticated, null, Urls("/livez")));
        Assert.False(defaults.GrantsByDefault(anonymous, null, Urls("/metrics")));
        Assert.False(defaults.GrantsByDefault(anonymous, null, Urls("/api")));
        Assert.True(defaults.GrantsByDefault(authenticated, null, Urls("/api", "/apis/*", "/openapi/v2")));
        Assert.True(defaults.GrantsByDefault(authenticated, null, Resource("create", "authorization.k8s.io", "selfsubjectaccessreviews")));
        Assert.False(defaults.GrantsByDefault(authenticated, null, Resource("get", "", "pods")));
        Assert.False(defaults.GrantsByDefault(authenticated, null, new RbacPolicyRule { Verbs = new[] { "*" }, NonResourceUrls = new[] { "/api" } }));
        Assert.True(defaults.GrantsByDefault(allServiceAccounts, null, Urls("/openid/v1/jwks")));
        Assert.False(defaults.GrantsByDefault(allServiceAccounts, null, Resource("list", "", "secrets")));
    }

    private static string Describe(RbacRole role) =>
        $"{role.Kind}/{role.Namespace}/{role.Name} labels={string.Join(',', role.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))} "
        + $"aggregate={(role.AggregationSelectors is null ? "-" : string.Join(';', role.AggregationSelectors.Select(s => s.ToString())))} rules={string.Join(" | ", role.Rules)}";

    private static string Describe(RbacBinding binding) =>
        $"{binding.Kind}/{binding.Namespace}/{binding.Name} → {binding.Role} labels={string.Join(',', binding.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}"))} subjects={string.Join(',', binding.Subjects)}";

    private static string Describe(RbacSubjectAccess access) => $"{access.Subject} {access.Binding} {access.Role} {access.Scope}";

    private static readonly RbacIdentity[] Identities =
    {
        new() { UserName = "dave", Groups = new[] { "system:authenticated" } },
        new() { UserName = "olga", Groups = new[] { "ops", "system:authenticated" } },
        new() { UserName = "erin", Groups = new[] { "system:authenticated" } },
        new() { UserName = "dana", Groups = new[] { "devs", "system:authenticated" } },
        new() { UserName = "system:anonymous", Groups = new[] { "system:unauthenticated" } },
        new() { UserName = "nobody", Groups = new[] { "system:authenticated" } },
        new() { UserName = "admin", Groups = new[] { "system:masters", "system:authenticated" } },
        new() { UserName = "system:kube-scheduler", Groups = new[] { "system:authenticated" } },
        new() { UserName = "system:kube-controller-manager", Groups = new[] { "system:authenticated" } },
        new() { UserName = "system:node:node-1", Groups = new[] { "system:nodes", "system:authenticated" } },
        new() { UserName = "system:kube-proxy", Groups = new[] { "system:authenticated" } },
        RbacIdentity.From(null, null, new RbacSubject(RbacSubjectKind.ServiceAccount, "namespace-controller", "kube-system")),
        RbacIdentity.From(null, null, new RbacSubject(RbacSubjectKind.ServiceAccount, "bootstrap-signer", "kube-system")),
        RbacIdentity.From(null, null, new RbacSubject(RbacSubjectKind.ServiceAccount, "prometheus", "monitoring")),
        RbacIdentity.From(null, null, new RbacSubject(RbacSubjectKind.ServiceAccount, "default", "team-a")),
    };

    /// <summary>Every verb, group and resource (with subresource) the roles name, in several scopes, plus the URLs they name.</summary>
    private static IEnumerable<AccessRequest> Requests(IEnumerable<RbacRole> roles)
    {
        var rules = roles.SelectMany(r => r.Rules).ToList();
        var verbs = rules.SelectMany(r => r.Verbs).Append("deletecollection").Where(v => v != "*").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var resources = rules.SelectMany(r => r.ApiGroups.SelectMany(g => r.Resources.Select(res => (Group: g, Resource: res))))
            .Where(p => p.Group != "*" && !p.Resource.StartsWith('*'))
            .Distinct()
            .OrderBy(p => p.ToString(), StringComparer.Ordinal)
            .ToList();
        foreach (string? ns in new[] { null, "kube-system", "kube-public", "team-a" })
        {
            foreach (var (group, resource) in resources)
            {
                int slash = resource.IndexOf('/', StringComparison.Ordinal);
                foreach (string verb in verbs)
                {
                    yield return new AccessRequest
                    {
                        Verb = verb,
                        ApiGroup = group,
                        Resource = slash < 0 ? resource : resource[..slash],
                        Subresource = slash < 0 ? null : resource[(slash + 1)..],
                        Namespace = ns,
                    };
                }
            }
        }

        foreach (string url in rules.SelectMany(r => r.NonResourceUrls).Select(u => u.TrimEnd('*')).Append("/metrics/cadvisor").Append("/logs").Distinct(StringComparer.Ordinal))
        {
            foreach (string verb in new[] { "get", "post", "put", "delete" })
            {
                yield return new AccessRequest { Verb = verb, NonResourceUrl = url.Length == 0 ? "/" : url };
            }
        }
    }
}
