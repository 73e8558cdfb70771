using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// Types YAML scalars exactly as kubectl does: go-yaml v2's resolution (YAML 1.1: y/yes/on booleans, 0x/0o/0b and
/// leading-zero octal integers, `_` separators, .inf/.nan, explicit !!tags), then sigs.k8s.io/yaml's conversion to JSON
/// (integral floats become integers, values beyond int64 become floats, NaN and ±Inf cannot be written, keys become
/// strings) and the integer/float split kubectl's unstructured decoder makes when it reads that JSON back.
/// </summary>
internal static class YamlScalars
{
    public const string StrTag = "tag:yaml.org,2002:str";
    public const string IntTag = "tag:yaml.org,2002:int";
    public const string FloatTag = "tag:yaml.org,2002:float";
    public const string BoolTag = "tag:yaml.org,2002:bool";
    public const string NullTag = "tag:yaml.org,2002:null";
    public const string TimestampTag = "tag:yaml.org,2002:timestamp";
    public const string BinaryTag = "tag:yaml.org,2002:binary";
    public const string MergeTag = "tag:yaml.org,2002:merge";
    private const string LongTagPrefix = "tag:yaml.org,2002:";

    // go-yaml v2 only treats a scalar as non-string when its first character hints at it.
    private static readonly byte[] HintTable = BuildHintTable();

    private static readonly Regex DateOnly = new(@"^(\d{4})-(\d{1,2})-(\d{1,2})$", RegexOptions.CultureInvariant);

    private static readonly Regex DateTime = new(
        @"^(\d{4})-(\d{1,2})-(\d{1,2})([Tt ])(\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})?$", RegexOptions.CultureInvariant);

    /// <summary>What a scalar resolved to, before it is written as JSON.</summary>
    public enum Kind : byte
    {
        Null,
        Bool,
        Int,
        UInt,
        Float,
        String,
    }

    /// <summary>A resolved scalar (go-yaml's decoded value).</summary>
    public readonly record struct Resolved(Kind Kind, long Int = 0, ulong UInt = 0, double Float = 0, bool Bool = false, string? Text = null);

    /// <summary>The long form of a tag as written (!!str → tag:yaml.org,2002:str); null or empty for none.</summary>
    public static string? LongTag(string? tag) =>
        tag is not null && tag.StartsWith("!!", StringComparison.Ordinal) ? LongTagPrefix + tag[2..] : tag;

    /// <summary>
    /// go-yaml v2's decoding of a scalar into interface{}: quoted and untagged stays a string, otherwise the tag (or
    /// the plain text) decides. <paramref name="implicitPlain"/> is libyaml's plain_implicit: plain and untagged, or
    /// tagged "!". False with an error message when the value does not fit its tag.
    /// </summary>
    public static bool TryResolve(string value, string? tag, bool implicitPlain, out Resolved resolved, out string? error)
    {
        error = null;
        tag = string.IsNullOrEmpty(tag) ? null : tag;
        if (tag is null && !implicitPlain)
        {
            resolved = new Resolved(Kind.String, Text: value);
            return true;
        }

        if (tag == BinaryTag)
        {
            if (!TryDecodeBase64(value, out string? text))
            {
                resolved = default;
                error = "!!binary value contains invalid base64 data";
                return false;
            }

            resolved = new Resolved(Kind.String, Text: text);
            return true;
        }

        if (tag is not null and not (StrTag or IntTag or FloatTag or BoolTag or NullTag or TimestampTag))
        {
            // Any other tag (a local !tag, "!", !!merge, !!map on a scalar…) leaves the text as it is.
            resolved = new Resolved(Kind.String, Text: value);
            return true;
        }

        var (resolvedTag, result) = ResolvePlain(value, tag);
        if (tag is null or StrTag || tag == resolvedTag)
        {
            resolved = result;
            return true;
        }

        if (tag == FloatTag && resolvedTag == IntTag && result.Kind == Kind.Int)
        {
            resolved = new Resolved(Kind.Float, Float: result.Int);
            return true;
        }

        resolved = default;
        error = $"cannot decode {ShortTag(resolvedTag)} `{value}` as a {ShortTag(tag)}";
        return false;
    }

