using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace K8sSecurity.Shell;

/// <summary>
/// K8sSecurity.Shell [-Module &lt;path&gt;]... [-File &lt;script.ps1&gt; [args...] | -Command &lt;text...&gt;]
/// Runs the text or script through Out-Default on the System.Management.Automation engine; with neither, a REPL.
/// Exit code: N for 'exit N', 1 when any error record was written or a terminating error occurred, else 0.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var modules = new List<string>();
        string? file = null;
        string? command = null;
        var scriptArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (Is(arg, "-Module") && i + 1 < args.Length)
            {
                modules.Add(args[++i]);
            }
            else if (Is(arg, "-File") && i + 1 < args.Length)
            {
                file = args[++i];
                scriptArgs.AddRange(args.Skip(i + 1));
                break;
            }
            else if ((Is(arg, "-Command") || Is(arg, "-c")) && i + 1 < args.Length)
            {
                command = string.Join(' ', args.Skip(i + 1));
                break;
            }
            else if (Is(arg, "-NoProfile") || Is(arg, "-NoLogo") || Is(arg, "-NonInteractive"))
            {
                // accepted for pwsh compatibility; this shell never loads profiles
            }
            else
            {
                Console.Error.WriteLine($"K8sSecurity.Shell: unknown argument '{arg}'");
                Console.Error.WriteLine("usage: K8sSecurity.Shell [-Module <path>]... [-File <script.ps1> [args...] | -Command <text...>]");
                return 64;
            }
        }

        // Hermetic module path: only what is imported by path (or sits next to the engine) is found,
        // so stray Windows PowerShell or pwsh modules on this machine cannot be autoloaded into this engine.
        Environment.SetEnvironmentVariable("PSModulePath", Path.Combine(AppContext.BaseDirectory, "Modules"));

        var host = new ShellHost();
        var state = InitialSessionState.CreateDefault2();
        if (OperatingSystem.IsWindows())
        {
            // Scripts and modules imported by path must run whatever the machine policy is.
            // (Elsewhere there is no policy, and setting one throws PlatformNotSupportedException.)
            state.ExecutionPolicy = Microsoft.PowerShell.ExecutionPolicy.Bypass;
        }

        state.ThreadOptions = PSThreadOptions.UseCurrentThread;
        using var runspace = RunspaceFactory.CreateRunspace(host, state);
        runspace.Open();
        runspace.SessionStateProxy.SetVariable("ErrorActionPreference", ActionPreference.Continue);

        // Tables get ANSI bold headers only on a real terminal, as pwsh does; logs and pipes get plain text.
        ShellUserInterface.PlainText = Console.IsOutputRedirected || Environment.GetEnvironmentVariable("NO_COLOR") is not null;
        PSStyle.Instance.OutputRendering = ShellUserInterface.PlainText ? OutputRendering.PlainText : OutputRendering.Ansi;

        foreach (var module in modules)
        {
            var path = Path.GetFullPath(module);
            if (!Run(host, runspace, ps => ps.AddCommand("Import-Module").AddParameter("Name", path).AddParameter("ErrorAction", ActionPreference.Stop)))
            {
                return host.ExitCode ?? 1;
            }
        }

        if (file is not null)
        {
            var ok = Run(host, runspace, ps =>
            {
                ps.AddCommand(Path.GetFullPath(file));
                scriptArgs.ForEach(a => ps.AddArgument(a));
            });
            if (host.ExitCode is { } exit)
            {
                return exit;
            }

            // 'exit N' inside a script file ends the script and sets $LASTEXITCODE, as with pwsh -File.
            var last = runspace.SessionStateProxy.GetVariable("LASTEXITCODE");
            return last is int code && code != 0 ? code : ok ? 0 : 1;
        }

        if (command is not null)
        {
            var ok = Run(host, runspace, ps => ps.AddScript(command));
            return host.ExitCode ?? (ok ? 0 : 1);
        }

        return Repl(host, runspace);
    }

    private static bool Is(string arg, string name) => arg.Equals(name, StringComparison.OrdinalIgnoreCase);

    private static int Repl(ShellHost host, Runspace runspace)
    {
        Console.WriteLine("K8sSecurity.Shell (System.Management.Automation " + typeof(PSObject).Assembly.GetName().Version + "). 'exit' quits.");
        var failed = false;
        while (host.ExitCode is null)
        {
            Console.Write($"PS {runspace.SessionStateProxy.Path.CurrentLocation}> ");
            var line = Console.ReadLine();
            if (line is null)
            {
                break;
            }

            if (line.Trim().Equals("exit", StringComparison.OrdinalIgnoreCase))
            {
                break;
            }

            if (line.Trim().Length > 0)
            {
                failed = !Run(host, runspace, ps => ps.AddScript(line)) || failed;
            }
        }

        return host.ExitCode ?? (failed ? 1 : 0);
    }

    /// <summary>Runs one pipeline piped to Out-Default, printing errors as they come. False if any error occurred.</summary>
    public static bool Run(ShellHost host, Runspace runspace, Action<PowerShell> build)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = runspace;
        build(ps);
        ps.AddCommand("Out-Default");
        var errors = 0;
        ps.Streams.Error.DataAdded += (_, e) =>
        {
            errors++;
            host.UI.WriteErrorLine(Concise(ps.Streams.Error[e.Index]));
        };
        try
        {
            ps.Invoke();
        }
        catch (RuntimeException ex)
        {
            errors++;
            host.UI.WriteErrorLine(Concise(ex.ErrorRecord));
        }

        // Not ps.HadErrors: a script ending in 'exit N' sets it without any error having been written.
        return errors == 0;
    }

    /// <summary>Like pwsh's ConciseView: 'Command: message', or 'ExceptionType: message' outside a command.</summary>
    public static string Concise(ErrorRecord record)
    {
        var message = record.ErrorDetails?.Message is { Length: > 0 } details ? details : record.Exception?.Message ?? record.ToString();
        var command = record.InvocationInfo?.MyCommand;
        string prefix;
        if (command is not null && command is not ExternalScriptInfo && command is not ScriptInfo && command.Name.Length > 0)
        {
            prefix = command.Name;
        }
        else if (record.InvocationInfo?.InvocationName is { Length: > 0 } invoked && command is not ExternalScriptInfo)
        {
            prefix = invoked; // e.g. an unknown command: 'foo: The term 'foo' is not recognized ...'
        }
        else
        {
            // 'throw "text"' makes an error whose id is the text itself: pwsh labels it plain "Exception".
            prefix = record.Exception is null || record.FullyQualifiedErrorId == message ? "Exception" : record.Exception.GetType().Name;
        }

        var script = record.InvocationInfo?.ScriptName;
        return string.IsNullOrEmpty(script)
            ? $"{prefix}: {message}"
            : $"{prefix}: {message}\n  at {script}:{record.InvocationInfo!.ScriptLineNumber}";
    }
}
