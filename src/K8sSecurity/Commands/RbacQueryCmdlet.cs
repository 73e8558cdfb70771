using System.Management.Automation;
using K8sSecurity.Engine.Authorization;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;
using K8sSecurity.Infrastructure;

namespace K8sSecurity.Commands;

/// <summary>
/// Shared plumbing of the offline RBAC queries: the RBAC objects are read once per invocation (from -Path files or
/// one list per kind from the cluster) and completed with the cluster's default RBAC policy, and the subject is
/// resolved once (the caller when none is given).
/// </summary>
public abstract class RbacQueryCmdlet : K8sClusterCmdlet
{
    private RbacPolicy? policy;
    private RbacIdentity? caller;
    private ApiResourceCatalog? catalog;

    /// <summary>
    /// Whose default RBAC policy (bootstrap roles and bindings) offline answers include: "v1.32"; the newest the
    /// module holds when omitted.
    /// </summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(DefaultPolicyVersionCompleter))]
    public string? KubernetesVersion { get; set; }

    /// <summary>Answer from the objects read alone: add no default objects and treat none as default.</summary>
    [Parameter]
    public SwitchParameter ExcludeDefaultPolicy { get; set; }

    /// <summary>
    /// The RBAC objects, read on first use; a failure stops the command (nothing else can be answered). Manifests get
    /// the default objects they do not define (every cluster has them); a cluster's objects are only compared with
    /// them, so its own defaults are recognised.
    /// </summary>
    protected RbacPolicy LoadPolicy(string[]? paths)
    {
        if (policy is null)
        {
            DefaultRbacPolicy? defaults = null;
            try
            {
                if (ExcludeDefaultPolicy && KubernetesVersion is not null)
                {
                    throw K8sOperationException.InvalidArgument("KubernetesVersion", KubernetesVersion, "give -KubernetesVersion or -ExcludeDefaultPolicy, not both.");
                }

                defaults = ExcludeDefaultPolicy ? null : DefaultRbacPolicy.For(KubernetesVersion);
            }
            catch (K8sOperationException ex)
            {
                ThrowTerminating(ex);
            }

            if (paths is { Length: > 0 })
            {
                var resolved = paths.Select(GetUnresolvedProviderPathFromPSPath).ToList();
                var issues = new System.Collections.Concurrent.ConcurrentQueue<ManifestParseError>();

                // Off the pipeline thread, so Ctrl+C stops a large read at once.
                policy = RunOrThrow(ct => Task.Run(() => RbacSource.LoadFromFiles(resolved, Log, issues.Enqueue, ManifestLimits.DefaultMaxFileBytes, ct), ct));
                foreach (var issue in issues)
                {
                    if (issue.IsError)
                    {
                        // What was not read is an error, and every answer below lists it (SkippedInputs).
                        WriteEngineError(ManifestScan.ParseError(issue));
                    }
                    else
                    {
                        WriteWarning(issue.ToString());
                    }
                }

                if (defaults is not null)
                {
                    policy = policy.WithDefaults(defaults, addMissing: true);
                    int added = policy.AllBindings.Count(b => b.Source == defaults.Source) + policy.ClusterRoles.Concat(policy.Roles).Count(r => r.Source == defaults.Source);
                    WriteVerbose($"Added {added} object(s) of the default RBAC policy {defaults.Version} that the manifests do not define ({defaults.Origin}).");
                }
            }
            else
            {
                policy = RunOrThrow(ct => RbacSource.LoadFromClusterAsync(Cluster, Log, ct));
                if (defaults is not null)
                {
                    policy = policy.WithDefaults(defaults, addMissing: false);
                }
            }
        }

        return policy!;
    }

    /// <summary>-User/-Group/-ServiceAccount as an identity; null when none was given.</summary>
    protected static RbacIdentity? SubjectIdentity(string? user, string[]? groups, string? serviceAccount, string? serviceAccountNamespace)
    {
        bool anyGroup = groups is not null && groups.Any(g => !string.IsNullOrWhiteSpace(g));
        if (string.IsNullOrWhiteSpace(user) && !anyGroup && string.IsNullOrWhiteSpace(serviceAccount))
        {
            return null;
        }

        var account = string.IsNullOrWhiteSpace(serviceAccount) ? null : RbacSubject.ParseServiceAccount(serviceAccount, serviceAccountNamespace);
        return RbacIdentity.From(user, groups, account);
    }

    /// <summary>Where a bare service account name lives: -Namespace, else the context's namespace (not with -Path).</summary>
    protected string? ServiceAccountNamespace(string? ns, string[]? paths) =>
        !string.IsNullOrEmpty(ns) ? ns : paths is { Length: > 0 } ? null : Cluster.DefaultNamespace;

    /// <summary>
    /// The request with the API group kubectl auth can-i would use for a resource named without one ("deployments" is
    /// deployments.apps): from the cluster's discovery (read once, only for a resource the core group does not serve),
    /// or the built-in API table with -Path or when discovery fails.
    /// </summary>
    protected AccessRequest ResolveApiGroup(AccessRequest request, string[]? paths)
    {
        if (!request.NeedsApiGroup)
        {
            return request;
        }

        if (catalog is null)
        {
            catalog = ApiResourceCatalog.BuiltIn;
            if (paths is not { Length: > 0 })
            {
                try
                {
                    catalog = Run(ct => ApiResourceCatalog.DiscoverAsync(Cluster, ct));
                }
                catch (K8sOperationException ex)
                {
                    WriteWarning($"Finding the API group of '{request.Resource}' in the built-in API table: the discovery of {Cluster.Server} failed ({ex.Message}).");
                }
            }
        }

        try
        {
            return request.ResolveApiGroup(catalog, Log);
        }
        finally
        {
            FlushLog();
        }
    }

    /// <summary>The caller as the API server authenticates it (SelfSubjectReview), asked once.</summary>
    protected RbacIdentity Caller() => caller ??= RunOrThrow(ct => AccessChecks.WhoAmIAsync(Cluster, ct));
}
