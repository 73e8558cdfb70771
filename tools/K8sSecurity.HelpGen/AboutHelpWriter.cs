using System.Text;
using System.Text.RegularExpressions;

namespace K8sSecurity.HelpGen;

/// <summary>
/// Turns about_Topic.md into about_Topic.help.txt: the classic plain-text layout (TOPIC, SHORT DESCRIPTION,
/// LONG DESCRIPTION, ...) with headings flush left, text wrapped at 80 columns and indented 4, code indented 8.
/// </summary>
public static partial class AboutHelpWriter
{
    public const int Width = 80;
    private const string Indent = "    ";

    private static readonly string[] RequiredSections = ["SHORT DESCRIPTION", "LONG DESCRIPTION"];

    [GeneratedRegex(@"^(\s*(?:[-*+]|\d+[.)])\s+)(.*)$")]
    private static partial Regex ListItemRegex();

    public static string ConvertFile(string path) => Convert(File.ReadAllText(path), path);

    public static string Convert(string markdown, string path)
    {
        var lines = MarkdownHelpParser.SplitLines(markdown);
        var start = 0;
        if (lines.Count > 0 && lines[0].Trim() == "---")
        {
            start = lines.FindIndex(1, l => l.Trim() == "---") + 1;
            if (start == 0)
            {
                throw new HelpFormatException(path, 1, "front matter is never closed with '---'");
            }
        }

        var blocks = MarkdownBlocks.Parse(lines, start, lines.Count, path);
        var topic = Path.GetFileNameWithoutExtension(path);
        if (blocks.Count == 0 || blocks[0].Kind != BlockKind.Heading || blocks[0].Level != 1)
        {
            throw new HelpFormatException(path, blocks.Count > 0 ? blocks[0].Line : 1, $"expected '# {topic}' as the first heading");
        }

        if (!blocks[0].Text.Trim().Equals(topic, StringComparison.OrdinalIgnoreCase))
        {
            throw new HelpFormatException(path, blocks[0].Line, $"first heading '# {blocks[0].Text}' must be '# {topic}' (the file name)");
        }

        foreach (var section in RequiredSections)
        {
            if (!blocks.Any(b => b.Kind == BlockKind.Heading && b.Level == 2 && b.Text.Trim().Equals(section, StringComparison.OrdinalIgnoreCase)))
            {
                throw new HelpFormatException(path, blocks[0].Line, $"{topic} has no '## {section}' section");
            }
        }

        var text = new StringBuilder();
        text.Append("TOPIC\n").Append(Indent).Append(blocks[0].Text.Trim()).Append('\n');
        var afterHeading = false;
        foreach (var block in blocks.Skip(1))
        {
            // A blank line separates blocks, but text sits right under its heading.
            if (!afterHeading || block.Kind == BlockKind.Heading)
            {
                text.Append('\n');
            }

            afterHeading = block.Kind == BlockKind.Heading;
            switch (block.Kind)
            {
                case BlockKind.Heading when block.Level == 1:
                    throw new HelpFormatException(path, block.Line, "only one '# ' heading is allowed");
                case BlockKind.Heading when block.Level == 2:
                    text.Append(block.Text.Trim().ToUpperInvariant()).Append('\n');
                    break;
                case BlockKind.Heading:
                    text.Append(Indent).Append(block.Text.Trim()).Append('\n');
                    break;
                case BlockKind.Code:
                    foreach (var line in block.Text.Split('\n'))
                    {
                        text.Append((Indent + Indent + line).TrimEnd()).Append('\n');
                    }

                    break;
                default:
                    var logical = block.Text.Split('\n');
                    for (var i = 0; i < logical.Length; i++)
                    {
                        var line = logical[i];
                        if (MarkdownBlocks.IsTableRow(line))
                        {
                            var table = new List<string>();
                            while (i < logical.Length && MarkdownBlocks.IsTableRow(logical[i]))
                            {
                                table.Add(logical[i++]);
                            }

                            i--;
                            WriteTable(text, MarkdownBlocks.ParseTable(table));
                            continue;
                        }

                        var item = ListItemRegex().Match(line);
                        if (item.Success)
                        {
                            var bullet = item.Groups[1].Value.Trim() + " ";
                            Wrap(text, item.Groups[2].Value, Indent + bullet, Indent + new string(' ', bullet.Length));
                        }
                        else
                        {
                            Wrap(text, line, Indent, Indent);
                        }
                    }

                    break;
            }
        }

        return text.ToString();
    }

    /// <summary>
    /// A markdown table as aligned columns (header, dashes, rows), indented like text. Columns are as wide as their
    /// widest cell; when that passes 80 columns the last column wraps under itself.
    /// </summary>
    private static void WriteTable(StringBuilder text, (string[] Header, List<string[]> Rows) table)
    {
        var rows = new List<string[]>();
        if (table.Header.Length > 0)
        {
            rows.Add(table.Header);
            rows.Add(table.Header.Select(h => new string('-', h.Length)).ToArray());
        }

        rows.AddRange(table.Rows);
        var columns = rows.Max(r => r.Length);
        var widths = Enumerable.Range(0, columns).Select(c => rows.Max(r => c < r.Length ? r[c].Length : 0)).ToArray();
        var lastStart = Indent.Length + widths.Take(columns - 1).Sum(w => w + 2);
        foreach (var row in rows)
        {
            var line = new StringBuilder(Indent);
            for (var c = 0; c < columns - 1; c++)
            {
                line.Append((c < row.Length ? row[c] : string.Empty).PadRight(widths[c] + 2));
            }

            var last = columns - 1 < row.Length ? row[columns - 1] : string.Empty;
            if (lastStart + last.Length <= Width || lastStart > Width - 20)
            {
                text.Append((line + last).TrimEnd()).Append('\n');
            }
            else
            {
                var wrapped = new StringBuilder();
                Wrap(wrapped, last, line.ToString(), new string(' ', lastStart));
                text.Append(wrapped);
            }
        }
    }

    private static void Wrap(StringBuilder text, string paragraph, string firstIndent, string nextIndent)
    {
        var line = new StringBuilder(firstIndent);
        var empty = true;
        foreach (var word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!empty && line.Length + 1 + word.Length > Width)
            {
                text.Append(line).Append('\n');
                line.Clear().Append(nextIndent);
                empty = true;
            }

            if (!empty)
            {
                line.Append(' ');
            }

            line.Append(word);
            empty = false;
        }

        text.Append(line.ToString().TrimEnd()).Append('\n');
    }
}
