using System.Text;

namespace K8sSecurity.Engine.Hardening;

/// <summary>
/// The kubelet's command line as systemd builds it on a kubeadm node: the kubelet.service unit and its drop-ins
/// (10-kubeadm.conf), Environment= and EnvironmentFile= (kubeadm-flags.env, /etc/default/kubelet or
/// /etc/sysconfig/kubelet), and the last ExecStart= with $VAR (split into words) and ${VAR} (one word) expanded.
/// </summary>
internal sealed class KubeletServiceUnit
{
    private static readonly string[] UnitDirectories = { "usr/lib/systemd/system", "lib/systemd/system", "etc/systemd/system" };

    private KubeletServiceUnit(string? serviceFile, IReadOnlyList<string> arguments, IReadOnlyList<string> sources)
    {
        ServiceFile = serviceFile;
        Arguments = arguments;
        Sources = sources;
    }

    /// <summary>The unit or drop-in holding the ExecStart= the kubelet runs with (CIS's "kubelet service file").</summary>
    public string? ServiceFile { get; }

    /// <summary>The kubelet's arguments, without the program.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>Every file the command line was built from.</summary>
    public IReadOnlyList<string> Sources { get; }

    public static KubeletServiceUnit? Load(string root, Func<string, string> onNode)
    {
        // The unit file (/etc overrides /usr/lib), then drop-ins ordered by file name (a drop-in in /etc replaces one of the same name).
        string? unit = UnitDirectories.AsEnumerable().Reverse().Select(d => Path.Combine(root, d, "kubelet.service")).FirstOrDefault(File.Exists);
        var dropIns = UnitDirectories
            .Select(d => Path.Combine(root, d, "kubelet.service.d"))
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.conf"))
            .GroupBy(Path.GetFileName, StringComparer.Ordinal)
            .Select(g => g.Last())
            .OrderBy(Path.GetFileName, StringComparer.Ordinal)
            .ToList();
        var files = (unit is null ? Enumerable.Empty<string>() : new[] { unit }).Concat(dropIns).ToList();
        if (files.Count == 0)
        {
            return null;
        }

        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        var environmentFiles = new List<string>();
        var sources = new List<string>(files);
        string? execStart = null;
        string? serviceFile = null;
        foreach (string file in files)
        {
            foreach (var (key, value) in Directives(File.ReadAllText(file)))
            {
                switch (key)
                {
                    case "Environment":
                        foreach (string assignment in SplitWords(value, environment: null))
                        {
                            int eq = assignment.IndexOf('=', StringComparison.Ordinal);
                            if (eq > 0)
                            {
                                environment[assignment[..eq]] = assignment[(eq + 1)..];
                            }
                        }

                        break;
                    case "EnvironmentFile":
                        environmentFiles.Add(value.TrimStart('-').Trim());
                        break;
                    case "ExecStart":
                        execStart = value.Length == 0 ? null : value;
                        serviceFile = value.Length == 0 ? null : file;
                        break;
                }
            }
        }

        // Variables from environment files override Environment= (systemd reads them last).
        foreach (string envFile in environmentFiles)
        {
            string path = onNode(envFile);
            if (!File.Exists(path))
            {
                continue; // "-" prefixed files are optional; a missing one adds nothing
            }

            sources.Add(path);
            foreach (string line in File.ReadAllLines(path))
            {
                string trimmed = line.Trim();
                int eq = trimmed.IndexOf('=', StringComparison.Ordinal);
                if (trimmed.Length == 0 || trimmed[0] == '#' || eq <= 0)
                {
                    continue;
                }

                string value = trimmed[(eq + 1)..].Trim();
                if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
                {
                    value = value[1..^1];
                }

                environment[trimmed[..eq].Trim()] = value;
            }
        }

        if (execStart is null)
        {
            return new KubeletServiceUnit(null, Array.Empty<string>(), sources);
        }

        var words = SplitWords(execStart.TrimStart('-', '@', '+', '!', ':'), environment).ToList();
        return new KubeletServiceUnit(serviceFile, words.Skip(1).ToList(), sources);
    }

    /// <summary>Key=value directives of a unit file, with backslash line continuations joined.</summary>
    private static IEnumerable<(string Key, string Value)> Directives(string text)
    {
        var logical = new StringBuilder();
        foreach (string raw in text.Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n'))
        {
            string line = raw.TrimEnd();
            if (line.EndsWith('\\'))
            {
                logical.Append(line[..^1]).Append(' ');
                continue;
            }

            logical.Append(line);
            string full = logical.ToString().Trim();
            logical.Clear();
            if (full.Length == 0 || full[0] is '#' or ';' or '[')
            {
                continue;
            }

            int eq = full.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                yield return (full[..eq].Trim(), full[(eq + 1)..].Trim());
            }
        }
    }

    /// <summary>Splits a command line like systemd: quotes group, $VAR becomes several words, ${VAR} stays one.</summary>
    private static IEnumerable<string> SplitWords(string text, Dictionary<string, string>? environment)
    {
        var word = new StringBuilder();
        bool inWord = false;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    yield return word.ToString();
                    word.Clear();
                    inWord = false;
                }

                continue;
            }

            if (c is '"' or '\'')
            {
                int end = text.IndexOf(c, i + 1);
                end = end < 0 ? text.Length : end;
                string quoted = text[(i + 1)..end];
                word.Append(environment is null || c == '\'' ? quoted : ExpandBraced(quoted, environment));
                inWord = true;
                i = end;
                continue;
            }

            if (c == '$' && environment is not null && i + 1 < text.Length)
            {
                if (text[i + 1] == '{')
                {
                    int close = text.IndexOf('}', i + 2);
                    if (close > 0)
                    {
                        word.Append(environment.GetValueOrDefault(text[(i + 2)..close], string.Empty));
                        inWord = true;
                        i = close;
                        continue;
                    }
                }
                else if (!inWord)
                {
                    int start = i + 1;
                    int end = start;
                    while (end < text.Length && (char.IsLetterOrDigit(text[end]) || text[end] == '_'))
                    {
                        end++;
                    }

                    if (end > start && (end == text.Length || char.IsWhiteSpace(text[end])))
                    {
                        // A lone $VAR word expands to the value's whitespace-separated words (none when empty).
                        foreach (string part in SplitWords(environment.GetValueOrDefault(text[start..end], string.Empty), environment: null))
                        {
                            yield return part;
                        }

                        i = end - 1;
                        continue;
                    }
                }
            }

            word.Append(c);
            inWord = true;
        }

        if (inWord)
        {
            yield return word.ToString();
        }
    }

    private static string ExpandBraced(string text, Dictionary<string, string> environment)
    {
        var result = new StringBuilder();
        for (int i = 0; i < text.Length; i++)
        {
            int close;
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] == '{' && (close = text.IndexOf('}', i + 2)) > 0)
            {
                result.Append(environment.GetValueOrDefault(text[(i + 2)..close], string.Empty));
                i = close;
            }
            else
            {
                result.Append(text[i]);
            }
        }

        return result.ToString();
    }
}