    /// <summary>Resolves a plain, untagged scalar (the common case; no error is possible).</summary>
    public static Resolved ResolvePlain(string value) => ResolvePlain(value, null).Result;

    /// <summary>A resolved scalar as a JSON value: false (with kubectl's message) for NaN and ±Inf.</summary>
    public static bool TryToJson(in Resolved value, out JsonNode? node, out string? error)
    {
        error = null;
        switch (value.Kind)
        {
            case Kind.Null:
                node = null;
                return true;
            case Kind.Bool:
                node = JsonValue.Create(value.Bool);
                return true;
            case Kind.Int:
                node = JsonValue.Create(value.Int);
                return true;
            case Kind.UInt:
                node = JsonValue.Create((double)value.UInt); // above int64: kubectl reads it back as a float
                return true;
            case Kind.Float:
                if (double.IsNaN(value.Float) || double.IsInfinity(value.Float))
                {
                    node = null;
                    error = $"json: unsupported value: {GoFloatName(value.Float)}";
                    return false;
                }

                node = Number(value.Float);
                return true;
            default:
                node = JsonValue.Create(value.Text);
                return true;
        }
    }

    /// <summary>
    /// A float as kubectl ends up with it: json.Marshal writes integral values below 1e21 without a fraction, and the
    /// unstructured decoder reads such a literal back as int64 when it fits. -2^63 does not: its shortest form is
    /// -9223372036854776000, past int64, so it stays a float (and the API server refuses it for an integer field).
    /// </summary>
    public static JsonNode Number(double value)
    {
        if (Math.Abs(value) < 1e21 && value == Math.Floor(value) && value > -9223372036854775808.0 && value < 9223372036854775808.0)
        {
            return JsonValue.Create((long)value);
        }

        return JsonValue.Create(value);
    }

    /// <summary>
    /// A mapping key as the JSON key sigs.k8s.io/yaml makes of it: strings as they are, integers in decimal, floats
    /// through float32 shortest formatting, booleans as true/false; null and uint64 keys are refused.
    /// </summary>
    public static bool TryKeyToString(in Resolved key, out string text, out string? error)
    {
        error = null;
        switch (key.Kind)
        {
            case Kind.String:
                text = key.Text!;
                return true;
            case Kind.Int:
                text = key.Int.ToString(CultureInfo.InvariantCulture);
                return true;
            case Kind.Bool:
                text = key.Bool ? "true" : "false";
                return true;
            case Kind.Float:
                text = GoFormatFloat32(key.Float);
                return true;
            case Kind.UInt:
                text = string.Empty;
                error = $"unsupported map key of type: uint64, key: 0x{key.UInt:x}";
                return false;
            default:
                text = string.Empty;
                error = "unsupported map key of type: %!s(<nil>), key: <nil>";
                return false;
        }
    }

    /// <summary>Fast check for plain keys: whether go-yaml could read the text as anything but a string.</summary>
    public static bool MayResolve(string plain) => plain.Length == 0 || (plain[0] < 0x80 && HintTable[plain[0]] != 0);

    /// <summary>Go's strings.TrimSpace set, used by kubectl's document splitter.</summary>
    public static bool IsGoSpace(char c) => c is ' ' or '\t' or '\n' or '\v' or '\f' or '\r' or '\u0085' or '\u00a0' || (c > 0xff && char.IsWhiteSpace(c));

