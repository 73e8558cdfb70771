namespace K8sSecurity.TestServer;

/// <summary>One request as the server saw it (for round-trip counting and asserting what the module sent).</summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string Query,
    string User,
    IReadOnlyList<string> Groups,
    int StatusCode,
    string? RequestBody,
    string? ContentType);
