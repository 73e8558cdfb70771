using k8s;
using k8s.KubeConfigModels;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Identity;
using YamlDotNet.RepresentationModel;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// The kubeconfig files kubectl would use, loaded and merged by kubectl's rules: the first file that defines a
/// context, cluster or user name wins, and so does the first current-context.
/// </summary>
public sealed class KubeconfigSet
{
    private readonly Dictionary<string, string> contextSource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> userSource = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string?> proxyUrls = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> interactiveModes = new(StringComparer.Ordinal);

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
                BoundedFile.EnsureReadable(path);
                file = KubernetesClientConfiguration.LoadKubeConfig(new FileInfo(path), useRelativePaths: true);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{path}' cannot be read: {ex.Message}", path, ex);
            }

            set.ReadFieldsTheModelLacks(path);
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

    /// <summary>The kubeconfig file that defines a user (an exec command with a path is relative to it).</summary>
    public string? SourceOfUser(string userName) => userSource.GetValueOrDefault(userName);

    /// <summary>A cluster's <c>proxy-url</c> (KubernetesClient's model does not read it).</summary>
    public string? ProxyUrlOf(string? clusterName) => clusterName is null ? null : proxyUrls.GetValueOrDefault(clusterName);

    /// <summary>A user's <c>exec.interactiveMode</c> (KubernetesClient's model does not read it).</summary>
    public string? InteractiveModeOf(string? userName) => userName is null ? null : interactiveModes.GetValueOrDefault(userName);

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
                Server = ServerAddress.Redact(cluster?.ClusterEndpoint?.Server),
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

    /// <summary>Fields kubectl honours that KubernetesClient's typed model drops; the first file naming an entry wins.</summary>
    private void ReadFieldsTheModelLacks(string path)
    {
        KubeconfigYaml document;
        try
        {
            document = KubeconfigYaml.Load(path);
        }
        catch (K8sOperationException)
        {
            return; // KubernetesClient read it; anything it could not read was reported already.
        }

        foreach (var (name, body) in document.Entries("clusters", "cluster"))
        {
            string? proxy = KubeconfigYaml.GetString(body, "proxy-url");
            proxyUrls.TryAdd(name, string.IsNullOrEmpty(proxy) ? null : proxy);
        }

        foreach (var (name, body) in document.Entries("users", "user"))
        {
            if (!userSource.TryAdd(name, path))
            {
                continue;
            }

            if (KubeconfigYaml.Child(body, "exec") is YamlMappingNode exec && KubeconfigYaml.GetString(exec, "interactiveMode") is { Length: > 0 } mode)
            {
                interactiveModes[name] = mode;
            }
        }
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
