namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The offenders of the check being evaluated: the "; "-separated message as the strings it is made of (names, images
/// and constants the pod already holds, joined only when someone reads the message) and the distinct field paths as
/// prefix + suffix pairs. <see cref="Take()"/> hands them over as a violation and starts the next check. Most pods pass
/// most checks, and a violation costs an array of references instead of a copy of its text: scans that only count
/// violations (gates, summaries) never build the message.
/// </summary>
internal sealed class ViolationBuilder
{
    [ThreadStatic]
    private static ViolationBuilder? cached;

    private static readonly string[] Characters = Enumerable.Range(0, 128).Select(c => ((char)c).ToString()).ToArray();

    private readonly List<string> parts = new(32);
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
        builder.parts.Clear();
        builder.fields = null;
        cached = builder;
    }

    /// <summary>Starts an offender's part of the message with the container's description; returns the builder to append the rest.</summary>
    public ViolationBuilder Add(ContainerView c, string fieldSuffix) => Next(c.Path, fieldSuffix).Append(c.Description);

    /// <summary>Starts an offender's part of the message for the field path prefix + suffix.</summary>
    public ViolationBuilder Next(string fieldPrefix, string fieldSuffix)
    {
        (fields ??= new FieldPaths()).AddDistinct(fieldPrefix, fieldSuffix);
        return parts.Count > 0 ? Append("; ") : this;
    }

    /// <summary>Appends text to the current offender's part (kept by reference).</summary>
    public ViolationBuilder Append(string text)
    {
        if (text.Length > 0)
        {
            parts.Add(text);
        }

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

        var violation = new CheckViolation(reason, parts.ToArray(), fields);
        parts.Clear();
        fields = null;
        return violation;
    }
}
