using k8s;
using k8s.KubeConfigModels;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// The kubeconfig files kubectl would use, loaded and merged by kubectl's rules: the first file that defines a
/// context, cluster or user name wins, and so does the first current-context.
/// </summary>
public sealed class KubeconfigSet
{
    private readonly Dictionary<string, string> contextSource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> userSource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KubeconfigClusterEntry> clusters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KubeconfigAuthInfo> users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> tokenFiles = new(StringComparer.Ordinal); // user → absolute tokenFile

    private KubeconfigSet(K8SConfiguration merged, IReadOnlyList<string> paths)
    {
        Merged = merged;
        Paths = paths;
    }

    public K8SConfiguration Merged { get; }

    public IReadOnlyList<string> Paths { get; }

    /// <summary>Finds the files: the explicit path, else every existing entry of $KUBECONFIG, else ~/.kube/config.</summary>
    public static IReadOnlyList<string> ResolvePaths(string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(explicitPath))
        {
            string full = Path.GetFullPath(explicitPath);
            if (!File.Exists(full))
            {
                throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{full}' does not exist.", full);
            }

            return new[] { full };
        }

        string? env = Environment.GetEnvironmentVariable("KUBECONFIG");
        if (!string.IsNullOrWhiteSpace(env))
        {
            var fromEnv = env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(Path.GetFullPath)
                .Where(File.Exists)
                .Distinct(StringComparer.Ordinal)
                .ToArray();
            if (fromEnv.Length > 0)
            {
                return fromEnv;
            }
        }

