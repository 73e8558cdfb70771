using Xunit;

namespace K8sSecurity.TestServer.Tests;

public sealed class QuantityTests
{
    [Theory]
    [InlineData("1000m", "1")]
    [InlineData("0.5", "500m")]
    [InlineData("1.5", "1500m")]
    [InlineData("2000", "2k")]
    [InlineData("1500", "1500")]
    [InlineData("1024Mi", "1Gi")]
    [InlineData("1536Mi", "1536Mi")]
    [InlineData("512", "512")]
    [InlineData("1e3", "1e3")]
    [InlineData("100Mi", "100Mi")]
    [InlineData("0", "0")]
    [InlineData("1n", "1n")]
    [InlineData("+5", "5")]
    [InlineData("0.1Gi", "107374182400m")]
    public void Canonical_form_matches_apimachinery(string input, string expected) =>
        Assert.Equal(expected, Quantity.Parse(input).ToString());

    [Theory]
    [InlineData("lots")]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("5Qi")]
    [InlineData("m")]
    public void Rejects_invalid(string input) => Assert.False(Quantity.TryParse(input, out _));

    [Fact]
    public void Arithmetic_and_comparison()
    {
        Assert.Equal("1600Mi", Quantity.Parse("800Mi").Add(Quantity.Parse("800Mi")).ToString());
        Assert.True(Quantity.Parse("2400Mi") > Quantity.Parse("2Gi"));
        Assert.True(Quantity.Parse("400m") > Quantity.Parse("100m"));
        Assert.True(Quantity.Parse("1") == Quantity.Parse("1000m"));
        Assert.Equal("resource.Quantity{i:resource.int64Amount{value:400, scale:-3}, d:resource.infDecAmount{Dec:(*inf.Dec)(nil)}, s:\"400m\", Format:\"DecimalSI\"}", Quantity.Parse("400m").GoRepr());
    }
}
