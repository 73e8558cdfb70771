using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using Xunit;

namespace K8sSecurity.Engine.Tests.Scanning;

/// <summary>
/// Every fixture of kubernetes/pod-security-admission (../shared/pss-fixtures, v1.0 … v1.36, both levels) gets the
/// verdict its folder states, through the same scanner path the cmdlet uses (-Profile PodSecurityStandards).
/// </summary>
public sealed class PssFixtureSweepTests
{
    // Restricted checks that replace a Baseline check (OverrideCheckIDs in the policy package).
    private static readonly Dictionary<string, string> Overrides = new(StringComparer.OrdinalIgnoreCase)
    {
        ["hostpathvolumes"] = "restrictedVolumes",
        ["capabilities_baseline"] = "capabilities_restricted",
        ["seccompprofile_baseline"] = "seccompProfile_restricted",
        ["procmount"] = "procMount_restricted",
    };

    [Fact]
    public void EveryFixtureGetsTheAdmissionPluginsVerdict()
    {
        var scanners = new Dictionary<(string, string), WorkloadScanner>();
        var mismatches = new List<string>();
        int count = 0, allowed = 0;
        foreach (var (level, version, expectAllowed, file) in SharedFixtures.All())
        {
            if (!scanners.TryGetValue((level, version), out var scanner))
            {
                scanner = new WorkloadScanner(new ScanOptions
                {
                    Level = Enum.Parse<PodSecurityLevel>(level, ignoreCase: true),
                    Version = PssVersion.Parse(version),
                    Profile = ScanProfile.PodSecurityStandards,
                });
                scanners[(level, version)] = scanner;
            }

            var errors = new List<ManifestParseError>();
            var pod = Assert.Single(ManifestReader.ReadFile(file, errors.Add));
            Assert.Empty(errors);
            var result = scanner.Scan(pod);
            Assert.NotNull(result);
            count++;
            allowed += expectAllowed ? 1 : 0;
            if (result!.Compliant != expectAllowed)
            {
                mismatches.Add($"{level}/{version}/{Path.GetFileName(Path.GetDirectoryName(file))}/{Path.GetFileName(file)}: "
                    + (result.Compliant ? "allowed" : "denied: " + string.Join("; ", result.Violations.Select(v => v.Message))));
            }

            // A denied fixture is named after the check that denies it (at Restricted, or the check overriding it).
            if (!expectAllowed)
            {
                string check = Path.GetFileNameWithoutExtension(file).TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9');
                var accepted = new List<string> { check };
                if (Overrides.TryGetValue(check, out string? overriding))
                {
                    accepted.Add(overriding);
                }

                if (!result.Violations.Any(v => accepted.Contains(v.PssCheckId!, StringComparer.OrdinalIgnoreCase)))
                {
                    mismatches.Add($"{level}/{version}/fail/{Path.GetFileName(file)}: denied, but not by {check}: "
                        + string.Join("; ", result.Violations.Select(v => v.PssCheckId + ": " + v.Message)));
                }
            }
        }

        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {count} fixtures got the wrong verdict:\n" + string.Join('\n', mismatches));
        Assert.Equal(4389, count);
        Assert.InRange(allowed, 1, count - 1);
    }
}
