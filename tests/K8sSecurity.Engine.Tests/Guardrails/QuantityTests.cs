using System.Numerics;
using K8sSecurity.Engine.Guardrails;
using Xunit;

namespace K8sSecurity.Engine.Tests.Guardrails;

/// <summary>
/// The table tests of k8s.io/apimachinery/pkg/api/resource/quantity_test.go, ported case for case, so the module
/// parses, compares and prints quantities exactly like the apiserver.
/// </summary>
public sealed class QuantityTests
{
    private const QuantityFormat SI = QuantityFormat.DecimalSI;
    private const QuantityFormat Bin = QuantityFormat.BinarySI;
    private const QuantityFormat Exp = QuantityFormat.DecimalExponent;

    // upstream TestQuantityParse: input → decQuantity(value, exponent, format)
    public static TheoryData<string, long, int, QuantityFormat> ParseTable => new()
    {
        { "0", 0, 0, SI }, { "0n", 0, 0, SI }, { "0u", 0, 0, SI }, { "0m", 0, 0, SI }, { "0Ki", 0, 0, Bin },
        { "0k", 0, 0, SI }, { "0Mi", 0, 0, Bin }, { "0M", 0, 0, SI }, { "0Gi", 0, 0, Bin }, { "0G", 0, 0, SI },
        { "0Ti", 0, 0, Bin }, { "0T", 0, 0, SI },
        { "1", 1, 0, SI },
        { "1Ki", 1024, 0, Bin }, { "8Ki", 8 * 1024, 0, Bin }, { "7Mi", 7L * 1024 * 1024, 0, Bin },
        { "6Gi", 6L * 1024 * 1024 * 1024, 0, Bin }, { "5Ti", 5L * 1024 * 1024 * 1024 * 1024, 0, Bin },
        { "4Pi", 4L * 1024 * 1024 * 1024 * 1024 * 1024, 0, Bin }, { "3Ei", 3L * 1024 * 1024 * 1024 * 1024 * 1024 * 1024, 0, Bin },
        { "10Ti", 10L * 1024 * 1024 * 1024 * 1024, 0, Bin }, { "100Ti", 100L * 1024 * 1024 * 1024 * 1024, 0, Bin },
        { "5n", 5, -9, SI }, { "4u", 4, -6, SI }, { "3m", 3, -3, SI }, { "9", 9, 0, SI }, { "8k", 8, 3, SI },
        { "50k", 5, 4, SI }, { "7M", 7, 6, SI }, { "6G", 6, 9, SI }, { "5T", 5, 12, SI }, { "40T", 4, 13, SI },
        { "300T", 3, 14, SI }, { "2P", 2, 15, SI }, { "1E", 1, 18, SI },
        { "1E-3", 1, -3, Exp }, { "1e3", 1, 3, Exp }, { "1E6", 1, 6, Exp }, { "1e9", 1, 9, Exp },
        { "1E12", 1, 12, Exp }, { "1e15", 1, 15, Exp }, { "1E18", 1, 18, Exp },
        { "1e14", 1, 14, Exp }, { "1e13", 1, 13, Exp }, { "100.035k", 100035, 0, SI },
        { "0.001", 1, -3, SI }, { "0.0005k", 5, -1, SI }, { "0.005", 5, -3, SI }, { "0.05", 5, -2, SI },
        { "0.5", 5, -1, SI }, { "0.00050k", 5, -1, SI }, { "0.00500", 5, -3, SI }, { "0.05000", 5, -2, SI },
        { "0.50000", 5, -1, SI }, { "0.5e0", 5, -1, Exp }, { "0.5e-1", 5, -2, Exp }, { "0.5e-2", 5, -3, Exp },
        { "10.035M", 10035, 3, SI },
        { "1.2e3", 12, 2, Exp }, { "1.3E+6", 13, 5, Exp }, { "1.40e9", 14, 8, Exp }, { "1.53E12", 153, 10, Exp },
        { "1.6e15", 16, 14, Exp }, { "1.7E18", 17, 17, Exp },
        { "9.01", 901, -2, SI }, { "8.1k", 81, 2, SI }, { "7.123456M", 7123456, 0, SI },
        { "6.987654321G", 6987654321, 0, SI }, { "5.444T", 5444, 9, SI }, { "40.1T", 401, 11, SI },
        { "300.2T", 3002, 11, SI }, { "2.5P", 25, 14, SI }, { "1.01E", 101, 16, SI },
        // things that saturate or round
        { "3.001n", 4, -9, SI }, { "1.1E-9", 2, -9, Exp }, { "0.0000000001", 1, -9, SI },
        { "0.0000000005", 1, -9, SI }, { "0.00000000050", 1, -9, SI }, { "0.5e-9", 1, -9, Exp },
        { "0.9n", 1, -9, SI }, { "0.00000012345", 124, -9, SI }, { "0.00000012354", 124, -9, SI },
        { "9Ei", long.MaxValue, 0, Bin }, { "9223372036854775807Ki", long.MaxValue, 0, Bin }, { "12E", 12, 18, SI },
        // fractional binary
        { "100.035Ki", 10243584, -2, Bin }, { "0.5Mi", 512 * 1024, 0, Bin }, { "0.05Gi", 536870912, -1, Bin },
        { "0.025Ti", 274877906944, -1, Bin },
        // "things written by trolls"
        { "0.000000000001Ki", 2, -9, SI }, { ".001", 1, -3, SI }, { ".0001k", 100, -3, SI }, { "1.", 1, 0, SI },
        { "1.G", 1, 9, SI },
    };

