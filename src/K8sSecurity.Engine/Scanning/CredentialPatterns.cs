using System.Text.RegularExpressions;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// Recognises credentials stored in plain text: by the key name (password, token, secret, API key… as Polaris'
/// sensitiveContainerEnvVar and kubescape C-0012 look for) or by the value's shape (well-known token formats,
/// private keys, URLs with a password). Answers with a description of the reason only: the value itself is never
/// returned, so no caller can put it into a finding, a message or a log line.
/// </summary>
public static partial class CredentialPatterns
{
    // Word parts of a key name that mean "this holds a credential". Matched on the name split at _ - . and camelCase,
    // so DB_PASSWORD, dbPassword, api-key and APIKEY match, while TOKEN_URL's "url" part makes it a reference.
    private static readonly string[] CredentialWords =
    {
        "password", "passwd", "pwd", "pass", "secret", "token", "apikey", "api_key", "accesskey", "access_key",
        "secretkey", "secret_key", "privatekey", "private_key", "credential", "credentials", "bearer", "auth",
        "connectionstring", "connection_string",
    };

    // Name parts that say the value points at a credential instead of holding one.
    private static readonly string[] ReferenceWords =
    {
        "file", "path", "dir", "url", "uri", "endpoint", "name", "ref", "id", "length", "ttl", "expiry", "expiration",
        "timeout", "header", "type", "mode", "enabled", "policy", "method", "host", "port", "secretname", "keyname",
        "issuer", "audience", "scope", "scopes",
    };

    private static readonly HashSet<string> CredentialWordSet = new(CredentialWords, StringComparer.Ordinal);

    private static readonly HashSet<string> ReferenceWordSet = new(ReferenceWords, StringComparer.Ordinal);

    // Credential words long enough to count inside a run-together name (DBPASSWORD), without their underscore.
    private static readonly string[] LongCredentialWords =
        CredentialWords.Where(w => w.Length >= 6).Select(w => w.Replace("_", string.Empty, StringComparison.Ordinal)).Distinct().ToArray();

    private static readonly (string Description, Regex Pattern)[] ValueFormats =
    {
        ("a private key (PEM)", PrivateKey()),
        ("an AWS access key ID", AwsAccessKey()),
        ("a GitHub token", GitHubToken()),
        ("a GitLab personal access token", GitLabToken()),
        ("a Slack token", SlackToken()),
        ("a Google API key", GoogleApiKey()),
        ("a Stripe secret key", StripeKey()),
        ("a JSON Web Token", JsonWebToken()),
        ("a URL with a password", UrlWithPassword()),
    };

    /// <summary>
    /// No value shorter than this can match a value format: a URL with a password needs at least "a://b:c@" (8), every
    /// token format is longer (AWS key 20, Slack 15, GitHub 40, private key header 26).
    /// </summary>
    internal const int ShortestValueFormat = 8;

    /// <summary>Why <paramref name="value"/>, stored under <paramref name="key"/>, looks like a credential; null when it does not.</summary>
    public static string? Describe(string key, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        // Most literal values (ports, levels, flags) are shorter than the shortest credential format: no regex runs.
        foreach (var (description, pattern) in value.Length < ShortestValueFormat ? Array.Empty<(string, Regex)>() : ValueFormats)
        {
            if (pattern.IsMatch(value))
            {
                return $"its value has the format of {description}";
            }
        }

        if (IsCredentialName(key) && !LooksLikeReference(value))
        {
            return "its name says it holds a credential";
        }

        return null;
    }

