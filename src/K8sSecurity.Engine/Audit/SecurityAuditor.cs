using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using K8sSecurity.Engine.Audit.Checks;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Scanning;

namespace K8sSecurity.Engine.Audit;

/// <summary>The findings and the summary of one audit of one cluster (or one offline dump).</summary>
public sealed class AuditResult
{
    public required AuditSummary Summary { get; init; }

    public required IReadOnlyList<AuditFinding> Findings { get; init; }

    /// <summary>Offline: what reading the manifests found besides objects (errors, duplicate keys, empty files).</summary>
    public IReadOnlyList<ManifestParseError> InputIssues { get; init; } = Array.Empty<ManifestParseError>();

    /// <summary>Offline: how many Kubernetes objects the inputs held, whatever their kind; null for cluster audits.</summary>
    public int? ObjectsRead { get; init; }
}

/// <summary>One fleet member's outcome: a result, or the error that stopped its audit.</summary>
public sealed class FleetAuditOutcome
{
    public required string Context { get; init; }

    public AuditResult? Result { get; init; }

    public K8sOperationException? Error { get; init; }
}

/// <summary>
/// Runs an audit: gathers one <see cref="AuditInventory"/> (each kind listed once) for the union of the kinds the
/// selected categories need, then hands the same inventory to every category and scores the result.
/// </summary>
public sealed class SecurityAuditor
{
    public SecurityAuditor(IEnumerable<IAuditCheck>? checks = null)
    {
        Checks = (checks ?? DefaultChecks()).ToList();
    }

    public IReadOnlyList<IAuditCheck> Checks { get; }

    /// <summary>The built-in categories, in report order.</summary>
    public static IReadOnlyList<IAuditCheck> DefaultChecks() => new IAuditCheck[]
    {
        new WorkloadPodSecurityCheck(),
        new RbacRiskCheck(),
        new NamespaceGuardrailsCheck(),
        new ServiceAccountHygieneCheck(),
        new CertificateExpiryCheck(),
        new AnonymousAccessCheck(),
        new ServerVersionCheck(),
        new NodeConfigurationCheck(),
        new WorkloadHardeningCheck(),
        new NetworkExposureCheck(),
        new ConfigMapCredentialCheck(),
        new DeprecatedApiCheck(),
    };

    /// <summary>Kinds the selected categories read: what an audit lists (and what its ClusterRole must allow).</summary>
    public IReadOnlyCollection<AuditKind> KindsFor(AuditOptions options) =>
        SelectedChecks(options).SelectMany(c => c.RequiredKinds).Distinct().Order().ToArray();

    /// <summary>Checks options before anything is read or sent.</summary>
    public static void Validate(AuditOptions options)
    {
        if (options.PkiPath is { } pki && !Directory.Exists(pki))
        {
            throw K8sOperationException.InvalidArgument("PkiPath", pki, "the folder does not exist.");
        }

        if (options.NodePath is { } node && !Directory.Exists(node))
        {
            throw K8sOperationException.InvalidArgument("NodePath", node, "the folder does not exist.");
        }

        if (options.CertificateWarningDays is < 0 or > 3650)
        {
            throw K8sOperationException.InvalidArgument("CertificateWarningDays", options.CertificateWarningDays, "use a number of days between 0 and 3650.");
        }

        if (options.KubernetesVersion is { } version)
        {
            Authorization.DefaultRbacPolicy.For(version);
        }

        if (options.TargetVersion is { } target
            && (!Authorization.DefaultRbacPolicy.TryParseMinor(target, out int minor) || minor > Audit.Checks.DeprecatedApiCheck.NewestKnownMinor))
        {
            throw K8sOperationException.InvalidArgument("TargetVersion", target,
                $"give a Kubernetes version such as v1.{Audit.Checks.DeprecatedApiCheck.NewestKnownMinor} (the module knows the API removals up to v1.{Audit.Checks.DeprecatedApiCheck.NewestKnownMinor}).");
        }
    }

