using System.Text;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K8sSecurity.Engine.IO;

/// <summary>Builds and writes the YAML files the module creates (kubeconfigs, encryption and audit configurations).</summary>
internal static partial class YamlText
{
    /// <summary>A string scalar; quoted when YAML would read it as bool, number, null or timestamp, or cannot write it plain.</summary>
    public static YamlScalarNode Scalar(string value)
    {
        var node = new YamlScalarNode(value);
        if (!SafePlain().IsMatch(value) || ReservedWord().IsMatch(value))
        {
            node.Style = ScalarStyle.DoubleQuoted;
        }

        return node;
    }

    public static YamlScalarNode Bool(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };

    public static YamlScalarNode Number(long value) => new(value.ToString(System.Globalization.CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    public static YamlSequenceNode Sequence(IEnumerable<string> values) => new(values.Select(v => (YamlNode)Scalar(v)));

    public static string Serialize(YamlNode node)
    {
        var stream = new YamlStream(new YamlDocument(node));
        var builder = new StringBuilder();
        using (var writer = new StringWriter(builder))
        {
            stream.Save(writer, assignAnchors: false);
        }

        string text = builder.ToString();
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    [GeneratedRegex(@"^[A-Za-z_/][A-Za-z0-9_.:/@=+\-]*$")]
    private static partial Regex SafePlain();

    [GeneratedRegex(@"^(?i:y|n|yes|no|true|false|on|off|null)$")]
    private static partial Regex ReservedWord();
}