        string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string defaultPath = Path.Combine(home, ".kube", "config");
        return File.Exists(defaultPath) ? new[] { defaultPath } : Array.Empty<string>();
    }

    public static KubeconfigSet Load(string? explicitPath)
    {
        var paths = ResolvePaths(explicitPath);
        if (paths.Count == 0)
        {
            throw new K8sOperationException(
                K8sErrorKind.Configuration,
                "No kubeconfig found: pass -Kubeconfig, set $env:KUBECONFIG, create ~/.kube/config, or run inside a pod.");
        }

        var merged = new K8SConfiguration
        {
            Clusters = new List<Cluster>(),
            Users = new List<User>(),
            Contexts = new List<Context>(),
        };
        var set = new KubeconfigSet(merged, paths);
        foreach (string path in paths)
        {
            // kubectl's decoding (KubeconfigDecoder): a file kubectl refuses is an error naming the file.
            var file = KubeconfigDecoder.Load(path);
            merged.CurrentContext ??= string.IsNullOrEmpty(file.CurrentContext) ? null : file.CurrentContext;
            foreach (var cluster in file.Clusters)
            {
                if (set.clusters.TryAdd(cluster.Name, cluster))
                {
                    ((List<Cluster>)merged.Clusters).Add(ToModel(cluster, file));
                }
            }

            foreach (var user in file.Users)
            {
                if (set.users.TryAdd(user.Name, user))
                {
                    set.userSource[user.Name] = path;
                    if (file.Resolve(user.TokenFile) is { } tokenFile)
                    {
                        set.tokenFiles[user.Name] = tokenFile;
                    }

                    ((List<User>)merged.Users).Add(ToModel(user, file));
                }
            }

            foreach (var context in file.Contexts)
            {
                if (set.contextSource.TryAdd(context.Name, path))
                {
                    ((List<Context>)merged.Contexts).Add(new Context
                    {
                        Name = context.Name,
                        ContextDetails = new ContextDetails
                        {
                            Cluster = context.Cluster,
                            User = context.User,
                            Namespace = context.Namespace,
                        },
                    });
                }
            }
        }

        merged.ApiVersion = "v1";
        merged.Kind = "Config";
        return set;
    }

    // KubernetesClient's model of an entry, its file references made absolute against the kubeconfig's folder (as
    // client-go's ResolveLocalPaths does); the exec command is resolved by ExecCredentialPlugin.
    private static Cluster ToModel(KubeconfigClusterEntry cluster, KubeconfigDocument file) => new()
    {
        Name = cluster.Name,
        ClusterEndpoint = new ClusterEndpoint
        {
            Server = cluster.Server,
            TlsServerName = string.IsNullOrEmpty(cluster.TlsServerName) ? null : cluster.TlsServerName,
            SkipTlsVerify = cluster.InsecureSkipTlsVerify,
            CertificateAuthority = file.Resolve(cluster.CertificateAuthority),
            CertificateAuthorityData = cluster.CertificateAuthorityData is { Length: > 0 } ca ? Convert.ToBase64String(ca) : null,
        },
    };

    private static User ToModel(KubeconfigAuthInfo user, KubeconfigDocument file) => new()
    {
        Name = user.Name,
        UserCredentials = new UserCredentials
        {
            ClientCertificateData = user.ClientCertificateData is { Length: > 0 } certificate ? Convert.ToBase64String(certificate) : null,
            ClientCertificate = file.Resolve(user.ClientCertificate),
            ClientKeyData = user.ClientKeyData is { Length: > 0 } key ? Convert.ToBase64String(key) : null,
            ClientKey = file.Resolve(user.ClientKey),
            Token = string.IsNullOrEmpty(user.Token) ? null : user.Token,
            UserName = string.IsNullOrEmpty(user.Username) ? null : user.Username,
            Password = string.IsNullOrEmpty(user.Password) ? null : user.Password,
            AuthProvider = user.AuthProvider is { } provider
                ? new AuthProvider { Name = provider.Name, Config = provider.Config?.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal) ?? new Dictionary<string, string>() }
                : null,
            ExternalExecution = user.Exec is { } exec
                ? new ExternalExecution
                {
                    ApiVersion = exec.ApiVersion,
                    Command = exec.Command,
                    Arguments = exec.Args?.ToList(),
                    EnvironmentVariables = exec.Env?.Select(e => new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = e.Name, ["value"] = e.Value }).ToList(),
                    InstallHint = string.IsNullOrEmpty(exec.InstallHint) ? null : exec.InstallHint,
                    ProvideClusterInfo = exec.ProvideClusterInfo,
                }
                : null,
        },
    };

    public string? SourceOf(string contextName) => contextSource.GetValueOrDefault(contextName);

    /// <summary>The kubeconfig file that defines a user (an exec command with a path is relative to it).</summary>
    public string? SourceOfUser(string userName) => userSource.GetValueOrDefault(userName);

    /// <summary>A cluster's <c>proxy-url</c> (KubernetesClient's model does not read it).</summary>
    public string? ProxyUrlOf(string? clusterName) =>
        clusterName is not null && clusters.TryGetValue(clusterName, out var cluster) && cluster.ProxyUrl.Length > 0 ? cluster.ProxyUrl : null;

    /// <summary>
    /// A user's <c>tokenFile</c>, absolute against the kubeconfig that defines the user (KubernetesClient's model does not
    /// read it); null when the user names none.
    /// </summary>
    public string? TokenFileOf(string? userName) => userName is null ? null : tokenFiles.GetValueOrDefault(userName);

    /// <summary>
    /// Who requests as a user act as: its <c>as</c>, <c>as-uid</c>, <c>as-groups</c> and <c>as-user-extra</c> read
    /// by clientcmd's rules (KubernetesClient's model keeps them but never sends them), with kubectl's --as,
    /// --as-group and --as-uid from <paramref name="overrides"/> merged over them as clientcmd merges its overrides
    /// (a value given replaces the kubeconfig's, a list as a whole); null when nobody is impersonated.
    /// </summary>
    /// <exception cref="InvalidOperationException">A combination kubectl refuses (uid, groups or extra without as).</exception>
    internal Impersonation? ImpersonationOf(string? userName, ConnectionRequest? overrides = null)
    {
        var user = userName is not null ? users.GetValueOrDefault(userName) : null;
        return Impersonation.FromKubeconfigUser(
            userName ?? string.Empty,
            overrides?.ImpersonateUser is { Length: > 0 } asUser ? asUser : user?.Impersonate,
            overrides?.ImpersonateUid is { Length: > 0 } asUid ? asUid : user?.ImpersonateUid,
            overrides?.ImpersonateGroups is { Count: > 0 } asGroups ? asGroups : user?.ImpersonateGroups,
            user?.ImpersonateUserExtra);
    }

    /// <summary>A user's <c>exec.interactiveMode</c> (KubernetesClient's model does not read it).</summary>
    public string? InteractiveModeOf(string? userName) =>
        userName is not null && users.TryGetValue(userName, out var user) && user.Exec?.InteractiveMode is { Length: > 0 } mode ? mode : null;

    public Context GetContext(string? name)
    {
        string? wanted = name ?? Merged.CurrentContext;
        if (string.IsNullOrEmpty(wanted))
        {
            throw new K8sOperationException(
                K8sErrorKind.Configuration,
                $"No current-context is set in {string.Join(", ", Paths)}; pass -Context.");
        }

        return Merged.Contexts.FirstOrDefault(c => c.Name == wanted)
            ?? throw new K8sOperationException(
                K8sErrorKind.Configuration,
                $"Context '{wanted}' is not defined in {string.Join(", ", Paths)}. Known contexts: {string.Join(", ", Merged.Contexts.Select(c => c.Name))}.",
                wanted);
    }

    public Cluster? FindCluster(string? name) => Merged.Clusters.FirstOrDefault(c => c.Name == name);

    public User? FindUser(string? name) => Merged.Users.FirstOrDefault(u => u.Name == name);

    public IEnumerable<K8sContextInfo> Describe()
    {
        foreach (var context in Merged.Contexts)
        {
            var cluster = FindCluster(context.ContextDetails?.Cluster);
            var user = FindUser(context.ContextDetails?.User);
            var entry = user is not null ? users.GetValueOrDefault(user.Name) : null;
            yield return new K8sContextInfo
            {
                Name = context.Name,
                Cluster = context.ContextDetails?.Cluster,
                Server = ServerAddress.Redact(cluster?.ClusterEndpoint?.Server),
                User = context.ContextDetails?.User,
                Namespace = string.IsNullOrEmpty(context.ContextDetails?.Namespace) ? null : context.ContextDetails.Namespace,
                AuthKind = entry?.AuthKind ?? K8sAuthKind.None,
                ExecCommand = user?.UserCredentials?.ExternalExecution?.Command,
                IsCurrent = context.Name == Merged.CurrentContext,
                InsecureSkipTlsVerify = cluster?.ClusterEndpoint?.SkipTlsVerify ?? false,
                KubeconfigPath = SourceOf(context.Name),
                ImpersonateUser = entry is { Impersonate.Length: > 0 } ? entry.Impersonate : null,
                ImpersonateUid = entry is { ImpersonateUid.Length: > 0 } ? entry.ImpersonateUid : null,
                ImpersonateGroups = entry?.ImpersonateGroups ?? Array.Empty<string>(),
                ImpersonateUserExtra = ImpersonateExtraList(entry?.ImpersonateUserExtra),
            };
        }
    }

    /// <summary><c>as-user-extra</c> for display: one "key=value" per value, keys sorted.</summary>
    internal static IReadOnlyList<string> ImpersonateExtraList(IReadOnlyDictionary<string, IReadOnlyList<string>>? extra) =>
        extra is null
            ? Array.Empty<string>()
            : extra.OrderBy(e => e.Key, StringComparer.Ordinal).SelectMany(e => e.Value.Select(v => $"{e.Key}={v}")).ToArray();

    public static K8sAuthKind AuthKindOf(UserCredentials? credentials)
    {
        if (credentials is null)
        {
            return K8sAuthKind.None;
        }

        if (credentials.ExternalExecution is not null)
        {
            return K8sAuthKind.Exec;
        }

        if (credentials.AuthProvider is not null)
        {
            return K8sAuthKind.AuthProvider;
        }

        if (!string.IsNullOrEmpty(credentials.ClientCertificateData) || !string.IsNullOrEmpty(credentials.ClientCertificate))
        {
            return K8sAuthKind.ClientCertificate;
        }

        if (!string.IsNullOrEmpty(credentials.Token))
        {
            return K8sAuthKind.Token;
        }

        if (!string.IsNullOrEmpty(credentials.UserName))
        {
            return K8sAuthKind.Basic;
        }

        return K8sAuthKind.None;
    }
}