    /// <summary>Bytes as Go's json.Marshal writes a string holding them: each invalid UTF-8 byte becomes U+FFFD.</summary>
    public static string GoString(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes, out var rune, out int consumed) == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
                bytes = bytes[consumed..];
            }
            else
            {
                text.Append('\ufffd');
                bytes = bytes[1..];
            }
        }

        return text.ToString();
    }

    private static (string Tag, Resolved Result) ResolvePlain(string value, string? tag)
    {
        byte hint = value.Length == 0 ? (byte)'N' : value[0] < 0x80 ? HintTable[value[0]] : (byte)0;
        if (hint == 0 || tag == StrTag)
        {
            return (StrTag, new Resolved(Kind.String, Text: value));
        }

        if (TryMap(value, out var mapped, out string? mappedTag))
        {
            return (mappedTag!, mapped);
        }

        switch (hint)
        {
            case (byte)'.':
                if (TryParseGoFloat(value, allowUnderscores: true, out double dotted))
                {
                    return (FloatTag, new Resolved(Kind.Float, Float: dotted));
                }

                break;
            case (byte)'D' or (byte)'S':
                if ((tag is null or TimestampTag) && IsTimestamp(value))
                {
                    // Kept as the text: go-yaml does not turn timestamps into time values for interface{}.
                    return (TimestampTag, new Resolved(Kind.String, Text: value));
                }

                string plain = value.Contains('_', StringComparison.Ordinal) ? value.Replace("_", string.Empty, StringComparison.Ordinal) : value;
                if (TryParseGoInt(plain, out long integer))
                {
                    return (IntTag, new Resolved(Kind.Int, Int: integer));
                }

                if (TryParseGoUInt(plain, out ulong unsigned))
                {
                    return (IntTag, new Resolved(Kind.UInt, UInt: unsigned));
                }

                // go-yaml also matches ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ first: TryParseGoFloat checks
                // that same grammar by hand (a regex here cost a tenth of the parse time on values like "100m").
                if (TryParseGoFloat(plain, allowUnderscores: false, out double number))
                {
                    return (FloatTag, new Resolved(Kind.Float, Float: number));
                }

                break;
        }

        return (StrTag, new Resolved(Kind.String, Text: value));
    }

    private static bool TryMap(string value, out Resolved resolved, out string? tag)
    {
        tag = null;
        resolved = default;
        switch (value)
        {
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                tag = BoolTag;
                resolved = new Resolved(Kind.Bool, Bool: true);
                return true;
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                tag = BoolTag;
                resolved = new Resolved(Kind.Bool, Bool: false);
                return true;
            case "" or "~" or "null" or "Null" or "NULL":
                tag = NullTag;
                resolved = new Resolved(Kind.Null);
                return true;
            case ".nan" or ".NaN" or ".NAN":
                tag = FloatTag;
                resolved = new Resolved(Kind.Float, Float: double.NaN);
                return true;
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                tag = FloatTag;
                resolved = new Resolved(Kind.Float, Float: double.PositiveInfinity);
                return true;
            case "-.inf" or "-.Inf" or "-.INF":
                tag = FloatTag;
                resolved = new Resolved(Kind.Float, Float: double.NegativeInfinity);
                return true;
            default:
                return false;
        }
    }

    private static byte[] BuildHintTable()
    {
        var table = new byte[128];
        table['+'] = (byte)'S';
        table['-'] = (byte)'S';
        foreach (char c in "0123456789")
        {
            table[c] = (byte)'D';
        }

        foreach (char c in "yYnNtTfFoO~")
        {
            table[c] = (byte)'M';
        }

        table['.'] = (byte)'.';
        return table;
    }

    /// <summary>Go's strconv.ParseInt(s, 0, 64) on text without underscores: sign, then 0x/0o/0b/0 prefixes.</summary>
    internal static bool TryParseGoInt(string s, out long value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return false;
        }

        bool negative = s[0] == '-';
        string digits = s[0] is '+' or '-' ? s[1..] : s;
        if (ParseGoUnsigned(digits, out ulong magnitude) != ParseStatus.Ok)
        {
            return false;
        }

        if (!negative && magnitude >= 1UL << 63)
        {
            return false;
        }

        if (negative && magnitude > 1UL << 63)
        {
            return false;
        }

        value = negative ? unchecked(-(long)magnitude) : (long)magnitude;
        return true;
    }

    /// <summary>Go's strconv.ParseUint(s, 0, 64): no sign allowed.</summary>
    internal static bool TryParseGoUInt(string s, out ulong value) => ParseGoUnsigned(s, out value) == ParseStatus.Ok;

    private enum ParseStatus
    {
        Ok,
        Syntax,
        Range,
    }

    private static ParseStatus ParseGoUnsigned(string s, out ulong value)
    {
        value = 0;
        if (s.Length == 0)
        {
            return ParseStatus.Syntax;
        }

        int numberBase = 10;
        int start = 0;
        if (s[0] == '0')
        {
            char prefix = s.Length >= 3 ? char.ToLowerInvariant(s[1]) : '\0';
            (numberBase, start) = prefix switch
            {
                'b' => (2, 2),
                'o' => (8, 2),
                'x' => (16, 2),
                _ => (8, 1),
            };
        }

        for (int i = start; i < s.Length; i++)
        {
            char c = s[i];
            int digit = c is >= '0' and <= '9' ? c - '0' : char.ToLowerInvariant(c) is >= 'a' and <= 'z' ? char.ToLowerInvariant(c) - 'a' + 10 : 99;
            if (digit >= numberBase)
            {
                return ParseStatus.Syntax;
            }

            ulong next = unchecked((value * (ulong)numberBase) + (ulong)digit);
            if (value > ulong.MaxValue / (ulong)numberBase || next < value * (ulong)numberBase)
            {
                return ParseStatus.Range;
            }

            value = next;
        }

        return ParseStatus.Ok;
    }

    /// <summary>
    /// Go's strconv.ParseFloat(s, 64) for decimal text: digits with an optional point and exponent, underscores only
    /// between digits (when allowed); false on syntax errors and on overflow to ±Inf.
    /// </summary>
    internal static bool TryParseGoFloat(string s, bool allowUnderscores, out double value)
    {
        value = 0;
        string text = s;
        if (s.Contains('_', StringComparison.Ordinal))
        {
            if (!allowUnderscores || !GoUnderscoresOk(s))
            {
                return false;
            }

            text = s.Replace("_", string.Empty, StringComparison.Ordinal);
        }

        // [+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?
        int i = 0;
        if (i < text.Length && text[i] is '+' or '-')
        {
            i++;
        }

        int mantissaDigits = 0;
        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
            mantissaDigits++;
        }

        if (i < text.Length && text[i] == '.')
        {
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                mantissaDigits++;
            }
        }

        if (mantissaDigits == 0)
        {
            return false;
        }

        if (i < text.Length && text[i] is 'e' or 'E')
        {
            i++;
            if (i < text.Length && text[i] is '+' or '-')
            {
                i++;
            }

            int exponentDigits = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
                exponentDigits++;
            }

            if (exponentDigits == 0)
            {
                return false;
            }
        }

        if (i != text.Length || !double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value))
        {
            return false;
        }

        return !double.IsInfinity(value);
    }

    // Go's underscoreOK: an underscore must sit between two digits (a base prefix counts as a digit).
    private static bool GoUnderscoresOk(string s)
    {
        char saw = '^';
        int i = 0;
        if (s.Length >= 1 && s[0] is '-' or '+')
        {
            i = 1;
        }

        bool hex = false;
        if (s.Length - i >= 2 && s[i] == '0' && char.ToLowerInvariant(s[i + 1]) is 'b' or 'o' or 'x')
        {
            hex = char.ToLowerInvariant(s[i + 1]) == 'x';
            i += 2;
            saw = '0';
        }

        for (; i < s.Length; i++)
        {
            char c = s[i];
            if (char.IsAsciiDigit(c) || (hex && char.IsAsciiHexDigit(c)))
            {
                saw = '0';
                continue;
            }

            if (c == '_')
            {
                if (saw != '0')
                {
                    return false;
                }

                saw = '_';
                continue;
            }

            if (saw == '_')
            {
                return false;
            }

            saw = '!';
        }

        return saw != '_';
    }

    // go-yaml's parseTimestamp: four-digit year and '-', then one of its time.Parse layouts.
    private static bool IsTimestamp(string s)
    {
        if (s.Length < 5 || !char.IsAsciiDigit(s[0]) || s[4] != '-')
        {
            return false;
        }

        var date = DateOnly.Match(s);
        var dateTime = date.Success ? date : DateTime.Match(s);
        if (!dateTime.Success)
        {
            return false;
        }

        int year = int.Parse(dateTime.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
        int month = int.Parse(dateTime.Groups[2].ValueSpan, CultureInfo.InvariantCulture);
        int day = int.Parse(dateTime.Groups[3].ValueSpan, CultureInfo.InvariantCulture);
        if (month is < 1 or > 12 || day < 1 || day > System.DateTime.DaysInMonth(Math.Max(1, year), month))
        {
            return false;
        }

        if (date.Success)
        {
            return true;
        }

        bool spaceSeparated = dateTime.Groups[4].Value == " ";
        if (spaceSeparated == dateTime.Groups[9].Success)
        {
            return false; // "T" layouts need a zone, the space layout has none
        }

        int hour = int.Parse(dateTime.Groups[5].ValueSpan, CultureInfo.InvariantCulture);
        int minute = int.Parse(dateTime.Groups[6].ValueSpan, CultureInfo.InvariantCulture);
        int second = int.Parse(dateTime.Groups[7].ValueSpan, CultureInfo.InvariantCulture);
        return hour < 24 && minute < 60 && second < 60;
    }

    // Go's base64.StdEncoding: padding required, line breaks ignored, nothing else.
    private static bool TryDecodeBase64(string value, out string? text)
    {
        text = null;
        string compact = value.Replace("\r", string.Empty, StringComparison.Ordinal).Replace("\n", string.Empty, StringComparison.Ordinal);
        if (compact.Length % 4 != 0 || compact.AsSpan().IndexOfAny(" \t\f\v") >= 0)
        {
            return false;
        }

        var bytes = new byte[compact.Length / 4 * 3];
        if (!Convert.TryFromBase64String(compact, bytes, out int written))
        {
            return false;
        }

        text = GoString(bytes.AsSpan(0, written));
        return true;
    }

    private static string ShortTag(string tag) => tag.StartsWith(LongTagPrefix, StringComparison.Ordinal) ? "!!" + tag[LongTagPrefix.Length..] : tag;

    private static string GoFloatName(double value) => double.IsNaN(value) ? "NaN" : value > 0 ? "+Inf" : "-Inf";

    /// <summary>Go's strconv.FormatFloat(v, 'g', -1, 32), with sigs.k8s.io/yaml's names for ±Inf and NaN.</summary>
    internal static string GoFormatFloat32(double value)
    {
        float single = (float)value;
        if (float.IsNaN(single))
        {
            return ".nan";
        }

        if (float.IsInfinity(single))
        {
            return single > 0 ? ".inf" : "-.inf";
        }

        bool negative = float.IsNegative(single);
        // "R" is the shortest text that reads back as the same float32, like Go's shortest formatting.
        var (digits, pointPosition) = DecimalDigits(Math.Abs(single).ToString("R", CultureInfo.InvariantCulture));
        var text = new StringBuilder();
        if (negative)
        {
            text.Append('-');
        }

        if (digits.Length == 0)
        {
            return text.Append('0').ToString();
        }

        int exponent = pointPosition - 1;
        if (exponent < -4 || exponent >= 6)
        {
            text.Append(digits[0]);
            if (digits.Length > 1)
            {
                text.Append('.').Append(digits, 1, digits.Length - 1);
            }

            text.Append('e').Append(exponent < 0 ? '-' : '+');
            int magnitude = Math.Abs(exponent);
            text.Append(magnitude < 10 ? "0" : string.Empty).Append(magnitude.ToString(CultureInfo.InvariantCulture));
            return text.ToString();
        }

        if (pointPosition <= 0)
        {
            text.Append("0.").Append('0', -pointPosition).Append(digits);
        }
        else if (pointPosition >= digits.Length)
        {
            text.Append(digits).Append('0', pointPosition - digits.Length);
        }
        else
        {
            text.Append(digits, 0, pointPosition).Append('.').Append(digits, pointPosition, digits.Length - pointPosition);
        }

        return text.ToString();
    }

    // "1.2345E+07" / "123.45" → significant digits without leading/trailing zeros and the decimal point's position.
    private static (string Digits, int PointPosition) DecimalDigits(string formatted)
    {
        int e = formatted.IndexOfAny(new[] { 'E', 'e' });
        string mantissa = e >= 0 ? formatted[..e] : formatted;
        int exponent = e >= 0 ? int.Parse(formatted.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        int point = mantissa.IndexOf('.', StringComparison.Ordinal);
        string allDigits = point >= 0 ? mantissa.Remove(point, 1) : mantissa;
        int pointPosition = (point >= 0 ? point : mantissa.Length) + exponent;
        int leading = 0;
        while (leading < allDigits.Length && allDigits[leading] == '0')
        {
            leading++;
        }

        string digits = allDigits[leading..].TrimEnd('0');
        return (digits, pointPosition - leading);
    }
}
