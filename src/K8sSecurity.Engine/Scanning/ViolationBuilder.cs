using System.Text;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The offenders of the check being evaluated: one "; "-separated message written straight into a reused buffer and
/// the distinct field paths as prefix + suffix pairs. <see cref="Take()"/> hands them over as a violation and starts
/// the next check. Most pods pass most checks, and a violation costs only its final message string.
/// </summary>
internal sealed class ViolationBuilder
{
    [ThreadStatic]
    private static ViolationBuilder? cached;

    private readonly StringBuilder text = new(256);
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
        builder.text.Clear();
        builder.fields = null;
        cached = builder;
    }

    /// <summary>Starts an offender's part of the message with the container's description; returns the builder to append the rest.</summary>
    public StringBuilder Add(ContainerView c, string fieldSuffix) =>
        Next(c.Path, fieldSuffix).Append(c.Kind switch
        {
            ContainerKind.InitContainer => "init container \"",
            ContainerKind.EphemeralContainer => "ephemeral container \"",
            _ => "container \"",
        }).Append(c.Name).Append('"');

    /// <summary>Starts an offender's part of the message for the field path prefix + suffix.</summary>
    public StringBuilder Next(string fieldPrefix, string fieldSuffix)
    {
        (fields ??= new FieldPaths()).AddDistinct(fieldPrefix, fieldSuffix);
        return text.Length > 0 ? text.Append("; ") : text;
    }

    /// <summary>The violation whose whole message is what was added; null when nothing was.</summary>
    public CheckViolation? Take() => Take(null);

    /// <summary>The violation "reason (what was added)"; null when nothing was.</summary>
    public CheckViolation? Take(string? reason)
    {
        if (fields is null)
        {
            return null;
        }

        var violation = reason is null
            ? new CheckViolation(text.ToString(), string.Empty, fields)
            : new CheckViolation(reason, text.ToString(), fields);
        text.Clear();
        fields = null;
        return violation;
    }
}
