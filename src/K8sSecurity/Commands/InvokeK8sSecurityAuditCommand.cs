using System.Management.Automation;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Audits one cluster, a fleet of clusters (in parallel), or an offline manifest dump: Pod Security, RBAC risk,
/// namespace guardrails, service-account hygiene, certificate expiry, anonymous access and version currency.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "K8sSecurityAudit", DefaultParameterSetName = ClusterSet, SupportsShouldProcess = true, HelpUri = HelpLinks.Docs + "Invoke-K8sSecurityAudit.md")]
[OutputType(typeof(AuditFinding), typeof(AuditSummary))]
public sealed class InvokeK8sSecurityAuditCommand : K8sCmdlet
{
    private const string ClusterSet = "Cluster";
    private const string OfflineSet = "Offline";

    private readonly List<ConnectionRequest> targets = new();
    private readonly List<string> paths = new();
    private string? outputFullPath;
    private string? pkiFullPath;

    /// <summary>Kubeconfig contexts to audit; several are audited in parallel. Binds Name from Get-K8sContext.</summary>
    [Parameter(ParameterSetName = ClusterSet, Position = 0, ValueFromPipelineByPropertyName = true)]
    [Alias("Name")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(ContextCompleter))]
    public string[]? Context { get; set; }

    /// <summary>Kubeconfig file (cluster audits); for offline audits, a kubeconfig whose certificates are checked.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [Alias("KubeconfigPath")]
    [ValidateNotNullOrEmpty]
    public string? Kubeconfig { get; set; }

    /// <summary>Manifest files or folders, or a `kubectl get -A -o yaml` dump, audited offline.</summary>
    [Parameter(ParameterSetName = OfflineSet, Mandatory = true)]
    [ValidateNotNullOrEmpty]
    public string[] Path { get; set; } = Array.Empty<string>();

    [Parameter]
    [ValidateNotNullOrEmpty]
    public AuditCategory[]? Category { get; set; }

    /// <summary>Pod Security Standards level workloads must meet. A string, not the engine enum: a value-type field of an
    /// engine type would force the engine to load before the module's load context is set up.</summary>
    [Parameter]
    [ValidateSet("Baseline", "Restricted")]
    public string PodSecurityLevel { get; set; } = "Baseline";

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? PkiPath { get; set; }

    [Parameter]
    [ValidateRange(0, 3650)]
    public int CertificateWarningDays { get; set; } = 30;

    [Parameter]
    [AllowEmptyCollection]
    public string[] ExcludeNamespace { get; set; } = AuditOptions.DefaultExcludedNamespaces.ToArray();

    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Write only the summary objects, not the findings.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>Also write the results as JSON (schema k8ssecurity.audit/v1) to this file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        var options = Options();
        try
        {
            SecurityAuditor.Validate(options);
            if (outputFullPath is not null)
            {
                SecureFile.EnsureWritable(outputFullPath, Force);
            }
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
        }
    }

    protected override void ProcessRecord()
    {
        string? kubeconfig = Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig);
        if (ParameterSetName == OfflineSet)
        {
            paths.AddRange(Path.Select(GetUnresolvedProviderPathFromPSPath));
            return;
        }

        if (Context is { Length: > 0 })
        {
            foreach (string context in Context)
            {
                if (!targets.Any(t => t.Context == context && t.KubeconfigPath == kubeconfig))
                {
                    targets.Add(new ConnectionRequest { KubeconfigPath = kubeconfig, Context = context });
                }
            }
        }
        else if (kubeconfig is not null)
        {
            targets.Add(new ConnectionRequest { KubeconfigPath = kubeconfig });
        }
    }

    protected override void EndProcessing()
    {
        var options = Options();
        var auditor = new SecurityAuditor();
        var results = new List<AuditResult>();
        if (ParameterSetName == OfflineSet)
        {
            string? kubeconfig = Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig);
            if (TryRun(ct => auditor.AuditOfflineAsync(paths, options, kubeconfig, Log, ct), paths, out var offline))
            {
                results.Add(offline);
                Emit(offline);
            }
        }
        else if (targets.Count == 0 && SessionConnections.Current is { } session)
        {
            if (TryRun(ct => auditor.AuditClusterAsync(session.Client, options, Log, ct), session.Client.Context.Name, out var result))
            {
                results.Add(result);
                Emit(result);
            }
        }
        else
        {
            var fleet = targets.Count == 0 ? new List<ConnectionRequest> { new() } : targets;
            IReadOnlyList<FleetAuditOutcome> outcomes;
            try
            {
                outcomes = Run(ct => auditor.AuditFleetAsync(fleet, options, ThrottleLimit, Log, ct));
            }
            catch (K8sOperationException ex)
            {
                ThrowTerminating(ex);
                return;
            }

            foreach (var outcome in outcomes)
            {
                if (outcome.Error is not null)
                {
                    WriteEngineError(outcome.Error);
                    continue;
                }

                results.Add(outcome.Result!);
                Emit(outcome.Result!);
            }
        }

        if (outputFullPath is not null && results.Count > 0 && ShouldProcess(outputFullPath, "Write audit results (JSON)"))
        {
            var report = new AuditReport
            {
                Summaries = results.Select(r => r.Summary).ToList(),
                Findings = results.SelectMany(r => r.Findings).ToList(),
            };
            TryInvoke(() => SecureFile.WriteAllText(outputFullPath, report.ToJson(), Force, privateFile: true));
        }
    }

    private void Emit(AuditResult result)
    {
        if (!Summary)
        {
            foreach (var finding in result.Findings)
            {
                WriteObject(finding);
            }
        }

        WriteObject(result.Summary);
    }

    private AuditOptions Options()
    {
        outputFullPath = OutputPath is null ? null : GetUnresolvedProviderPathFromPSPath(OutputPath);
        pkiFullPath = PkiPath is null ? null : GetUnresolvedProviderPathFromPSPath(PkiPath);
        return new AuditOptions
        {
            Categories = Category ?? Array.Empty<AuditCategory>(),
            PodSecurityLevel = string.Equals(PodSecurityLevel, "Restricted", StringComparison.OrdinalIgnoreCase) ? PodSecurityAuditLevel.Restricted : PodSecurityAuditLevel.Baseline,
            PkiPath = pkiFullPath,
            CertificateWarningDays = CertificateWarningDays,
            ExcludedNamespaces = ExcludeNamespace,
        };
    }
}
