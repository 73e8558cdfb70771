namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The offenders of the check being evaluated: the "; "-separated message as the strings it is made of (names, images
/// and constants the pod already holds, joined only when someone reads the message) and the distinct field paths as
/// prefix + suffix pairs. <see cref="Take()"/> hands them over as a violation and starts the next check. The strings
/// of all violations of one evaluation share one array, so a violation costs neither a copy of its text nor an array
/// of its own: scans that only count violations (gates, summaries) never build a message.
/// </summary>
internal sealed class ViolationBuilder
{
    [ThreadStatic]
    private static ViolationBuilder? cached;

    private static readonly string[] Characters = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();

    private string[]? parts; // shared by the violations taken from this evaluation; never reused after Return
    private int start;       // where the current violation's strings begin
    private int count;       // strings used in parts
    private FieldPaths? fields;

    /// <summary>The thread's builder (taken while in use, so a nested evaluation gets its own).</summary>
    public static ViolationBuilder Rent()
    {
        var builder = cached ?? new ViolationBuilder();
        cached = null;
        return builder;
    }

    public static void Return(ViolationBuilder builder)
    {
        // The array now belongs to the violations that point into it: the next evaluation starts a new one.
        builder.parts = null;
        builder.start = builder.count = 0;
        builder.fields = null;
        cached = builder;
    }

    /// <summary>Starts an offender's part of the message with the container's description; returns the builder to append the rest.</summary>
    public ViolationBuilder Add(ContainerView c, string fieldSuffix) => Next(c.Path, fieldSuffix).Append(c.Description);

    /// <summary>Starts an offender's part of the message for the field path prefix + suffix.</summary>
    public ViolationBuilder Next(string fieldPrefix, string fieldSuffix)
    {
        (fields ??= new FieldPaths()).AddDistinct(fieldPrefix, fieldSuffix);
        return count > start ? Append("; ") : this;
    }

    /// <summary>Appends text to the current offender's part (kept by reference).</summary>
    public ViolationBuilder Append(string text)
    {
        if (text.Length == 0)
        {
            return this;
        }

        if (parts is null || count == parts.Length)
        {
            Grow();
        }

        parts![count++] = text;
        return this;
    }

    public ViolationBuilder Append(char character) => Append(character < Characters.Length ? Characters[character] : character.ToString());

    /// <summary>The violation whose whole message is what was added; null when nothing was.</summary>
    public CheckViolation? Take() => Take(null);

    /// <summary>The violation "reason (what was added)"; null when nothing was.</summary>
    public CheckViolation? Take(string? reason)
    {
        if (fields is null)
        {
            return null;
        }

        var violation = new CheckViolation(reason, new ArraySegment<string>(parts ?? Array.Empty<string>(), start, count - start), fields);
        start = count;
        fields = null;
        return violation;
    }

    // A new, larger array; the current violation's strings move along, earlier violations keep the old array.
    private void Grow()
    {
        var grown = new string[parts is null ? 64 : Math.Max(64, (count - start) * 2)];
        if (parts is not null)
        {
            Array.Copy(parts, start, grown, 0, count - start);
        }

        count -= start;
        start = 0;
        parts = grown;
    }
}
