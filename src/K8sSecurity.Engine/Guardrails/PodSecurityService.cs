using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using K8sSecurity.Engine.Connection;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Validation;

namespace K8sSecurity.Engine.Guardrails;

/// <summary>Pod Security Admission labels wanted on one namespace; null leaves a mode alone.</summary>
public sealed class PodSecurityRequest
{
    public required string Namespace { get; init; }

    public string? Enforce { get; init; }

    public string? Audit { get; init; }

    public string? Warn { get; init; }

    /// <summary>v1.NN or latest; applied to every mode given. Null leaves the -version labels alone.</summary>
    public string? Version { get; init; }
}

/// <summary>The PSA labels of one namespace after (or, with Preview, instead of) a change.</summary>
public sealed class NamespacePodSecurity
{
    public required string Namespace { get; init; }

    public string? Enforce { get; init; }

    public string? EnforceVersion { get; init; }

    public string? Audit { get; init; }

    public string? AuditVersion { get; init; }

    public string? Warn { get; init; }

    public string? WarnVersion { get; init; }

    /// <summary>True when this is a -WhatIf preview (server dry run): nothing was changed.</summary>
    public bool Preview { get; init; }

    /// <summary>Whether labels changed (or would change, for a preview).</summary>
    public bool Changed { get; init; }

    /// <summary>The apiserver's Warning headers: existing pods that violate the new enforce level.</summary>
    public IReadOnlyList<string> Warnings { get; init; } = Array.Empty<string>();
}

/// <summary>Sets pod-security.kubernetes.io/* labels; previews through a server dry-run and relays its warnings.</summary>
public static class PodSecurityService
{
    public const string LabelPrefix = "pod-security.kubernetes.io/";

    public static readonly IReadOnlyList<string> Levels = new[] { "privileged", "baseline", "restricted" };

    public static void Validate(PodSecurityRequest request)
    {
        KubernetesNames.ValidateNamespace("Namespace", request.Namespace);
        if (request.Enforce is null && request.Audit is null && request.Warn is null)
        {
            throw K8sOperationException.InvalidArgument("Enforce", null, "give at least one of -Enforce, -Audit, -Warn");
        }

        foreach (var (parameter, value) in new[] { ("Enforce", request.Enforce), ("Audit", request.Audit), ("Warn", request.Warn) })
        {
            if (value is not null && !Levels.Contains(value.ToLowerInvariant(), StringComparer.Ordinal))
            {
                throw K8sOperationException.InvalidArgument(parameter, value, "must be Privileged, Baseline or Restricted");
            }
        }

        if (request.Version is not null && !IsValidVersion(request.Version))
        {
            throw K8sOperationException.InvalidArgument("Version", request.Version, "must be 'latest' or v1.<minor> such as v1.30");
        }
    }

    public static bool IsValidVersion(string version) =>
        version == "latest"
        || (version.StartsWith("v1.", StringComparison.Ordinal) && version.Length > 3 && version[3..].All(char.IsAsciiDigit) && version.Length <= 6);

    /// <summary>The label patch the request means (lower-case levels), compared with what the namespace has.</summary>
    public static Dictionary<string, string> DesiredLabels(PodSecurityRequest request)
    {
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (mode, level) in new[] { ("enforce", request.Enforce), ("audit", request.Audit), ("warn", request.Warn) })
        {
            if (level is null)
            {
                continue;
            }

            labels[LabelPrefix + mode] = level.ToLowerInvariant();
            if (request.Version is not null)
            {
                labels[LabelPrefix + mode + "-version"] = request.Version;
            }
        }

