using System.Management.Automation;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// Base of every K8sSecurity cmdlet: runs engine work with a CancellationToken that StopProcessing cancels,
/// relays the engine's log to Write-Verbose/Warning/Progress on the pipeline thread, and turns engine
/// failures into ErrorRecords (non-terminating per item, terminating for setup).
/// </summary>
public abstract class K8sCmdlet : PSCmdlet, IDisposable
{
    private readonly CancellationTokenSource cancellation = new();
    private bool disposed;
    private (string Name, string Heading, string Subject)? gate;

    protected CancellationToken CancellationToken => cancellation.Token;

    /// <summary>The engine writes here from any thread; <see cref="Run{T}"/> drains it on the pipeline thread.</summary>
    protected EngineLog Log { get; } = new();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected override void StopProcessing() => cancellation.Cancel();

    /// <summary>Runs engine work to completion while relaying its log. Engine exceptions propagate.</summary>
    protected T Run<T>(Func<CancellationToken, Task<T>> work)
    {
        var task = work(CancellationToken);
        while (!task.IsCompleted)
        {
            Log.WaitForEntry(TimeSpan.FromMilliseconds(50));
            FlushLog();
        }

        FlushLog();
        try
        {
            return task.GetAwaiter().GetResult();
        }
        catch (OperationCanceledException) when (CancellationToken.IsCancellationRequested)
        {
            throw new PipelineStoppedException();
        }
        catch (Exception ex) when (ApiErrorTranslator.Translate(ex, MyInvocation.MyCommand.Name) is { } translated)
        {
            // A cluster call the engine did not wrap: never let KubernetesClient's exception (it keeps the request) escape.
            throw translated;
        }
    }

    protected void Run(Func<CancellationToken, Task> work) =>
        Run<bool>(async ct =>
        {
            await work(ct).ConfigureAwait(false);
            return true;
        });

    /// <summary>Per-item work: a failure becomes a non-terminating error and the pipeline goes on.</summary>
    protected bool TryRun<T>(Func<CancellationToken, Task<T>> work, object? target, out T result)
    {
        try
        {
            result = Run(work);
            return true;
        }
        catch (K8sOperationException ex)
        {
            WriteError(ErrorRecordFactory.Create(ex));
        }

        result = default!;
        return false;
    }

    /// <summary>Per-item synchronous engine work, same error handling as <see cref="TryRun{T}"/>.</summary>
    protected bool TryInvoke(Action action)
    {
        try
        {
            action();
            FlushLog();
            return true;
        }
        catch (K8sOperationException ex)
        {
            FlushLog();
            WriteError(ErrorRecordFactory.Create(ex));
            return false;
        }
    }

    /// <summary>Setup failures stop the command: one terminating ErrorRecord.</summary>
    protected T RunOrThrow<T>(Func<CancellationToken, Task<T>> work)
    {
        try
        {
            return Run(work);
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
            throw; // unreachable: ThrowTerminating always throws
        }
    }

    /// <summary>
    /// A setup failure ends the command with one terminating ErrorRecord. In a CI gate (<see cref="ActAsGate"/>) it is
    /// the gate's failure instead, which ends the script: a gate that could not run must not let `pwsh -File` of a script
    /// without $ErrorActionPreference = 'Stop' go on and exit 0.
    /// </summary>
    protected void ThrowTerminating(K8sOperationException exception)
    {
        if (gate is { } active)
        {
            ThrowGateFailure(active.Name, $"{active.Heading}\n{active.Subject} could not be completed, so it proves nothing: {exception.Message}", inputsFailed: true,
                exception.Target ?? MyInvocation.MyCommand.Name);
        }

        ThrowTerminatingError(ErrorRecordFactory.Create(exception));
    }

    protected void WriteEngineError(K8sOperationException exception) => WriteError(ErrorRecordFactory.Create(exception));

    /// <summary>True when this command is a CI gate (see <see cref="ActAsGate"/>).</summary>
    protected bool IsGate => gate is not null;

