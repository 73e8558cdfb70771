using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Security;
using System.Text.RegularExpressions;

namespace K8sSecurity.Shell;

/// <summary>Console output with pwsh's colours for errors, warnings, verbose and debug; prompts read lines.</summary>
public sealed partial class ShellUserInterface : PSHostUserInterface
{
    [GeneratedRegex(@"\x1B\[[0-9;?]*[A-Za-z]")]
    private static partial Regex AnsiRegex();

    /// <summary>True when output goes to a file or pipe: escape sequences are stripped, as pwsh does.</summary>
    public static bool PlainText { get; set; } = Console.IsOutputRedirected;

    public override bool SupportsVirtualTerminal => !PlainText;

    private static string Render(string value) => PlainText ? AnsiRegex().Replace(value, "") : value;

    private static readonly bool Colour = Environment.GetEnvironmentVariable("NO_COLOR") is null;
    private readonly ShellRawUserInterface _rawUI = new();

    public override PSHostRawUserInterface RawUI => _rawUI;

    public override void Write(string value) => Console.Out.Write(Render(value));

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        Coloured(Console.Out, Console.IsOutputRedirected, foregroundColor, value, newLine: false);

    public override void WriteLine(string value) => Console.Out.WriteLine(Render(value));

    public override void WriteErrorLine(string value) =>
        Coloured(Console.Error, Console.IsErrorRedirected, ConsoleColor.Red, value, newLine: true);

    public override void WriteWarningLine(string message) =>
        Coloured(Console.Out, Console.IsOutputRedirected, ConsoleColor.Yellow, "WARNING: " + message, newLine: true);

    public override void WriteVerboseLine(string message) =>
        Coloured(Console.Out, Console.IsOutputRedirected, ConsoleColor.Yellow, "VERBOSE: " + message, newLine: true);

    public override void WriteDebugLine(string message) =>
        Coloured(Console.Out, Console.IsOutputRedirected, ConsoleColor.Yellow, "DEBUG: " + message, newLine: true);

    /// <summary>Progress bars make no sense in a log; they are dropped.</summary>
    public override void WriteProgress(long sourceId, ProgressRecord record) { }

    public override string ReadLine() => Console.ReadLine() ?? "";

    public override SecureString ReadLineAsSecureString()
    {
        var secure = new SecureString();
        foreach (var c in Console.ReadLine() ?? "")
        {
            secure.AppendChar(c);
        }

        secure.MakeReadOnly();
        return secure;
    }

    public override Dictionary<string, PSObject> Prompt(string caption, string message, Collection<FieldDescription> descriptions)
    {
        WriteCaption(caption, message);
        var result = new Dictionary<string, PSObject>();
        foreach (var field in descriptions)
        {
            Write(field.Name + ": ");
            result[field.Name] = field.ParameterTypeFullName == typeof(SecureString).FullName
                ? PSObject.AsPSObject(ReadLineAsSecureString())
                : PSObject.AsPSObject(ReadLine());
        }

        return result;
    }

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName) =>
        PromptForCredential(caption, message, userName, targetName, PSCredentialTypes.Default, PSCredentialUIOptions.Default);

    public override PSCredential PromptForCredential(string caption, string message, string userName, string targetName,
        PSCredentialTypes allowedCredentialTypes, PSCredentialUIOptions options)
    {
        WriteCaption(caption, message);
        if (string.IsNullOrEmpty(userName))
        {
            Write("User: ");
            userName = ReadLine();
        }

        Write("Password for user " + userName + ": ");
        return new PSCredential(userName, ReadLineAsSecureString());
    }

    public override int PromptForChoice(string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice)
    {
        WriteCaption(caption, message);
        var labels = choices.Select(c => c.Label.Replace("&", "", StringComparison.Ordinal)).ToList();
        while (true)
        {
            WriteLine(string.Join("  ", labels.Select((l, i) => $"[{HotKey(choices[i].Label)}] {l}"))
                      + (defaultChoice >= 0 ? $" (default is \"{HotKey(choices[defaultChoice].Label)}\"): " : ": "));
            var answer = Console.ReadLine();
            if (answer is null || (answer.Length == 0 && defaultChoice >= 0))
            {
                return Math.Max(defaultChoice, 0);
            }

            var index = labels.FindIndex(l => l.Equals(answer.Trim(), StringComparison.OrdinalIgnoreCase));
            index = index >= 0 ? index : choices.ToList().FindIndex(c => HotKey(c.Label).Equals(answer.Trim(), StringComparison.OrdinalIgnoreCase));
            if (index >= 0)
            {
                return index;
            }
        }
    }

    private static string HotKey(string label)
    {
        var amp = label.IndexOf('&', StringComparison.Ordinal);
        return amp >= 0 && amp + 1 < label.Length ? label[amp + 1].ToString() : label;
    }

    private void WriteCaption(string caption, string message)
    {
        if (!string.IsNullOrEmpty(caption))
        {
            WriteLine(caption);
        }

        if (!string.IsNullOrEmpty(message))
        {
            WriteLine(message);
        }
    }

    private static void Coloured(TextWriter writer, bool redirected, ConsoleColor colour, string value, bool newLine)
    {
        value = Render(value);
        var paint = Colour && !redirected;
        if (paint)
        {
            Console.ForegroundColor = colour;
        }

        if (newLine)
        {
            writer.WriteLine(value);
        }
        else
        {
            writer.Write(value);
        }

        if (paint)
        {
            Console.ResetColor();
        }
    }
}

/// <summary>Just enough of a raw console: the width Out-Default formats to, and colours.</summary>
public sealed class ShellRawUserInterface : PSHostRawUserInterface
{
    private static Size ConsoleSize()
    {
        if (Console.IsOutputRedirected)
        {
            return new Size(120, 50);
        }

        try
        {
            return new Size(Console.WindowWidth > 0 ? Console.WindowWidth : 120, Console.WindowHeight > 0 ? Console.WindowHeight : 50);
        }
        catch (IOException)
        {
            return new Size(120, 50);
        }
    }

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;
    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;
    public override Size BufferSize { get => new(ConsoleSize().Width, 9001); set { } }
    public override Coordinates CursorPosition { get; set; }
    public override int CursorSize { get; set; } = 25;
    public override bool KeyAvailable => false;
    public override Size MaxPhysicalWindowSize => ConsoleSize();
    public override Size MaxWindowSize => ConsoleSize();
    public override Coordinates WindowPosition { get; set; }
    public override Size WindowSize { get => ConsoleSize(); set { } }
    public override string WindowTitle { get; set; } = "K8sSecurity.Shell";

    public override void FlushInputBuffer() { }
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) => throw new NotSupportedException();
    public override KeyInfo ReadKey(ReadKeyOptions options) => throw new NotSupportedException("ReadKey is not supported.");
    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill) { }
    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents) { }
    public override void SetBufferContents(Rectangle rectangle, BufferCell fill) { }
}
