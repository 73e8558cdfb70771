using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using k8s;
using k8s.KubeConfigModels;
using k8s.Models;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// A configured client for one cluster plus what we know about where it points. Creating one sends nothing;
/// every engine operation receives one. Owns the underlying HTTP client.
/// </summary>
public sealed class ClusterClient : IDisposable
{
    internal ClusterClient(IKubernetes api, K8sContextInfo context, string defaultNamespace, IReadOnlyList<string>? warnings = null, string? impersonatedUser = null)
    {
        Api = api;
        Context = context;
        DefaultNamespace = defaultNamespace;
        Warnings = warnings ?? Array.Empty<string>();
        ImpersonatedUser = impersonatedUser;
    }

    /// <summary>The KubernetesClient API surface. Internal to the engine: users never see k8s.Models types.</summary>
    internal IKubernetes Api { get; }

    public K8sContextInfo Context { get; }

    public string DefaultNamespace { get; }

    /// <summary>The server URL (a password in it shown as ***).</summary>
    public string Server => Context.Server ?? string.Empty;

    /// <summary>The user every request acts as (kubeconfig <c>as</c> or -As), or null when nobody is impersonated.</summary>
    public string? ImpersonatedUser { get; }

    /// <summary>Settings that weaken the connection (skipped TLS verification, credentials in clear text): cmdlets show them as warnings.</summary>
    public IReadOnlyList<string> Warnings { get; }

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
        var cluster = set.FindCluster(context.ContextDetails?.Cluster);
        string? userEntry = context.ContextDetails?.User;
        var user = set.FindUser(userEntry);
        string where = $"Context '{context.Name}' in {info.KubeconfigPath}";

        // The module runs exec plugins itself (bounded, killed on timeout): KubernetesClient must not see them.
        ExecCredentialPlugin? exec = null;
        if (user?.UserCredentials?.ExternalExecution is { } execution)
        {
            string? userFile = set.SourceOfUser(user.Name);
            exec = ExecCredentialPlugin.Create(
                execution,
                user.Name,
                set.InteractiveModeOf(user.Name),
                userFile is null ? null : Path.GetDirectoryName(userFile),
                ExecClusterInfo(cluster?.ClusterEndpoint, set.ProxyUrlOf(cluster?.Name)),
                request.ExecPluginTimeout);
            user.UserCredentials.ExternalExecution = null;
            if (KubeconfigSet.AuthKindOf(user.UserCredentials) == K8sAuthKind.None && context.ContextDetails is not null)
            {
                context.ContextDetails.User = null;
            }
        }

        KubernetesClientConfiguration configuration;
        Impersonation? impersonation;
        try
        {
            // clientcmd's rules for as/as-uid/as-groups/as-user-extra; KubernetesClient never sends them.
            impersonation = set.ImpersonationOf(userEntry, request);

            // KubernetesClient reads the files the kubeconfig names: only regular files of a sane size reach it.
            foreach (string? referenced in new[] { cluster?.ClusterEndpoint?.CertificateAuthority, user?.UserCredentials?.ClientCertificate, user?.UserCredentials?.ClientKey })
            {
                if (!string.IsNullOrWhiteSpace(referenced))
                {
                    BoundedFile.EnsureReadable(referenced);
                }
            }

            // client-go reads tokenFile for the user it connects as (an unreadable file is an error) and prefers its
            // trimmed content to an inline token; KubernetesClient has no such field.
            if (user?.UserCredentials is { } credentials && set.TokenFileOf(user.Name) is { } tokenFile)
            {
                string token = BoundedFile.ReadAllText(tokenFile).Trim();
                credentials.Token = token.Length > 0
                    ? token
                    : throw new InvalidOperationException($"token file '{tokenFile}' is empty.");
            }

            configuration = KubernetesClientConfiguration.BuildConfigFromConfigObject(set.Merged, context.Name);

            // KubernetesClient keeps only the first certificate of certificate-authority-data, and none at all
            // (the system roots) when the data holds no certificate: read the whole bundle as client-go does.
            if (cluster?.ClusterEndpoint is { } endpoint && CertificateAuthorityRoots.Read(endpoint) is { } roots)
            {
                configuration.SslCaCerts = roots;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            exec?.Dispose();
            throw new K8sOperationException(K8sErrorKind.Configuration, $"{where} cannot be used: {FirstLine(ex.Message)}", context.Name);
        }

        try
        {
            string ns = request.Namespace ?? info.Namespace ?? "default";
            var authKind = exec is null ? info.AuthKind : K8sAuthKind.Exec;
            var (api, warnings) = Connect(configuration, request, context.Name, info.Server ?? configuration.Host, set.ProxyUrlOf(cluster?.Name), cluster?.Name, authKind, exec, impersonation, where);
            return new ClusterClient(api, info, ns, warnings, impersonation?.UserName);
        }
        catch
        {
            exec?.Dispose();
            throw;
        }
    }