        return labels;
    }

    public static async Task<(bool Changed, string Description)> PlanAsync(ClusterClient cluster, PodSecurityRequest request, CancellationToken cancellationToken)
    {
        Validate(request);
        var ns = await ApiErrorTranslator.CallAsync(
            () => cluster.Api.CoreV1.ReadNamespaceAsync(request.Namespace, cancellationToken: cancellationToken), $"Reading namespace {request.Namespace}", request.Namespace).ConfigureAwait(false);
        return Describe(ns, request);
    }

    private static (bool Changed, string Description) Describe(V1Namespace ns, PodSecurityRequest request)
    {
        var current = ns.Metadata.Labels ?? new Dictionary<string, string>();
        var changes = DesiredLabels(request)
            .Where(p => !current.TryGetValue(p.Key, out var v) || v != p.Value)
            .Select(p => $"{p.Key}={p.Value}" + (current.TryGetValue(p.Key, out var old) ? $" (was {old})" : string.Empty))
            .ToList();
        return (changes.Count > 0, changes.Count > 0 ? "set labels " + string.Join(", ", changes) : "labels already as requested");
    }

    /// <summary>
    /// Patches the labels (merge patch, conditional on the resourceVersion it read; read again if another writer
    /// changed the namespace first); with <paramref name="dryRun"/> the server validates, warns and persists nothing.
    /// </summary>
    public static Task<NamespacePodSecurity> ApplyAsync(ClusterClient cluster, PodSecurityRequest request, bool dryRun, EngineLog log, CancellationToken cancellationToken)
    {
        Validate(request);
        return ReadModifyWrite.RunAsync($"Labelling namespace {request.Namespace}", request.Namespace, async _ =>
        {
            var ns = await ApiErrorTranslator.CallAsync(
                () => cluster.Api.CoreV1.ReadNamespaceAsync(request.Namespace, cancellationToken: cancellationToken), $"Reading namespace {request.Namespace}", request.Namespace).ConfigureAwait(false);
            var (changed, description) = Describe(ns, request);
            log.Verbose($"Namespace {request.Namespace}: {description}");
            if (!changed && !dryRun)
            {
                return FromNamespace(ns, preview: false, changed: false, Array.Empty<string>());
            }

            var labels = new JsonObject();
            foreach (var (k, v) in DesiredLabels(request))
            {
                labels[k] = v;
            }

            var body = new JsonObject { ["metadata"] = new JsonObject { ["resourceVersion"] = ns.Metadata.ResourceVersion, ["labels"] = labels } };
            var patch = new V1Patch(body.ToJsonString(), V1Patch.PatchType.MergePatch);
            using var response = await ReadModifyWrite.WriteAsync(
                WriteKind.Update,
                () => cluster.Api.CoreV1.PatchNamespaceWithHttpMessagesAsync(patch, request.Namespace, dryRun: dryRun ? "All" : null, cancellationToken: cancellationToken),
                $"{(dryRun ? "Previewing (server dry run)" : "Labelling")} namespace {request.Namespace}", request.Namespace).ConfigureAwait(false);
            var warnings = ParseWarnings(response.Response.Headers);
            foreach (string warning in warnings)
            {
                log.Warning(warning);
            }

            return FromNamespace(response.Body, dryRun, changed, warnings);
        }, log, cancellationToken);
    }

    /// <summary>RFC 7234 Warning values ("299 - \"text\"") to their text.</summary>
    public static IReadOnlyList<string> ParseWarnings(HttpResponseHeaders headers) =>
        headers.TryGetValues("Warning", out var values) ? values.Select(ParseWarning).Distinct(StringComparer.Ordinal).ToList() : new List<string>(); // the apiserver deduplicates warnings too

    public static string ParseWarning(string header)
    {
        int quote = header.IndexOf('"', StringComparison.Ordinal);
        if (quote < 0)
        {
            return header;
        }

        var text = new StringBuilder();
        for (int i = quote + 1; i < header.Length; i++)
        {
            char c = header[i];
            if (c == '\\' && i + 1 < header.Length)
            {
                text.Append(header[++i]);
            }
            else if (c == '"')
            {
                break;
            }
            else
            {
                text.Append(c);
            }
        }

        return text.ToString();
    }

    internal static NamespacePodSecurity FromNamespace(V1Namespace ns, bool preview, bool changed, IReadOnlyList<string> warnings)
    {
        var labels = ns.Metadata.Labels ?? new Dictionary<string, string>();
        string? Label(string key) => labels.TryGetValue(LabelPrefix + key, out var v) ? v : null;
        return new NamespacePodSecurity
        {
            Namespace = ns.Metadata.Name,
            Enforce = Label("enforce"),
            EnforceVersion = Label("enforce-version"),
            Audit = Label("audit"),
            AuditVersion = Label("audit-version"),
            Warn = Label("warn"),
            WarnVersion = Label("warn-version"),
            Preview = preview,
            Changed = changed,
            Warnings = warnings,
        };
    }
}

/// <summary>One row per namespace: every guardrail at a glance.</summary>
public sealed class NamespaceSecurityInfo
{
    public required string Namespace { get; init; }

    public string? Enforce { get; init; }

    public string? Audit { get; init; }

    public string? Warn { get; init; }

    public bool HasQuota { get; init; }

    public bool HasLimitRange { get; init; }

    public bool DefaultDenyIngress { get; init; }

    public bool DefaultDenyEgress { get; init; }

    public int NetworkPolicyCount { get; init; }

    /// <summary>Service accounts that mount API tokens into pods automatically (automountServiceAccountToken not false).</summary>
    public IReadOnlyList<string> AutomountServiceAccounts { get; init; } = Array.Empty<string>();

