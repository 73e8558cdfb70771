namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The offending field paths of a violation, kept as prefix + suffix pairs (a container's path and a constant) and
/// joined into strings on first read: most scans only count violations, and a pair costs no string of its own.
/// The first pair is kept inline: most violations name one field, and checks that find nothing allocate no list.
/// </summary>
internal sealed class FieldPaths : IReadOnlyList<string>
{
    private (string Prefix, string Suffix) first;
    private (string Prefix, string Suffix)[]? rest; // pairs after the first, grown by doubling
    private string[]? joined;

    public int Count { get; private set; }

    public string this[int index] => Joined()[index];

    public void Add(string path) => Add(path, string.Empty);

    public void Add(string prefix, string suffix)
    {
        if (Count == 0)
        {
            first = (prefix, suffix);
        }
        else
        {
            if (rest is null || Count - 1 == rest.Length)
            {
                Array.Resize(ref rest, rest is null ? 3 : rest.Length * 2);
            }

            rest[Count - 1] = (prefix, suffix);
        }

        Count++;
    }

    public void AddRange(FieldPaths other)
    {
        for (int i = 0; i < other.Count; i++)
        {
            var (prefix, suffix) = other.Part(i);
            Add(prefix, suffix);
        }
    }

    /// <summary>Adds the pair unless the same path is already listed.</summary>
    public void AddDistinct(string prefix, string suffix)
    {
        for (int i = 0; i < Count; i++)
        {
            var (p, s) = Part(i);
            if (SamePath(p, s, prefix, suffix))
            {
                return;
            }
        }

        Add(prefix, suffix);
    }

    /// <summary>The paths as strings (built once, then shared).</summary>
    public string[] ToArray() => Joined();

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)Joined()).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    private (string Prefix, string Suffix) Part(int index) => index == 0 ? first : rest![index - 1];

    // prefix1 + suffix1 == prefix2 + suffix2, without building either string.
    internal static bool SamePath(string prefix1, string suffix1, string prefix2, string suffix2)
    {
        int length = prefix1.Length + suffix1.Length;
        if (length != prefix2.Length + suffix2.Length)
        {
            return false;
        }

        for (int i = 0; i < length; i++)
        {
            char a = i < prefix1.Length ? prefix1[i] : suffix1[i - prefix1.Length];
            char b = i < prefix2.Length ? prefix2[i] : suffix2[i - prefix2.Length];
            if (a != b)
            {
                return false;
            }
        }

        return true;
    }

    private string[] Joined()
    {
        if (joined is null)
        {
            var paths = new string[Count];
            for (int i = 0; i < paths.Length; i++)
            {
                var (prefix, suffix) = Part(i);
                paths[i] = suffix.Length == 0 ? prefix : string.Concat(prefix, suffix);
            }

            Interlocked.CompareExchange(ref joined, paths, null);
        }

        return joined;
    }
}
