using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace K8sSecurity.TestServer;

/// <summary>YAML → JsonNode for apply-patch+yaml bodies and seeding (plain scalars resolved like YAML 1.2 core schema).</summary>
public static class Yaml
{
    public static List<JsonNode?> ParseAll(string text)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlDotNet.Core.YamlException ex)
        {
            throw StatusResponses.BadRequest("error converting YAML to JSON: " + ex.Message);
        }

        return stream.Documents.Select(d => Convert(d.RootNode)).Where(n => n is not null).ToList();
    }

    public static JsonNode? Parse(string text) => ParseAll(text).FirstOrDefault();

    private static JsonNode? Convert(YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                {
                    var o = new JsonObject();
                    foreach (var (k, v) in map.Children)
                    {
                        o[((YamlScalarNode)k).Value ?? ""] = Convert(v);
                    }

                    return o;
                }

            case YamlSequenceNode seq:
                {
                    var a = new JsonArray();
                    foreach (var c in seq.Children)
                    {
                        a.Add(Convert(c));
                    }

                    return a;
                }

            case YamlScalarNode s:
                {
                    var v = s.Value ?? "";
                    if (s.Style != YamlDotNet.Core.ScalarStyle.Plain)
                    {
                        return JsonValue.Create(v);
                    }

                    if (v is "" or "~" or "null" or "Null" or "NULL")
                    {
                        return null;
                    }

                    if (v is "true" or "True" or "TRUE")
                    {
                        return JsonValue.Create(true);
                    }

                    if (v is "false" or "False" or "FALSE")
                    {
                        return JsonValue.Create(false);
                    }

                    if (long.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
                    {
                        return JsonValue.Create(l);
                    }

                    if (double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && v.Any(char.IsDigit))
                    {
                        return JsonValue.Create(d);
                    }

                    return JsonValue.Create(v);
                }

            default:
                return null;
        }
    }
}