    /// <summary>
    /// Makes this invocation a CI gate (Assert-K8sPodSecurity; Invoke-K8sSecurityAudit -FailOn): setup failures end the
    /// script as the gate's failure (<see cref="ThrowTerminating"/>), and <see cref="WriteInputError"/> keeps
    /// $ErrorActionPreference = 'Stop' from ending the run before the gate has judged and written everything.
    /// </summary>
    /// <param name="name">The gate's part of the error ids: K8s&lt;name&gt;InputFailed.</param>
    /// <param name="heading">The first line of the gate's error message.</param>
    /// <param name="subject">What the gate judges, for "… could not be completed" ("The audit").</param>
    protected void ActAsGate(string name, string heading, string subject) => gate = (name, heading, subject);

    /// <summary>
    /// An input the command could not read or audit. Normally a non-terminating error (so $?, -ErrorVariable and
    /// -ErrorAction Stop see it). In a gate under -ErrorAction Stop / $ErrorActionPreference = 'Stop' that error would end
    /// the command at once, before the rest is read and every output written: there it is a warning, and the caller
    /// must list it in the gate's one terminating error, which then carries every reason.
    /// </summary>
    protected void WriteInputError(K8sOperationException exception)
    {
        if (IsGate && ErrorsStop())
        {
            WriteWarning(exception.Message);
            return;
        }

        WriteEngineError(exception);
    }

    /// <summary>Whether a non-terminating error written now would stop the command: -ErrorAction, else $ErrorActionPreference.</summary>
    private bool ErrorsStop()
    {
        object? preference = MyInvocation.BoundParameters.TryGetValue("ErrorAction", out object? bound) ? bound : GetVariableValue("ErrorActionPreference");
        return LanguagePrimitives.TryConvertTo(preference, out ActionPreference action) && action == ActionPreference.Stop;
    }

    /// <summary>
    /// A failed CI gate (Assert-K8sPodSecurity, Invoke-K8sSecurityAudit -FailOn) ends the script, as `throw` and Pester's
    /// Should do. ThrowTerminatingError would end only this statement: a gate script without $ErrorActionPreference =
    /// 'Stop' would go on and `pwsh -File` exit 0. try/catch and trap still catch it; $_ carries the id a cmdlet error has
    /// ("K8s&lt;Gate&gt;InputFailed,command type" when an input could not be judged, "K8s&lt;Gate&gt;Violation,…" otherwise).
    /// </summary>
    protected void ThrowGateFailure(string gate, string message, bool inputsFailed, object targets)
    {
        var exception = new K8sOperationException(K8sErrorKind.Invalid, message, MyInvocation.MyCommand.Name);
        var record = new ErrorRecord(
            exception,
            $"K8s{gate}{(inputsFailed ? "InputFailed" : "Violation")},{GetType().FullName}",
            inputsFailed ? ErrorCategory.InvalidData : ErrorCategory.SecurityError,
            targets);
        record.CategoryInfo.Activity = MyInvocation.MyCommand.Name;
        throw new RuntimeException(exception.Message, exception, record) { WasThrownFromThrowStatement = true };
    }

    protected void FlushLog()
    {
        while (Log.TryTake(out var entry))
        {
            switch (entry.Level)
            {
                case LogLevel.Verbose:
                    WriteVerbose(entry.Message);
                    break;
                case LogLevel.Debug:
                    WriteDebug(entry.Message);
                    break;
                case LogLevel.Warning:
                    WriteWarning(entry.Message);
                    break;
                case LogLevel.Progress:
                    WriteProgress(new ProgressRecord(1, MyInvocation.MyCommand.Name, entry.Message)
                    {
                        PercentComplete = entry.PercentComplete,
                        RecordType = entry.PercentComplete >= 100 ? ProgressRecordType.Completed : ProgressRecordType.Processing,
                    });
                    break;
            }
        }
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposed)
        {
            return;
        }

        if (disposing)
        {
            cancellation.Dispose();
        }

        disposed = true;
    }
}
