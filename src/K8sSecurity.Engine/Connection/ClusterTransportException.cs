using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// A failure of the connection itself (connect, TLS, timeout, credentials plugin), raised by the module's own
/// transport. It carries only text: no request, header, body or credential, and no inner exception.
/// <see cref="ApiErrorTranslator"/> turns it into a <see cref="K8sOperationException"/>.
/// </summary>
public sealed class ClusterTransportException : Exception
{
    public ClusterTransportException()
        : this(K8sErrorKind.Connection, "The API server connection failed.")
    {
    }

    public ClusterTransportException(string message)
        : this(K8sErrorKind.Connection, message)
    {
    }

    public ClusterTransportException(string message, Exception innerException)
        : this(K8sErrorKind.Connection, message + " (" + innerException?.GetType().Name + ")")
    {
    }

    internal ClusterTransportException(K8sErrorKind kind, string detail, string? context = null, string? server = null)
        : base(server is null ? detail : $"{detail} (context '{context}', server {server})")
    {
        Kind = kind;
        Detail = detail;
        Context = context;
        Server = server;
    }

    public K8sErrorKind Kind { get; }

    /// <summary>What went wrong, without where.</summary>
    public string Detail { get; }

    public string? Context { get; }

    /// <summary>The server URL, without any user information.</summary>
    public string? Server { get; }

    /// <summary>The same failure, naming the context and server it happened with.</summary>
    internal ClusterTransportException At(string context, string server) =>
        Server is null ? new ClusterTransportException(Kind, Detail, context, server) : this;
}
