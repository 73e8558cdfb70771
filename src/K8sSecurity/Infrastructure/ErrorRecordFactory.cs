using System.Management.Automation;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// The one mapping from engine failures to ErrorRecords: a stable error id and the right category per kind.
/// FullyQualifiedErrorId becomes "&lt;id&gt;,&lt;cmdlet class&gt;", e.g. "K8sNotFound,K8sSecurity.Commands.GetK8sRoleCommand".
/// </summary>
public static class ErrorRecordFactory
{
    public static ErrorRecord Create(K8sOperationException exception)
    {
        var (id, category) = exception.Kind switch
        {
            K8sErrorKind.InvalidArgument => ("K8sInvalidArgument", ErrorCategory.InvalidArgument),
            K8sErrorKind.Configuration => ("K8sConfiguration", ErrorCategory.ObjectNotFound),
            K8sErrorKind.Connection => ("K8sConnectionFailed", ErrorCategory.ConnectionError),
            K8sErrorKind.Unauthorized => ("K8sUnauthorized", ErrorCategory.AuthenticationError),
            K8sErrorKind.Forbidden => ("K8sForbidden", ErrorCategory.PermissionDenied),
            K8sErrorKind.NotFound => ("K8sNotFound", ErrorCategory.ObjectNotFound),
            K8sErrorKind.AlreadyExists => ("K8sAlreadyExists", ErrorCategory.ResourceExists),
            K8sErrorKind.Conflict => ("K8sConflict", ErrorCategory.ResourceBusy),
            K8sErrorKind.Invalid => ("K8sInvalid", ErrorCategory.InvalidData),
            K8sErrorKind.Timeout => ("K8sTimeout", ErrorCategory.OperationTimeout),
            K8sErrorKind.FileSystem => ("K8sFileSystem", ErrorCategory.WriteError),
            K8sErrorKind.Protocol => ("K8sProtocol", ErrorCategory.InvalidResult),
            _ => ("K8sError", ErrorCategory.NotSpecified),
        };
        return new ErrorRecord(exception, id, category, exception.Target);
    }

    /// <summary>For failures the engine did not anticipate: keep the message, never a stack of internals or HTTP traffic.</summary>
    public static ErrorRecord CreateUnexpected(Exception exception, object? target) =>
        new(
            SafeExceptions.CarriesHttpTraffic(exception) ? new InvalidOperationException(exception.Message) : exception,
            "K8sUnexpected",
            ErrorCategory.NotSpecified,
            target);
}
