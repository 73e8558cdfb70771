using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace K8sSecurity.Engine.Reporting;

/// <summary>
/// The data an HTML report's script draws its tables from: every text once in a string table, rows of small numbers
/// (string indexes and codes) as fixed-width base-64 digits, one width per column. A finding costs a dozen characters
/// instead of a table row of several hundred bytes, so reports of thousands of workloads stay small.
/// Written as JSON into a &lt;script type="application/json"&gt; element; <see cref="DecodeScript"/> reads it back.
/// </summary>
internal sealed class EmbeddedReportData
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_";

    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    private readonly Dictionary<string, int> strings = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<int[]>> tables = new(StringComparer.Ordinal);

    /// <summary>
    /// JavaScript: <c>decodeRows(data, name)</c> returns the named table as a flat Int32Array (one number per column
    /// and row); <c>decodeMessages(data)</c> returns the messages of <see cref="Message"/> as strings.
    /// </summary>
    public const string DecodeScript = """
          var reportDigits = (function () {
            var value = {}, digits = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_';
            for (var i = 0; i < 64; i++) { value[digits.charAt(i)] = i; }
            return value;
          }());
          function readNumber(text, pos, width) {
            var n = 0;
            for (var k = 0; k < width; k++) { n = n * 64 + reportDigits[text.charAt(pos + k)]; }
            return n;
          }
          function decodeRows(data, name) {
            var table = data.tables[name], widths = table.widths, text = table.rows, step = 0, i, pos = 0, o = 0;
            for (i = 0; i < widths.length; i++) { step += widths[i]; }
            var out = new Int32Array(step === 0 ? 0 : text.length / step * widths.length);
            while (pos < text.length) {
              for (i = 0; i < widths.length; i++) { out[o++] = readNumber(text, pos, widths[i]); pos += widths[i]; }
            }
            return out;
          }
          function decodeMessages(data) {
            var m = data.messages, out = [];
            if (!m) { return out; }
            m.items.forEach(function (item) {
              var parts = [];
              for (var pos = 0; pos < item.length; pos += m.width) { parts.push(data.strings[readNumber(item, pos, m.width)]); }
              out.push(parts.join('"'));
            });
            return out;
          }

        """;

    private readonly Dictionary<string, int> messages = new(StringComparer.Ordinal);
    private readonly List<int[]> messageParts = new();

    /// <summary>
    /// The index of a message in the message list (decodeMessages in the script). A message is kept as the string-table
    /// indexes of its parts between double quotes: the words around quoted names repeat across thousands of resources,
    /// the quoted names (images, containers, secrets) are short.
    /// </summary>
    public int Message(string text)
    {
        if (!messages.TryGetValue(text, out int index))
        {
            index = messages.Count;
            messages.Add(text, index);
            messageParts.Add(text.Split('"').Select(Text).ToArray());
        }

        return index;
    }

    /// <summary>The index of a text in the string table.</summary>
    public int Text(string value)
    {
        if (!strings.TryGetValue(value, out int index))
        {
            index = strings.Count;
            strings.Add(value, index);
        }

        return index;
    }

    /// <summary>The index of a text, or 0 for none with every real index shifted by one (the script subtracts one).</summary>
    public int OptionalText(string? value) => value is null ? 0 : Text(value) + 1;

    /// <summary>Adds a row of non-negative numbers to a table; every row of a table has the same number of columns.</summary>
    public void Add(string table, params int[] row)
    {
        if (!tables.TryGetValue(table, out var rows))
        {
            rows = new List<int[]>();
            tables.Add(table, rows);
        }
        else if (rows[0].Length != row.Length)
        {
            throw new ArgumentException($"Table '{table}' has {rows[0].Length} columns, not {row.Length}.", nameof(row));
        }

        rows.Add(row);
    }

    /// <summary>
    /// {"strings": [...], "tables": {name: {"widths": [...], "rows": "..."}}, "messages": {"width": n, "items": [...]}},
    /// safe inside a script element.
    /// </summary>
    public string ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, JsonOptions))
        {
            json.WriteStartObject();
            json.WriteStartArray("strings");
            foreach (string text in strings.Keys)
            {
                json.WriteStringValue(text);
            }

            json.WriteEndArray();
            json.WriteStartObject("tables");
            foreach (var (name, rows) in tables)
            {
                int columns = rows[0].Length;
                var widths = new int[columns];
                for (int c = 0; c < columns; c++)
                {
                    widths[c] = Width(rows.Max(r => r[c]));
                }

                var encoded = new StringBuilder(rows.Count * widths.Sum());
                foreach (int[] row in rows)
                {
                    for (int c = 0; c < columns; c++)
                    {
                        Append(encoded, row[c], widths[c]);
                    }
                }

                json.WriteStartObject(name);
                json.WriteStartArray("widths");
                foreach (int width in widths)
                {
                    json.WriteNumberValue(width);
                }

                json.WriteEndArray();
                json.WriteString("rows", encoded.ToString());
                json.WriteEndObject();
            }

            json.WriteEndObject();
            if (messageParts.Count > 0)
            {
                int width = Width(messageParts.Max(parts => parts.Max()));
                json.WriteStartObject("messages");
                json.WriteNumber("width", width);
                json.WriteStartArray("items");
                var encoded = new StringBuilder();
                foreach (int[] parts in messageParts)
                {
                    encoded.Clear();
                    foreach (int part in parts)
                    {
                        Append(encoded, part, width);
                    }

                    json.WriteStringValue(encoded.ToString());
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        // The relaxed encoder keeps quotes and non-ASCII short; <, > and & only occur inside JSON strings, where their
        // \u escapes mean the same, so nothing in the data can close the script element or start markup.
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length)
            .Replace("<", "\\u003c", StringComparison.Ordinal)
            .Replace(">", "\\u003e", StringComparison.Ordinal)
            .Replace("&", "\\u0026", StringComparison.Ordinal);
    }

    private static int Width(int max)
    {
        if (max < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(max), max, "Report data holds non-negative numbers only.");
        }

        int width = 1;
        for (long capacity = 64; capacity <= max; capacity *= 64)
        {
            width++;
        }

        return width;
    }

    private static void Append(StringBuilder text, int value, int width)
    {
        for (int shift = 6 * (width - 1); shift >= 0; shift -= 6)
        {
            text.Append(Digits[(value >> shift) & 63]);
        }
    }
}