    [Theory]
    [MemberData(nameof(ParseTable))]
    public void ParsesLikeUpstream(string input, long value, int exponent, QuantityFormat format)
    {
        var expected = Quantity.FromScaled(value, exponent, format);

        var got = Quantity.Parse(input);
        Assert.True(expected.CompareTo(got) == 0, $"{input}: expected {expected}, got {got}");
        Assert.Equal(format, got.Format);

        // the negative and explicit-plus versions of everything
        var negative = Quantity.Parse("-" + input);
        Assert.Equal(0, expected.Negate().CompareTo(negative));
        Assert.Equal(format, negative.Format);
        var plus = Quantity.Parse("+" + input);
        Assert.Equal(0, expected.CompareTo(plus));
        Assert.Equal(format, plus.Format);

        // printing and parsing again keeps the value
        Assert.Equal(0, got.CompareTo(Quantity.Parse(got.ToString())));
    }

    [Theory]
    [InlineData("1.1.M", Quantity.ErrorFormatWrong)]
    [InlineData("1+1.0M", Quantity.ErrorFormatWrong)]
    [InlineData("0.1mi", Quantity.ErrorSuffix)]
    [InlineData("0.1am", Quantity.ErrorFormatWrong)]
    [InlineData("aoeu", Quantity.ErrorFormatWrong)]
    [InlineData(".5i", Quantity.ErrorSuffix)]
    [InlineData("1i", Quantity.ErrorSuffix)]
    [InlineData("-3.01i", Quantity.ErrorSuffix)]
    [InlineData("-3.01e-", Quantity.ErrorSuffix)]
    [InlineData(" 1", Quantity.ErrorFormatWrong)]
    [InlineData("1 ", Quantity.ErrorFormatWrong)]
    [InlineData("", Quantity.ErrorFormatWrong)]
    [InlineData("lots", Quantity.ErrorFormatWrong)]
    [InlineData("1Gb", Quantity.ErrorFormatWrong)]
    [InlineData("1KI", Quantity.ErrorFormatWrong)]
    [InlineData("1Ki1", Quantity.ErrorSuffix)]
    public void RejectsInvalidStringsWithUpstreamMessages(string input, string message)
    {
        Assert.False(Quantity.TryParse(input, out _, out string? error));
        Assert.Equal(message, error);
        Assert.Throws<FormatException>(() => Quantity.Parse(input));
    }

    [Fact]
    public void FormatErrorQuotesTheApiserverPattern()
    {
        // golden 52-resourcequota-invalid: the apiserver names this pattern for "lots"
        Assert.Equal("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'", Quantity.ErrorFormatWrong);
    }

