using System.Globalization;

namespace K8sSecurity.Engine.Hardening;

/// <summary>File modes as the CIS Benchmark and `stat -c %a` write them ("600", "644").</summary>
internal static class UnixModes
{
    private const UnixFileMode PermissionBits = (UnixFileMode)0x1FF;

    public static string ToOctal(UnixFileMode mode) => Convert.ToString((int)(mode & PermissionBits), 8).PadLeft(3, '0');

    /// <summary>True when <paramref name="mode"/> grants nothing beyond <paramref name="maximum"/> (e.g. 600 allows 400 and 600).</summary>
    public static bool AtMost(UnixFileMode mode, int maximumOctal)
    {
        int maximum = Convert.ToInt32(maximumOctal.ToString(CultureInfo.InvariantCulture), 8);
        return ((int)(mode & PermissionBits) & ~maximum) == 0;
    }
}
