using System.Globalization;
using System.Text.RegularExpressions;

namespace K8sSecurity.TestServer;

public enum QuantityFormat
{
    DecimalSI,
    BinarySI,
    DecimalExponent,
}

/// <summary>
/// k8s.io/apimachinery resource.Quantity, small: exact decimal value plus the suffix family it was written in.
/// Canonical formatting follows Quantity.CanonicalizeBytes (binary suffixes only for exact multiples of 1024 ≥ 1024,
/// otherwise decimal suffix with an exponent that is a multiple of 3), so sums like 800Mi+800Mi print as 1600Mi.
/// </summary>
public readonly partial struct Quantity : IComparable<Quantity>, IEquatable<Quantity>
{
    public const string ParseErrorMessage = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

    private static readonly Dictionary<string, decimal> DecimalSuffixes = new(StringComparer.Ordinal)
    {
        ["n"] = 1e-9m, ["u"] = 1e-6m, ["m"] = 1e-3m, [""] = 1m, ["k"] = 1e3m, ["M"] = 1e6m, ["G"] = 1e9m, ["T"] = 1e12m, ["P"] = 1e15m, ["E"] = 1e18m,
    };

    private static readonly string[] BinarySuffixes = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

    public Quantity(decimal value, QuantityFormat format)
    {
        Value = value;
        Format = format;
    }

    public decimal Value { get; }

    public QuantityFormat Format { get; }

    public static Quantity Zero(QuantityFormat format = QuantityFormat.DecimalSI) => new(0m, format);

    public static Quantity Parse(string s) =>
        TryParse(s, out var q) ? q : throw StatusResponses.BadRequest(ParseErrorMessage);

    public static bool TryParse(string? s, out Quantity q)
    {
        q = default;
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        var m = Shape().Match(s);
        if (!m.Success)
        {
            return false;
        }

        var number = m.Groups[1].Value;
        var suffix = m.Groups[2].Value;
        if (number.Count(c => c == '.') > 1 || number.Trim('+', '-') is "" or ".")
        {
            return false;
        }

        if (!decimal.TryParse(number, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var mantissa))
        {
            return false;
        }

        try
        {
            var bin = Array.IndexOf(BinarySuffixes, suffix);
            if (bin > 0)
            {
                q = new Quantity(mantissa * Pow(1024m, bin), QuantityFormat.BinarySI);
                return true;
            }

            if (DecimalSuffixes.TryGetValue(suffix, out var mult))
            {
                q = new Quantity(mantissa * mult, QuantityFormat.DecimalSI);
                return true;
            }

            if (suffix[0] is 'e' or 'E' && int.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exp) && exp is > -28 and < 28)
            {
                q = new Quantity(mantissa * Pow(10m, exp), QuantityFormat.DecimalExponent);
                return true;
            }
        }
        catch (OverflowException)
        {
            return false;
        }

        return false;
    }

    private static decimal Pow(decimal b, int e)
    {
        var r = 1m;
        for (var i = 0; i < Math.Abs(e); i++)
        {
            r *= b;
        }

        return e < 0 ? 1m / r : r;
    }

    public Quantity Add(Quantity other) => new(Value + other.Value, Value == 0 ? other.Format : Format);

    public Quantity Subtract(Quantity other) => new(Value - other.Value, Format);

    public int CompareTo(Quantity other) => Value.CompareTo(other.Value);

    public bool Equals(Quantity other) => Value == other.Value;

    public override bool Equals(object? obj) => obj is Quantity q && Equals(q);

    public override int GetHashCode() => Value.GetHashCode();

    public static bool operator ==(Quantity a, Quantity b) => a.Equals(b);

    public static bool operator !=(Quantity a, Quantity b) => !a.Equals(b);

    public static bool operator <(Quantity a, Quantity b) => a.CompareTo(b) < 0;

    public static bool operator >(Quantity a, Quantity b) => a.CompareTo(b) > 0;

    public static bool operator <=(Quantity a, Quantity b) => a.CompareTo(b) <= 0;

    public static bool operator >=(Quantity a, Quantity b) => a.CompareTo(b) >= 0;

    /// <summary>Mantissa and base-10 exponent with the exponent a multiple of 3 (Go rounds sub-nano values up to 1n).</summary>
    private (decimal Mantissa, int Exponent) DecimalParts()
    {
        var v = Value;
        var nano = v * 1e9m;
        if (nano != decimal.Truncate(nano))
        {
            v = Math.Ceiling(nano) / 1e9m;
        }

        var exp = -9;
        var mant = v * 1e9m;
        while (exp < 18 && mant != 0 && mant % 1000m == 0)
        {
            mant /= 1000m;
            exp += 3;
        }

        return (decimal.Truncate(mant), exp);
    }

    public override string ToString()
    {
        if (Value == 0)
        {
            return "0";
        }

        if (Format == QuantityFormat.BinarySI && Value == decimal.Truncate(Value) && Math.Abs(Value) >= 1024m)
        {
            var v = Value;
            var i = 0;
            while (i < BinarySuffixes.Length - 1 && v % 1024m == 0)
            {
                v /= 1024m;
                i++;
            }

            return v.ToString(CultureInfo.InvariantCulture) + BinarySuffixes[i];
        }

        var (mantissa, exponent) = DecimalParts();
        var m = mantissa.ToString("0", CultureInfo.InvariantCulture);
        if (Format == QuantityFormat.DecimalExponent)
        {
            return exponent == 0 ? m : m + "e" + exponent.ToString(CultureInfo.InvariantCulture);
        }

        var suffix = DecimalSuffixes.First(kv => kv.Value == Pow(10m, exponent)).Key;
        return m + suffix;
    }

    /// <summary>How Go's %v prints a resource.Quantity; kube-apiserver puts this into some Invalid messages (LimitRange).</summary>
    public string GoRepr()
    {
        var (mantissa, exponent) = Format == QuantityFormat.BinarySI ? (decimal.Truncate(Value), 0) : DecimalParts();
        return $"resource.Quantity{{i:resource.int64Amount{{value:{mantissa.ToString("0", CultureInfo.InvariantCulture)}, scale:{exponent.ToString(CultureInfo.InvariantCulture)}}}, d:resource.infDecAmount{{Dec:(*inf.Dec)(nil)}}, s:\"{this}\", Format:\"{Format}\"}}";
    }

    [GeneratedRegex(@"^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
