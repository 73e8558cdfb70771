using System.Collections;
using System.Management.Automation;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Hardening;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Writes a kube-apiserver audit policy that follows upstream's recommendations: Metadata only for Secrets,
/// ConfigMaps and tokens, RequestResponse for RBAC changes and pod exec/attach/port-forward, None for noisy system reads.
/// </summary>
[Cmdlet(VerbsCommon.New, "K8sAuditPolicy", SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "New-K8sAuditPolicy.md")]
[OutputType(typeof(AuditPolicyFile))]
public sealed class NewK8sAuditPolicyCommand : K8sCmdlet
{
    private static readonly string[] Levels = { "None", "Metadata", "Request", "RequestResponse" };

    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = string.Empty;

    /// <summary>API group (core or "" for the core group) to level, e.g. @{ apps = 'RequestResponse'; batch = 'Request' }.</summary>
    [Parameter]
    public Hashtable? GroupLevel { get; set; }

    [Parameter]
    [ValidateSet("None", "Metadata", "Request", "RequestResponse")]
    public string WriteLevel { get; set; } = "Request";

    [Parameter]
    [ValidateSet("None", "Metadata", "Request", "RequestResponse")]
    public string DefaultLevel { get; set; } = "Metadata";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[] SensitiveResource { get; set; } = Array.Empty<string>();

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        string full = GetUnresolvedProviderPathFromPSPath(Path);
        var levels = new Dictionary<string, AuditLevel>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in GroupLevel ?? new Hashtable())
        {
            string group = entry.Key?.ToString() ?? string.Empty;
            string level = (entry.Value is PSObject ps ? ps.BaseObject : entry.Value)?.ToString() ?? string.Empty;
            string? known = Levels.FirstOrDefault(l => l.Equals(level, StringComparison.OrdinalIgnoreCase));
            if (known is null)
            {
                ThrowTerminating(K8sOperationException.InvalidArgument("GroupLevel", $"{group}={level}", "the level must be None, Metadata, Request or RequestResponse"));
                return;
            }

            levels[group == "core" ? string.Empty : group] = Enum.Parse<AuditLevel>(known);
        }

        var request = new AuditPolicyRequest
        {
            Path = full,
            GroupLevels = levels,
            WriteLevel = Enum.Parse<AuditLevel>(WriteLevel, ignoreCase: true),
            DefaultLevel = Enum.Parse<AuditLevel>(DefaultLevel, ignoreCase: true),
            SensitiveResources = SensitiveResource,
            Force = Force,
        };
        AuditPolicyFile? result = null;
        if (ShouldProcess(full, "Write an audit policy") && TryInvoke(() => result = AuditPolicyService.New(request, Log)))
        {
            WriteObject(result);
        }
    }
}
