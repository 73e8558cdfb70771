using System.Globalization;
using System.Management.Automation.Host;

namespace K8sSecurity.Shell;

/// <summary>The host PowerShell talks to: identity, culture, the console UI and the exit request of 'exit N'.</summary>
public sealed class ShellHost : PSHost
{
    private readonly ShellUserInterface _ui = new();

    public override string Name => "K8sSecurity.Shell";
    public override Version Version { get; } = typeof(ShellHost).Assembly.GetName().Version ?? new Version(1, 0);
    public override Guid InstanceId { get; } = Guid.NewGuid();
    public override PSHostUserInterface UI => _ui;
    public override CultureInfo CurrentCulture => CultureInfo.CurrentCulture;
    public override CultureInfo CurrentUICulture => CultureInfo.CurrentUICulture;

    /// <summary>Set by 'exit N' at the top level of -Command text or the REPL.</summary>
    public int? ExitCode { get; private set; }

    public override void SetShouldExit(int exitCode) => ExitCode = exitCode;
    public override void EnterNestedPrompt() => throw new NotSupportedException("Nested prompts are not supported.");
    public override void ExitNestedPrompt() => throw new NotSupportedException("Nested prompts are not supported.");
    public override void NotifyBeginApplication() { }
    public override void NotifyEndApplication() { }
}
