using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Text.Json.Nodes;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// Turns pipeline objects (hashtables, PSCustomObjects from ConvertFrom-Json/ConvertFrom-Yaml, dictionaries)
/// into the JSON form the engine reads, so piped Kubernetes objects need no text round trip.
/// </summary>
public static class PSObjectJson
{
    private const int MaxDepth = 64;

    public static JsonNode? ToJson(object? value) => Convert(value, 0);

    private static JsonNode? Convert(object? value, int depth)
    {
        if (depth > MaxDepth)
        {
            return null;
        }

        if (value is PSObject ps)
        {
            if (ps.BaseObject is PSCustomObject)
            {
                var obj = new JsonObject();
                foreach (var property in ps.Properties)
                {
                    obj[property.Name] = Convert(property.Value, depth + 1);
                }

                return obj;
            }

            value = ps.BaseObject;
        }

        switch (value)
        {
            case null:
                return null;
            case JsonNode node:
                return node.DeepClone();
            case string s:
                return JsonValue.Create(s);
            case bool b:
                return JsonValue.Create(b);
            case int or long or short or byte or uint or ushort or sbyte:
                return JsonValue.Create(System.Convert.ToInt64(value, CultureInfo.InvariantCulture));
            case double or float or decimal:
                return JsonValue.Create(System.Convert.ToDouble(value, CultureInfo.InvariantCulture));
            case IDictionary dictionary:
                var result = new JsonObject();
                foreach (DictionaryEntry entry in dictionary)
                {
                    result[System.Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? string.Empty] = Convert(entry.Value, depth + 1);
                }

                return result;
            case IEnumerable enumerable:
                var array = new JsonArray();
                foreach (object? item in enumerable)
                {
                    array.Add(Convert(item, depth + 1));
                }

                return array;
            default:
                return JsonValue.Create(System.Convert.ToString(value, CultureInfo.InvariantCulture));
        }
    }
}
