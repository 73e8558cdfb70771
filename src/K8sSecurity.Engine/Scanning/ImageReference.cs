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
        string rest = image.Trim();
        string? digest = null;
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            digest = rest[(at + 1)..];
            rest = rest[..at];
        }

        string? tag = null;
        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tag = rest[(colon + 1)..];
            rest = rest[..colon];
        }

        string registry = "docker.io";
        string repository = rest;
        int firstSlash = rest.IndexOf('/', StringComparison.Ordinal);
        if (firstSlash > 0)
        {
            string first = rest[..firstSlash];
            if (first.Contains('.', StringComparison.Ordinal) || first.Contains(':', StringComparison.Ordinal) || first == "localhost")
            {
                registry = first;
                repository = rest[(firstSlash + 1)..];
            }
        }

        if (registry == "docker.io" && !repository.Contains('/', StringComparison.Ordinal))
        {
            repository = "library/" + repository;
        }

        return new ImageReference(image, registry.ToLowerInvariant(), repository, tag, digest);
    }

    /// <summary>
    /// True when the image comes from an allowed registry entry: a registry host ("ghcr.io"), a registry path prefix
    /// ("ghcr.io/acme"), or a wildcard ("*.azurecr.io").
    /// </summary>
    public bool IsFrom(string allowed)
    {
        string entry = allowed.Trim().TrimEnd('/');
        if (entry.Length == 0)
        {
            return false;
        }

        if (entry.Contains('*', StringComparison.Ordinal) || entry.Contains('?', StringComparison.Ordinal))
        {
            return Glob.IsMatch(entry, Registry) || Glob.IsMatch(entry, FullName);
        }

        return string.Equals(entry, Registry, StringComparison.OrdinalIgnoreCase)
            || FullName.StartsWith(entry + "/", StringComparison.OrdinalIgnoreCase)
            || string.Equals(entry, FullName, StringComparison.OrdinalIgnoreCase);
    }
}

/// <summary>Case-insensitive * and ? matching for check ids and registries (no PowerShell in the engine).</summary>
public static class Glob
{
    public static bool IsMatch(string pattern, string text) => Match(pattern.AsSpan(), text.AsSpan());

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
