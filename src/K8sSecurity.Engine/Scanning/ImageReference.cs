namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// A container image reference split like the container runtimes do (docker.io is the default registry). The parts
/// are ranges of <see cref="Original"/> that become strings only when read: the best-practice checks split the image
/// of every container of every scanned workload and mostly need only "pinned by digest?" and "from which registry?".
/// </summary>
public sealed class ImageReference
{
    private readonly ImageParts parts;
    private string? registry, repository, tag, digest;

    private ImageReference(ImageParts parts) => this.parts = parts;

    /// <summary>The image as written in the manifest.</summary>
    public string Original => parts.Original;

    /// <summary>Registry host in lower case, e.g. "docker.io" or "registry.example.com:5000".</summary>
    public string Registry => registry ??= parts.Registry;

    /// <summary>Repository path, e.g. "library/nginx".</summary>
    public string Repository => repository ??= parts.Repository;

    public string? Tag => parts.HasTag ? tag ??= parts.Tag : null;

    public string? Digest => parts.PinnedByDigest ? digest ??= parts.Digest : null;

    /// <summary>registry/repository, e.g. "docker.io/library/nginx".</summary>
    public string FullName => $"{Registry}/{Repository}";

    public bool PinnedByDigest => parts.PinnedByDigest;

    /// <summary>No tag and no digest (pulls :latest) or the :latest tag.</summary>
    public bool UsesLatest => parts.UsesLatest;

    public static ImageReference Parse(string image) => new(ImageParts.Parse(image));

    /// <summary>
    /// True when the image comes from an allowed registry entry: a registry host ("ghcr.io"), a registry path prefix
    /// ("ghcr.io/acme"), or a wildcard ("*.azurecr.io").
    /// </summary>
    public bool IsFrom(string allowed) => parts.IsFrom(allowed);

    public override string ToString() => Original;
}

/// <summary>An image reference as ranges of the image string (see <see cref="ImageReference"/>); no allocation.</summary>
internal readonly struct ImageParts
{
    private const string DefaultRegistry = "docker.io";
    private const string LibraryPrefix = "library/";

    // Ranges of Original; a negative start means "absent" (registry: the default registry).
    private readonly int registryStart, registryLength, repositoryStart, repositoryLength, tagStart, tagLength, digestStart, digestLength;
    private readonly bool libraryRepository; // a docker.io image without a namespace: "nginx" is "library/nginx"

    private ImageParts(string original, (int Start, int Length) registryRange, (int Start, int Length) repositoryRange, bool library,
        (int Start, int Length) tagRange, (int Start, int Length) digestRange)
    {
        Original = original;
        (registryStart, registryLength) = registryRange;
        (repositoryStart, repositoryLength) = repositoryRange;
        libraryRepository = library;
        (tagStart, tagLength) = tagRange;
        (digestStart, digestLength) = digestRange;
    }

    public string Original { get; }

    public string Registry => registryStart < 0 ? DefaultRegistry : RegistrySpan.ToString().ToLowerInvariant();

    public string Repository => libraryRepository ? string.Concat(LibraryPrefix, RepositorySpan) : RepositorySpan.ToString();

    public bool HasTag => tagStart >= 0;

    public string Tag => Original.Substring(tagStart, tagLength);

    public string Digest => Original.Substring(digestStart, digestLength);

    public bool PinnedByDigest => digestStart >= 0;

    public bool UsesLatest => digestStart < 0 && (tagStart < 0 || Original.AsSpan(tagStart, tagLength).SequenceEqual("latest"));

    private ReadOnlySpan<char> RegistrySpan => registryStart < 0 ? DefaultRegistry : Original.AsSpan(registryStart, registryLength);

    private ReadOnlySpan<char> RepositorySpan => Original.AsSpan(repositoryStart, repositoryLength);

    public static ImageParts Parse(string image)
    {
        // Index arithmetic only: the parts become strings when someone reads them.
        int begin = 0, end = image.Length;
        while (begin < end && char.IsWhiteSpace(image[begin]))
        {
            begin++;
        }

        while (end > begin && char.IsWhiteSpace(image[end - 1]))
        {
            end--;
        }

        var digestRange = (-1, 0);
        int at = image.IndexOf('@', begin, end - begin);
        if (at >= 0)
        {
            digestRange = (at + 1, end - at - 1);
            end = at;
        }

        var tagRange = (-1, 0);
        var rest = image.AsSpan(begin, end - begin);
        int lastSlash = rest.LastIndexOf('/');
        int colon = rest.LastIndexOf(':');
        if (colon > lastSlash)
        {
            tagRange = (begin + colon + 1, rest.Length - colon - 1);
            end = begin + colon;
            rest = rest[..colon];
        }

        var registryRange = (-1, 0);
        int repositoryStart = begin;
        int firstSlash = rest.IndexOf('/');
        if (firstSlash > 0)
        {
            var first = rest[..firstSlash];
            if (first.Contains('.') || first.Contains(':') || first.SequenceEqual("localhost"))
            {
                registryRange = (begin, firstSlash);
                repositoryStart = begin + firstSlash + 1;
            }
        }

        var repository = image.AsSpan(repositoryStart, end - repositoryStart);
        bool dockerHub = registryRange.Item1 < 0 || image.AsSpan(registryRange.Item1, registryRange.Item2).Equals(DefaultRegistry, StringComparison.OrdinalIgnoreCase);
        return new ImageParts(image, registryRange, (repositoryStart, end - repositoryStart), dockerHub && !repository.Contains('/'), tagRange, digestRange);
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

        var registryText = RegistrySpan;
        var repositoryText = RepositorySpan;
        string prefix = libraryRepository ? LibraryPrefix : string.Empty;
        if (entry.ContainsAny('*', '?'))
        {
            // registry/repository built on the stack: wildcards are rare.
            int length = registryText.Length + 1 + prefix.Length + repositoryText.Length;
            Span<char> fullName = length <= 256 ? stackalloc char[256] : new char[length];
            registryText.CopyTo(fullName);
            fullName[registryText.Length] = '/';
            prefix.CopyTo(fullName[(registryText.Length + 1)..]);
            repositoryText.CopyTo(fullName[(registryText.Length + 1 + prefix.Length)..]);
            return Glob.IsMatch(entry, registryText) || Glob.IsMatch(entry, fullName[..length]);
        }

        // The registry itself, or a path prefix of registry/repository that ends at a '/' or at the end; compared piece
        // by piece, since this runs for every container and every allowed entry.
        if (entry.Length <= registryText.Length)
        {
            return entry.Equals(registryText, StringComparison.OrdinalIgnoreCase);
        }

        return entry[registryText.Length] == '/'
            && entry[..registryText.Length].Equals(registryText, StringComparison.OrdinalIgnoreCase)
            && IsPathPrefix(entry[(registryText.Length + 1)..], prefix, repositoryText);
    }

    // Whether path is first + second up to a '/' (or all of it), ignoring case.
    private static bool IsPathPrefix(ReadOnlySpan<char> path, ReadOnlySpan<char> first, ReadOnlySpan<char> second)
    {
        if (path.Length > first.Length + second.Length)
        {
            return false;
        }

        int inFirst = Math.Min(path.Length, first.Length);
        if (!path[..inFirst].Equals(first[..inFirst], StringComparison.OrdinalIgnoreCase)
            || !path[inFirst..].Equals(second[..(path.Length - inFirst)], StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        if (path.Length == first.Length + second.Length)
        {
            return true;
        }

        char next = path.Length < first.Length ? first[path.Length] : second[path.Length - first.Length];
        return next == '/';
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
