using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text;

namespace K8sSecurity.Tests.Infrastructure;

/// <summary>
/// A PSHost that records everything written to the console, so tests can see what Out-Default renders
/// through the module's format views, exactly as a user would.
/// </summary>
public sealed class CapturingHost : PSHost
{
    private readonly CapturingUserInterface ui = new();
    private readonly Guid id = Guid.NewGuid();

    public override CultureInfo CurrentCulture => CultureInfo.InvariantCulture;

    public override CultureInfo CurrentUICulture => CultureInfo.GetCultureInfo("en-US");

    public override Guid InstanceId => id;

    public override string Name => "K8sSecurityTestHost";

    public override PSHostUserInterface UI => ui;

    public override Version Version => new(1, 0);

    public string Text => ui.Text;

    public void Clear() => ui.Clear();

    public override void EnterNestedPrompt() => throw new NotSupportedException();

    public override void ExitNestedPrompt() => throw new NotSupportedException();

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    public override void SetShouldExit(int exitCode)
    {
    }

    private sealed class CapturingUserInterface : PSHostUserInterface
    {
        private readonly StringBuilder text = new();
        private readonly Raw raw = new();

        public string Text
        {
            get
            {
                lock (text)
                {
                    return text.ToString();
                }
            }
        }

        public override PSHostRawUserInterface RawUI => raw;

        public void Clear()
        {
            lock (text)
            {
                text.Clear();
            }
        }

        public override Dictionary<string, PSObject> Prompt(string caption, string message, System.Collections.ObjectModel.Collection<FieldDescription> descriptions) =>
            throw new NotSupportedException("Tests never prompt.");

        public override int PromptForChoice(string caption, string message, System.Collections.ObjectModel.Collection<ChoiceDescription> choices, int defaultChoice) =>
            throw new NotSupportedException("Tests never prompt: pass -Confirm:$false or -Force.");

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
            throw new NotSupportedException();

        public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName, PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options) =>
            throw new NotSupportedException();

        public override string ReadLine() => string.Empty;

        public override SecureString ReadLineAsSecureString() => new();

        public override void Write(string value) => Append(value);

        public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) => Append(value);

        public override void WriteLine(string value) => Append(value + "\n");

        public override void WriteErrorLine(string value) => Append("ERROR: " + value + "\n");

        public override void WriteVerboseLine(string message) => Append("VERBOSE: " + message + "\n");

        public override void WriteWarningLine(string message) => Append("WARNING: " + message + "\n");

        public override void WriteDebugLine(string message) => Append("DEBUG: " + message + "\n");

        public override void WriteProgress(long sourceId, ProgressRecord record)
        {
        }

        private void Append(string value)
        {
            lock (text)
            {
                text.Append(value);
            }
        }
    }

    private sealed class Raw : PSHostRawUserInterface
    {
        public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

        public override Size BufferSize { get; set; } = new(160, 3000);

        public override Coordinates CursorPosition { get; set; }

        public override int CursorSize { get; set; }

        public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

        public override bool KeyAvailable => false;

        public override Size MaxPhysicalWindowSize => new(160, 3000);

        public override Size MaxWindowSize => new(160, 3000);

        public override Coordinates WindowPosition { get; set; }

        public override Size WindowSize { get; set; } = new(160, 50);

        public override string WindowTitle { get; set; } = string.Empty;

        public override void FlushInputBuffer()
        {
        }

        public override BufferCell[,] GetBufferContents(Rectangle rectangle) => new BufferCell[0, 0];

        public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException();

        public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
        {
        }

        public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
        {
        }

        public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
        {
        }
    }
}
