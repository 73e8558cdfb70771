using System.Globalization;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// A Pod Security Standards policy version, "v1.0" … "v1.36" or "latest", like the
/// pod-security.kubernetes.io/enforce-version label. Only the minor number matters: the policy has one major.
/// </summary>
public readonly record struct PssVersion(int Minor)
{
    /// <summary>Newest policy version this module knows; "latest" resolves to it.</summary>
    public const int LatestMinor = 36;

    public static PssVersion Latest { get; } = new(LatestMinor);

    /// <summary>Every accepted -Version value, for completion and validation messages.</summary>
    public static IReadOnlyList<string> AcceptedValues { get; } =
        Enumerable.Range(0, LatestMinor + 1).Select(m => $"v1.{m}").Append("latest").ToArray();

    public static PssVersion Parse(string? text, string parameterName = "Version")
    {
        if (TryParse(text, out var version))
        {
            return version;
        }

        throw K8sOperationException.InvalidArgument(parameterName, text, $"expected latest or v1.0 … v1.{LatestMinor}.");
    }

    public static bool TryParse(string? text, out PssVersion version)
    {
        version = Latest;
        if (string.IsNullOrWhiteSpace(text) || string.Equals(text.Trim(), "latest", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        string value = text.Trim();
        if (value.StartsWith('v') || value.StartsWith('V'))
        {
            value = value[1..];
        }

        if (!value.StartsWith("1.", StringComparison.Ordinal)
            || !int.TryParse(value.AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out int minor)
            || minor > LatestMinor)
        {
            return false;
        }

        version = new PssVersion(minor);
        return true;
    }

    public override string ToString() => $"v1.{Minor}";
}
