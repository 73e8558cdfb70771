namespace K8sSecurity.Engine.Hardening;

/// <summary>How a component reads its command line.</summary>
internal enum FlagSyntax
{
    /// <summary>spf13/pflag with Kubernetes' word-separator normalisation (kube-apiserver, controller manager, scheduler, kubelet).</summary>
    Pflag,

    /// <summary>Go's standard flag package (etcd): one or two dashes, parsing stops at the first non-flag argument.</summary>
    GoFlag,
}

/// <summary>The kind of value a flag takes, which decides how it parses and how repeats combine.</summary>
internal enum FlagKind
{
    String,

    /// <summary>A boolean: `--flag` means true and `--flag value` does NOT take the next argument.</summary>
    Bool,

    /// <summary>A string slice: comma-separated values, and every repeat appends (pflag StringSlice).</summary>
    List,

    /// <summary>key=value pairs separated by commas; repeats merge (--feature-gates).</summary>
    Map,
}

/// <summary>
/// A component's effective command-line flags, parsed the way the component parses them: `--flag=value`,
/// `--flag value` (not for booleans), booleans without a value, repeats (last wins; lists append; maps merge),
/// `--` ending the flags, underscores read as dashes (pflag). Problems the component would refuse to start with
/// are collected in <see cref="Errors"/>.
/// </summary>
internal sealed class ComponentFlags
{
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> lists = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, string>> maps = new(StringComparer.Ordinal);
    private readonly IReadOnlyDictionary<string, FlagKind> kinds;

    private ComponentFlags(IReadOnlyDictionary<string, FlagKind> kinds) => this.kinds = kinds;

    public List<string> Errors { get; } = new();

    /// <summary>Arguments that are not flags (a boolean's stray "false" lands here).</summary>
    public List<string> Positional { get; } = new();

    public static ComponentFlags Parse(IEnumerable<string> arguments, FlagSyntax syntax, IReadOnlyDictionary<string, FlagKind> kinds)
    {
        var flags = new ComponentFlags(kinds);
        var args = arguments.ToList();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg == "--")
            {
                flags.Positional.AddRange(args.Skip(i + 1));
                break;
            }

            bool isFlag = syntax == FlagSyntax.Pflag ? arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 : arg.StartsWith('-') && arg.Length > 1;
            if (!isFlag)
            {
                if (syntax == FlagSyntax.GoFlag)
                {
                    // Go's flag package stops at the first non-flag argument; the rest is positional.
                    flags.Positional.AddRange(args.Skip(i));
                    break;
                }

                if (arg.StartsWith('-') && arg.Length > 1)
                {
                    // Shorthands: the components define only -v (klog verbosity) and -h.
                    if (arg[1] is not ('v' or 'h'))
                    {
                        flags.Errors.Add($"'{arg}': unknown shorthand flag '{arg[1]}' (long flags need two dashes)");
                    }

                    continue;
                }

                flags.Positional.Add(arg);
                continue;
            }

            string body = arg.TrimStart('-');
            if (syntax == FlagSyntax.GoFlag && arg.StartsWith("---", StringComparison.Ordinal))
            {
                flags.Errors.Add($"bad flag syntax: {arg}");
                continue;
            }

            int equals = body.IndexOf('=', StringComparison.Ordinal);
            string name = equals >= 0 ? body[..equals] : body;
            if (syntax == FlagSyntax.Pflag)
            {
                name = name.Replace('_', '-');
            }

            var kind = kinds.TryGetValue(name, out var known) ? known : FlagKind.String;
            string? value = equals >= 0 ? body[(equals + 1)..] : null;
            if (value is null)
            {
                bool hasNext = i + 1 < args.Count;
                if (kind == FlagKind.Bool)
                {
                    value = "true";
                }
                else if (kinds.ContainsKey(name))
                {
                    // A known non-boolean flag takes the next argument, whatever it looks like (pflag and Go flag alike).
                    if (!hasNext)
                    {
                        flags.Errors.Add($"flag needs an argument: --{name}");
                        continue;
                    }

                    value = args[++i];
                }
                else
                {
                    // A flag this module does not know: a following non-flag is its value, else it is a boolean.
                    value = hasNext && !args[i + 1].StartsWith('-') ? args[++i] : "true";
                }
            }

            flags.Set(name, kind, value);
        }

        // Neither etcd nor the Kubernetes components take positional arguments: they refuse to start with one.
        if (flags.Positional.Count > 0)
        {
            flags.Errors.Add(syntax == FlagSyntax.GoFlag
                ? $"'{flags.Positional[0]}' is not a valid flag"
                : $"unexpected argument \"{flags.Positional[0]}\" (a boolean flag never takes the next argument as its value; write --flag=false)");
        }

        return flags;
    }

    public bool IsSet(string name) => values.ContainsKey(name) || lists.ContainsKey(name) || maps.ContainsKey(name);

    /// <summary>The last value given (for a list, the items joined with commas).</summary>
    public string? Value(string name) =>
        values.TryGetValue(name, out var value) ? value : lists.TryGetValue(name, out var list) ? string.Join(',', list) : null;

    public IReadOnlyList<string>? List(string name) => lists.TryGetValue(name, out var list) ? list : null;

    public IReadOnlyDictionary<string, string>? Map(string name) => maps.TryGetValue(name, out var map) ? map : null;

    /// <summary>strconv.ParseBool, as pflag's bool flags use it; null for anything else.</summary>
    public static bool? ParseBool(string? text) => text switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => null,
    };

    private void Set(string name, FlagKind kind, string value)
    {
        switch (kind)
        {
            case FlagKind.Bool:
                if (ParseBool(value) is null)
                {
                    Errors.Add($"invalid argument \"{value}\" for \"--{name}\" flag: strconv.ParseBool: parsing \"{value}\": invalid syntax");
                    return;
                }

                values[name] = value;
                break;
            case FlagKind.List:
                if (!lists.TryGetValue(name, out var list))
                {
                    lists[name] = list = new List<string>();
                }

                list.AddRange(value.Split(',', StringSplitOptions.TrimEntries).Where(v => v.Length > 0));
                break;
            case FlagKind.Map:
                if (!maps.TryGetValue(name, out var map))
                {
                    maps[name] = map = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                foreach (string pair in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    int eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        Errors.Add($"invalid argument \"{value}\" for \"--{name}\" flag: missing '=' in '{pair}'");
                        continue;
                    }

                    map[pair[..eq].Trim()] = pair[(eq + 1)..].Trim();
                }

                break;
            default:
                values[name] = value;
                break;
        }
    }
}
