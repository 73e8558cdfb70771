using System.Collections;
using System.Globalization;
using System.Management.Automation;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Commands;

/// <summary>Turns PowerShell hashtables into the plain string maps the guardrails engine takes.</summary>
internal static class GuardrailArguments
{
    public static Dictionary<string, string>? ToMap(IDictionary? table, string parameter)
    {
        if (table is null)
        {
            return null;
        }

        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in table)
        {
            string key = Text(entry.Key) ?? string.Empty;
            string? value = Text(entry.Value);
            if (key.Length == 0 || value is null)
            {
                throw K8sOperationException.InvalidArgument(parameter, $"{key}={value}", "every entry needs a name and a value");
            }

            map[key] = value;
        }

        return map;
    }

    public static string? Text(object? value)
    {
        if (value is PSObject ps)
        {
            value = ps.BaseObject;
        }

        return value switch
        {
            null => null,
            string s => s,
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString(),
        };
    }

    /// <summary>Adds a shortcut parameter (-MaxCpu …) to a map, refusing a clash with the hashtable.</summary>
    public static void AddShortcut(Dictionary<string, string> map, string resource, string? value, string shortcut, string tableParameter)
    {
        if (value is null)
        {
            return;
        }

        if (map.TryGetValue(resource, out var existing) && existing != value)
        {
            throw K8sOperationException.InvalidArgument(shortcut, value, $"-{tableParameter} already sets {resource}={existing}");
        }

        map[resource] = value;
    }
}
