namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The offenders of the check being evaluated: the "; "-separated message as the strings it is made of (names, images
/// and constants the pod already holds, joined only when someone reads the message) and the distinct offending field
/// paths as prefix + suffix pairs (joined when someone reads them). <see cref="Take()"/> hands them over as a violation
/// and starts the next check. The strings go into append-only arrays that the thread's violations share, so a
/// violation is one small object: no copy of its text, no array or list of its own. Scans that only count violations
/// (gates, summaries) never build a message or a path.
/// </summary>
internal sealed class ViolationBuilder
{
    private const int ChunkSize = 1024;

    [ThreadStatic]
    private static ViolationBuilder? cached;

    private static readonly string[] Characters = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();

    // Message strings and field path pairs (prefix, suffix) of the violations taken from this thread. Slots before
    // start are owned by earlier violations and never written again; a full array is replaced, not reused.
    private Arena text = new();
    private Arena paths = new();

    /// <summary>The thread's builder (taken while in use, so a nested evaluation gets its own).</summary>
    public static ViolationBuilder Rent()
    {
        var builder = cached ?? new ViolationBuilder();
        cached = null;
        return builder;
    }

    public static void Return(ViolationBuilder builder)
    {
        // Anything added but not taken (an evaluation that threw) is dropped.
        builder.text.Discard();
        builder.paths.Discard();
        cached = builder;
    }

    /// <summary>Starts an offender's part of the message with the container's description; returns the builder to append the rest.</summary>
    public ViolationBuilder Add(ContainerView c, string fieldSuffix) => Next(c.Path, fieldSuffix).Append(c.Description);

    /// <summary>Starts an offender's part of the message for the field path prefix + suffix.</summary>
    public ViolationBuilder Next(string fieldPrefix, string fieldSuffix)
    {
        if (!paths.ContainsPair(fieldPrefix, fieldSuffix))
        {
            paths.Add(fieldPrefix);
            paths.Add(fieldSuffix);
        }

        return text.Pending > 0 ? Append("; ") : this;
    }

    /// <summary>Appends text to the current offender's part (kept by reference).</summary>
    public ViolationBuilder Append(string value)
    {
        if (value.Length > 0)
        {
            text.Add(value);
        }

        return this;
    }

    public ViolationBuilder Append(char character) => Append(character < Characters.Length ? Characters[character] : character.ToString());

    /// <summary>The violation whose whole message is what was added; null when nothing was.</summary>
    public CheckViolation? Take() => Take(null);

    /// <summary>The violation "reason (what was added)"; null when nothing was.</summary>
    public CheckViolation? Take(string? reason) =>
        paths.Pending == 0 ? null : new CheckViolation(reason, text.Take(), paths.Take());

    /// <summary>An append-only run of strings; Take hands over what was added since the last Take.</summary>
    private struct Arena
    {
        private string[]? items;
        private int start;
        private int count;

        public readonly int Pending => count - start;

        public void Add(string value)
        {
            if (items is null || count == items.Length)
            {
                Grow();
            }

            items![count++] = value;
        }

        public ArraySegment<string> Take()
        {
            var taken = items is null ? ArraySegment<string>.Empty : new ArraySegment<string>(items, start, count - start);
            start = count;
            return taken;
        }

        public void Discard() => count = start;

        /// <summary>Whether the pending strings, read as (prefix, suffix) pairs, already hold prefix + suffix.</summary>
        public readonly bool ContainsPair(string prefix, string suffix)
        {
            for (int i = start; i + 1 < count; i += 2)
            {
                if (FieldPaths.SamePath(items![i], items[i + 1], prefix, suffix))
                {
                    return true;
                }
            }

            return false;
        }

        // A new array; the pending strings move along, taken ones stay with the violations that hold the old array.
        private void Grow()
        {
            int pending = count - start;
            var grown = new string[Math.Max(ChunkSize, pending * 2)];
            if (items is not null)
            {
                Array.Copy(items, start, grown, 0, pending);
            }

            items = grown;
            start = 0;
            count = pending;
        }
    }
}
