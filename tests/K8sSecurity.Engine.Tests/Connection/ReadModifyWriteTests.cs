using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using Xunit;

namespace K8sSecurity.Engine.Tests.Connection;

/// <summary>The retry loop every read-modify-write of the engine shares: what restarts an attempt, the bound, cancellation.</summary>
public sealed class ReadModifyWriteTests
{
    private static K8sOperationException Api(K8sErrorKind kind, string reason) =>
        new(kind, $"Updating x: {reason}", "x") { StatusCode = kind == K8sErrorKind.NotFound ? 404 : 409, Reason = reason };

    [Theory]
    [InlineData("Update", K8sErrorKind.Conflict, "Conflict")]
    [InlineData("Update", K8sErrorKind.NotFound, "NotFound")]
    [InlineData("Create", K8sErrorKind.AlreadyExists, "AlreadyExists")]
    [InlineData("Delete", K8sErrorKind.Conflict, "Conflict")]
    public async Task A_lost_race_starts_the_attempt_over_from_its_read(string write, K8sErrorKind error, string reason)
    {
        var kind = Enum.Parse<WriteKind>(write);
        var reads = 0;
        var result = await ReadModifyWrite.RunAsync("Updating x", "x", async attempt =>
        {
            reads++;
            return await ReadModifyWrite.WriteAsync(kind, () => attempt < 3 ? throw Api(error, reason) : Task.FromResult(attempt), "Updating x", "x");
        }, EngineLog.None, CancellationToken.None);
        Assert.Equal(3, result);
        Assert.Equal(3, reads);
    }

    [Theory]
    [InlineData("Create", K8sErrorKind.NotFound, "NotFound")] // the namespace is missing: not a race
    [InlineData("Update", K8sErrorKind.Invalid, "Invalid")]
    [InlineData("Update", K8sErrorKind.Forbidden, "Forbidden")]
    [InlineData("Update", K8sErrorKind.AlreadyExists, "AlreadyExists")]
    public async Task Other_failures_are_reported_at_once(string write, K8sErrorKind error, string reason)
    {
        var kind = Enum.Parse<WriteKind>(write);
        var attempts = 0;
        var thrown = await Assert.ThrowsAsync<K8sOperationException>(() => ReadModifyWrite.RunAsync("Updating x", "x", _ =>
        {
            attempts++;
            return ReadModifyWrite.WriteAsync<int>(kind, () => throw Api(error, reason), "Updating x", "x");
        }, EngineLog.None, CancellationToken.None));
        Assert.Equal(error, thrown.Kind);
        Assert.Equal(1, attempts);
    }

    [Fact]
    public async Task Retries_are_bounded_and_the_error_says_nothing_was_overwritten()
    {
        var attempts = 0;
        var log = new EngineLog();
        var thrown = await Assert.ThrowsAsync<K8sOperationException>(() => ReadModifyWrite.RunAsync("Granting view", "b", _ =>
        {
            attempts++;
            return ReadModifyWrite.WriteAsync<int>(WriteKind.Update, () => throw Api(K8sErrorKind.Conflict, "Conflict"), "Updating b", "b");
        }, log, CancellationToken.None));
        Assert.Equal(ReadModifyWrite.MaxAttempts, attempts);
        Assert.Equal(K8sErrorKind.Conflict, thrown.Kind);
        Assert.Equal(409, thrown.StatusCode);
        Assert.StartsWith("Granting view: other writers kept changing it (10 attempts, each from a fresh read); nothing was overwritten.", thrown.Message, StringComparison.Ordinal);
        var verbose = new List<string>();
        while (log.TryTake(out var entry))
        {
            verbose.Add(entry.Message);
        }

        Assert.Equal(ReadModifyWrite.MaxAttempts - 1, verbose.Count(v => v.Contains("reading it again", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Cancellation_stops_the_retries()
    {
        using var cts = new CancellationTokenSource();
        var attempts = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadModifyWrite.RunAsync("Updating x", "x", _ =>
        {
            if (++attempts == 2)
            {
                cts.Cancel();
            }

            return ReadModifyWrite.WriteAsync<int>(WriteKind.Update, () => throw Api(K8sErrorKind.Conflict, "Conflict"), "Updating x", "x");
        }, EngineLog.None, cts.Token));
        Assert.Equal(2, attempts);
    }
}
