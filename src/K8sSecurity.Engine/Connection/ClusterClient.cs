using k8s;
using k8s.Models;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// A configured client for one cluster plus what we know about where it points. Creating one sends nothing;
/// every engine operation receives one. Owns the underlying HTTP client.
/// </summary>
public sealed class ClusterClient : IDisposable
{
    internal ClusterClient(IKubernetes api, K8sContextInfo context, string defaultNamespace)
    {
        Api = api;
        Context = context;
        DefaultNamespace = defaultNamespace;
    }

    /// <summary>The KubernetesClient API surface. Internal to the engine: users never see k8s.Models types.</summary>
    internal IKubernetes Api { get; }

    public K8sContextInfo Context { get; }

    public string DefaultNamespace { get; }

    public string Server => Context.Server ?? string.Empty;

    /// <summary>Builds a client the way kubectl would choose its target.</summary>
    public static ClusterClient Create(ConnectionRequest request)
    {
        // In-cluster only when nothing points at a kubeconfig and we run in a pod, like kubectl.
        if (request.KubeconfigPath is null && request.Context is null
            && KubeconfigSet.ResolvePaths(null).Count == 0
            && KubernetesClientConfiguration.IsInCluster())
        {
            return CreateInCluster(request);
        }

        var set = KubeconfigSet.Load(request.KubeconfigPath);
        var context = set.GetContext(request.Context);
        var info = set.Describe().First(c => c.Name == context.Name);
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(set.Merged, context.Name);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new K8sOperationException(
                K8sErrorKind.Configuration,
                $"Context '{context.Name}' in {info.KubeconfigPath} cannot be used: {FirstLine(ex.Message)}",
                context.Name,
                ex);
        }

        string ns = request.Namespace ?? info.Namespace ?? "default";
        return new ClusterClient(new Kubernetes(configuration, new StrictFieldValidationHandler()), info, ns);
    }

    private static ClusterClient CreateInCluster(ConnectionRequest request)
    {
        KubernetesClientConfiguration configuration;
        try
        {
            configuration = KubernetesClientConfiguration.InClusterConfig();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"In-cluster service account configuration cannot be used: {ex.Message}", null, ex);
        }

        var info = new K8sContextInfo
        {
            Name = "in-cluster",
            Cluster = "in-cluster",
            Server = configuration.Host,
            User = "service-account",
            Namespace = configuration.Namespace,
            AuthKind = K8sAuthKind.InCluster,
            IsCurrent = true,
        };
        return new ClusterClient(new Kubernetes(configuration, new StrictFieldValidationHandler()), info, request.Namespace ?? configuration.Namespace ?? "default");
    }

    /// <summary>Asks the server who we are and what it runs; fails with a clear error when it cannot.</summary>
    public async Task<K8sConnection> VerifyAsync(CancellationToken cancellationToken)
    {
        string operation = $"Connecting to '{Server}' (context '{Context.Name}')";
        var version = await ApiErrorTranslator.CallAsync(
            () => Api.Version.GetCodeAsync(cancellationToken), operation, Context.Name).ConfigureAwait(false);

        string? userName = Context.User;
        IReadOnlyList<string> groups = Array.Empty<string>();
        try
        {
            var review = await ApiErrorTranslator.CallAsync(
                () => Api.AuthenticationV1.CreateSelfSubjectReviewAsync(new V1SelfSubjectReview(), cancellationToken: cancellationToken),
                operation,
                Context.Name).ConfigureAwait(false);
            userName = review.Status?.UserInfo?.Username ?? userName;
            groups = review.Status?.UserInfo?.Groups?.ToArray() ?? Array.Empty<string>();
        }
        catch (K8sOperationException ex) when (ex.Kind is K8sErrorKind.NotFound or K8sErrorKind.Forbidden)
        {
            // SelfSubjectReview is GA since 1.28; older servers keep the kubeconfig user name.
        }

        // /version answers anonymous callers on many clusters, so credentials are proven by the review above.
        return new K8sConnection
        {
            Context = Context.Name,
            Cluster = Context.Cluster,
            Server = Server,
            UserName = userName,
            Groups = groups,
            Namespace = DefaultNamespace,
            ServerVersion = version.GitVersion,
            AuthKind = Context.AuthKind,
            KubeconfigPath = Context.KubeconfigPath,
            ConnectedAt = DateTimeOffset.UtcNow,
        };
    }

    public void Dispose() => Api.Dispose();

    // KubernetesClient puts whole inner stack traces into some messages; users need the first line.
    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
