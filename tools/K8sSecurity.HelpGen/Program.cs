using System.Text;

namespace K8sSecurity.HelpGen;

/// <summary>
/// K8sSecurity.HelpGen --docs docs --out out/K8sSecurity/VERSION/en-US
/// Cmdlet markdown becomes &lt;external help file&gt; (K8sSecurity.dll-Help.xml); about_*.md becomes about_*.help.txt.
/// Files whose names start with '_' (the template) are skipped. Exit 1, with file:line messages, on any schema error.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        string? docs = null;
        string? output = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--docs" when i + 1 < args.Length:
                    docs = args[++i];
                    break;
                case "--out" when i + 1 < args.Length:
                    output = args[++i];
                    break;
                default:
                    Console.Error.WriteLine($"HelpGen: unknown argument '{args[i]}'");
                    return Usage();
            }
        }

        if (docs is null || output is null)
        {
            return Usage();
        }

        if (!Directory.Exists(docs))
        {
            Console.Error.WriteLine($"HelpGen: docs folder '{docs}' does not exist");
            return 1;
        }

        var result = Generate(docs, output);
        foreach (var error in result.Errors)
        {
            // MSBuild recognises "file(line): error CODE: text" and shows it as a build error.
            Console.Error.WriteLine($"{error.FilePath}({error.LineNumber}): error HELPGEN: {error.Reason}");
        }

        if (result.Errors.Count > 0)
        {
            Console.Error.WriteLine($"HelpGen: {result.Errors.Count} help file error(s); nothing written.");
            return 1;
        }

        Console.WriteLine($"HelpGen: {result.Written.Count} file(s) written to {output}");
        return 0;
    }

    private static int Usage()
    {
        Console.Error.WriteLine("usage: K8sSecurity.HelpGen --docs <folder of PlatyPS markdown> --out <folder for MAML and about_*.help.txt>");
        return 2;
    }

    public sealed record GenerateResult(List<HelpFormatException> Errors, List<string> Written);

    /// <summary>Reads every markdown file first and writes only when all of them are valid.</summary>
    public static GenerateResult Generate(string docs, string output)
    {
        var errors = new List<HelpFormatException>();
        var commands = new List<CommandHelp>();
        var abouts = new List<(string Name, string Text)>();
        // docs/ also holds project documents (README, checks, …): cmdlet help is what carries PlatyPS front matter.
        var files = Directory.GetFiles(docs, "*.md")
            .Where(f => !Path.GetFileName(f).StartsWith('_'))
            .Where(f => Path.GetFileName(f).StartsWith("about_", StringComparison.OrdinalIgnoreCase) || IsCommandHelp(f))
            .Order(StringComparer.Ordinal);
        foreach (var file in files)
        {
            try
            {
                var name = Path.GetFileNameWithoutExtension(file);
                if (name.StartsWith("about_", StringComparison.OrdinalIgnoreCase))
                {
                    abouts.Add((name + ".help.txt", AboutHelpWriter.ConvertFile(file)));
                }
                else
                {
                    var help = MarkdownHelpParser.ParseFile(file);
                    if (!help.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new HelpFormatException(file, 1, $"file name must be the command name: {help.Name}.md");
                    }

                    commands.Add(help);
                }
            }
            catch (HelpFormatException e)
            {
                errors.Add(e);
            }
        }

        var written = new List<string>();
        if (errors.Count > 0)
        {
            return new GenerateResult(errors, written);
        }

        Directory.CreateDirectory(output);
        foreach (var group in commands.GroupBy(c => c.ExternalHelpFile, StringComparer.OrdinalIgnoreCase))
        {
            var path = Path.Combine(output, group.Key);
            MamlWriter.Write(group.OrderBy(c => c.Name, StringComparer.Ordinal), path);
            written.Add(path);
        }

        foreach (var (name, text) in abouts)
        {
            var path = Path.Combine(output, name);
            File.WriteAllText(path, text, new UTF8Encoding(false));
            written.Add(path);
        }

        return new GenerateResult(errors, written);
    }

    /// <summary>PlatyPS cmdlet markdown: front matter naming the external help file.</summary>
    private static bool IsCommandHelp(string file)
    {
        using var reader = new StreamReader(file);
        if (reader.ReadLine()?.Trim() != "---")
        {
            return false;
        }

        for (string? line = reader.ReadLine(); line is not null && line.Trim() != "---"; line = reader.ReadLine())
        {
            if (line.StartsWith("external help file:", StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }
}
