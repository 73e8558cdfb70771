using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// ConfigMaps holding credentials (kubescape C-0012): a key named like a password, token or API key with a literal
/// value, a value in a well-known credential format, or such a line inside an embedded configuration file
/// (application.properties, .env, YAML). Findings name the ConfigMap, the key and the line, never the value.
/// </summary>
public sealed class ConfigMapCredentialCheck : IAuditCheck
{
    public AuditCategory Category => AuditCategory.Credentials;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = new[] { AuditKind.ConfigMap };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        int evaluated = 0;
        foreach (var configMap in context.Inventory.Of(AuditKind.ConfigMap).Where(c => !context.Options.IsExcluded(c.Namespace)))
        {
            cancellationToken.ThrowIfCancellationRequested();
            evaluated++;
            var reasons = new List<string>();
            var keys = new List<string>();
            foreach (var (key, value) in configMap.Body.StringMap("data"))
            {
                if (Describe(key, value) is { } reason)
                {
                    reasons.Add($"key \"{key}\": {reason}");
                    keys.Add(key);
                }
            }

            if (reasons.Count > 0)
            {
                string name = $"{configMap.Namespace ?? "default"}/{configMap.Name}";
                findings.Add(context.Finding(configMap, Category, "CM-CREDENTIAL", FindingSeverity.High, "Credential stored in a ConfigMap",
                    $"ConfigMap '{name}' holds what looks like a credential ({string.Join("; ", reasons)}). ConfigMaps are not Secrets: every reader of the namespace's ConfigMaps sees it, and it is neither encrypted at rest nor hidden from logs.",
                    "Move the value into a Secret (mounted as a file or referenced with secretKeyRef), delete it from the ConfigMap and rotate the credential.",
                    new Dictionary<string, string> { ["keys"] = string.Join(", ", keys) }));
            }
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated });
    }

    /// <summary>Why one ConfigMap entry holds a credential: the entry itself, or a key=value / key: value line of an embedded file.</summary>
    internal static string? Describe(string key, string value)
    {
        if (CredentialPatterns.Describe(key, value) is { } reason)
        {
            return reason;
        }

        if (!value.Contains('\n', StringComparison.Ordinal))
        {
            return null;
        }

        string[] lines = value.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line[0] is '#' or ';' or '!' || (line.StartsWith("//", StringComparison.Ordinal)))
            {
                continue;
            }

            int separator = line.IndexOfAny(new[] { '=', ':' });
            if (separator <= 0)
            {
                continue;
            }

            string name = line[..separator].Trim().Trim('"', '\'').TrimStart('-', ' ').Replace("export ", string.Empty, StringComparison.Ordinal);
            string literal = line[(separator + 1)..].Trim().Trim('"', '\'', ',');
            if (CredentialPatterns.Describe(name, literal) is { } lineReason)
            {
                return $"line {i + 1} sets \"{name}\" ({lineReason})";
            }
        }

        return null;
    }
}