    // upstream TestQuantityString: decQuantity(value, exponent, format) → canonical, and an alternate spelling
    public static TheoryData<long, int, QuantityFormat, string, string> StringTable => new()
    {
        { 1024 * 1024 * 1024, 0, Bin, "1Gi", "1024Mi" },
        { 300 * 1024 * 1024, 0, Bin, "300Mi", "307200Ki" },
        { 6 * 1024, 0, Bin, "6Ki", "" },
        { 1001L * 1024 * 1024 * 1024, 0, Bin, "1001Gi", "1025024Mi" },
        { 1024L * 1024 * 1024 * 1024, 0, Bin, "1Ti", "1024Gi" },
        { 5, 0, Bin, "5", "5000m" },
        { 500, -3, Bin, "500m", "0.5" },
        { 1, 9, SI, "1G", "1000M" },
        { 1000, 6, SI, "1G", "0.001T" },
        { 1000000, 3, SI, "1G", "" },
        { 1000000000, 0, SI, "1G", "" },
        { 1, -3, SI, "1m", "1000u" },
        { 80, -3, SI, "80m", "" },
        { 1080, -3, SI, "1080m", "1.08" },
        { 108, -2, SI, "1080m", "1080000000n" },
        { 10800, -4, SI, "1080m", "" },
        { 300, 6, SI, "300M", "" },
        { 1, 12, SI, "1T", "" },
        { 1, 18, SI, "1E", "" },
        { 1, 21, SI, "1e21", "1000E" },
        { 5, 21, SI, "5e21", "5000E" },
        { 1, 24, SI, "1e24", "1000000E" },
        { 1234567, 6, SI, "1234567M", "" },
        { 1234567, -3, Bin, "1234567m", "" },
        { 3, 3, SI, "3k", "" },
        { 1025, 0, Bin, "1025", "" },
        { 0, 0, SI, "0", "" },
        { 0, 0, Bin, "0", "" },
        { 1, 9, Exp, "1e9", ".001e12" },
        { 1, -3, Exp, "1e-3", "0.001e0" },
        { 1, -9, Exp, "1e-9", "1000e-12" },
        { 80, -3, Exp, "80e-3", "" },
        { 300, 6, Exp, "300e6", "" },
        { 1, 12, Exp, "1e12", "" },
        { 1, 3, Exp, "1e3", "" },
        { 3, 3, Exp, "3e3", "" },
        { 0, 0, Exp, "0", "00" },
        { 1, -9, SI, "1n", "" },
        { 80, -9, SI, "80n", "" },
        { 1080, -9, SI, "1080n", "" },
        { 108, -8, SI, "1080n", "" },
        { 10800, -10, SI, "1080n", "" },
        { 1, -6, SI, "1u", "" },
        { 80, -6, SI, "80u", "" },
        { 1080, -6, SI, "1080u", "" },
    };

    [Theory]
    [MemberData(nameof(StringTable))]
    public void PrintsCanonicalForm(long value, int exponent, QuantityFormat format, string expected, string alternate)
    {
        var quantity = Quantity.FromScaled(value, exponent, format);
        Assert.Equal(expected, quantity.ToString());
        Assert.Equal(expected, Quantity.Parse(expected).ToString());
        if (alternate.Length > 0)
        {
            Assert.Equal(expected, Quantity.Parse(alternate).ToString());
        }

        if (value != 0)
        {
            Assert.Equal("-" + expected, quantity.Negate().ToString());
        }
    }

    [Theory]
    [InlineData("1Ki", "1Ki")]
    [InlineData("1Mi", "1Mi")]
    [InlineData("1Gi", "1Gi")]
    [InlineData("1024Mi", "1Gi")]
    [InlineData("1000M", "1G")]
    [InlineData(".001Ki", "1024m")]
    [InlineData(".000001Ki", "1024u")]
    [InlineData(".000000001Ki", "1024n")]
    [InlineData(".000000000001Ki", "2n")]
    // the issue's own examples
    [InlineData("0.5Gi", "512Mi")]
    [InlineData("1.5Gi", "1536Mi")]
    [InlineData("1.5", "1500m")]
    [InlineData("1000m", "1")]
    [InlineData("1e3", "1e3")]
    [InlineData("1e14", "100e12")]
    [InlineData("0.1", "100m")]
    [InlineData("1.0001", "1000100u")]
    [InlineData("2000Mi", "2000Mi")]
    [InlineData("1536Ki", "1536Ki")]
    public void ParseThenEmit(string input, string expected)
    {
        Assert.Equal(expected, Quantity.Parse(input).ToString());
        var negative = Quantity.Parse("-" + input);
        Assert.Equal("-" + expected, negative.ToString());
    }

