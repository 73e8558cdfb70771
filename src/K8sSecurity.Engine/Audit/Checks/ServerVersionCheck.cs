using System.Globalization;
using System.Text.RegularExpressions;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Kubernetes supports the newest three minor releases. The newest this module knows is
/// <see cref="NewestKnownMinor"/>; a server older than the newest three no longer gets security fixes.
/// </summary>
public sealed partial class ServerVersionCheck : IAuditCheck
{
    public const int Major = 1;

    public const int NewestKnownMinor = 36;

    public const int SupportedMinors = 3;

    public static int OldestSupportedMinor => NewestKnownMinor - SupportedMinors + 1;

    public AuditCategory Category => AuditCategory.ServerVersion;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } = Array.Empty<AuditKind>();

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        string? version = context.Inventory.ServerVersion;
        if (version is null)
        {
            return Task.FromResult(AuditCheckResult.Skipped("the server version is only known when auditing a live cluster"));
        }

        var match = VersionPattern().Match(version);
        if (!match.Success)
        {
            return Task.FromResult(new AuditCheckResult
            {
                Evaluated = 1,
                Findings = new[]
                {
                    context.Finding(Category, "VERSION-UNKNOWN", FindingSeverity.Info, "Server version not recognised", "Cluster", context.ClusterName, null,
                        $"The server reports version '{version}', which is not a Kubernetes semantic version.", "Check the server version by hand.",
                        new Dictionary<string, string> { ["gitVersion"] = version }),
                },
            });
        }

        int major = int.Parse(match.Groups["major"].Value, CultureInfo.InvariantCulture);
        int minor = int.Parse(match.Groups["minor"].Value, CultureInfo.InvariantCulture);
        var findings = new List<AuditFinding>();
        if (major < Major || (major == Major && minor < OldestSupportedMinor))
        {
            int behind = NewestKnownMinor - minor;
            findings.Add(context.Finding(Category, "VERSION-UNSUPPORTED", behind > SupportedMinors + 1 ? FindingSeverity.Critical : FindingSeverity.High,
                "Kubernetes version out of support", "Cluster", context.ClusterName, null,
                $"The server runs {version}, {behind} minor releases behind {Major}.{NewestKnownMinor}; only {Major}.{OldestSupportedMinor}–{Major}.{NewestKnownMinor} receive security fixes.",
                $"Upgrade the control plane and nodes to {Major}.{OldestSupportedMinor} or newer (one minor release at a time).",
                new Dictionary<string, string>
                {
                    ["gitVersion"] = version,
                    ["newestKnown"] = $"{Major}.{NewestKnownMinor}",
                    ["supported"] = $"{Major}.{OldestSupportedMinor}–{Major}.{NewestKnownMinor}",
                }));
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = 1 });
    }

    [GeneratedRegex(@"^v?(?<major>\d+)\.(?<minor>\d+)")]
    private static partial Regex VersionPattern();
}
