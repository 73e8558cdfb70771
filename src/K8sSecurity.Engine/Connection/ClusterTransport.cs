using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Connection;

/// <summary>Everything the module's own transport needs to reach one API server.</summary>
internal sealed record TransportSettings
{
    /// <summary>The server URL without user information.</summary>
    public required Uri Server { get; init; }

    /// <summary>The server as messages show it (a password in the URL replaced by ***).</summary>
    public required string DisplayServer { get; init; }

    public required string Context { get; init; }

    /// <summary>The kubeconfig's CA certificates; null means the system roots.</summary>
    public X509Certificate2Collection? Roots { get; init; }

    public bool SkipTlsVerify { get; init; }

    /// <summary>The name the server certificate must carry: tls-server-name, else the server URL's host.</summary>
    public required string ServerName { get; init; }

    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>The kubeconfig's proxy-url; null means the environment's proxy settings (HTTPS_PROXY, NO_PROXY), as in kubectl.</summary>
    public IWebProxy? Proxy { get; init; }

    /// <summary>
    /// Host of an https:// proxy-url. Its certificate is verified like Go does: same roots as the cluster, the
    /// proxy's own name.
    /// </summary>
    public string? HttpsProxyHost { get; init; }

    public TimeSpan ConnectTimeout { get; init; } = ConnectionRequest.DefaultConnectTimeout;

    public TimeSpan RequestTimeout { get; init; } = ConnectionRequest.DefaultRequestTimeout;

    public bool AllowUnencryptedAuthentication { get; init; }

    public ExecCredentialPlugin? Exec { get; init; }

    /// <summary>The kubeconfig user's as/as-uid/as-groups/as-user-extra: every request carries its headers.</summary>
    public Impersonation? Impersonation { get; init; }
}

/// <summary>
/// The HTTP transport under KubernetesClient (which only contributes the static credentials it reads from the
/// kubeconfig): verifies the server certificate as kubectl does, sends the client certificate, honours proxy-url,
/// bounds connecting and whole requests in time, runs exec credential plugins, never sends credentials over plain
/// HTTP unless allowed, adds the impersonation headers of the kubeconfig user to every request (as client-go's
/// impersonating round tripper does), and turns transport failures into <see cref="ClusterTransportException"/>s that
/// name the context and server. After a request the Authorization header is removed from it, so no error object that
/// keeps the request can carry the credential.
/// </summary>
internal sealed class ClusterTransport : DelegatingHandler
{
    private readonly TransportSettings settings;
    private readonly IReadOnlyList<KeyValuePair<string, string>> impersonationHeaders;
    private readonly RepeatedHeaderLines? repeatedLines;
    private readonly object sync = new();
    private readonly List<HttpMessageInvoker> retired = new();
    private HttpMessageInvoker? invoker;
    private X509Certificate2? invokerCertificate;
    private string? lastCertificateProblem;

    public ClusterTransport(TransportSettings settings)
    {
        this.settings = settings;
        var headers = (settings.Impersonation?.Headers ?? Array.Empty<KeyValuePair<string, string>>())
            .GroupBy(h => h.Key, StringComparer.OrdinalIgnoreCase)
            .Select(g => (Name: g.Key, Values: g.Select(h => h.Value).ToList()))
            .ToList();
        if (headers.Any(h => h.Values.Count > 1))
        {
            repeatedLines = new RepeatedHeaderLines();
        }

        impersonationHeaders = headers
            .Select(h => new KeyValuePair<string, string>(h.Name, repeatedLines?.Join(h.Name, h.Values) ?? h.Values[0]))
            .ToList();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ExecCredential? credential = null;
        try
        {
            Impersonate(request);
            if (settings.Exec is not null && request.Headers.Authorization is null)
            {
                credential = await settings.Exec.GetAsync(cancellationToken).ConfigureAwait(false);
                if (credential.Token is not null)
                {
                    request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", credential.Token);
                }
            }

            if (request.Headers.Authorization is not null && !settings.AllowUnencryptedAuthentication
                && !string.Equals(request.RequestUri?.Scheme, Uri.UriSchemeHttps, StringComparison.OrdinalIgnoreCase))
            {
                throw new ClusterTransportException(K8sErrorKind.Configuration, "refusing to send credentials over plain HTTP");
            }

            var response = await SendWithTimeoutsAsync(Invoker(credential?.ClientCertificate), request, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode == HttpStatusCode.Unauthorized && credential is not null)
            {
                await settings.Exec!.InvalidateAsync(credential).ConfigureAwait(false);
            }

            return response;
        }
        catch (ClusterTransportException ex)
        {
            throw ex.At(settings.Context, settings.DisplayServer);
        }
        finally
        {
            request.Headers.Authorization = null;
        }
    }

