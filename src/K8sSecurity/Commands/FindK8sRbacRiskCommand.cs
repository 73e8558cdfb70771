using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Reporting;

using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>Risky RBAC grants with severity, subject, binding, rule and remediation (from the cluster or -Path).</summary>
[Cmdlet(VerbsCommon.Find, "K8sRbacRisk", HelpUri = HelpLinks.Docs + "Find-K8sRbacRisk.md")]
[OutputType(typeof(RbacRiskFinding))]
public sealed class FindK8sRbacRiskCommand : RbacQueryCmdlet
{
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    // A string, not FindingSeverity: value-type engine fields would load the engine before the module initializer runs.
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical")]
    public string MinimumSeverity { get; set; } = "Info";

    /// <summary>Only findings of these checks, e.g. RBAC-POD-EXEC (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    public string[]? RuleId { get; set; }

    /// <summary>Also report built-in system subjects (system:* users and groups, kube-system service accounts).</summary>
    [Parameter]
    public SwitchParameter IncludeSystemSubject { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            RbacRiskAnalyzer.ValidateRuleIds(RuleId);
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
            return;
        }

        var policy = LoadPolicy(Path);
        var minimum = Enum.Parse<FindingSeverity>(MinimumSeverity, ignoreCase: true);
        var patterns = RuleId?.Select(p => new WildcardPattern(p, WildcardOptions.IgnoreCase)).ToArray();
        foreach (var finding in RbacRiskAnalyzer.Analyze(policy, IncludeSystemSubject))
        {
            if (finding.Severity >= minimum && (patterns is null || patterns.Any(p => p.IsMatch(finding.RuleId))))
            {
                WriteObject(finding);
            }
        }
    }
}
