using System.Globalization;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// Go's time.ParseDuration, which metav1.Duration fields ("3s", "1m30s", "250ms", "-1h") and duration flags
/// (--request-timeout, --streaming-connection-idle-timeout) use: signed sequence of decimal numbers, each with a
/// unit ns, us (µs/μs), ms, s, m or h; "0" alone needs no unit.
/// </summary>
internal static class GoDuration
{
    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        int index = 0;
        bool negative = false;
        if (text[0] is '-' or '+')
        {
            negative = text[0] == '-';
            index++;
        }

        if (text.AsSpan(index).SequenceEqual("0"))
        {
            return true;
        }

        if (index == text.Length)
        {
            return false;
        }

        decimal totalNanoseconds = 0;
        while (index < text.Length)
        {
            int start = index;
            while (index < text.Length && (char.IsAsciiDigit(text[index]) || text[index] == '.'))
            {
                index++;
            }

            string number = text[start..index];
            if (number.Length == 0 || number == "." || number.Count(c => c == '.') > 1
                || !decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal value))
            {
                return false;
            }

            int unitStart = index;
            while (index < text.Length && !char.IsAsciiDigit(text[index]) && text[index] != '.')
            {
                index++;
            }

            decimal? scale = text[unitStart..index] switch
            {
                "ns" => 1m,
                "us" or "\u00b5s" or "\u03bcs" => 1_000m,
                "ms" => 1_000_000m,
                "s" => 1_000_000_000m,
                "m" => 60_000_000_000m,
                "h" => 3_600_000_000_000m,
                _ => null,
            };
            if (scale is null)
            {
                return false;
            }

            totalNanoseconds += value * scale.Value;
        }

        long ticks = (long)Math.Min(totalNanoseconds / 100m, long.MaxValue);
        duration = TimeSpan.FromTicks(negative ? -ticks : ticks);
        return true;
    }

    /// <summary>Formats like Go's Duration.String() for whole seconds and above ("3s", "1m30s", "2h0m0s").</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0s";
        }

        string sign = duration < TimeSpan.Zero ? "-" : string.Empty;
        duration = duration.Duration();
        if (duration < TimeSpan.FromSeconds(1))
        {
            return sign + (duration.Ticks % TimeSpan.TicksPerMillisecond == 0
                ? $"{duration.Ticks / TimeSpan.TicksPerMillisecond}ms"
                : $"{duration.Ticks / 10}us");
        }

        long hours = (long)duration.TotalHours;
        string seconds = (duration.Ticks % TimeSpan.TicksPerSecond == 0)
            ? duration.Seconds.ToString(CultureInfo.InvariantCulture)
            : (duration.Seconds + (duration.Ticks % TimeSpan.TicksPerSecond) / (double)TimeSpan.TicksPerSecond).ToString("0.#########", CultureInfo.InvariantCulture);
        if (hours > 0)
        {
            return $"{sign}{hours}h{duration.Minutes}m{seconds}s";
        }

        return duration.Minutes > 0 ? $"{sign}{duration.Minutes}m{seconds}s" : $"{sign}{seconds}s";
    }
}
