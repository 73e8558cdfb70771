using System.Globalization;
using System.Numerics;
using System.Text;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>How a <see cref="Quantity"/> is written back: the suffix family it was parsed with.</summary>
public enum QuantityFormat
{
    /// <summary>12e6.</summary>
    DecimalExponent,

    /// <summary>12Mi (12 × 2^20).</summary>
    BinarySI,

    /// <summary>12M (12 × 10^6), also m, u, n.</summary>
    DecimalSI,
}

/// <summary>
/// An exact port of Kubernetes' <c>resource.Quantity</c> (k8s.io/apimachinery/pkg/api/resource): a fixed-point
/// number (never a float) with the suffixes n u m k M G T P E, Ki…Ei and decimal exponents. Parsing rounds
/// anything finer than 1n away from zero, caps binary quantities at 2^63-1, and remembers the suffix family so
/// <see cref="ToString"/> emits the canonical form (largest suffix without losing precision: 1.5 → 1500m,
/// 1.5Gi → 1536Mi). Comparison is exact, so limit ranges and quotas are checked like the apiserver checks them.
/// </summary>
public sealed class Quantity : IComparable<Quantity>, IEquatable<Quantity>
{
    /// <summary>The regular expression upstream names in its format error (kept verbatim for identical messages).</summary>
    public const string FormatPattern = "^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$";

    public const string ErrorFormatWrong = "quantities must match the regular expression '" + FormatPattern + "'";
    public const string ErrorNumeric = "unable to parse numeric part of quantity";
    public const string ErrorSuffix = "unable to parse quantity's suffix";

    private const int NanoExponent = -9;
    private const int MaxInt64Factors = 18;
    private const string SuffixLetters = "eEinumkKMGTP";

    private static readonly BigInteger MaxAllowed = new(long.MaxValue);
    private static readonly BigInteger Ten = new(10);
    private static readonly BigInteger Base1024 = new(1024);

    private readonly BigInteger unscaled;
    private readonly int exponent;

    // Upstream keeps the parsed text when it already is canonical (its fast path), and emits it unchanged.
    private readonly string? parsedText;
    private string? canonical;

    private Quantity(BigInteger unscaled, int exponent, QuantityFormat format, string? parsedText = null)
    {
        this.unscaled = unscaled;
        this.exponent = exponent;
        Format = format;
        this.parsedText = parsedText;
    }

    public static Quantity Zero { get; } = new(BigInteger.Zero, 0, QuantityFormat.DecimalSI, "0");

    public QuantityFormat Format { get; }

    /// <summary>-1, 0 or 1.</summary>
    public int Sign => unscaled.Sign;

    public bool IsZero => unscaled.IsZero;

    /// <summary>The value in units rounded up away from zero (upstream <c>Value()</c>).</summary>
    public BigInteger Value => ScaledValue(0);

    /// <summary>ceil(q × 1000), upstream <c>MilliValue()</c>.</summary>
    public BigInteger MilliValue => ScaledValue(-3);

    public static Quantity Parse(string text) =>
        TryParse(text, out var quantity, out string? error) ? quantity : throw new FormatException(error);

