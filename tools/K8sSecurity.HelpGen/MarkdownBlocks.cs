using System.Text.RegularExpressions;

namespace K8sSecurity.HelpGen;

public enum BlockKind
{
    Heading,
    Code,
    Paragraph,
}

/// <summary>
/// A block of markdown: a heading (Level, Text), a fenced code block (Info = language, Text = body)
/// or a paragraph (Text = its logical lines joined by '\n'; wrapped lines are joined by a space,
/// list items and hard breaks start a new logical line).
/// </summary>
public sealed record MarkdownBlock(BlockKind Kind, int Line, string Text, int Level = 0, string Info = "");

/// <summary>Splits markdown lines into headings, fenced code blocks and paragraphs. Line numbers are 1-based.</summary>
public static partial class MarkdownBlocks
{
    [GeneratedRegex(@"^(#{1,6})\s+(.*?)\s*#*\s*$")]
    private static partial Regex HeadingRegex();

    [GeneratedRegex(@"^\s{0,3}(`{3,}|~{3,})\s*([^`\s]*)")]
    private static partial Regex FenceRegex();

    [GeneratedRegex(@"^\s*([-*+]|\d+[.)])\s+")]
    private static partial Regex ListItemRegex();

    [GeneratedRegex(@"^:?-{3,}:?$")]
    private static partial Regex TableDelimiterCellRegex();

    public static bool IsListItem(string line) => ListItemRegex().IsMatch(line);

    public static bool IsTableRow(string line) => line.TrimStart().StartsWith('|');

    /// <summary>
    /// A markdown table (consecutive "| a | b |" logical lines) as its header cells and body rows; the
    /// "| --- | --- |" delimiter row is dropped. Without a delimiter row every row is a body row and Header is empty.
    /// </summary>
    public static (string[] Header, List<string[]> Rows) ParseTable(IReadOnlyList<string> tableLines)
    {
        var rows = tableLines.Select(Cells).ToList();
        if (rows.Count >= 2 && rows[1].All(c => TableDelimiterCellRegex().IsMatch(c)))
        {
            return (rows[0], rows.Skip(2).ToList());
        }

        return (Array.Empty<string>(), rows);
    }

    /// <summary>
    /// A table row as one line of prose for MAML, where Get-Help has no tables: "- first: second (Header3: third;
    /// Header4: fourth)". Inline code marks are dropped.
    /// </summary>
    public static string TableRowAsListItem(string[] header, string[] row)
    {
        var text = "- " + row[0];
        if (row.Length > 1)
        {
            text += ": " + row[1];
        }

        var rest = row.Skip(2).Select((cell, i) => header.Length > i + 2 && header[i + 2].Length > 0 ? $"{header[i + 2]}: {cell}" : cell)
            .Where(c => c.Length > 0).ToList();
        if (rest.Count > 0)
        {
            text += " (" + string.Join("; ", rest) + ")";
        }

        return text;
    }

    private static string[] Cells(string line)
    {
        var text = line.Trim();
        if (text.StartsWith('|'))
        {
            text = text[1..];
        }

        if (text.EndsWith('|'))
        {
            text = text[..^1];
        }

        return text.Split('|').Select(c => c.Trim().Replace("`", string.Empty, StringComparison.Ordinal)).ToArray();
    }

    public static List<MarkdownBlock> Parse(IReadOnlyList<string> lines, int start, int end, string path)
    {
        var blocks = new List<MarkdownBlock>();
        var i = start;
        while (i < end)
        {
            var line = lines[i];
            if (string.IsNullOrWhiteSpace(line))
            {
                i++;
                continue;
            }

            var fence = FenceRegex().Match(line);
            if (fence.Success)
            {
                var marker = fence.Groups[1].Value;
                var open = i;
                var body = new List<string>();
                i++;
                while (i < end && !lines[i].TrimStart().StartsWith(marker, StringComparison.Ordinal))
                {
                    body.Add(lines[i]);
                    i++;
                }

                if (i >= end)
                {
                    throw new HelpFormatException(path, open + 1, $"code block opened with {marker} is never closed");
                }

                i++;
                blocks.Add(new MarkdownBlock(BlockKind.Code, open + 1, string.Join('\n', body), Info: fence.Groups[2].Value));
                continue;
            }

            var heading = HeadingRegex().Match(line);
            if (heading.Success)
            {
                blocks.Add(new MarkdownBlock(BlockKind.Heading, i + 1, heading.Groups[2].Value, heading.Groups[1].Value.Length));
                i++;
                continue;
            }

            var first = i;
            var logical = new List<string>();
            var hardBreak = true;
            while (i < end && !string.IsNullOrWhiteSpace(lines[i])
                   && !FenceRegex().IsMatch(lines[i]) && !HeadingRegex().IsMatch(lines[i]))
            {
                var raw = lines[i];
                var text = raw.Trim();
                var endsWithBreak = raw.EndsWith("  ", StringComparison.Ordinal) || text.EndsWith('\\');
                if (text.EndsWith('\\'))
                {
                    text = text[..^1].TrimEnd();
                }

                if (hardBreak || IsListItem(raw) || text.StartsWith('|'))
                {
                    logical.Add(text);
                }
                else
                {
                    logical[^1] += " " + text;
                }

                hardBreak = endsWithBreak || text.StartsWith('|');
                i++;
            }

            blocks.Add(new MarkdownBlock(BlockKind.Paragraph, first + 1, string.Join('\n', logical)));
        }

        return blocks;
    }
}
