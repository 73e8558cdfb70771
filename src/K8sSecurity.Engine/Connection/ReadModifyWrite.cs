using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Connection;

/// <summary>What a write does, which decides which failures mean "someone else changed it first".</summary>
internal enum WriteKind
{
    /// <summary>A create: AlreadyExists means another writer created it since the read.</summary>
    Create,

    /// <summary>An update or patch carrying the read resourceVersion: Conflict means it changed since the read, NotFound that it was deleted.</summary>
    Update,

    /// <summary>A delete with the read uid/resourceVersion as preconditions: Conflict means it changed, NotFound that it is gone already.</summary>
    Delete,
}

/// <summary>
/// Optimistic concurrency for every read-modify-write of the engine (bindings, roles, quotas, limit ranges, network
/// policies, service accounts, pull secrets, workloads). One attempt reads the object fresh, decides what to change
/// and writes it with the read resourceVersion as a precondition (<see cref="WriteAsync{T}"/>). When another writer got
/// there first (409 Conflict, AlreadyExists for a create, NotFound for an update of an object deleted meanwhile) the
/// attempt is run again from a fresh read, after a short randomized pause, at most <see cref="MaxAttempts"/> times.
/// So concurrent writers never lose each other's changes: each change is applied to the state that includes the
/// others', or the run fails with an error saying so.
/// </summary>
internal static class ReadModifyWrite
{
    public const int MaxAttempts = 10;

    /// <summary>Runs <paramref name="attempt"/> (given the attempt number, from 1) until it completes without losing a race.</summary>
    public static async Task<T> RunAsync<T>(string what, object? target, Func<int, Task<T>> attempt, EngineLog log, CancellationToken cancellationToken)
    {
        for (int number = 1; ; number++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                return await attempt(number).ConfigureAwait(false);
            }
            catch (LostRaceException race)
            {
                if (number >= MaxAttempts)
                {
                    throw new K8sOperationException(
                        K8sErrorKind.Conflict,
                        $"{what}: other writers kept changing it ({number} attempts, each from a fresh read); nothing was overwritten. Run it again. Last answer: {race.Inner.Message}",
                        target,
                        race.Inner)
                    {
                        StatusCode = race.Inner.StatusCode,
                        Reason = race.Inner.Reason,
                    };
                }

                log.Verbose($"{what}: it changed since it was read ({race.Inner.Reason ?? race.Inner.Kind.ToString()}); reading it again (attempt {number + 1} of {MaxAttempts}).");
                await Task.Delay(Backoff(number), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>A write of one attempt: failures that mean a lost race restart the attempt, others are thrown as they are.</summary>
    public static async Task<T> WriteAsync<T>(WriteKind kind, Func<Task<T>> write, string operation, object? target)
    {
        try
        {
            return await ApiErrorTranslator.CallAsync(write, operation, target).ConfigureAwait(false);
        }
        catch (K8sOperationException ex) when (IsLostRace(kind, ex))
        {
            throw new LostRaceException(ex);
        }
    }

    public static async Task WriteAsync(WriteKind kind, Func<Task> write, string operation, object? target)
    {
        try
        {
            await ApiErrorTranslator.CallAsync(write, operation, target).ConfigureAwait(false);
        }
        catch (K8sOperationException ex) when (IsLostRace(kind, ex))
        {
            throw new LostRaceException(ex);
        }
    }

    /// <summary>For an attempt that finds on its fresh read that the object it chose is gone: start the attempt over.</summary>
    public static Exception LostRace(K8sOperationException reason) => new LostRaceException(reason);

    private static bool IsLostRace(WriteKind kind, K8sOperationException ex) => kind switch
    {
        WriteKind.Create => ex.Kind == K8sErrorKind.AlreadyExists,
        _ => ex.Kind is K8sErrorKind.Conflict or K8sErrorKind.NotFound,
    };

    /// <summary>10 ms doubling to at most 640 ms, times a random factor in [0.5, 1.5) so racing writers spread out.</summary>
    private static TimeSpan Backoff(int attempt) =>
        TimeSpan.FromMilliseconds(10 * Math.Pow(2, Math.Min(attempt - 1, 6)) * (0.5 + Random.Shared.NextDouble()));

    /// <summary>Internal signal between <see cref="WriteAsync{T}"/> and <see cref="RunAsync{T}"/>; never escapes the engine.</summary>
    private sealed class LostRaceException(K8sOperationException inner) : Exception(inner.Message, inner)
    {
        public K8sOperationException Inner { get; } = inner;
    }
}
