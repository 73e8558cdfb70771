using K8sSecurity.Engine.Manifests;
using K8sSecurity.Engine.Reporting;

namespace K8sSecurity.Engine.Audit.Checks;

/// <summary>
/// Service-account hygiene: accounts that mount their API token into every pod by default, long-lived legacy
/// token Secrets, and `default` accounts that RBAC grants rights to (every pod that names no account gets them).
/// A `default` account exactly as Kubernetes created it, in a namespace where nothing runs, is not judged.
/// </summary>
public sealed class ServiceAccountHygieneCheck : IAuditCheck
{
    public const string LegacyTokenType = "kubernetes.io/service-account-token";

    public AuditCategory Category => AuditCategory.ServiceAccounts;

    public IReadOnlyCollection<AuditKind> RequiredKinds { get; } =
        new[] { AuditKind.ServiceAccount, AuditKind.Secret, AuditKind.RoleBinding, AuditKind.ClusterRoleBinding }.Concat(AuditContext.WorkloadKinds).ToArray();

    public IReadOnlyCollection<AuditKind> EvaluatedKinds { get; } = new[] { AuditKind.ServiceAccount };

    public Task<AuditCheckResult> RunAsync(AuditContext context, CancellationToken cancellationToken)
    {
        var findings = new List<AuditFinding>();
        var excludedDefaults = new List<string>();
        int evaluated = 0;
        var accounts = context.Inventory.Of(AuditKind.ServiceAccount)
            .Where(sa => !context.Options.IsExcluded(sa.Namespace))
            .ToList();
        var byKey = accounts.ToDictionary(sa => (sa.Namespace ?? "default", sa.Name ?? string.Empty), sa => sa);

        foreach (var account in accounts)
        {
            if (IsUntouchedDefault(account) && !context.HasWorkloads(account.Namespace ?? "default"))
            {
                excludedDefaults.Add($"service account {account.Namespace}/default (created by Kubernetes; nothing runs in its namespace)");
                continue;
            }

            evaluated++;
            if (account.Body.Bool("automountServiceAccountToken") != false)
            {
                findings.Add(context.Finding(account, Category, "SA-AUTOMOUNT-TOKEN", FindingSeverity.Low, "Service account token is automounted",
                    $"Service account '{account.Namespace}/{account.Name}' mounts its API token into every pod that uses it.",
                    "Set automountServiceAccountToken: false on the service account and opt in per pod that really calls the API.",
                    new Dictionary<string, string> { ["automountServiceAccountToken"] = account.Body.Bool("automountServiceAccountToken")?.ToString() ?? "(not set: true)" }));
            }
        }

        foreach (var secret in context.Inventory.Of(AuditKind.Secret))
        {
            if (context.Options.IsExcluded(secret.Namespace) || secret.Body.Str("type") != LegacyTokenType)
            {
                continue;
            }

            evaluated++;
            string owner = secret.Body.Str("metadata", "annotations", "kubernetes.io/service-account.name") ?? "(unknown)";
            findings.Add(context.Finding(secret, Category, "SA-LEGACY-TOKEN-SECRET", FindingSeverity.Medium, "Long-lived service account token Secret",
                $"Secret '{secret.Namespace}/{secret.Name}' holds a non-expiring token for service account '{owner}'.",
                "Delete the Secret and use short-lived tokens (TokenRequest, projected volumes) instead.",
                new Dictionary<string, string> { ["type"] = LegacyTokenType, ["serviceAccount"] = owner }));
        }

        // default accounts that some binding grants rights to: one finding per account, evidence lists the bindings.
        var grants = new Dictionary<(string Namespace, string Name), List<string>>();
        foreach (var binding in context.Inventory.Of(AuditKind.RoleBinding).Concat(context.Inventory.Of(AuditKind.ClusterRoleBinding)))
        {
            foreach (var subject in binding.Body.Objects("subjects"))
            {
                if (subject.Str("kind") != "ServiceAccount" || subject.Str("name") != "default")
                {
                    continue;
                }

                string ns = subject.Str("namespace") ?? binding.Namespace ?? "default";
                if (context.Options.IsExcluded(ns))
                {
                    continue;
                }

                var key = (ns, "default");
                if (!grants.TryGetValue(key, out var list))
                {
                    grants[key] = list = new List<string>();
                }

                list.Add($"{binding.Kind}/{(binding.Namespace is null ? string.Empty : binding.Namespace + "/")}{binding.Name} → {binding.Body.Str("roleRef", "kind")}/{binding.Body.Str("roleRef", "name")}");
            }
        }

        foreach (var ((ns, name), bindings) in grants.OrderBy(g => g.Key.Namespace, StringComparer.Ordinal))
        {
            var evidence = new Dictionary<string, string> { ["bindings"] = string.Join("; ", bindings) };
            string message = $"The default service account of '{ns}' is granted rights ({bindings.Count} binding(s)): every pod in '{ns}' that names no account gets them.";
            const string remediation = "Bind the role to a dedicated service account and set serviceAccountName on the workloads that need it.";
            findings.Add(byKey.TryGetValue((ns, name), out ManifestObject? account)
                ? context.Finding(account, Category, "SA-DEFAULT-HAS-RIGHTS", FindingSeverity.High, "Default service account has RBAC rights", message, remediation, evidence)
                : context.Finding(Category, "SA-DEFAULT-HAS-RIGHTS", FindingSeverity.High, "Default service account has RBAC rights", "ServiceAccount", name, ns, message, remediation, evidence));
        }

        return Task.FromResult(new AuditCheckResult { Findings = findings, Evaluated = evaluated, ExcludedDefaults = excludedDefaults });
    }

    /// <summary>The `default` account as the service-account controller creates it: no token setting, no secrets, no pull secrets.</summary>
    private static bool IsUntouchedDefault(ManifestObject account) =>
        account.Name == "default"
        && account.Body["automountServiceAccountToken"] is null
        && account.Body["secrets"] is not System.Text.Json.Nodes.JsonArray { Count: > 0 }
        && account.Body["imagePullSecrets"] is not System.Text.Json.Nodes.JsonArray { Count: > 0 };
}
