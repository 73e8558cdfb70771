using System.Collections;
using System.Management.Automation;
using System.Net;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Guardrails;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Engine.Validation;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Says whether traffic between two pods (or a pod and an address) is allowed under the NetworkPolicy semantics,
/// and which policies decide it; -Unisolated lists pods that no policy selects. Reads the cluster, or manifests
/// with -Path (offline).
/// </summary>
[Cmdlet(VerbsDiagnostic.Test, "K8sNetworkPolicy", DefaultParameterSetName = "Traffic", HelpUri = HelpLinks.Docs + "Test-K8sNetworkPolicy.md")]
[OutputType(typeof(NetworkPolicyVerdict), ParameterSetName = new[] { "Traffic" })]
[OutputType(typeof(NetworkPolicyCoverage), ParameterSetName = new[] { "Unisolated" })]
public sealed class TestK8sNetworkPolicyCommand : K8sClusterCmdlet
{
    /// <summary>Source: a pod name, "namespace/pod", a label hashtable, or an IP address outside the cluster.</summary>
    [Parameter(ParameterSetName = "Traffic", Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public object From { get; set; } = null!;

    /// <summary>Destination: a pod name, "namespace/pod", a label hashtable, or an IP address outside the cluster.</summary>
    [Parameter(ParameterSetName = "Traffic", Mandatory = true, Position = 1)]
    [ValidateNotNull]
    public object To { get; set; } = null!;

    [Parameter(ParameterSetName = "Traffic", Mandatory = true, Position = 2)]
    [ValidateNotNullOrEmpty]
    public string Port { get; set; } = string.Empty;

    [Parameter(ParameterSetName = "Traffic")]
    [ValidateSet("TCP", "UDP", "SCTP")]
    public string Protocol { get; set; } = "TCP";

    [Parameter]
    [ArgumentCompleter(typeof(NamespaceCompleter))]
    [ValidateNotNullOrEmpty]
    public string? Namespace { get; set; }

    [Parameter(ParameterSetName = "Traffic")]
    [ValidateNotNullOrEmpty]
    public string? FromNamespace { get; set; }

    [Parameter(ParameterSetName = "Traffic")]
    [ValidateNotNullOrEmpty]
    public string? ToNamespace { get; set; }

    [Parameter(ParameterSetName = "Unisolated", Mandatory = true)]
    public SwitchParameter Unisolated { get; set; }

    /// <summary>Manifest files or folders (NetworkPolicy, Pod, workload and Namespace objects): evaluate offline.</summary>
    [Parameter]
    [Alias("FullName")]
    [ValidateNotNullOrEmpty]
    public string[]? Path { get; set; }

    protected override void EndProcessing()
    {
        try
        {
            foreach (var (parameter, value) in new[] { ("Namespace", Namespace), ("FromNamespace", FromNamespace), ("ToNamespace", ToNamespace) })
            {
                KubernetesNames.ValidateNamespace(parameter, value, optional: true);
            }

            if (!Unisolated)
            {
                // 99999 or "8080/TCP" is no port any rule names: refused, not answered.
                KubernetesNames.ValidatePort("Port", Port);
            }
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
            return;
        }

        string defaultNamespace = Namespace ?? (Path is null ? ResolveNamespace(null) : "default");
        IReadOnlyList<NetworkPolicyModel> policies;
        IReadOnlyList<EndpointModel> pods;
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> namespaces;
        var skipped = new List<string>();
        if (Path is not null)
        {
            var paths = Path.Select(p => GetUnresolvedProviderPathFromPSPath(p)).ToList();
            var issues = new System.Collections.Concurrent.ConcurrentQueue<ManifestParseError>();

            // Off the pipeline thread, so Ctrl+C stops a large read at once.
            (policies, pods, namespaces) = RunOrThrow(ct => Task.Run(() => NetworkPolicyService.LoadManifests(paths, defaultNamespace, issues.Enqueue, ct), ct));
            foreach (var issue in issues)
            {
                if (issue.IsError)
                {
                    // Not read means not evaluated: an error now, and the verdict lists it (SkippedInputs).
                    skipped.Add(issue.ToString());
                    WriteEngineError(ManifestScan.ParseError(issue));
                }
                else
                {
                    WriteWarning(issue.ToString());
                }
            }
        }
        else
        {
            (policies, pods, namespaces) = RunOrThrow(ct => NetworkPolicyService.LoadLiveAsync(Cluster, ct));
        }

        var evaluator = new NetworkPolicyEvaluator(
            policies,
            ns => namespaces.TryGetValue(ns, out var labels) ? labels : NetworkPolicyEvaluator.WithNameLabel(ns, null),
            skipped);

        if (Unisolated)
        {
            foreach (var pod in pods.Where(p => Namespace is null || p.Namespace == Namespace))
            {
                var coverage = evaluator.Coverage(pod);
                if (!coverage.IngressIsolated && !coverage.EgressIsolated)
                {
                    WriteObject(coverage);
                }
            }

            return;
        }

        EndpointModel from;
        EndpointModel to;
        try
        {
            from = Resolve(From, FromNamespace ?? defaultNamespace, pods, nameof(From));
            to = Resolve(To, ToNamespace ?? defaultNamespace, pods, nameof(To));
        }
        catch (K8sOperationException ex)
        {
            ThrowTerminating(ex);
            return;
        }

        var verdict = evaluator.Evaluate(from, to, Port, Protocol);
        WriteVerbose(verdict.Reason);
        WriteObject(verdict);
    }

    private static EndpointModel Resolve(object value, string ns, IReadOnlyList<EndpointModel> pods, string parameter)
    {
        if (value is PSObject ps)
        {
            value = ps.BaseObject;
        }

        if (value is IDictionary table)
        {
            return new EndpointModel { Namespace = ns, Labels = GuardrailArguments.ToMap(table, parameter)! };
        }

        string text = GuardrailArguments.Text(value) ?? string.Empty;
        if (IPAddress.TryParse(text, out var address))
        {
            return new EndpointModel { Address = address };
        }

        string podNamespace = ns;
        string name = text;
        int slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0)
        {
            podNamespace = text[..slash];
            name = text[(slash + 1)..];
        }

        return pods.FirstOrDefault(p => p.Namespace == podNamespace && p.Name == name)
               ?? throw new K8sOperationException(
                   K8sErrorKind.NotFound,
                   $"Pod {podNamespace}/{name} not found (give -{parameter} as a pod name, 'namespace/pod', a label hashtable such as @{{app='api'}}, or an IP address).",
                   text);
    }
}