    /// <summary>Parses like <c>resource.ParseQuantity</c>; on failure <paramref name="error"/> is upstream's message.</summary>
    public static bool TryParse(string? text, out Quantity quantity, out string? error)
    {
        quantity = Zero;
        error = null;
        if (string.IsNullOrEmpty(text))
        {
            error = ErrorFormatWrong;
            return false;
        }

        if (text == "0")
        {
            return true;
        }

        if (!TrySplit(text, out bool positive, out string value, out string num, out string denom, out string suffix))
        {
            error = ErrorFormatWrong;
            return false;
        }

        if (!TryInterpretSuffix(suffix, out int numberBase, out int suffixExponent, out var format))
        {
            error = ErrorSuffix;
            return false;
        }

        if (TryFastPath(text, positive, num, denom, numberBase, suffixExponent, format, out quantity))
        {
            return true;
        }

        // The general path: exact decimal arithmetic on the whole value.
        if (!TryParseDecimal(value, out var amount, out int amountExponent))
        {
            error = ErrorNumeric;
            return false;
        }

        if (numberBase == 10)
        {
            amountExponent += suffixExponent;
        }
        else
        {
            amount *= BigInteger.Pow(2, suffixExponent);
        }

        int sign = amount.Sign;
        amount = BigInteger.Abs(amount);

        // Round a non-zero value up to the smallest representable one (1n): who asks for some gets some.
        if (!amount.IsZero && DigitCount(amount) + (long)amountExponent <= NanoExponent)
        {
            // Below 1n altogether: rounds up to exactly 1n (and never builds a huge power of ten).
            amount = BigInteger.One;
            amountExponent = NanoExponent;
        }
        else if (!amount.IsZero && amountExponent < NanoExponent)
        {
            var divisor = BigInteger.Pow(Ten, NanoExponent - amountExponent);
            var quotient = BigInteger.DivRem(amount, divisor, out var remainder);
            amount = remainder.IsZero ? quotient : quotient + 1;
            amountExponent = NanoExponent;
        }

        var candidate = new Quantity(amount, amountExponent, format);
        if (format == QuantityFormat.BinarySI && candidate.CompareTo(MaxAllowed) > 0)
        {
            amount = MaxAllowed;
            amountExponent = 0;
        }

        if (format == QuantityFormat.BinarySI && !amount.IsZero && new Quantity(amount, amountExponent, format).CompareTo(BigInteger.One) < 0)
        {
            // Avoids rounding and, hopefully, confusion.
            format = QuantityFormat.DecimalSI;
        }

        quantity = new Quantity(sign < 0 ? -amount : amount, amountExponent, format);
        return true;
    }

    /// <summary>A quantity of <paramref name="value"/> × 10^<paramref name="scale"/>.</summary>
    public static Quantity FromScaled(BigInteger value, int scale, QuantityFormat format = QuantityFormat.DecimalSI) =>
        new(value, scale, format);

    public static Quantity FromInt64(long value, QuantityFormat format = QuantityFormat.DecimalSI) => new(value, 0, format);

    public static bool operator ==(Quantity? left, Quantity? right) => left is null ? right is null : left.Equals(right);

    public static bool operator !=(Quantity? left, Quantity? right) => !(left == right);

    public static bool operator <(Quantity left, Quantity right) => left.CompareTo(right) < 0;

    public static bool operator >(Quantity left, Quantity right) => left.CompareTo(right) > 0;

    public static bool operator <=(Quantity left, Quantity right) => left.CompareTo(right) <= 0;

    public static bool operator >=(Quantity left, Quantity right) => left.CompareTo(right) >= 0;

    /// <summary>Sum; a zero left operand takes the right one's format (upstream <c>Add</c>).</summary>
    public Quantity Add(Quantity other)
    {
        var (a, b, e) = Align(this, other);
        return new Quantity(a + b, e, IsZero ? other.Format : Format);
    }

    public Quantity Subtract(Quantity other)
    {
        var (a, b, e) = Align(this, other);
        return new Quantity(a - b, e, IsZero ? other.Format : Format);
    }

    public Quantity Negate() => new(-unscaled, exponent, Format);

    /// <summary>Exact comparison, independent of format.</summary>
    public int CompareTo(Quantity? other)
    {
        if (other is null)
        {
            return 1;
        }

        if (unscaled.Sign != other.unscaled.Sign)
        {
            return unscaled.Sign.CompareTo(other.unscaled.Sign);
        }

        if (unscaled.IsZero)
        {
            return 0;
        }

        // Different magnitudes decide without building huge powers of ten (1e1000000000 stays cheap).
        long magnitude = DigitCount(unscaled) + (long)exponent;
        long otherMagnitude = DigitCount(other.unscaled) + (long)other.exponent;
        if (magnitude != otherMagnitude)
        {
            return unscaled.Sign * magnitude.CompareTo(otherMagnitude);
        }

        var (a, b, _) = Align(this, other);
        return a.CompareTo(b);
    }

