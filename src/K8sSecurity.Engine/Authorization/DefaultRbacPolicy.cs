using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;

namespace K8sSecurity.Engine.Authorization;

/// <summary>
/// The default RBAC policy of one Kubernetes minor version: the ClusterRoles (admin/edit/view with their aggregation
/// rules and the aggregate-to-* labels), ClusterRoleBindings, and the Roles and RoleBindings in kube-system and
/// kube-public that kube-apiserver and kube-controller-manager create by themselves. Every cluster of that version
/// holds them, so offline analysis of manifests must behave as if they were present. The data of each version is an
/// embedded resource (DefaultPolicy/v1.NN.json, a kubectl List); DefaultPolicy/README.md says where each came from.
/// </summary>
public sealed partial class DefaultRbacPolicy
{
    /// <summary>The versions the module holds, each with where its data came from.</summary>
    private static readonly (int Minor, string Origin)[] Available =
    {
        (32, "captured from a fresh kube-apiserver v1.32.13 with kube-controller-manager (--controllers=*): every Role, ClusterRole, "
            + "RoleBinding and ClusterRoleBinding they created with rbac.authorization.kubernetes.io/autoupdate=true, aggregated rules "
            + "as the aggregation controller filled them in"),
    };

    private static readonly ConcurrentDictionary<int, DefaultRbacPolicy> Loaded = new();

    private readonly Dictionary<(RbacRoleKind Kind, string Namespace, string Name), RbacRole> rolesByKey = new();
    private readonly Dictionary<(RbacBindingKind Kind, string Namespace, string Name), RbacBinding> bindingsByKey = new();
    private readonly ConcurrentDictionary<(RbacSubject Subject, string Namespace), List<RbacPolicyRule>> defaultRulesBySubject = new();

    private DefaultRbacPolicy(int minor, string origin)
    {
        Minor = minor;
        Origin = origin;
        string resource = $"DefaultRbacPolicy.v1.{minor}.json";
        using var stream = typeof(DefaultRbacPolicy).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing from the engine assembly.");
        using var reader = new StreamReader(stream);
        var objects = ManifestReader.ReadText(reader.ReadToEnd(), resource, error => throw new InvalidOperationException($"The embedded default policy is unreadable: {error}"));
        var (roles, bindings) = RbacSource.Read(objects, EngineLog.None);
        Roles = roles.Select(r => r.With(isDefault: true, source: Source)).ToList();
        Bindings = bindings.Select(b => b.With(isDefault: true, source: Source)).ToList();
        foreach (var role in Roles)
        {
            rolesByKey[(role.Kind, role.Namespace ?? string.Empty, role.Name)] = role;
        }

        foreach (var binding in Bindings)
        {
            bindingsByKey[(binding.Kind, binding.Namespace ?? string.Empty, binding.Name)] = binding;
        }
    }

    /// <summary>"v1.32", newest last.</summary>
    public static IReadOnlyList<string> SupportedVersions { get; } = Available.OrderBy(a => a.Minor).Select(a => $"v1.{a.Minor}").ToArray();

    /// <summary>The newest version the module holds: what offline analysis uses unless told otherwise.</summary>
    public static DefaultRbacPolicy Newest => Load(Available.Max(a => a.Minor));

    public int Minor { get; }

    /// <summary>"v1.32".</summary>
    public string Version => $"v1.{Minor}";

    /// <summary>Where the data of this version came from.</summary>
    public string Origin { get; }

    /// <summary>The <see cref="RbacRole.Source"/> of default objects added offline: "default policy v1.32".</summary>
    public string Source => $"default policy {Version}";

    /// <summary>Every default ClusterRole and Role (aggregated roles with the rules the controller filled in).</summary>
    public IReadOnlyList<RbacRole> Roles { get; }

    /// <summary>Every default ClusterRoleBinding and RoleBinding.</summary>
    public IReadOnlyList<RbacBinding> Bindings { get; }