    [Theory]
    [InlineData("0", "0", 0)]
    [InlineData("100m", "50m", 1)]
    [InlineData("50m", "100m", -1)]
    [InlineData("10000T", "100Gi", 1)]
    [InlineData("1", "1000m", 0)]
    [InlineData("1Gi", "1073741824", 0)]
    [InlineData("1G", "1Gi", -1)]
    [InlineData("1e3", "1k", 0)]
    [InlineData("-1", "1n", -1)]
    [InlineData("1e1000000000", "1E", 1)]
    [InlineData("1e-1000000000", "0", 1)]
    [InlineData("18446744073709551616", "9223372036854775807", 1)]
    public void ComparesExactly(string x, string y, int expected)
    {
        var a = Quantity.Parse(x);
        var b = Quantity.Parse(y);
        Assert.Equal(expected, a.CompareTo(b));
        Assert.Equal(-expected, b.CompareTo(a));
        Assert.Equal(expected == 0, a == b);
    }

    [Fact]
    public void HugeDecimalsKeepTheirValueAndSmallOnesTheirPrecision()
    {
        Assert.Equal("18446744073709551616", Quantity.Parse("18446744073709551616").ToString());
        Assert.Equal("1234500u", Quantity.Parse("1.2345").ToString());
        Assert.Equal("1e-9", Quantity.Parse("1e-1000000000").ToString());
        Assert.Equal("1n", Quantity.Parse("0.0000000000000000000001").ToString());
    }

    [Theory]
    [InlineData("9.01", -3, 9010)]
    [InlineData("9.01", 0, 10)]
    [InlineData("-9.01", 0, -10)]
    [InlineData("1", -3, 1000)]
    [InlineData("250m", 0, 1)]
    [InlineData("1Ki", 0, 1024)]
    public void ScaledValueRoundsAwayFromZero(string input, int scale, long expected)
    {
        Assert.Equal(new BigInteger(expected), Quantity.Parse(input).ScaledValue(scale));
    }

    [Theory]
    [InlineData(1, SI, "1m")]
    [InlineData(1000, SI, "1")]
    [InlineData(1234000, SI, "1234")]
    [InlineData(1024, Bin, "1024m")]
    [InlineData(1024 * 1024, Bin, "1048576m")]
    public void MilliQuantities(long value, QuantityFormat format, string expected)
    {
        Assert.Equal(expected, Quantity.FromScaled(value, -3, format).ToString());
    }

    [Theory]
    [InlineData(1, SI, "1")]
    [InlineData(1000, SI, "1k")]
    [InlineData(1234000, SI, "1234k")]
    [InlineData(1024, Bin, "1Ki")]
    [InlineData(1024 * 1024, Bin, "1Mi")]
    public void WholeQuantities(long value, QuantityFormat format, string expected)
    {
        var quantity = Quantity.FromInt64(value, format);
        Assert.Equal(expected, quantity.ToString());
        Assert.Equal(new BigInteger(value), Quantity.Parse(quantity.ToString()).Value);
    }

    [Fact]
    public void AddingZeroKeepsTheSuffix()
    {
        foreach (string text in new[] { "100m", "1Gi" })
        {
            var value = Quantity.Parse(text);
            Assert.Equal(text, value.Add(Quantity.Zero).ToString());
            Assert.Equal(text, Quantity.Zero.Add(value).ToString());
            Assert.Equal(value.Negate().ToString(), Quantity.Zero.Subtract(value).ToString());
        }

        Assert.Equal("1536Mi", Quantity.Parse("1Gi").Add(Quantity.Parse("512Mi")).ToString());
        Assert.Equal("400m", Quantity.Parse("150m").Add(Quantity.Parse("250m")).ToString());
    }
}