    public int CompareTo(long value) => CompareTo(new Quantity(value, 0, QuantityFormat.DecimalSI));

    public bool Equals(Quantity? other) => other is not null && CompareTo(other) == 0;

    public override bool Equals(object? obj) => obj is Quantity other && Equals(other);

    public override int GetHashCode()
    {
        var (value, e) = StripTens(unscaled, exponent);
        return HashCode.Combine(value, e);
    }

    /// <summary>ceil(q / 10^scale) away from zero, like upstream <c>ScaledValue</c>.</summary>
    public BigInteger ScaledValue(int scale)
    {
        int shift = exponent - scale;
        if (shift >= 0)
        {
            return unscaled * BigInteger.Pow(Ten, shift);
        }

        var divisor = BigInteger.Pow(Ten, -shift);
        var quotient = BigInteger.DivRem(unscaled, divisor, out var remainder);
        return remainder.IsZero ? quotient : quotient + unscaled.Sign;
    }

    /// <summary>A double close to the value (for percentages and display only, never for decisions).</summary>
    public double ToDouble() => (double)unscaled * Math.Pow(10, exponent);

    /// <summary>The canonical text: what the apiserver stores and kubectl prints.</summary>
    public override string ToString() => parsedText ?? (canonical ??= Canonicalize());

    private string Canonicalize()
    {
        if (unscaled.IsZero)
        {
            return "0";
        }

        var format = Format;
        BigInteger rounded = BigInteger.Zero;
        if (format == QuantityFormat.BinarySI)
        {
            if (CompareTo(-1024) > 0 && CompareTo(1024) < 0)
            {
                format = QuantityFormat.DecimalSI;
            }
            else
            {
                rounded = ScaledValue(0);
                if (new Quantity(rounded, 0, format).CompareTo(this) != 0)
                {
                    // Never lose precision: show it as DecimalSI.
                    format = QuantityFormat.DecimalSI;
                }
            }
        }

        if (format == QuantityFormat.BinarySI)
        {
            var (value, powers) = RemoveFactors(rounded, Base1024);
            return value.ToString(CultureInfo.InvariantCulture) + BinarySuffix(powers * 10);
        }

        var (number, e) = StripTens(unscaled, exponent);
        while (e % 3 != 0)
        {
            number *= 10;
            e--;
        }

        string digits = number.ToString(CultureInfo.InvariantCulture);
        string? suffix = format == QuantityFormat.DecimalSI ? DecimalSuffix(e) : null;

        // DecimalSI has no suffix past E (10^18): fall back to an exponent rather than drop magnitude.
        suffix ??= e == 0 ? string.Empty : "e" + e.ToString(CultureInfo.InvariantCulture);
        return digits + suffix;
    }

    private static (BigInteger Value, int Exponent) StripTens(BigInteger value, int e)
    {
        var (stripped, times) = RemoveFactors(value, Ten);
        return (stripped, e + times);
    }

    private static (BigInteger Value, int Times) RemoveFactors(BigInteger value, BigInteger factor)
    {
        int times = 0;
        while (!value.IsZero)
        {
            var quotient = BigInteger.DivRem(value, factor, out var remainder);
            if (!remainder.IsZero)
            {
                break;
            }

            times++;
            value = quotient;
        }

        return (value, times);
    }

    private static (BigInteger A, BigInteger B, int Exponent) Align(Quantity x, Quantity y)
    {
        int e = Math.Min(x.exponent, y.exponent);
        return (x.unscaled * BigInteger.Pow(Ten, x.exponent - e), y.unscaled * BigInteger.Pow(Ten, y.exponent - e), e);
    }

