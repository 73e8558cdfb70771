namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The offending field paths of a violation, kept as prefix + suffix pairs (a container's path and a constant) and
/// joined into strings on first read: most scans only count violations, and a pair costs no string of its own.
/// </summary>
internal sealed class FieldPaths : IReadOnlyList<string>
{
    private readonly List<(string Prefix, string Suffix)> parts = new(4); // a pod's few containers without regrowing
    private string[]? joined;

    public int Count => parts.Count;

    public string this[int index] => Joined()[index];

    public void Add(string path) => parts.Add((path, string.Empty));

    public void Add(string prefix, string suffix) => parts.Add((prefix, suffix));

    public void AddRange(FieldPaths other) => parts.AddRange(other.parts);

    /// <summary>Adds the pair unless the same path is already listed.</summary>
    public void AddDistinct(string prefix, string suffix)
    {
        foreach (var (p, s) in parts)
        {
            if (SamePath(p, s, prefix, suffix))
            {
                return;
            }
        }

        parts.Add((prefix, suffix));
    }

    /// <summary>The paths as strings (built once, then shared).</summary>
    public string[] ToArray() => Joined();

    public IEnumerator<string> GetEnumerator() => ((IEnumerable<string>)Joined()).GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    // prefix1 + suffix1 == prefix2 + suffix2, without building either string.
    private static bool SamePath(string prefix1, string suffix1, string prefix2, string suffix2)
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
            var paths = new string[parts.Count];
            for (int i = 0; i < paths.Length; i++)
            {
                paths[i] = parts[i].Suffix.Length == 0 ? parts[i].Prefix : string.Concat(parts[i].Prefix, parts[i].Suffix);
            }

            Interlocked.CompareExchange(ref joined, paths, null);
        }

        return joined;
    }
}
