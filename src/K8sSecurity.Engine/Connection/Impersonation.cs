using System.Text;

namespace K8sSecurity.Engine.Connection;

/// <summary>
/// Who every request acts as when a kubeconfig user carries <c>as</c>, <c>as-uid</c>, <c>as-groups</c> and
/// <c>as-user-extra</c>: client-go's <c>rest.ImpersonationConfig</c> as clientcmd builds it
/// (tools/clientcmd/client_config.go, validation.go), and the headers <c>transport.NewImpersonatingRoundTripper</c>
/// sends for it (transport/round_trippers.go).
/// </summary>
internal sealed class Impersonation
{
    public const string UserHeader = "Impersonate-User";
    public const string UidHeader = "Impersonate-Uid";
    public const string GroupHeader = "Impersonate-Group";
    public const string ExtraHeaderPrefix = "Impersonate-Extra-";

    private Impersonation(string userName, string uid, IReadOnlyList<string> groups, IReadOnlyDictionary<string, IReadOnlyList<string>> extra)
    {
        UserName = userName;
        Uid = uid;
        Groups = groups;
        Extra = extra;
        RawHeaders = BuildHeaders();
        Headers = RawHeaders.Select(h => new KeyValuePair<string, string>(h.Key, WireValue(h.Value))).ToArray();
    }

    public string UserName { get; }

    public string Uid { get; }

    public IReadOnlyList<string> Groups { get; }

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Extra { get; }

    /// <summary>
    /// Every header line a request carries, in order: Impersonate-User, Impersonate-Uid (when set), one
    /// Impersonate-Group per group, one Impersonate-Extra-&lt;escaped key&gt; per value (keys sorted). Names are in Go's
    /// canonical form, as net/http writes the keys client-go adds; values as net/http's HTTP/1.1 writer sends them
    /// (<see cref="WireValue"/>).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; }

    /// <summary>The header lines with the values as the kubeconfig has them (what net/http checks before sending).</summary>
    private IReadOnlyList<KeyValuePair<string, string>> RawHeaders { get; }

    /// <summary>
    /// clientcmd's rules for one kubeconfig user: impersonation applies only when <c>as</c> is set (uid, groups and
    /// extra are read with it), and uid, groups or user-extra without <c>as</c> make the configuration invalid
    /// (validateAuthInfo). A value no HTTP header can carry is refused here, before any request, where net/http
    /// would fail every request. Null when the user impersonates nobody.
    /// </summary>
    /// <exception cref="InvalidOperationException">The combination or a value is one kubectl refuses.</exception>
    public static Impersonation? FromKubeconfigUser(
        string userEntryName,
        string? asUser,
        string? asUid,
        IReadOnlyList<string>? asGroups,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? asUserExtra)
    {
        asUser ??= string.Empty;
        asUid ??= string.Empty;
        asGroups ??= Array.Empty<string>();
        asUserExtra ??= new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (asUser.Length == 0)
        {
            if (asUid.Length > 0 || asGroups.Count > 0 || asUserExtra.Count > 0)
            {
                throw new InvalidOperationException($"requesting uid, groups or user-extra for {userEntryName} without impersonating a user");
            }

            return null;
        }

        var impersonation = new Impersonation(asUser, asUid, asGroups.ToArray(), asUserExtra.ToDictionary(e => e.Key, e => (IReadOnlyList<string>)e.Value.ToArray(), StringComparer.Ordinal));
        foreach (var (name, value) in impersonation.RawHeaders)
        {
            if (!IsValidHeaderValue(value))
            {
                throw new InvalidOperationException(
                    $"the impersonation of user \"{userEntryName}\" cannot be sent: {FieldOf(name)} holds a control character, which no HTTP header can carry (kubectl fails every request with: net/http: invalid header field value for \"{name}\")");
            }
        }

        return impersonation;
    }

    /// <summary>client-go's headerKeyEscape: every byte of the UTF-8 key that is not an HTTP token character, and '%', as %XX.</summary>
    public static string EscapeExtraKey(string key)
    {
        var escaped = new StringBuilder(key.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(key))
        {
            if (b == '%' || !IsTokenByte(b))
            {
                escaped.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                escaped.Append((char)b);
            }
        }

        return escaped.ToString();
    }

    /// <summary>
    /// Go's textproto.CanonicalMIMEHeaderKey, the form net/http gives a key added with Header.Add: the first letter
    /// and every letter after '-' upper case, the others lower case; a name with a byte that is not a token
    /// character stays as it is.
    /// </summary>
    public static string CanonicalHeaderKey(string name)
    {
        if (!name.All(c => c < 0x80 && IsTokenByte((byte)c)))
        {
            return name;
        }

        var canonical = new StringBuilder(name.Length);
        bool upper = true;
        foreach (char c in name)
        {
            canonical.Append(upper ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            upper = c == '-';
        }

        return canonical.ToString();
    }

    /// <summary>net/http's httpguts.ValidHeaderFieldValue: no control characters other than horizontal tab.</summary>
    public static bool IsValidHeaderValue(string value) => !value.Any(c => (c < ' ' && c != '\t') || c == '\x7f');

    /// <summary>RFC 7230 tchar (net/http's isTokenTable, which client-go's legalHeaderKeyBytes copies).</summary>
    private static bool IsTokenByte(byte b) =>
        b is (>= (byte)'a' and <= (byte)'z') or (>= (byte)'A' and <= (byte)'Z') or (>= (byte)'0' and <= (byte)'9')
            or (byte)'!' or (byte)'#' or (byte)'$' or (byte)'%' or (byte)'&' or (byte)'\'' or (byte)'*' or (byte)'+'
            or (byte)'-' or (byte)'.' or (byte)'^' or (byte)'_' or (byte)'`' or (byte)'|' or (byte)'~';

    private static string FieldOf(string headerName) => headerName switch
    {
        UserHeader => "as",
        UidHeader => "as-uid",
        GroupHeader => "as-groups",
        _ => "as-user-extra",
    };

    private IReadOnlyList<KeyValuePair<string, string>> BuildHeaders()
    {
        var headers = new List<KeyValuePair<string, string>> { new(UserHeader, UserName) };
        if (Uid.Length > 0)
        {
            headers.Add(new(UidHeader, Uid));
        }

        headers.AddRange(Groups.Select(g => new KeyValuePair<string, string>(GroupHeader, g)));
        foreach (var (key, values) in Extra.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            string name = CanonicalHeaderKey(ExtraHeaderPrefix + EscapeExtraKey(key));
            headers.AddRange(values.Select(v => new KeyValuePair<string, string>(name, v)));
        }

        return headers;
    }

    /// <summary>
    /// A value as net/http's HTTP/1.1 writer puts it on the wire (textproto.TrimString: no leading or trailing
    /// space or tab), which is also what any HTTP/1.1 server reads from an untrimmed one.
    /// </summary>
    public static string WireValue(string value) => value.Trim(' ', '\t');
}
