using System.Collections.Concurrent;

namespace K8sSecurity.Engine.Diagnostics;

/// <summary>Kinds of messages the engine reports while it works.</summary>
public enum LogLevel
{
    Verbose,
    Debug,
    Warning,
    Progress,
}

/// <summary>One message from the engine. Engines never put secrets or key material in messages.</summary>
public sealed record LogEntry(LogLevel Level, string Message, int PercentComplete = -1);

/// <summary>
/// Thread-safe sink the engine writes to from any thread; the cmdlet drains it on the pipeline thread
/// (PowerShell only accepts Write-* calls from there).
/// </summary>
public sealed class EngineLog
{
    private readonly ConcurrentQueue<LogEntry> entries = new();
    private readonly SemaphoreSlim signal = new(0);

    public static EngineLog None { get; } = new();

    public void Verbose(string message) => Add(new LogEntry(LogLevel.Verbose, message));

    public void Debug(string message) => Add(new LogEntry(LogLevel.Debug, message));

    public void Warning(string message) => Add(new LogEntry(LogLevel.Warning, message));

    public void Progress(string activity, int percentComplete) => Add(new LogEntry(LogLevel.Progress, activity, percentComplete));

    public bool TryTake(out LogEntry entry) => entries.TryDequeue(out entry!);

    /// <summary>Waits until something is logged or the timeout passes.</summary>
    public bool WaitForEntry(TimeSpan timeout) => signal.Wait(timeout);

    private void Add(LogEntry entry)
    {
        if (ReferenceEquals(this, None))
        {
            return;
        }

        entries.Enqueue(entry);
        signal.Release();
    }
}
