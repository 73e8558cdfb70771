namespace K8sSecurity.TestServer;

/// <summary>
/// One request as the server saw it (for round-trip counting and asserting what the module sent). User and Groups
/// are who the request acted as (after impersonation); AuthenticatedUser is who its credentials proved (the same
/// user unless it impersonated someone); ImpersonationHeaders are its Impersonate-* header lines as received.
/// </summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string Query,
    string User,
    IReadOnlyList<string> Groups,
    int StatusCode,
    string? RequestBody,
    string? ContentType,
    string AuthenticatedUser = "",
    IReadOnlyList<KeyValuePair<string, string>>? ImpersonationHeaders = null);