    /// <summary>
    /// The policy of -KubernetesVersion: "1.32", "v1.32" or a server version such as "v1.32.13"; null, empty or
    /// "latest" is the newest the module holds. Any other version is an error naming the versions held.
    /// </summary>
    public static DefaultRbacPolicy For(string? version, string parameterName = "KubernetesVersion")
    {
        if (string.IsNullOrWhiteSpace(version) || string.Equals(version.Trim(), "latest", StringComparison.OrdinalIgnoreCase))
        {
            return Newest;
        }

        if (TryParseMinor(version, out int minor) && Available.Any(a => a.Minor == minor))
        {
            return Load(minor);
        }

        throw K8sOperationException.InvalidArgument(parameterName, version,
            $"the module holds the default RBAC policy of {string.Join(", ", SupportedVersions)} only; "
            + "give one of those versions, or -ExcludeDefaultPolicy to analyse the input's objects alone.");
    }

    /// <summary>The policy of a server's version (gitVersion such as "v1.32.13"), or the newest held when the module has none for it.</summary>
    public static DefaultRbacPolicy ForServer(string? gitVersion) =>
        TryParseMinor(gitVersion, out int minor) && Available.Any(a => a.Minor == minor) ? Load(minor) : Newest;

    /// <summary>True when <paramref name="role"/> is this policy's object of the same kind, namespace and name, unchanged.</summary>
    public bool IsDefault(RbacRole role)
    {
        if (!rolesByKey.TryGetValue((role.Kind, role.Namespace ?? string.Empty, role.Name), out var known)
            || !AggregationLabels(known).SetEquals(AggregationLabels(role))
            || known.IsAggregated != role.IsAggregated)
        {
            return false;
        }

        // An aggregated role's rules are whatever the controller filled in (user roles may add to them): its content is
        // its selectors. Other roles are default when they hold exactly the default rules.
        return known.IsAggregated
            ? known.AggregationSelectors!.Select(SelectorKey).ToHashSet(StringComparer.Ordinal).SetEquals(role.AggregationSelectors!.Select(SelectorKey))
            : known.Rules.Select(RuleKey).ToHashSet(StringComparer.Ordinal).SetEquals(role.Rules.Select(RuleKey));
    }

    /// <summary>True when <paramref name="binding"/> is this policy's binding of the same kind, namespace and name, unchanged.</summary>
    public bool IsDefault(RbacBinding binding) =>
        bindingsByKey.TryGetValue((binding.Kind, binding.Namespace ?? string.Empty, binding.Name), out var known)
        && known.RoleKind == binding.RoleKind
        && known.RoleName == binding.RoleName
        && known.Subjects.Select(SubjectKey).ToHashSet(StringComparer.Ordinal).SetEquals(binding.Subjects.Select(SubjectKey));

