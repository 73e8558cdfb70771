namespace K8sSecurity.Engine.Errors;

/// <summary>
/// The kinds of failure the module distinguishes. The PowerShell layer maps each kind to one stable error id
/// and one ErrorCategory, in one place.
/// </summary>
public enum K8sErrorKind
{
    /// <summary>Anything not classified below.</summary>
    Unknown,

    /// <summary>A parameter value or input document is invalid; nothing was sent.</summary>
    InvalidArgument,

    /// <summary>The kubeconfig file or context is missing or unusable.</summary>
    Configuration,

    /// <summary>The server could not be reached (DNS, refused, TLS failure, timeout).</summary>
    Connection,

    /// <summary>HTTP 401: the credentials were rejected.</summary>
    Unauthorized,

    /// <summary>HTTP 403: authenticated, but RBAC or an admission plugin refused.</summary>
    Forbidden,

    /// <summary>HTTP 404.</summary>
    NotFound,

    /// <summary>HTTP 409 with reason AlreadyExists.</summary>
    AlreadyExists,

    /// <summary>HTTP 409 Conflict (stale resourceVersion, apply conflict).</summary>
    Conflict,

    /// <summary>HTTP 422 or 400: the server rejected the object.</summary>
    Invalid,

    /// <summary>A wait or request ran out of time.</summary>
    Timeout,

    /// <summary>A local file could not be read or written, or would be overwritten without -Force.</summary>
    FileSystem,

    /// <summary>The server or a document answered something the module cannot use.</summary>
    Protocol,
}
