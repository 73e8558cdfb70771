using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace K8sSecurity.Engine.Identity;

/// <summary>
/// A kubeconfig as a YAML node tree. Editing the tree (instead of a typed model) keeps every entry, field and
/// extension we do not know about exactly as it was when merging.
/// </summary>
internal sealed class KubeconfigYaml
{
    private KubeconfigYaml(YamlMappingNode root) => Root = root;

    public YamlMappingNode Root { get; }

    public static KubeconfigYaml CreateEmpty() => new(new YamlMappingNode(
        Scalar("apiVersion"), Scalar("v1"),
        Scalar("kind"), Scalar("Config"),
        Scalar("preferences"), new YamlMappingNode(),
        Scalar("clusters"), new YamlSequenceNode(),
        Scalar("users"), new YamlSequenceNode(),
        Scalar("contexts"), new YamlSequenceNode(),
        Scalar("current-context"), Scalar(string.Empty)));

    public static KubeconfigYaml Parse(string text, string source)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException ex)
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{source}' is not valid YAML: {ex.Message}", source, ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return CreateEmpty();
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new K8sOperationException(K8sErrorKind.Configuration, $"Kubeconfig file '{source}' is not a kubeconfig (its top level is not a mapping).", source);
        }

        return new KubeconfigYaml(root);
    }

    public static KubeconfigYaml Load(string path)
    {
        string text;
        try
        {
            text = BoundedFile.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read kubeconfig '{path}': {ex.Message}", path, ex);
        }

        return Parse(text, path);
    }

    public string CurrentContext => GetString(Root, "current-context") ?? string.Empty;

    /// <summary>The named entries of clusters, users or contexts: (name, inner mapping).</summary>
    public IEnumerable<(string Name, YamlMappingNode Body)> Entries(string section, string bodyKey)
    {
        if (Child(Root, section) is not YamlSequenceNode sequence)
        {
            yield break;
        }

        foreach (var item in sequence.Children.OfType<YamlMappingNode>())
        {
            string? name = GetString(item, "name");
            if (name is not null)
            {
                yield return (name, Child(item, bodyKey) as YamlMappingNode ?? new YamlMappingNode());
            }
        }
    }

    /// <summary>Adds or replaces a named entry. Returns null when added, true when replaced, false when identical.</summary>
    public bool? Upsert(string section, string bodyKey, string name, YamlMappingNode body, bool allowReplace, string filePath)
    {
        if (Child(Root, section) is not YamlSequenceNode sequence)
        {
            sequence = new YamlSequenceNode();
            Root.Children[Scalar(section)] = sequence;
        }

        var entry = new YamlMappingNode(Scalar("name"), Scalar(name), Scalar(bodyKey), body);
        for (int i = 0; i < sequence.Children.Count; i++)
        {
            if (sequence.Children[i] is YamlMappingNode existing && GetString(existing, "name") == name)
            {
                if (Canonical(existing) == Canonical(entry))
                {
                    return false;
                }

                if (!allowReplace)
                {
                    throw new K8sOperationException(
                        K8sErrorKind.FileSystem,
                        $"The kubeconfig '{filePath}' already has a different {bodyKey} named '{name}'; use -Force to replace it.",
                        name);
                }

                sequence.Children[i] = entry;
                return true;
            }
        }

        sequence.Children.Add(entry);
        return null;
    }

    public void SetCurrentContext(string name) => Root.Children[Scalar("current-context")] = Scalar(name);

    public string Serialize() => Serialize(Root);

    public static YamlScalarNode Scalar(string value) => YamlText.Scalar(value);

    public static YamlScalarNode Bool(bool value) => YamlText.Bool(value);

    public static YamlNode? Child(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var child) ? child : null;

    public static string? GetString(YamlMappingNode node, string key) => (Child(node, key) as YamlScalarNode)?.Value;

    private static string Serialize(YamlNode node) => YamlText.Serialize(node);

    /// <summary>Content without presentation: mapping keys sorted, scalar quoting ignored.</summary>
    private static string Canonical(YamlNode node) => node switch
    {
        YamlScalarNode scalar => "s:" + scalar.Value,
        YamlSequenceNode sequence => "[" + string.Join(",", sequence.Children.Select(Canonical)) + "]",
        YamlMappingNode mapping => "{" + string.Join(",", mapping.Children
            .Select(p => Canonical(p.Key) + "=" + Canonical(p.Value))
            .Order(StringComparer.Ordinal)) + "}",
        _ => node.ToString(),
    };
}
