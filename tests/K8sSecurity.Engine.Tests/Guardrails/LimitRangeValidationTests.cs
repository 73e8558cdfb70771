using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;
using Xunit;

namespace K8sSecurity.Engine.Tests.Guardrails;

/// <summary>The apiserver's LimitRange/quota rules, enforced locally before any call.</summary>
public sealed class LimitRangeValidationTests
{
    private static LimitRangeRequest Request(
        string type = "Container", Dictionary<string, string>? max = null, Dictionary<string, string>? min = null,
        Dictionary<string, string>? def = null, Dictionary<string, string>? request = null, Dictionary<string, string>? ratio = null) => new()
    {
        Namespace = "ns", Type = type,
        Max = max ?? new(), Min = min ?? new(), Default = def ?? new(), DefaultRequest = request ?? new(), MaxLimitRequestRatio = ratio ?? new(),
    };

    [Fact]
    public void TheSeedExampleIsValid()
    {
        LimitRangeService.Validate(Request(
            max: new() { ["cpu"] = "400m", ["memory"] = "1Gi" }, min: new() { ["cpu"] = "100m", ["memory"] = "100Mi" },
            def: new() { ["cpu"] = "250m", ["memory"] = "800Mi" }, request: new() { ["cpu"] = "150m", ["memory"] = "256Mi" }));
    }

    [Theory]
    [InlineData("Min", "cpu=400m", "min value 400m is greater than max value 100m")] // golden 54
    public void MinGreaterThanMax(string parameter, string value, string message)
    {
        var ex = Assert.Throws<K8sOperationException>(() => LimitRangeService.Validate(Request(max: new() { ["cpu"] = "100m" }, min: new() { ["cpu"] = "400m" })));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Equal($"Invalid value for -{parameter} '{value}': {message}", ex.Message);
    }

    [Theory]
    [InlineData("Default", "cpu=500m", "default value 500m is greater than max value 400m")]
    [InlineData("DefaultRequest", "cpu=300m", "default request value 300m is greater than default limit value 250m")]
    public void DefaultsOutsideTheRange(string parameter, string value, string message)
    {
        var max = new Dictionary<string, string> { ["cpu"] = "400m" };
        var request = parameter == "Default"
            ? Request(max: max, def: new() { ["cpu"] = "500m" })
            : Request(max: max, def: new() { ["cpu"] = "250m" }, request: new() { ["cpu"] = "300m" });
        var ex = Assert.Throws<K8sOperationException>(() => LimitRangeService.Validate(request));
        Assert.Equal($"Invalid value for -{parameter} '{value}': {message}", ex.Message);
    }

    [Fact]
    public void MinAboveDefaultNamesTheDefault()
    {
        var ex = Assert.Throws<K8sOperationException>(() => LimitRangeService.Validate(Request(min: new() { ["memory"] = "1Gi" }, def: new() { ["memory"] = "512Mi" })));
        Assert.Contains("-Default 'memory=512Mi'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("min value 1Gi is greater than default value 512Mi", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0.5", "ratio 500m is less than 1")]
    [InlineData("5", "ratio 5 is greater than max/min = 4.000000")]
    public void MaxLimitRequestRatio(string ratio, string message)
    {
        var ex = Assert.Throws<K8sOperationException>(() => LimitRangeService.Validate(
            Request(max: new() { ["cpu"] = "400m" }, min: new() { ["cpu"] = "100m" }, ratio: new() { ["cpu"] = ratio })));
        Assert.Contains("-MaxLimitRequestRatio", ex.Message, StringComparison.Ordinal);
        Assert.EndsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Max", "cpu", "two", Quantity.ErrorFormatWrong)]
    [InlineData("Min", "memory", "-1Gi", "must be greater than or equal to 0")]
    [InlineData("Max", "bananas", "1", "must be a standard limit type")]
    public void InvalidValues(string parameter, string resource, string value, string message)
    {
        var map = new Dictionary<string, string> { [resource] = value };
        var request = parameter == "Max" ? Request(max: map) : Request(min: map);
        var ex = Assert.Throws<K8sOperationException>(() => LimitRangeService.Validate(request));
        Assert.StartsWith($"Invalid value for -{parameter}", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PodItemsCannotHaveDefaultsAndPvcNeedsStorage()
    {
        Assert.Contains("may not be specified when `type` is 'Pod'", Assert.Throws<K8sOperationException>(() =>
            LimitRangeService.Validate(Request(type: "Pod", def: new() { ["cpu"] = "1" }))).Message, StringComparison.Ordinal);
        var pvc = LimitRangeService.Parse(Request(type: "PersistentVolumeClaim", max: new() { ["cpu"] = "1" }));
        Assert.Contains("either minimum or maximum storage value is required", Assert.Throws<K8sOperationException>(() =>
            LimitRangeService.ValidateItem(pvc, requireStorage: true)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DefaultingFollowsCoreV1()
    {
        var item = LimitRangeService.Parse(Request(max: new() { ["memory"] = "1Gi" }, min: new() { ["cpu"] = "50m" }));
        LimitRangeService.ApplyDefaults(item);
        Assert.Equal("1Gi", item.Default["memory"].ToString());
        Assert.Equal("1Gi", item.DefaultRequest["memory"].ToString());
        Assert.Equal("50m", item.DefaultRequest["cpu"].ToString());
        Assert.False(item.Default.ContainsKey("cpu"));
    }

    [Theory]
    [InlineData("pods", "1.5", "must be an integer")]
    [InlineData("requests.cpu", "-1", "must be greater than or equal to 0")]
    [InlineData("requests.cpu", "lots", Quantity.ErrorFormatWrong)]
    [InlineData("bananas", "1", "must be a standard resource for quota")]
    public void QuotaValuesAreValidatedLikeTheApiserver(string resource, string value, string message)
    {
        var ex = Assert.Throws<K8sOperationException>(() => QuotaService.Validate(new QuotaRequest { Namespace = "ns", Hard = new Dictionary<string, string> { [resource] = value } }));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void PercentUsedIsExact()
    {
        Assert.Equal(30, QuotaService.Percent(Quantity.Parse("150m"), Quantity.Parse("500m")));
        Assert.Equal(25, QuotaService.Percent(Quantity.Parse("256Mi"), Quantity.Parse("1Gi")));
        Assert.Equal(100, QuotaService.Percent(Quantity.Parse("5"), Quantity.Parse("5")));
        Assert.Null(QuotaService.Percent(null, Quantity.Parse("5")));
        Assert.Equal(0, QuotaService.Percent(Quantity.Zero, Quantity.Zero));
        Assert.Equal(double.PositiveInfinity, QuotaService.Percent(Quantity.Parse("1"), Quantity.Zero));
    }
}