    public int PodCount { get; init; }
}

/// <summary>Get-K8sNamespaceSecurity: one list request per kind for the whole cluster, never one per namespace.</summary>
public static class NamespaceSecurityService
{
    public static async Task<IReadOnlyList<NamespaceSecurityInfo>> GetAsync(ClusterClient cluster, IReadOnlyList<string>? names, EngineLog log, CancellationToken cancellationToken)
    {
        var api = cluster.Api;
        var namespacesTask = ApiErrorTranslator.CallAsync(() => api.CoreV1.ListNamespaceAsync(cancellationToken: cancellationToken), "Listing namespaces");
        var quotasTask = ApiErrorTranslator.CallAsync(() => api.CoreV1.ListResourceQuotaForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing resource quotas");
        var limitsTask = ApiErrorTranslator.CallAsync(() => api.CoreV1.ListLimitRangeForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing limit ranges");
        var policiesTask = ApiErrorTranslator.CallAsync(() => api.NetworkingV1.ListNetworkPolicyForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing network policies");
        var accountsTask = ApiErrorTranslator.CallAsync(() => api.CoreV1.ListServiceAccountForAllNamespacesAsync(cancellationToken: cancellationToken), "Listing service accounts");

        // Pods can be many: page through them and keep only counts.
        var podCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        var pods = new ListPager<V1Pod>(
            async token =>
            {
                var page = await ApiErrorTranslator.CallAsync(
                    () => api.CoreV1.ListPodForAllNamespacesAsync(continueParameter: token, limit: 500, cancellationToken: cancellationToken), "Listing pods").ConfigureAwait(false);
                return (page.Items.ToList(), string.IsNullOrEmpty(page.Metadata?.ContinueProperty) ? null : page.Metadata.ContinueProperty);
            },
            pod => ListKeys.Of(pod.Metadata),
            "Listing pods",
            log);
        while (await pods.NextAsync().ConfigureAwait(false) is { } page)
        {
            foreach (var pod in page)
            {
                podCounts[pod.Metadata.NamespaceProperty] = podCounts.GetValueOrDefault(pod.Metadata.NamespaceProperty) + 1;
            }
        }

        var namespaces = await namespacesTask.ConfigureAwait(false);
        var quotas = (await quotasTask.ConfigureAwait(false)).Items.Select(q => q.Metadata.NamespaceProperty).ToHashSet(StringComparer.Ordinal);
        var limits = (await limitsTask.ConfigureAwait(false)).Items.Select(l => l.Metadata.NamespaceProperty).ToHashSet(StringComparer.Ordinal);
        var policies = (await policiesTask.ConfigureAwait(false)).Items.Select(NetworkPolicyService.ToModel).ToLookup(p => p.Namespace, StringComparer.Ordinal);
        var automount = (await accountsTask.ConfigureAwait(false)).Items
            .Where(sa => sa.AutomountServiceAccountToken != false)
            .ToLookup(sa => sa.Metadata.NamespaceProperty, sa => sa.Metadata.Name, StringComparer.Ordinal);

        return namespaces.Items
            .Where(n => names is null || names.Any(pattern => GuardrailNames.Matches(pattern, n.Metadata.Name)))
            .OrderBy(n => n.Metadata.Name, StringComparer.Ordinal)
            .Select(n =>
            {
                string name = n.Metadata.Name;
                var labels = n.Metadata.Labels ?? new Dictionary<string, string>();
                var nsPolicies = policies[name].ToList();
                return new NamespaceSecurityInfo
                {
                    Namespace = name,
                    Enforce = labels.TryGetValue(PodSecurityService.LabelPrefix + "enforce", out var e) ? e : null,
                    Audit = labels.TryGetValue(PodSecurityService.LabelPrefix + "audit", out var a) ? a : null,
                    Warn = labels.TryGetValue(PodSecurityService.LabelPrefix + "warn", out var w) ? w : null,
                    HasQuota = quotas.Contains(name),
                    HasLimitRange = limits.Contains(name),
                    DefaultDenyIngress = nsPolicies.Any(p => NetworkPolicyService.IsDefaultDeny(p, egress: false)),
                    DefaultDenyEgress = nsPolicies.Any(p => NetworkPolicyService.IsDefaultDeny(p, egress: true)),
                    NetworkPolicyCount = nsPolicies.Count,
                    AutomountServiceAccounts = automount[name].Order(StringComparer.Ordinal).ToList(),
                    PodCount = podCounts.GetValueOrDefault(name),
                };
            })
            .ToList();
    }
}