    public async Task<AuditResult> AuditClusterAsync(ClusterClient cluster, AuditOptions options, EngineLog log, CancellationToken cancellationToken)
    {
        Validate(options);
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        log.Progress($"Auditing '{cluster.Context.Name}': reading the cluster", 0);
        var inventory = await AuditInventory.FromClusterAsync(cluster, KindsFor(options), log, cancellationToken).ConfigureAwait(false);
        var kubeconfigFailures = new List<string>();
        var context = new AuditContext
        {
            Inventory = inventory,
            Options = options,
            ClusterName = cluster.Context.Name,
            Cluster = cluster,
            KubeconfigCertificates = KubeconfigCertificates(cluster.Context.KubeconfigPath, cluster.Context.User, cluster.Context.Cluster, kubeconfigFailures),
            KubeconfigReadFailures = kubeconfigFailures,
            Log = log,
        };
        return await RunChecksAsync(context, cluster.Server, started, clock, null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Audits manifests or a `kubectl get -A -o yaml` dump; categories that need the server are skipped. What cannot
    /// be read is in the result's <see cref="AuditResult.InputIssues"/> and the summary's InputProblems, never
    /// silently left out.
    /// </summary>
    public async Task<AuditResult> AuditOfflineAsync(
        IReadOnlyList<string> paths, AuditOptions options, string? kubeconfigPath, EngineLog log, CancellationToken cancellationToken)
    {
        Validate(options);
        if (paths.Count == 0)
        {
            throw K8sOperationException.InvalidArgument("Path", string.Empty, "give at least one file or folder.");
        }

        // Reading runs on a worker thread and checks the token between documents, so Ctrl+C is prompt.
        await Task.Yield();
        var issues = new List<ManifestParseError>();
        var files = ManifestReader.ExpandPaths(paths, issues.Add, cancellationToken).ToList();
        var started = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        log.Progress($"Auditing {string.Join(", ", paths)}: reading {files.Count} file(s)", 0);
        var inventory = AuditInventory.FromObjects(
            files.SelectMany(f => ManifestReader.ReadFile(f, issues.Add, ManifestLimits.DefaultMaxFileBytes, cancellationToken)).Where(item => Admissible(item, issues.Add)),
            string.Join(", ", paths),
            null,
            KindsFor(options));
        var kubeconfigFailures = new List<string>();
        if (kubeconfigPath is not null && !File.Exists(kubeconfigPath))
        {
            kubeconfigFailures.Add($"kubeconfig '{kubeconfigPath}': the file does not exist");
        }

        var certificates = kubeconfigPath is null ? Array.Empty<KubeconfigCertificate>() : KubeconfigCertificates(kubeconfigPath, null, null, kubeconfigFailures);
        var context = new AuditContext
        {
            Inventory = inventory,
            Options = options,
            ClusterName = "offline",
            KubeconfigCertificates = certificates,
            KubeconfigReadFailures = kubeconfigFailures,
            Log = log,
            InputIssues = issues,
        };
        return await RunChecksAsync(context, string.Join(", ", paths), started, clock, inventory.ApiVersions.Count, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Audits an inventory already gathered (tests, benchmarks, pipeline input).</summary>
    public Task<AuditResult> AuditInventoryAsync(AuditContext context, CancellationToken cancellationToken)
    {
        Validate(context.Options);
        return RunChecksAsync(context, context.Inventory.Source, DateTimeOffset.UtcNow, Stopwatch.StartNew(), null, cancellationToken);
    }

    /// <summary>
    /// Audits several clusters in parallel (at most <paramref name="throttleLimit"/> at a time). A cluster that cannot
    /// be reached or configured yields an outcome with an error; the others complete.
    /// </summary>
    public async Task<IReadOnlyList<FleetAuditOutcome>> AuditFleetAsync(
        IReadOnlyList<ConnectionRequest> targets, AuditOptions options, int throttleLimit, EngineLog log, CancellationToken cancellationToken)
    {
        Validate(options);
        if (throttleLimit < 1)
        {
            throw K8sOperationException.InvalidArgument("ThrottleLimit", throttleLimit, "use 1 or more.");
        }

        var outcomes = new ConcurrentDictionary<int, FleetAuditOutcome>();
        await Parallel.ForEachAsync(
            targets.Select((t, i) => (Target: t, Index: i)),
            new ParallelOptions { MaxDegreeOfParallelism = throttleLimit, CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                string name = item.Target.Context ?? "(current context)";
                try
                {
                    using var cluster = ClusterClient.Create(item.Target);
                    name = cluster.Context.Name;
                    foreach (string warning in cluster.Warnings)
                    {
                        log.Warning(warning);
                    }

                    var result = await AuditClusterAsync(cluster, options, log, ct).ConfigureAwait(false);
                    outcomes[item.Index] = new FleetAuditOutcome { Context = name, Result = result };
                }
                catch (Exception ex) when (ex is K8sOperationException || ApiErrorTranslator.Translate(ex, "Auditing") is not null)
                {
                    // One unreachable or refusing cluster is that context's error; the others complete.
                    var error = ex as K8sOperationException ?? ApiErrorTranslator.Translate(ex, "Auditing")!;
                    if (!error.Message.Contains($"'{name}'", StringComparison.Ordinal))
                    {
                        error = new K8sOperationException(error.Kind, $"Auditing context '{name}': {error.Message}", name)
                        {
                            StatusCode = error.StatusCode,
                            Reason = error.Reason,
                        };
                    }

                    log.Verbose($"Audit of '{name}' failed: {error.Message}");
                    outcomes[item.Index] = new FleetAuditOutcome { Context = name, Error = error };
                }
            }).ConfigureAwait(false);
        return outcomes.OrderBy(o => o.Key).Select(o => o.Value).ToList();
    }

    private IEnumerable<IAuditCheck> SelectedChecks(AuditOptions options)
    {
        var wanted = options.EffectiveCategories;
        return Checks.Where(c => wanted.Contains(c.Category));
    }

    private async Task<AuditResult> RunChecksAsync(
        AuditContext context, string? server, DateTimeOffset started, Stopwatch clock, int? objectsRead, CancellationToken cancellationToken)
    {
        var checks = SelectedChecks(context.Options).ToList();
        var findings = new List<AuditFinding>();
        var scores = new List<AuditCategoryScore>();
        var excludedNamespaces = context.Options.ExcludedNamespaces.Distinct(StringComparer.Ordinal).ToList();
        var excluded = new List<string>();
        if (excludedNamespaces.Count > 0)
        {
            excluded.Add($"namespaces {string.Join(", ", excludedNamespaces)}");
        }

        for (int i = 0; i < checks.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var check = checks[i];
            context.Log.Progress($"Auditing '{context.ClusterName}': {check.Category}", 60 + (i * 40 / checks.Count));
            var result = await check.RunAsync(context, cancellationToken).ConfigureAwait(false);
            var ordered = result.Findings
                .OrderByDescending(f => f.Severity)
                .ThenBy(f => f.Namespace, StringComparer.Ordinal)
                .ThenBy(f => f.Resource, StringComparer.Ordinal)
                .ThenBy(f => f.Id, StringComparer.Ordinal)
                .ToList();
            findings.AddRange(ordered);
            excluded.AddRange(result.ExcludedDefaults.Where(e => !excluded.Contains(e, StringComparer.Ordinal)));
            scores.Add(AuditScoring.Summarize(check.Category, ordered, result.Evaluated, result.SkippedReason, result.ReadFailures, NothingToCheck(check, result, context)));
            context.Log.Verbose(result.SkippedReason is null
                ? $"{check.Category}: {ordered.Count} finding(s) over {result.Evaluated} evaluated."
                : $"{check.Category}: skipped ({result.SkippedReason}).");
        }

        context.Log.Progress($"Auditing '{context.ClusterName}': done", 100);
        var summary = new AuditSummary
        {
            Cluster = context.ClusterName,
            Server = server,
            ServerVersion = context.Inventory.ServerVersion,
            Score = AuditScoring.OverallScore(scores),
            TotalFindings = findings.Count,
            Critical = findings.Count(f => f.Severity == Reporting.FindingSeverity.Critical),
            High = findings.Count(f => f.Severity == Reporting.FindingSeverity.High),
            Medium = findings.Count(f => f.Severity == Reporting.FindingSeverity.Medium),
            Low = findings.Count(f => f.Severity == Reporting.FindingSeverity.Low),
            Info = findings.Count(f => f.Severity == Reporting.FindingSeverity.Info),
            Categories = scores,
            Inventory = context.Inventory.Counts(),
            StartedAt = started,
            Duration = clock.Elapsed,
            Offline = context.Cluster is null,
            ExcludedNamespaces = excludedNamespaces,
            DefaultPolicy = context.DefaultPolicy?.Version,
            Excluded = excluded,
            InputProblems = context.InputIssues.Where(i => i.Kind != ManifestIssueKind.NoObjects).Select(i => i.ToString()).ToList(),
        };
        return new AuditResult { Summary = summary, Findings = findings, InputIssues = context.InputIssues, ObjectsRead = objectsRead };
    }

    /// <summary>
    /// Why a check that ran had nothing to look at: its own reason, else — when it evaluated nothing, found nothing and
    /// read everything — the kinds it evaluates when the inventory holds none of them. Objects the check looked at and
    /// passed over (system namespaces, Kubernetes' own defaults) are something to check: they are listed as excluded.
    /// </summary>
    private static string? NothingToCheck(IAuditCheck check, AuditCheckResult result, AuditContext context)
    {
        if (result.SkippedReason is not null || result.ReadFailures.Count > 0)
        {
            return null;
        }

        var kinds = check.EvaluatedKinds;
        if (result.NothingToCheck is not null || result.Evaluated > 0 || result.Findings.Count > 0 || kinds.Count == 0)
        {
            return result.NothingToCheck;
        }

        return kinds.All(k => context.Inventory.Of(k).Count == 0)
            ? $"no {string.Join(", ", kinds.Select(k => k.ToString()).Order(StringComparer.Ordinal))} was found in {(context.Cluster is null ? "the input" : "the cluster")}"
            : null;
    }

    // A workload the API server would refuse (a field of the wrong type) is an input problem, as for Test-K8sPodSecurity:
    // it is not audited and the run says so, instead of ending the whole audit.
    private static bool Admissible(ManifestObject item, Action<ManifestParseError> onIssue)
    {
        if (!WorkloadScanner.IsWorkload(item.Kind) || PodShape.Problem(item.Body, item.Kind!) is not { } problem)
        {
            return true;
        }

        onIssue(new ManifestParseError(item.Source, item.Line, $"{item.Kind}/{item.Name}: {problem}; the API server would refuse it."));
        return false;
    }

    /// <summary>Client certificates and CAs of a kubeconfig: one user and cluster when named, else all of them.</summary>
    /// <remarks>What cannot be read (the kubeconfig, a certificate file it names, data that is not base64) goes to
    /// <paramref name="failures"/>: the Certificates category reports it instead of passing it over.</remarks>
    private static IReadOnlyList<KubeconfigCertificate> KubeconfigCertificates(string? kubeconfigPath, string? user, string? clusterName, List<string> failures)
    {
        if (kubeconfigPath is null || !File.Exists(kubeconfigPath))
        {
            return Array.Empty<KubeconfigCertificate>();
        }

        KubeconfigSet set;
        try
        {
            set = KubeconfigSet.Load(kubeconfigPath);
        }
        catch (K8sOperationException ex)
        {
            failures.Add($"kubeconfig '{kubeconfigPath}': {ex.Message}");
            return Array.Empty<KubeconfigCertificate>();
        }

        string baseDir = Path.GetDirectoryName(Path.GetFullPath(kubeconfigPath)) ?? ".";
        var result = new List<KubeconfigCertificate>();
        foreach (var entry in set.Merged.Users ?? Enumerable.Empty<k8s.KubeConfigModels.User>())
        {
            if (user is not null && entry.Name != user)
            {
                continue;
            }

            if (Pem(entry.UserCredentials?.ClientCertificateData, entry.UserCredentials?.ClientCertificate, baseDir, $"kubeconfig '{kubeconfigPath}' user {entry.Name}", failures) is { } pem)
            {
                result.Add(new KubeconfigCertificate($"user {entry.Name}", pem, kubeconfigPath));
            }
        }

        foreach (var entry in set.Merged.Clusters ?? Enumerable.Empty<k8s.KubeConfigModels.Cluster>())
        {
            if (clusterName is not null && entry.Name != clusterName)
            {
                continue;
            }

            if (Pem(entry.ClusterEndpoint?.CertificateAuthorityData, entry.ClusterEndpoint?.CertificateAuthority, baseDir, $"kubeconfig '{kubeconfigPath}' cluster {entry.Name}", failures) is { } pem)
            {
                result.Add(new KubeconfigCertificate($"cluster CA {entry.Name}", pem, kubeconfigPath));
            }
        }

        return result;
    }

    private static string? Pem(string? base64, string? file, string baseDir, string owner, List<string> failures)
    {
        try
        {
            if (!string.IsNullOrEmpty(base64))
            {
                return Encoding.ASCII.GetString(Convert.FromBase64String(base64));
            }

            if (!string.IsNullOrEmpty(file))
            {
                string path = Path.IsPathRooted(file) ? file : Path.Combine(baseDir, file);
                if (File.Exists(path))
                {
                    return File.ReadAllText(path);
                }

                failures.Add($"{owner}: certificate file '{path}' does not exist");
            }
        }
        catch (FormatException)
        {
            failures.Add($"{owner}: the certificate data is not base64");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            failures.Add($"{owner}: {ex.Message}");
        }

        return null;
    }
}
