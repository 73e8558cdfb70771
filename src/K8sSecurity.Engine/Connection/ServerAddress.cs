namespace K8sSecurity.Engine.Connection;

/// <summary>Server and proxy URLs as the module shows them: a password in the URL never appears.</summary>
public static class ServerAddress
{
    /// <summary>
    /// Replaces the password of <c>scheme://user:password@host</c> with <c>***</c> (what kubectl prints); other text is
    /// returned unchanged. Works on text that is not a valid URI too.
    /// </summary>
    public static string? Redact(string? url)
    {
        if (string.IsNullOrEmpty(url))
        {
            return url;
        }

        int schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        int authorityStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        int authorityEnd = url.IndexOfAny(new[] { '/', '?', '#' }, authorityStart);
        if (authorityEnd < 0)
        {
            authorityEnd = url.Length;
        }

        int at = url.LastIndexOf('@', authorityEnd - 1, authorityEnd - authorityStart);
        if (at < 0)
        {
            return url;
        }

        int colon = url.IndexOf(':', authorityStart, at - authorityStart);
        return colon < 0 ? url : string.Concat(url.AsSpan(0, colon), ":***", url.AsSpan(at));
    }

    /// <summary>The URL without user information (what requests go to).</summary>
    internal static Uri WithoutUserInfo(Uri url) =>
        string.IsNullOrEmpty(url.UserInfo) ? url : new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri;
}
