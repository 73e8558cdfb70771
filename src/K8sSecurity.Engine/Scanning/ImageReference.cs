namespace K8sSecurity.Engine.Scanning;

/// <summary>A container image reference split like the container runtimes do (docker.io is the default registry).</summary>
public sealed record ImageReference(string Original, string Registry, string Repository, string? Tag, string? Digest)
{
    /// <summary>registry/repository, e.g. "docker.io/library/nginx".</summary>
    public string FullName => $"{Registry}/{Repository}";

    public bool PinnedByDigest => Digest is not null;

    /// <summary>No tag and no digest (pulls :latest) or the :latest tag.</summary>
    public bool UsesLatest => Digest is null && (Tag is null || Tag == "latest");

    public static ImageReference Parse(string image)
    {
        // Index arithmetic on spans: only the parts the record keeps become strings.
        var rest = image.AsSpan().Trim();
        string? digest = null;
        int at = rest.IndexOf('@');
        if (at >= 0)
        {
            digest = rest[(at + 1)..].ToString();
            rest = rest[..at];
        }

        string? tag = null;
        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..].ToString();
            rest = rest[..colon];
        }

        string registry = "docker.io";
        var repository = rest;
        int firstSlash = rest.IndexOf('/');
        if (firstSlash > 0)
        {
            var first = rest[..firstSlash];
            if (first.Contains('.') || first.Contains(':') || first.SequenceEqual("localhost"))
            {
                registry = LowerCase(first);
                repository = rest[(firstSlash + 1)..];
            }
        }

        string repositoryText = registry == "docker.io" && !repository.Contains('/')
            ? string.Concat("library/", repository)
            : repository.ToString();
        return new ImageReference(image, registry, repositoryText, tag, digest);
    }

    private static string LowerCase(ReadOnlySpan<char> text)
    {
        foreach (char ch in text)
        {
            if (char.IsUpper(ch))
            {
                return text.ToString().ToLowerInvariant();
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// True when the image comes from an allowed registry entry: a registry host ("ghcr.io"), a registry path prefix
    /// ("ghcr.io/acme"), or a wildcard ("*.azurecr.io").
    /// </summary>
    public bool IsFrom(string allowed)
    {
        var entry = allowed.AsSpan().Trim().TrimEnd('/');
        if (entry.IsEmpty)
        {
            return false;
        }

        // registry/repository without allocating: this runs for every container and every allowed entry.
        int length = Registry.Length + 1 + Repository.Length;
        Span<char> fullName = length <= 256 ? stackalloc char[256] : new char[length];
        Registry.CopyTo(fullName);
        fullName[Registry.Length] = '/';
        Repository.CopyTo(fullName[(Registry.Length + 1)..]);
        fullName = fullName[..length];
        if (entry.ContainsAny('*', '?'))
        {
            return Glob.IsMatch(entry, Registry) || Glob.IsMatch(entry, fullName);
        }

        return entry.Equals(Registry, StringComparison.OrdinalIgnoreCase)
            || (fullName.Length > entry.Length && fullName[entry.Length] == '/' && fullName.StartsWith(entry, StringComparison.OrdinalIgnoreCase))
            || entry.Equals(fullName, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Case-insensitive * and ? matching for check ids and registries (no PowerShell in the engine).</summary>
public static class Glob
{
    public static bool IsMatch(string pattern, string text) => Match(pattern.AsSpan(), text.AsSpan());

    internal static bool IsMatch(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text) => Match(pattern, text);

    private static bool Match(ReadOnlySpan<char> pattern, ReadOnlySpan<char> text)
    {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && (pattern[p] == '?' || char.ToUpperInvariant(pattern[p]) == char.ToUpperInvariant(text[t])))
            {
                p++;
                t++;
            }
            else if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else
            {
                return false;
            }
        }

        while (p < pattern.Length && pattern[p] == '*')
        {
            p++;
        }

        return p == pattern.Length;
    }
}