    /// <summary>Whether any value format matches, without the length shortcut (tests pin the shortcut with it).</summary>
    internal static bool MatchesAnyValueFormat(string value)
    {
        foreach (var (_, pattern) in ValueFormats)
        {
            if (pattern.IsMatch(value))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>True when the key name says it holds a credential (and not a file, URL or name of one).</summary>
    public static bool IsCredentialName(string key) =>
        NameVerdicts.TryGetValue(key, out bool verdict) ? verdict : Remember(key, JudgeName(key));

    // Variable names repeat across workloads (LOG_LEVEL, DB_PASSWORD…): each is split into words once, up to a bound.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> NameVerdicts = new(StringComparer.Ordinal);

    private static bool Remember(string key, bool verdict)
    {
        if (NameVerdicts.Count < 16_384)
        {
            NameVerdicts.TryAdd(key, verdict);
        }

        return verdict;
    }

    private static bool JudgeName(string key)
    {
        var words = Words(key);
        if (words.Count == 0)
        {
            return false;
        }

        bool credential = false;
        foreach (string word in words)
        {
            credential |= CredentialWordSet.Contains(word);
        }

        if (!credential)
        {
            string joined = string.Concat(words);
            foreach (string word in LongCredentialWords)
            {
                if (joined.Contains(word, StringComparison.Ordinal))
                {
                    credential = true;
                    break;
                }
            }
        }

        // The last word decides what the key holds: DB_PASSWORD_FILE is a path, TOKEN_URL an address.
        return credential && !ReferenceWordSet.Contains(words[^1]);
    }

    /// <summary>Values that are references, not credentials: paths, variable references, placeholders.</summary>
    private static bool LooksLikeReference(string value)
    {
        string v = value.Trim();
        return v.StartsWith('/')
            || v.StartsWith("$(", StringComparison.Ordinal)
            || v.StartsWith("${", StringComparison.Ordinal)
            || v.Equals("true", StringComparison.OrdinalIgnoreCase)
            || v.Equals("false", StringComparison.OrdinalIgnoreCase)
            || v.StartsWith("http://", StringComparison.OrdinalIgnoreCase)
            || v.StartsWith("https://", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Lower-case words of a key: split at non-alphanumerics and at lower-to-upper case changes.</summary>
    internal static List<string> Words(string key)
    {
        var words = new List<string>(4);
        int start = -1;
        for (int i = 0; i <= key.Length; i++)
        {
            bool boundary = i == key.Length || !char.IsLetterOrDigit(key[i])
                || (i > 0 && char.IsUpper(key[i]) && char.IsLower(key[i - 1]));
            if (boundary && start >= 0)
            {
                words.Add(key[start..i].ToLowerInvariant());
                start = -1;
            }

            if (i < key.Length && char.IsLetterOrDigit(key[i]) && start < 0)
            {
                start = i;
            }
        }

        return words;
    }

    [GeneratedRegex(@"-----BEGIN[A-Z ]*PRIVATE KEY( BLOCK)?-----", RegexOptions.CultureInvariant)]
    private static partial Regex PrivateKey();

    [GeneratedRegex(@"\b(AKIA|ASIA)[0-9A-Z]{16}\b", RegexOptions.CultureInvariant)]
    private static partial Regex AwsAccessKey();

    [GeneratedRegex(@"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})", RegexOptions.CultureInvariant)]
    private static partial Regex GitHubToken();

    [GeneratedRegex(@"\bglpat-[A-Za-z0-9_\-]{20,}", RegexOptions.CultureInvariant)]
    private static partial Regex GitLabToken();

    [GeneratedRegex(@"\bxox[abposr]-[A-Za-z0-9-]{10,}", RegexOptions.CultureInvariant)]
    private static partial Regex SlackToken();

    [GeneratedRegex(@"\bAIza[0-9A-Za-z_\-]{35}\b", RegexOptions.CultureInvariant)]
    private static partial Regex GoogleApiKey();

    [GeneratedRegex(@"\b[sr]k_live_[0-9A-Za-z]{20,}", RegexOptions.CultureInvariant)]
    private static partial Regex StripeKey();

    [GeneratedRegex(@"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{16,}", RegexOptions.CultureInvariant)]
    private static partial Regex JsonWebToken();

    [GeneratedRegex(@"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^/\s:@]+:[^/\s@]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlWithPassword();
}