    /// <summary>
    /// True when the default policy already gives <paramref name="subject"/> everything <paramref name="rule"/> allows
    /// (cluster-wide, or in <paramref name="ns"/>), counting the groups every member of the subject is in
    /// (system:anonymous is in system:unauthenticated; users, groups and service accounts are in system:authenticated):
    /// granting the rule again adds nothing. Wildcards in the rule are only covered by the same wildcard in a default rule.
    /// </summary>
    public bool GrantsByDefault(RbacSubject subject, string? ns, RbacPolicyRule rule)
    {
        var defaultRules = defaultRulesBySubject.GetOrAdd((subject, ns ?? string.Empty), key =>
        {
            var identity = IdentityOf(key.Subject);
            return Bindings
                .Where(b => (b.Kind == RbacBindingKind.ClusterRoleBinding || b.Namespace == ns) && RbacPolicy.AppliesTo(identity, b) is not null)
                .Select(b => b.RoleKind == RbacRoleKind.ClusterRole
                    ? rolesByKey.GetValueOrDefault((RbacRoleKind.ClusterRole, string.Empty, b.RoleName))
                    : rolesByKey.GetValueOrDefault((RbacRoleKind.Role, b.Namespace ?? string.Empty, b.RoleName)))
                .OfType<RbacRole>()
                .SelectMany(r => r.Rules)
                .ToList();
        });
        if (defaultRules.Count == 0 || rule.Verbs.Count == 0)
        {
            return false;
        }

        foreach (var request in Requests(rule))
        {
            if (!defaultRules.Any(r => RbacRuleMatcher.RuleAllows(request, r)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>"v1.32.13", "1.32", "v1.32.0-rc.1" → 32.</summary>
    internal static bool TryParseMinor(string? version, out int minor)
    {
        minor = 0;
        var match = string.IsNullOrWhiteSpace(version) ? null : VersionPattern().Match(version.Trim());
        return match is { Success: true } && int.TryParse(match.Groups["minor"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out minor);
    }

    private static DefaultRbacPolicy Load(int minor) =>
        Loaded.GetOrAdd(minor, m => new DefaultRbacPolicy(m, Available.Single(a => a.Minor == m).Origin));

    /// <summary>Every literal request a rule allows (wildcards kept literally, so only a wildcard covers them).</summary>
    private static IEnumerable<AccessRequest> Requests(RbacPolicyRule rule)
    {
        foreach (string verb in rule.Verbs)
        {
            foreach (string url in rule.NonResourceUrls)
            {
                yield return new AccessRequest { Verb = verb, NonResourceUrl = url };
            }

            foreach (string group in rule.ApiGroups)
            {
                foreach (string resource in rule.Resources)
                {
                    int slash = resource.IndexOf('/', StringComparison.Ordinal);
                    string main = slash < 0 ? resource : resource[..slash];
                    string? sub = slash < 0 ? null : resource[(slash + 1)..];
                    IEnumerable<string?> names = rule.ResourceNames.Count == 0 ? new string?[] { null } : rule.ResourceNames.Select(n => (string?)n);
                    foreach (string? name in names)
                    {
                        yield return new AccessRequest { Verb = verb, ApiGroup = group, Resource = main, Subresource = sub, Name = name };
                    }
                }
            }
        }
    }

    /// <summary>Who a binding subject stands for: a user or service account with the groups the authenticator gives it, or a group's members.</summary>
    private static RbacIdentity IdentityOf(RbacSubject subject)
    {
        const string Authenticated = "system:authenticated";
        const string Unauthenticated = "system:unauthenticated";
        return subject.Kind switch
        {
            RbacSubjectKind.ServiceAccount => new RbacIdentity
            {
                UserName = subject.UserName,
                Groups = new[] { "system:serviceaccounts", $"system:serviceaccounts:{subject.Namespace}", Authenticated },
            },
            RbacSubjectKind.User when subject.Name == "system:anonymous" => new RbacIdentity { UserName = subject.Name, Groups = new[] { Unauthenticated } },
            RbacSubjectKind.User => new RbacIdentity { UserName = subject.Name, Groups = new[] { Authenticated } },
            _ when subject.Name == Unauthenticated => new RbacIdentity { Groups = new[] { Unauthenticated } },
            _ when subject.Name.StartsWith("system:serviceaccounts:", StringComparison.Ordinal) =>
                new RbacIdentity { Groups = new[] { subject.Name, "system:serviceaccounts", Authenticated } },
            _ => new RbacIdentity { Groups = new[] { subject.Name, Authenticated } },
        };
    }

    private static HashSet<string> AggregationLabels(RbacRole role) =>
        role.Labels.Where(l => l.Key.StartsWith("rbac.authorization.k8s.io/aggregate-to-", StringComparison.Ordinal))
            .Select(l => $"{l.Key}={l.Value}")
            .ToHashSet(StringComparer.Ordinal);

    private static string RuleKey(RbacPolicyRule rule) => string.Join('|',
        new[] { rule.Verbs, rule.ApiGroups, rule.Resources, rule.ResourceNames, rule.NonResourceUrls }
            .Select(list => string.Join(',', list.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))));

    private static string SelectorKey(RbacLabelSelector selector) => string.Join(';',
        selector.MatchLabels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => $"{l.Key}={l.Value}")
            .Concat(selector.MatchExpressions.Select(e => $"{e.Key} {e.Operator} {string.Join(',', e.Values.Order(StringComparer.Ordinal))}").Order(StringComparer.Ordinal)));

    private static string SubjectKey(RbacSubject subject) => $"{subject.Kind}/{subject.Namespace}/{subject.Name}";

    [GeneratedRegex(@"^[vV]?1\.(?<minor>\d+)(\.\d+)?([-+].*)?$")]
    private static partial Regex VersionPattern();
}
