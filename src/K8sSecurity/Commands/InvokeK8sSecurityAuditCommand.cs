using System.Management.Automation;
using K8sSecurity.Engine.Audit;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;
using K8sSecurity.Engine.Scanning;
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

    /// <summary>A node's root folder (or a copy of it): its control-plane and kubelet configuration is checked too.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? NodePath { get; set; }

    [Parameter]
    [ValidateRange(0, 3650)]
    public int CertificateWarningDays { get; set; } = 30;

    /// <summary>Namespaces to skip; the system namespaces (kube-system, kube-public, kube-node-lease) by default.</summary>
    [Parameter]
    [AllowEmptyCollection]
    public string[] ExcludeNamespace { get; set; } = AuditOptions.SystemNamespaces.ToArray();

    /// <summary>Audit kube-system, kube-public and kube-node-lease too (they are skipped by default).</summary>
    [Parameter]
    public SwitchParameter IncludeSystemNamespace { get; set; }

    /// <summary>Whose default RBAC policy the audit compares with (and adds to manifest dumps): "v1.32".</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DefaultPolicyVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    /// <summary>The Kubernetes version the DeprecatedApis category checks apiVersions against ("v1.35"): the upgrade target.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? TargetVersion { get; set; }

    /// <summary>Judge the RBAC objects read alone: no default objects are added to dumps, none is treated as default.</summary>
    [Parameter]
    public SwitchParameter ExcludeDefaultPolicy { get; set; }

    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateRange(1, 64)]
    public int ThrottleLimit { get; set; } = 4;

    /// <summary>Seconds to establish a connection to each cluster (TCP, proxy tunnel, TLS handshake).</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateRange(1, 3600)]
    public int ConnectTimeout { get; set; } = (int)ConnectionRequest.DefaultConnectTimeout.TotalSeconds;

    /// <summary>Seconds for one request and its whole answer, 0 for no limit.</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    [ValidateRange(0, 86400)]
    public int RequestTimeout { get; set; } = (int)ConnectionRequest.DefaultRequestTimeout.TotalSeconds;

    /// <summary>Send tokens and passwords to http:// servers in clear text instead of refusing those contexts.</summary>
    [Parameter(ParameterSetName = ClusterSet)]
    public SwitchParameter AllowUnencryptedAuthentication { get; set; }

    /// <summary>Write only the summary objects, not the findings.</summary>
    [Parameter]
    public SwitchParameter Summary { get; set; }

    /// <summary>Also write the results as JSON (schema k8ssecurity.audit/v1) to this file.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? OutputPath { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    /// <summary>
    /// CI gate: after every output is written, one terminating error when a finding is at or above this severity, or
    /// when anything asked for could not be audited or the results file was not written (fails closed; the rule is
    /// AuditGate's). An audit that cannot start is the gate's error too. A string, not the engine enum, for the same
    /// reason as -PodSecurityLevel.
    /// </summary>
    [Parameter]
    [ValidateSet("Info", "Low", "Medium", "High", "Critical")]
    public string? FailOn { get; set; }

    protected override void BeginProcessing()
    {
        if (FailOn is not null)
        {
            ActAsGate("Audit", $"Security audit gate failed (-FailOn {Threshold}):", "The audit");
        }

        var options = Options();
        try
        {
            if (ExcludeDefaultPolicy && KubernetesVersion is not null)
            {
                throw K8sOperationException.InvalidArgument("KubernetesVersion", KubernetesVersion, "give -KubernetesVersion or -ExcludeDefaultPolicy, not both.");
            }

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
                    targets.Add(Target() with { KubeconfigPath = kubeconfig, Context = context });
                }
            }
        }
        else if (kubeconfig is not null)
        {
            targets.Add(Target() with { KubeconfigPath = kubeconfig });
        }
    }

    protected override void EndProcessing()
    {
        var options = Options();
        var auditor = new SecurityAuditor();
        var results = new List<AuditResult>();
        var failures = new List<AuditFailure>();
        if (ParameterSetName == OfflineSet)
        {
            string? kubeconfig = Kubeconfig is null ? null : GetUnresolvedProviderPathFromPSPath(Kubeconfig);
            if (TryAudit(ct => auditor.AuditOfflineAsync(paths, options, kubeconfig, Log, ct), string.Join(", ", paths), failures, out var offline))
            {
                // Inputs not read are errors (so -ErrorAction Stop, $? and runbooks' -ErrorVariable fail the run; with
                // -FailOn under Stop, warnings the gate's error lists) and are listed in the summary's InputProblems;
                // duplicate keys and empty files are warnings.
                foreach (var issue in offline.InputIssues)
                {
                    if (issue.IsError)
                    {
                        WriteInputError(ManifestScan.ParseError(issue));
                    }
                    else
                    {
                        WriteWarning(issue.Kind == ManifestIssueKind.NoObjects ? $"'{issue.Source}' contains no Kubernetes object." : issue.ToString());
                    }
                }

                results.Add(offline);
                Emit(offline);
            }
        }
        else if (targets.Count == 0 && SessionConnections.Current is { } session)
        {
            if (TryAudit(ct => auditor.AuditClusterAsync(session.Client, options, Log, ct), session.Client.Context.Name, failures, out var result))
            {
                results.Add(result);
                Emit(result);
            }
        }
        else
        {
            var fleet = targets.Count == 0 ? new List<ConnectionRequest> { Target() } : targets;
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
                    WriteInputError(outcome.Error);
                    failures.Add(new AuditFailure(outcome.Context, outcome.Error.Message));
                    continue;
                }

                results.Add(outcome.Result!);
                Emit(outcome.Result!);
            }
        }

        var unwritten = new List<string>();
        if (outputFullPath is not null && results.Count > 0 && ShouldProcess(outputFullPath, "Write audit results (JSON)"))
        {
            var report = new AuditReport
            {
                Summaries = results.Select(r => r.Summary).ToList(),
                Findings = results.SelectMany(r => r.Findings).ToList(),
            };
            try
            {
                // Atomic: a temporary file renamed over the target, removed again when the write fails.
                SecureFile.WriteAllText(outputFullPath, report.ToJson(), Force, privateFile: true);
            }
            catch (K8sOperationException ex)
            {
                unwritten.Add(ex.Message);
                WriteInputError(ex);
            }
        }

        if (FailOn is not null)
        {
            Gate(AuditGate.Evaluate(Threshold, options.Categories, results, failures, unwritten));
        }
    }

    private FindingSeverity Threshold => Enum.Parse<FindingSeverity>(FailOn!, ignoreCase: true);

    /// <summary>
    /// The -FailOn gate's verdict, after all output: verbose when it passes, else one error that ends the script (like
    /// Assert-K8sPodSecurity's): ThrowTerminatingError would end only this statement, and `pwsh -File` of a gate script
    /// without $ErrorActionPreference = 'Stop' would exit 0. try/catch and trap still catch it.
    /// </summary>
    private void Gate(AuditGateResult gate)
    {
        if (gate.Passed)
        {
            WriteVerbose($"Audit gate passed: no finding at or above {gate.Threshold}, every input and cluster audited.");
            return;
        }

        ThrowGateFailure("Audit", gate.Message(), gate.InputsFailed, gate.Reasons.ToArray());
    }

    /// <summary>One audit: a failure is a non-terminating error, as before, and is kept for the gate.</summary>
    private bool TryAudit(Func<CancellationToken, Task<AuditResult>> work, string target, List<AuditFailure> failures, out AuditResult result)
    {
        try
        {
            result = Run(work);
            return true;
        }
        catch (K8sOperationException ex)
        {
            failures.Add(new AuditFailure(target, ex.Message));
            result = null!;
            WriteInputError(ex);
            return false;
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

    /// <summary>How to reach each cluster: the session's transport settings unless timeouts or the switch are given here.</summary>
    private ConnectionRequest Target()
    {
        var request = SessionConnections.Current?.Request is { } session
            ? new ConnectionRequest { ConnectTimeout = session.ConnectTimeout, RequestTimeout = session.RequestTimeout, AllowUnencryptedAuthentication = session.AllowUnencryptedAuthentication }
            : new ConnectionRequest();
        var bound = MyInvocation.BoundParameters;
        return request with
        {
            ConnectTimeout = bound.ContainsKey(nameof(ConnectTimeout)) ? TimeSpan.FromSeconds(ConnectTimeout) : request.ConnectTimeout,
            RequestTimeout = !bound.ContainsKey(nameof(RequestTimeout)) ? request.RequestTimeout
                : RequestTimeout == 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromSeconds(RequestTimeout),
            AllowUnencryptedAuthentication = AllowUnencryptedAuthentication || request.AllowUnencryptedAuthentication,
        };
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
            NodePath = NodePath is null ? null : GetUnresolvedProviderPathFromPSPath(NodePath),
            CertificateWarningDays = CertificateWarningDays,
            ExcludedNamespaces = IncludeSystemNamespace
                ? ExcludeNamespace.Where(ns => !AuditOptions.SystemNamespaces.Contains(ns, StringComparer.Ordinal)).ToArray()
                : ExcludeNamespace,
            KubernetesVersion = KubernetesVersion,
            TargetVersion = TargetVersion,
            ExcludeDefaultPolicy = ExcludeDefaultPolicy,
        };
    }
}