    private static long DigitCount(BigInteger value)
    {
        value = BigInteger.Abs(value);
        return value.IsZero ? 0 : value.ToString(CultureInfo.InvariantCulture).Length;
    }

    private int CompareTo(BigInteger value) => CompareTo(new Quantity(value, 0, QuantityFormat.DecimalSI));

    private static string? DecimalSuffix(int e) => e switch
    {
        -9 => "n",
        -6 => "u",
        -3 => "m",
        0 => string.Empty,
        3 => "k",
        6 => "M",
        9 => "G",
        12 => "T",
        15 => "P",
        18 => "E",
        _ => null,
    };

    private static string BinarySuffix(int e) => e switch
    {
        10 => "Ki",
        20 => "Mi",
        30 => "Gi",
        40 => "Ti",
        50 => "Pi",
        60 => "Ei",
        _ => string.Empty,
    };

    private static bool TryInterpretSuffix(string suffix, out int numberBase, out int suffixExponent, out QuantityFormat format)
    {
        numberBase = 10;
        format = QuantityFormat.DecimalSI;
        switch (suffix)
        {
            case "": suffixExponent = 0; return true;
            case "n": suffixExponent = -9; return true;
            case "u": suffixExponent = -6; return true;
            case "m": suffixExponent = -3; return true;
            case "k": suffixExponent = 3; return true;
            case "M": suffixExponent = 6; return true;
            case "G": suffixExponent = 9; return true;
            case "T": suffixExponent = 12; return true;
            case "P": suffixExponent = 15; return true;
            case "E": suffixExponent = 18; return true;
        }

        format = QuantityFormat.BinarySI;
        numberBase = 2;
        switch (suffix)
        {
            case "Ki": suffixExponent = 10; return true;
            case "Mi": suffixExponent = 20; return true;
            case "Gi": suffixExponent = 30; return true;
            case "Ti": suffixExponent = 40; return true;
            case "Pi": suffixExponent = 50; return true;
            case "Ei": suffixExponent = 60; return true;
        }

        numberBase = 10;
        format = QuantityFormat.DecimalExponent;
        suffixExponent = 0;
        if (suffix.Length > 1 && (suffix[0] == 'e' || suffix[0] == 'E')
            && IsGoInteger(suffix.AsSpan(1))
            && long.TryParse(suffix.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed))
        {
            suffixExponent = unchecked((int)parsed); // upstream truncates to int32 the same way
            return true;
        }

        return false;
    }

