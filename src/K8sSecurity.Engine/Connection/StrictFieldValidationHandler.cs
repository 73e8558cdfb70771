using System.Net.Http;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// Adds fieldValidation=Strict to every write the module sends (POST, PUT, PATCH on /api and /apis), as kubectl does:
/// an unknown or duplicated field — a typo in a manifest, a field this API version does not have — fails with the
/// server's "strict decoding error" instead of being dropped silently (the server's default only warns).
/// </summary>
internal sealed class StrictFieldValidationHandler : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.RequestUri is { } uri && IsWrite(request.Method) && IsApiPath(uri.AbsolutePath)
            && !uri.Query.Contains("fieldValidation=", StringComparison.Ordinal))
        {
            var builder = new UriBuilder(uri);
            builder.Query = (builder.Query.Length > 1 ? builder.Query[1..] + "&" : string.Empty) + "fieldValidation=Strict";
            request.RequestUri = builder.Uri;
        }

        return base.SendAsync(request, cancellationToken);
    }

    private static bool IsWrite(HttpMethod method) => method == HttpMethod.Post || method == HttpMethod.Put || method == HttpMethod.Patch;

    /// <summary>Resource paths, also behind a path prefix (Rancher-style proxied server URLs).</summary>
    private static bool IsApiPath(string path) => path.Contains("/api/", StringComparison.Ordinal) || path.Contains("/apis/", StringComparison.Ordinal);
}