    private static ClusterClient CreateInCluster(ConnectionRequest request)
    {
        KubernetesClientConfiguration configuration;
        Impersonation? impersonation;
        try
        {
            configuration = KubernetesClientConfiguration.InClusterConfig();
            impersonation = Impersonation.FromKubeconfigUser("service-account", request.ImpersonateUser, request.ImpersonateUid, request.ImpersonateGroups, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"In-cluster service account configuration cannot be used: {FirstLine(ex.Message)}");
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
        var (api, warnings) = Connect(configuration, request, info.Name, configuration.Host, null, null, K8sAuthKind.InCluster, null, impersonation, "The in-cluster configuration");
        return new ClusterClient(api, info, request.Namespace ?? configuration.Namespace ?? "default", warnings, impersonation?.UserName);
    }

    /// <summary>
    /// Puts the module's own transport under KubernetesClient: it keeps the static credentials it read (token, token
    /// file, basic, auth-provider) and the request building; TLS, proxy, timeouts and exec plugins are ours.
    /// </summary>
    private static (IKubernetes Api, IReadOnlyList<string> Warnings) Connect(
        KubernetesClientConfiguration configuration,
        ConnectionRequest request,
        string contextName,
        string displayServer,
        string? proxyUrl,
        string? clusterName,
        K8sAuthKind authKind,
        ExecCredentialPlugin? exec,
        Impersonation? impersonation,
        string where)
    {
        if (request.ConnectTimeout <= TimeSpan.Zero)
        {
            throw K8sOperationException.InvalidArgument("ConnectTimeout", request.ConnectTimeout.TotalSeconds, "use 1 second or more.");
        }

        if (request.RequestTimeout <= TimeSpan.Zero && request.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            throw K8sOperationException.InvalidArgument("RequestTimeout", request.RequestTimeout.TotalSeconds, "use 1 second or more (0 for no limit).");
        }

        if (!Uri.TryCreate(configuration.Host, UriKind.Absolute, out var hostUri) || hostUri.Scheme is not ("https" or "http"))
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"{where}: the server '{ServerAddress.Redact(configuration.Host)}' is not an https:// or http:// URL.", contextName);
        }

