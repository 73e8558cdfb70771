namespace K8sSecurity.HelpGen;

/// <summary>One cmdlet's help, as read from a PlatyPS markdown file.</summary>
public sealed class CommandHelp
{
    public required string Name { get; init; }
    public required string SourcePath { get; init; }
    public string ExternalHelpFile { get; set; } = "";
    public string ModuleName { get; set; } = "";
    public string OnlineVersion { get; set; } = "";
    public List<string> Synopsis { get; } = [];
    public List<string> Description { get; } = [];
    public List<SyntaxSet> Syntax { get; } = [];
    public List<ParameterHelp> Parameters { get; } = [];
    public bool SupportsCommonParameters { get; set; }
    public List<TypeHelp> Inputs { get; } = [];
    public List<TypeHelp> Outputs { get; } = [];
    public List<string> Notes { get; } = [];
    public List<ExampleHelp> Examples { get; } = [];
    public List<LinkHelp> Links { get; } = [];
}

/// <summary>A parameter set from ## SYNTAX: its name and the syntax line(s) as written.</summary>
public sealed class SyntaxSet
{
    public required string Name { get; init; }
    public bool IsDefault { get; init; }
    public required string Text { get; init; }
    public int Line { get; init; }
}

public sealed class ParameterHelp
{
    public required string Name { get; init; }
    public int Line { get; init; }
    public List<string> Description { get; } = [];
    public string Type { get; set; } = "";
    public List<string> Aliases { get; } = [];
    public List<string> AcceptedValues { get; } = [];
    public string DefaultValue { get; set; } = "None";
    public string PipelineInput { get; set; } = "False";
    public bool Globbing { get; set; }

    /// <summary>One entry per ```yaml block: the sets it applies to and the per-set Required/Position.</summary>
    public List<ParameterSetBinding> Bindings { get; } = [];

    public bool IsSwitch =>
        Type.Equals("SwitchParameter", StringComparison.OrdinalIgnoreCase)
        || Type.Equals("System.Management.Automation.SwitchParameter", StringComparison.OrdinalIgnoreCase)
        || Type.Equals("switch", StringComparison.OrdinalIgnoreCase);

    /// <summary>The binding for a set: an exact set name wins over (All).</summary>
    public ParameterSetBinding? BindingFor(string setName) =>
        Bindings.FirstOrDefault(b => b.Sets.Contains(setName, StringComparer.OrdinalIgnoreCase))
        ?? Bindings.FirstOrDefault(b => b.AppliesToAll);
}

public sealed class ParameterSetBinding
{
    public List<string> Sets { get; } = [];
    public bool AppliesToAll => Sets.Count == 0 || Sets.Any(s => s.Equals("(All)", StringComparison.OrdinalIgnoreCase));
    public bool Required { get; set; }

    /// <summary>"named" or a zero-based number, as MAML wants it.</summary>
    public string Position { get; set; } = "named";
}

public sealed class TypeHelp
{
    public required string TypeName { get; init; }
    public List<string> Description { get; } = [];
}

public sealed class ExampleHelp
{
    public required string Title { get; init; }
    public List<string> Code { get; } = [];
    public List<string> Remarks { get; } = [];
}

public sealed class LinkHelp
{
    public required string Text { get; init; }
    public string Uri { get; init; } = "";
}

/// <summary>Markdown that does not follow the schema. Carries the file and 1-based line.</summary>
public sealed class HelpFormatException : Exception
{
    public HelpFormatException(string path, int line, string message)
        : base($"{path}:{line}: {message}")
    {
        FilePath = path;
        LineNumber = line;
        Reason = message;
    }

    public HelpFormatException() { }
    public HelpFormatException(string message) : base(message) { }
    public HelpFormatException(string message, Exception innerException) : base(message, innerException) { }

    public string FilePath { get; } = "";
    public int LineNumber { get; }
    public string Reason { get; } = "";
}
