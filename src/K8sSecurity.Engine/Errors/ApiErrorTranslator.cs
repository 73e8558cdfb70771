using System.Net;
using System.Net.Http;
using System.Security.Authentication;
using System.Text.Json;
using k8s.Autorest;
using K8sSecurity.Engine.Connection;

namespace K8sSecurity.Engine.Errors;

/// <summary>
/// The single place where transport and API failures become <see cref="K8sOperationException"/>s.
/// Every engine call that talks to the cluster goes through <see cref="CallAsync{T}"/>.
/// The exceptions it builds keep no inner exception from the HTTP layer: KubernetesClient's
/// <see cref="HttpOperationException"/> holds the request (headers, body) and response, and runbooks log $Error.
/// </summary>
public static class ApiErrorTranslator
{
    public static async Task<T> CallAsync<T>(Func<Task<T>> call, string operation, object? target = null)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, operation, target) is { } translated)
        {
            throw translated;
        }
    }

    public static async Task CallAsync(Func<Task> call, string operation, object? target = null)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (Translate(ex, operation, target) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>Returns null for exceptions that must keep flowing unchanged (cancellation, our own).</summary>
    public static K8sOperationException? Translate(Exception exception, string operation, object? target = null)
    {
        switch (exception)
        {
            case K8sOperationException:
                return null;
            case ClusterTransportException transport:
                string where = transport.Server is not null && operation.Contains(transport.Server, StringComparison.Ordinal) ? transport.Detail : transport.Message;
                return new K8sOperationException(transport.Kind, $"{operation}: {where}", target);
            case OperationCanceledException when exception is not TaskCanceledException { InnerException: TimeoutException }:
                return null;
            case HttpOperationException http:
                return FromStatus(http, operation, target);
            case TaskCanceledException or TimeoutException:
                return new K8sOperationException(K8sErrorKind.Timeout, $"{operation}: the API server did not answer in time.", target);
            case HttpRequestException request:
                return new K8sOperationException(K8sErrorKind.Connection, $"{operation}: cannot reach the API server: {DescribeTransport(request)}", target);
            case AuthenticationException tls:
                return new K8sOperationException(K8sErrorKind.Connection, $"{operation}: TLS failure: {tls.Message}", target);
            case IOException io when io.InnerException is AuthenticationException:
                return new K8sOperationException(K8sErrorKind.Connection, $"{operation}: TLS failure: {io.InnerException.Message}", target);
            default:
                return null;
        }
    }

    private static string DescribeTransport(HttpRequestException request)
    {
        Exception innermost = request;
        while (innermost.InnerException is not null)
        {
            innermost = innermost.InnerException;
        }

        return ReferenceEquals(innermost, request) ? request.Message : $"{request.Message} ({innermost.Message})";
    }

    private static K8sOperationException FromStatus(HttpOperationException http, string operation, object? target)
    {
        var code = http.Response?.StatusCode ?? 0;
        string? reason = null;
        string? message = null;
        string? content = http.Response?.Content;
        if (!string.IsNullOrEmpty(content) && content.TrimStart().StartsWith('{'))
        {
            try
            {
                using var doc = JsonDocument.Parse(content);
                if (doc.RootElement.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String)
                {
                    reason = r.GetString();
                }

                if (doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                {
                    message = m.GetString();
                }
            }
            catch (JsonException)
            {
                // Not a Status body; fall back to the HTTP status line.
            }
        }

        message ??= $"HTTP {(int)code} {code}";
        var kind = code switch
        {
            HttpStatusCode.NotFound => K8sErrorKind.NotFound,
            HttpStatusCode.Forbidden => K8sErrorKind.Forbidden,
            HttpStatusCode.Unauthorized => K8sErrorKind.Unauthorized,
            HttpStatusCode.Conflict when reason == "AlreadyExists" => K8sErrorKind.AlreadyExists,
            HttpStatusCode.Conflict => K8sErrorKind.Conflict,
            HttpStatusCode.UnprocessableEntity or HttpStatusCode.BadRequest => K8sErrorKind.Invalid,
            HttpStatusCode.GatewayTimeout or HttpStatusCode.RequestTimeout => K8sErrorKind.Timeout,
            _ => K8sErrorKind.Unknown,
        };
        if (kind == K8sErrorKind.Unauthorized)
        {
            message = "the server rejected the credentials (401 Unauthorized): " + message;
        }
        else if (kind == K8sErrorKind.Forbidden && RbacEscalationMessage.Matches(message))
        {
            message = RbacEscalationMessage.Explain(message);
        }

        return new K8sOperationException(kind, $"{operation}: {message}", target)
        {
            StatusCode = (int)code,
            Reason = reason,
        };
    }
}
