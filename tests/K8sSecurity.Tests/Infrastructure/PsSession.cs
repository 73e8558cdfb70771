using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace K8sSecurity.Tests.Infrastructure;

/// <summary>What one script produced, stream by stream.</summary>
public sealed class PsResult
{
    public required Collection<PSObject> Output { get; init; }

    public required IReadOnlyList<ErrorRecord> Errors { get; init; }

    public required IReadOnlyList<string> Warnings { get; init; }

    public required IReadOnlyList<string> Verbose { get; init; }

    public required IReadOnlyList<string> Information { get; init; }

    /// <summary>The terminating error's record when the script stopped with one.</summary>
    public ErrorRecord? TerminatingError { get; init; }

    /// <summary>Base objects of the output, cast.</summary>
    public IEnumerable<T> Objects<T>() => Output.Select(o => o.BaseObject).OfType<T>();

    /// <summary>Every stream as one text, for asserting that secrets never appear anywhere.</summary>
    public string AllText(string hostText = "") =>
        string.Join('\n', Output.Select(o => o?.ToString()))
        + string.Join('\n', Errors.Select(e => e.ToString() + e.FullyQualifiedErrorId + e.ErrorDetails?.Message + e.Exception))
        + string.Join('\n', Warnings) + string.Join('\n', Verbose) + string.Join('\n', Information)
        + TerminatingError?.ToString() + TerminatingError?.Exception + hostText;

    /// <summary>Fails the test with the errors' text when the script wrote any error.</summary>
    public PsResult AssertNoErrors()
    {
        if (TerminatingError is not null || Errors.Count > 0)
        {
            var messages = Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}").ToList();
            if (TerminatingError is not null)
            {
                messages.Add($"TERMINATING {TerminatingError.FullyQualifiedErrorId}: {TerminatingError}");
            }

            throw new Xunit.Sdk.XunitException("PowerShell reported errors:\n" + string.Join('\n', messages));
        }

        return this;
    }
}

/// <summary>
/// A runspace on the real PowerShell engine (InitialSessionState.CreateDefault2) with the staged module imported
/// by path. Everything a test does to the module goes through real PowerShell pipelines.
/// </summary>
public sealed class PsSession : IDisposable
{
    private const string TerminatingMarker = "__K8sSecurityTestTerminatingError";
    private readonly Runspace runspace;

    public PsSession(bool importModule = true, IDictionary<string, string>? environment = null)
    {
        if (!File.Exists(TestPaths.StagedManifest))
        {
            throw new FileNotFoundException($"The staged module is missing at {TestPaths.StagedManifest}; build the solution first.");
        }

        var iss = InitialSessionState.CreateDefault2();
        iss.ThrowOnRunspaceOpenError = true;
        Host = new CapturingHost();
        runspace = RunspaceFactory.CreateRunspace(Host, iss);
        runspace.Open();

        // Plain text like a redirected console: format assertions should not see ANSI escapes.
        Invoke("$PSStyle.OutputRendering = 'PlainText'").AssertNoErrors();
        if (environment is not null)
        {
            foreach (var (name, value) in environment)
            {
                Invoke($"$env:{name} = $args[0]", value);
            }
        }

        if (importModule)
        {
            Invoke("Import-Module $args[0] -ErrorAction Stop", TestPaths.StagedManifest).AssertNoErrors();
        }
    }

    public CapturingHost Host { get; }

    /// <summary>Runs a script; positional values arrive as $args. Never throws for PowerShell errors.</summary>
    public PsResult Invoke(string script, params object?[] args)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;

        // try/catch turns statement-terminating errors into a marked output object, so tests can tell
        // terminating errors (what `try` catches) from non-terminating ones (the error stream).
        ps.AddScript($"try {{\n{script}\n}} catch {{ [pscustomobject]@{{ {TerminatingMarker} = $_ }} }}");
        foreach (var arg in args)
        {
            ps.AddArgument(arg);
        }

        Collection<PSObject> output = new();
        ErrorRecord? terminating = null;
        try
        {
            foreach (var item in ps.Invoke())
            {
                if (item?.Properties[TerminatingMarker]?.Value is PSObject { BaseObject: ErrorRecord record })
                {
                    terminating = record;
                }
                else if (item?.Properties[TerminatingMarker]?.Value is ErrorRecord direct)
                {
                    terminating = direct;
                }
                else
                {
                    output.Add(item!);
                }
            }
        }
        catch (RuntimeException ex)
        {
            terminating = ex.ErrorRecord;
        }

        return new PsResult
        {
            Output = output,
            Errors = ps.Streams.Error.ToList(),
            Warnings = ps.Streams.Warning.Select(w => w.Message).ToList(),
            Verbose = ps.Streams.Verbose.Select(v => v.Message).ToList(),
            Information = ps.Streams.Information.Select(i => i.MessageData?.ToString() ?? string.Empty).ToList(),
            TerminatingError = terminating,
        };
    }

    /// <summary>Runs a script piped to Out-Default and returns what the console would show.</summary>
    public string Render(string script, params object?[] args)
    {
        Host.Clear();
        Invoke($"& {{ {script} }} @args | Out-Default", args).AssertNoErrors();

        // Table headers carry $PSStyle colours on a host like ours; assertions are about text.
        return System.Text.RegularExpressions.Regex.Replace(Host.Text, "\u001b\\[[0-9;]*m", string.Empty);
    }

    /// <summary>A PowerShell instance on this session's runspace, for tests that drive BeginInvoke/Stop themselves.</summary>
    public PowerShell CreatePowerShell()
    {
        var ps = PowerShell.Create();
        ps.Runspace = runspace;
        return ps;
    }

    public void Dispose() => runspace.Dispose();
}
