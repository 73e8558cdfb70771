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
            K8SConfiguration file;
            try
            {
                file = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path), useRelativePaths: true);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{path}' cannot be read: {ex.Message}", path, ex);
            }

            merged.CurrentContext ??= string.IsNullOrEmpty(file.CurrentContext) ? null : file.CurrentContext;
            merged.ApiVersion ??= file.ApiVersion;
            merged.Kind ??= file.Kind;
            AddNew((List<Cluster>)merged.Clusters, file.Clusters, c => c.Name);
            AddNew((List<User>)merged.Users, file.Users, u => u.Name);
            foreach (var context in file.Contexts ?? Enumerable.Empty<Context>())
            {
                if (context.Name is not null && set.contextSource.TryAdd(context.Name, path))
                {
                    ((List<Context>)merged.Contexts).Add(context);
                }
            }
        }

        return set;
    }

    public string? SourceOf(string contextName) => contextSource.GetValueOrDefault(contextName);

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
            yield return new K8sContextInfo
            {
                Name = context.Name,
                Cluster = context.ContextDetails?.Cluster,
                Server = cluster?.ClusterEndpoint?.Server,
                User = context.ContextDetails?.User,
                Namespace = string.IsNullOrEmpty(context.ContextDetails?.Namespace) ? null : context.ContextDetails.Namespace,
                AuthKind = AuthKindOf(user?.UserCredentials),
                ExecCommand = user?.UserCredentials?.ExternalExecution?.Command,
                IsCurrent = context.Name == Merged.CurrentContext,
                InsecureSkipTlsVerify = cluster?.ClusterEndpoint?.SkipTlsVerify ?? false,
                KubeconfigPath = SourceOf(context.Name),
            };
        }
    }

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

    private static void AddNew<T>(ICollection<T>? target, IEnumerable<T>? source, Func<T, string?> name)
    {
        if (target is null || source is null)
        {
            return;
        }

        var known = new HashSet<string?>(target.Select(name), StringComparer.Ordinal);
        foreach (var item in source)
        {
            if (known.Add(name(item)))
            {
                target.Add(item);
            }
        }
    }
}
