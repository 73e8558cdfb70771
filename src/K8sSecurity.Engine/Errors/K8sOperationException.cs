namespace K8sSecurity.Engine.Errors;

/// <summary>
/// The one exception type the engine throws for expected failures. Messages never contain secrets or key material,
/// and an inner exception that could reach HTTP traffic (request headers, bodies) is dropped (<see cref="SafeExceptions"/>).
/// </summary>
public sealed class K8sOperationException : Exception
{
    public K8sOperationException()
    {
    }

    public K8sOperationException(string message)
        : base(message)
    {
    }

    public K8sOperationException(string message, Exception innerException)
        : base(message, SafeExceptions.WithoutHttpTraffic(innerException))
    {
    }

    public K8sOperationException(K8sErrorKind kind, string message, object? target = null, Exception? innerException = null)
        : base(message, SafeExceptions.WithoutHttpTraffic(innerException))
    {
        Kind = kind;
        Target = target;
    }

    public K8sErrorKind Kind { get; }

    /// <summary>What the error is about (a name, a path, a parameter value) for the ErrorRecord's TargetObject.</summary>
    public object? Target { get; }

    /// <summary>HTTP status code when the failure came from the API server.</summary>
    public int? StatusCode { get; init; }

    /// <summary>The Kubernetes Status reason (NotFound, AlreadyExists, Invalid, Forbidden…), when there is one.</summary>
    public string? Reason { get; init; }

    public static K8sOperationException InvalidArgument(string parameterName, object? value, string problem) =>
        new(K8sErrorKind.InvalidArgument, $"Invalid value for -{parameterName} '{value}': {problem}", value);
}