        var server = ServerAddress.WithoutUserInfo(hostUri);
        bool https = server.Scheme == Uri.UriSchemeHttps;
        var warnings = new List<string>();
        if (https && configuration.SkipTlsVerify && configuration.SslCaCerts is { Count: > 0 })
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"{where}: specifying a root certificates file with the insecure flag is not allowed", contextName);
        }

        if (https && configuration.SkipTlsVerify)
        {
            warnings.Add($"{where} sets insecure-skip-tls-verify: the certificate of {displayServer} is not verified, so anyone on the network path can pose as the API server and receive the credentials.");
        }

        if (!https && authKind != K8sAuthKind.None)
        {
            if (!request.AllowUnencryptedAuthentication)
            {
                throw new K8sOperationException(
                    K8sErrorKind.Configuration,
                    $"{where} would send {authKind} credentials to {displayServer} over plain HTTP, where anyone on the network path can read them. Use an https:// server, or pass -AllowUnencryptedAuthentication to send them anyway (kubectl sends no credentials over http:// at all).",
                    contextName);
            }

            warnings.Add(authKind == K8sAuthKind.ClientCertificate
                ? $"{where}: {displayServer} is plain HTTP, so the client certificate cannot be presented; requests are anonymous."
                : $"{where}: credentials are sent to {displayServer} over plain HTTP in clear text (-AllowUnencryptedAuthentication).");
        }

        X509Certificate2? clientCertificate;
        try
        {
            clientCertificate = https ? ClientCertificates.FromConfiguration(configuration) : null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"{where}: the client certificate cannot be used: {FirstLine(ex.Message)}", contextName);
        }

        var proxy = Proxy(proxyUrl, clusterName, contextName);
        var settings = new TransportSettings
        {
            Server = server,
            DisplayServer = displayServer.TrimEnd('/'),
            Context = contextName,
            Roots = configuration.SslCaCerts is { Count: > 0 } roots ? roots : null,
            SkipTlsVerify = configuration.SkipTlsVerify,
            ServerName = string.IsNullOrWhiteSpace(configuration.TlsServerName) ? server.IdnHost : configuration.TlsServerName,
            ClientCertificate = clientCertificate,
            Proxy = proxy,
            HttpsProxyHost = proxy?.Address is { Scheme: "https" } proxyAddress ? proxyAddress.IdnHost : null,
            ConnectTimeout = request.ConnectTimeout,
            RequestTimeout = request.RequestTimeout,
            AllowUnencryptedAuthentication = request.AllowUnencryptedAuthentication,
            Exec = exec,
            Impersonation = impersonation,
        };

        // KubernetesClient's own HTTP stack under our handler stays unused: give it nothing to load or verify.
        configuration.Host = server.ToString();
        configuration.SslCaCerts = null;
        configuration.SkipTlsVerify = false;
        configuration.ClientCertificateData = null;
        configuration.ClientCertificateKeyData = null;
        configuration.ClientCertificateFilePath = null;
        configuration.ClientKeyFilePath = null;
        configuration.HttpClientTimeout = Timeout.InfiniteTimeSpan;
        return (new Kubernetes(configuration, new StrictFieldValidationHandler(), new ClusterTransport(settings)), warnings);
    }

    /// <summary>proxy-url as client-go reads it: http, https or socks5, with optional user:password.</summary>
    private static WebProxy? Proxy(string? proxyUrl, string? clusterName, string contextName)
    {
        if (proxyUrl is null)
        {
            return null;
        }

        if (!Uri.TryCreate(proxyUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "socks5"))
        {
            string scheme = uri?.Scheme ?? proxyUrl.Split("://", 2)[0];
            throw new K8sOperationException(
                K8sErrorKind.Configuration,
                $"invalid 'proxy-url' \"{ServerAddress.Redact(proxyUrl)}\" for cluster \"{clusterName}\": unsupported scheme \"{scheme}\", must be http, https, or socks5",
                contextName);
        }

        var proxy = new WebProxy(ServerAddress.WithoutUserInfo(uri));
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            string[] parts = uri.UserInfo.Split(':', 2);
            proxy.Credentials = new NetworkCredential(Uri.UnescapeDataString(parts[0]), parts.Length > 1 ? Uri.UnescapeDataString(parts[1]) : string.Empty);
        }

        return proxy;
    }

    /// <summary>spec.cluster of KUBERNETES_EXEC_INFO for plugins with provideClusterInfo (client-go's Cluster type).</summary>
    private static JsonObject? ExecClusterInfo(ClusterEndpoint? endpoint, string? proxyUrl)
    {
        if (endpoint is null)
        {
            return null;
        }

        var cluster = new JsonObject { ["server"] = endpoint.Server };
        if (!string.IsNullOrEmpty(endpoint.TlsServerName))
        {
            cluster["tls-server-name"] = endpoint.TlsServerName;
        }

        if (endpoint.SkipTlsVerify)
        {
            cluster["insecure-skip-tls-verify"] = true;
        }

        if (!string.IsNullOrEmpty(endpoint.CertificateAuthorityData))
        {
            cluster["certificate-authority-data"] = endpoint.CertificateAuthorityData;
        }

        if (!string.IsNullOrEmpty(proxyUrl))
        {
            cluster["proxy-url"] = proxyUrl;
        }

        cluster["config"] = null;
        return cluster;
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