    /// <summary>
    /// client-go's impersonatingRoundTripper: a request that names no user to impersonate yet gets
    /// Impersonate-User, Impersonate-Uid, one Impersonate-Group line per group and one Impersonate-Extra-&lt;key&gt;
    /// line per value. Repeated lines go out over HTTP/1.1 (see <see cref="RepeatedHeaderLines"/>).
    /// </summary>
    private void Impersonate(HttpRequestMessage request)
    {
        if (impersonationHeaders.Count == 0
            || (request.Headers.TryGetValues(Impersonation.UserHeader, out var named) && named.FirstOrDefault() is { Length: > 0 }))
        {
            return;
        }

        foreach (var (name, value) in impersonationHeaders)
        {
            request.Headers.Remove(name);
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (repeatedLines is not null)
        {
            request.Version = HttpVersion.Version11;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionExact;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            invoker?.Dispose();
            retired.ForEach(r => r.Dispose());
            settings.Exec?.Dispose();
        }

        base.Dispose(disposing);
    }

    private async Task<HttpResponseMessage> SendWithTimeoutsAsync(HttpMessageInvoker transport, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (settings.RequestTimeout != Timeout.InfiniteTimeSpan)
        {
            deadline.CancelAfter(settings.RequestTimeout);
        }

        HttpResponseMessage? response = null;
        try
        {
            response = await transport.SendAsync(request, deadline.Token).ConfigureAwait(false);

            // The whole answer arrives within the request timeout: read it here, under the deadline.
            var content = response.Content;
            byte[] body = await content.ReadAsByteArrayAsync(deadline.Token).ConfigureAwait(false);
            var buffered = new ByteArrayContent(body);
            foreach (var header in content.Headers)
            {
                buffered.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }

            content.Dispose();
            response.Content = buffered;
            return response;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            response?.Dispose();
            throw deadline.IsCancellationRequested || ex.InnerException is not TimeoutException
                ? new ClusterTransportException(K8sErrorKind.Timeout, $"the API server did not answer within the request timeout of {Seconds(settings.RequestTimeout)} (-RequestTimeout)")
                : new ClusterTransportException(K8sErrorKind.Timeout, $"no connection to the API server within the connect timeout of {Seconds(settings.ConnectTimeout)} (-ConnectTimeout)");
        }
        catch (HttpRequestException ex)
        {
            response?.Dispose();
            throw new ClusterTransportException(K8sErrorKind.Connection, Describe(ex));
        }
        catch (IOException ex)
        {
            response?.Dispose();
            throw new ClusterTransportException(K8sErrorKind.Connection, "the connection to the API server broke: " + ex.Message);
        }
        catch (NotSupportedException ex)
        {
            // e.g. an https:// proxy-url on a .NET runtime that cannot speak TLS to proxies.
            response?.Dispose();
            throw new ClusterTransportException(K8sErrorKind.Configuration, "this connection is not supported here: " + ex.Message);
        }
    }

    /// <summary>One pooled HTTP stack per client certificate (an exec plugin may rotate it).</summary>
    private HttpMessageInvoker Invoker(X509Certificate2? execCertificate)
    {
        var certificate = execCertificate ?? settings.ClientCertificate;
        lock (sync)
        {
            if (invoker is not null && ReferenceEquals(certificate, invokerCertificate))
            {
                return invoker;
            }

            var handler = new SocketsHttpHandler
            {
                ConnectTimeout = settings.ConnectTimeout,
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
                KeepAlivePingDelay = TimeSpan.FromMinutes(3),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(30),
                EnableMultipleHttp2Connections = true,
            };
            if (settings.Proxy is not null)
            {
                handler.UseProxy = true;
                handler.Proxy = settings.Proxy;
            }

            // Impersonated names and groups may be any UTF-8 text: sent as bytes, like Go does.
            handler.RequestHeaderEncodingSelector = (name, _) =>
                name.StartsWith("Impersonate-", StringComparison.OrdinalIgnoreCase) ? System.Text.Encoding.UTF8 : null;
            if (repeatedLines is { } lines)
            {
                handler.PlaintextStreamFilter = (context, _) => ValueTask.FromResult(lines.Filter(context.PlaintextStream));
            }

            handler.SslOptions.RemoteCertificateValidationCallback = ValidateServerCertificate;
            if (certificate is not null)
            {
                handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
                handler.SslOptions.LocalCertificateSelectionCallback = (_, _, _, _, _) => certificate;
            }

            // Requests already running on the previous stack finish on it; it is released with the client.
            if (invoker is not null)
            {
                retired.Add(invoker);
            }

            invoker = new HttpMessageInvoker(handler, disposeHandler: true);
            invokerCertificate = certificate;
            return invoker;
        }
    }

    private bool ValidateServerCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (settings.SkipTlsVerify)
        {
            return true;
        }

        if (certificate is null)
        {
            lastCertificateProblem = "tls: the server sent no certificate";
            return false;
        }

        // The TLS session to an https:// proxy is verified against the proxy's name, with the same roots.
        string name = settings.ServerName;
        if (settings.HttpsProxyHost is { } proxyHost && sender is SslStream { TargetHostName: { } target }
            && string.Equals(target, proxyHost, StringComparison.OrdinalIgnoreCase)
            && !string.Equals(target, settings.ServerName, StringComparison.OrdinalIgnoreCase))
        {
            name = proxyHost;
        }

        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        var presented = chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToList() ?? new List<X509Certificate2>();
        string? problem = ServerCertificateVerifier.Verify(leaf, presented, settings.Roots, name, DateTime.UtcNow);
        if (problem is not null)
        {
            lastCertificateProblem = "tls: failed to verify certificate: " + problem;
            return false;
        }

        return true;
    }

    /// <summary>The cause of a failed request in one line: TLS verification reason, refused, DNS, proxy.</summary>
    private string Describe(HttpRequestException exception)
    {
        bool tls = false;
        Exception innermost = exception;
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            tls |= e is AuthenticationException;
            innermost = e;
        }

        if (tls)
        {
            string reason = Interlocked.Exchange(ref lastCertificateProblem, null) ?? innermost.Message;
            return "TLS failure: " + reason;
        }

        string message = exception.Message;
        return ReferenceEquals(innermost, exception) || message.Contains(innermost.Message, StringComparison.Ordinal)
            ? "cannot reach the API server: " + message
            : $"cannot reach the API server: {message} ({innermost.Message})";
    }

    private static string Seconds(TimeSpan span) =>
        span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