    private static bool IsGoInteger(ReadOnlySpan<char> text)
    {
        int start = text.Length > 0 && (text[0] == '+' || text[0] == '-') ? 1 : 0;
        if (start == text.Length)
        {
            return false;
        }

        foreach (char c in text[start..])
        {
            if (c is < '0' or > '9')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The scanner of upstream's parseQuantityString, step for step.</summary>
    private static bool TrySplit(string str, out bool positive, out string value, out string num, out string denom, out string suffix)
    {
        positive = true;
        value = num = denom = suffix = string.Empty;
        int pos = 0;
        int end = str.Length;
        if (pos < end)
        {
            if (str[0] == '-')
            {
                positive = false;
                pos++;
            }
            else if (str[0] == '+')
            {
                pos++;
            }
        }

        // Leading zeros.
        for (int i = pos; ; i++)
        {
            if (i >= end)
            {
                num = "0";
                value = num;
                return true;
            }

            if (str[i] != '0')
            {
                break;
            }

            pos++;
        }

        // Numerator.
        for (int i = pos; ; i++)
        {
            if (i >= end)
            {
                num = str[pos..end];
                value = str[..end];
                return true;
            }

            if (!char.IsAsciiDigit(str[i]))
            {
                num = str[pos..i];
                pos = i;
                break;
            }
        }

        if (num.Length == 0)
        {
            num = "0";
        }

        // Denominator (upstream accepts "1." and "1.G").
        if (pos < end && str[pos] == '.')
        {
            pos++;
            bool reachedEnd = true;
            for (int i = pos; i < end; i++)
            {
                if (!char.IsAsciiDigit(str[i]))
                {
                    denom = str[pos..i];
                    pos = i;
                    reachedEnd = false;
                    break;
                }
            }

            if (reachedEnd)
            {
                denom = str[pos..end];
                value = str[..end];
                return true;
            }
        }

        value = str[..pos];

        // Suffix: letters, then an optional sign, then digits, up to the end.
        int suffixStart = pos;
        for (int i = pos; ; i++)
        {
            if (i >= end)
            {
                suffix = str[suffixStart..end];
                return true;
            }

            if (SuffixLetters.IndexOf(str[i], StringComparison.Ordinal) < 0)
            {
                pos = i;
                break;
            }
        }

        if (pos < end && (str[pos] == '-' || str[pos] == '+'))
        {
            pos++;
        }

        for (int i = pos; ; i++)
        {
            if (i >= end)
            {
                suffix = str[suffixStart..end];
                return true;
            }

            if (!char.IsAsciiDigit(str[i]))
            {
                return false;
            }
        }
    }

    /// <summary>Upstream's int64 fast path; it decides when the parsed text is kept as the canonical string.</summary>
    private static bool TryFastPath(
        string text, bool positive, string num, string denom, int numberBase, int suffixExponent, QuantityFormat format, out Quantity quantity)
    {
        quantity = Zero;
        int precision;
        int scale = 0;
        long mantissa = 1;
        if (format is QuantityFormat.DecimalExponent or QuantityFormat.DecimalSI)
        {
            scale = suffixExponent;
            precision = MaxInt64Factors - (num.Length + denom.Length);
        }
        else if (suffixExponent >= 0 && denom.Length == 0)
        {
            mantissa <<= suffixExponent;
            precision = 15 - num.Length - (int)((float)suffixExponent * 3 / 10) - 1;
        }
        else
        {
            precision = -1;
        }

        if (precision < 0)
        {
            return false;
        }

        scale -= denom.Length;
        if (scale < NanoExponent)
        {
            return false;
        }

        string shifted = num + denom;
        if (!long.TryParse(shifted, NumberStyles.None, CultureInfo.InvariantCulture, out long parsed))
        {
            return false;
        }

        long result;
        try
        {
            result = checked(parsed * mantissa);
        }
        catch (OverflowException)
        {
            return false;
        }

        if (!positive)
        {
            result = -result;
        }

        bool keepText = numberBase == 2
            ? suffixExponent % 10 == 0 && (parsed & 0x07) != 0
            : scale % 3 == 0 && !shifted.EndsWith("000", StringComparison.Ordinal) && shifted[0] != '0';
        quantity = new Quantity(result, scale, format, keepText ? text : null);
        return true;
    }

    private static bool TryParseDecimal(string value, out BigInteger amount, out int amountExponent)
    {
        amount = BigInteger.Zero;
        amountExponent = 0;
        int dot = value.IndexOf('.', StringComparison.Ordinal);
        string digits = value;
        if (dot >= 0)
        {
            amountExponent = -(value.Length - dot - 1);
            digits = string.Concat(value.AsSpan(0, dot), value.AsSpan(dot + 1));
        }

        var builder = new StringBuilder(digits.Length);
        bool negative = false;
        for (int i = 0; i < digits.Length; i++)
        {
            char c = digits[i];
            if (i == 0 && (c == '-' || c == '+'))
            {
                negative = c == '-';
                continue;
            }

            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            builder.Append(c);
        }

        if (builder.Length == 0)
        {
            return false;
        }

        amount = BigInteger.Parse(builder.ToString(), NumberStyles.None, CultureInfo.InvariantCulture);
        if (negative)
        {
            amount = -amount;
        }

        return true;
    }
}
