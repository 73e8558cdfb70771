using System.Collections;
using System.Net.Http.Headers;
using System.Reflection;

namespace K8sSecurity.Engine.Errors;

/// <summary>
/// Keeps HTTP traffic out of error records: an exception that can reach a request, response, header collection or
/// body (KubernetesClient's HttpOperationException keeps the request with its Authorization header and content) is
/// never kept as an inner exception. Runbooks log $Error; `$Error[0] | ConvertTo-Json` must not print a token.
/// </summary>
public static class SafeExceptions
{
    /// <summary>The exception when nothing in its chain can hold HTTP traffic; otherwise null.</summary>
    public static Exception? WithoutHttpTraffic(Exception? exception) => CarriesHttpTraffic(exception) ? null : exception;

    /// <summary>True when the exception, an inner exception, or their Data can reach a request, response, headers or a body.</summary>
    public static bool CarriesHttpTraffic(Exception? exception)
    {
        var pending = new Stack<Exception>();
        if (exception is not null)
        {
            pending.Push(exception);
        }

        int seen = 0;
        while (pending.Count > 0 && seen++ < 64)
        {
            var current = pending.Pop();
            if (IsHttpTraffic(current.GetType()) || current.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Any(p => IsHttpTraffic(p.PropertyType)))
            {
                return true;
            }

            foreach (DictionaryEntry entry in current.Data)
            {
                if (entry.Value is not null && IsHttpTraffic(entry.Value.GetType()))
                {
                    return true;
                }
            }

            if (current is AggregateException aggregate)
            {
                foreach (var inner in aggregate.InnerExceptions)
                {
                    pending.Push(inner);
                }
            }
            else if (current.InnerException is not null)
            {
                pending.Push(current.InnerException);
            }
        }

        return pending.Count > 0;
    }

    private static bool IsHttpTraffic(Type type) =>
        typeof(HttpRequestMessage).IsAssignableFrom(type)
        || typeof(HttpResponseMessage).IsAssignableFrom(type)
        || typeof(HttpContent).IsAssignableFrom(type)
        || typeof(HttpHeaders).IsAssignableFrom(type)
        || (type.Namespace == "k8s.Autorest" && (type.Name.Contains("Message", StringComparison.Ordinal) || type.Name == "HttpOperationException"));
}
