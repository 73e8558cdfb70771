using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The types the API server insists on along the path to a pod spec and in the fields the checks read. An object
/// with `spec: "x"`, `template: "x"`, `containers: "x"` or `privileged: "true"` is refused by the API server when it
/// decodes the request, so it can never run: the scan reports it as an error, never as Compliant (gates fail closed).
/// </summary>
internal static class PodShape
{
    /// <summary>The first field of a workload with the wrong type ("spec.template: must be a mapping, not a string"), or null.</summary>
    public static string? Problem(JsonObject body, string kind)
    {
        JsonNode? spec = body["spec"];
        switch (kind)
        {
            case "Pod":
                return Required(spec, "spec") ?? Pod(spec!.AsObject(), "spec");
            case "PodTemplate":
                return Template(body["template"], "template");
            case "CronJob":
                return Required(spec, "spec")
                    ?? Required(spec!["jobTemplate"], "spec.jobTemplate")
                    ?? Required(spec["jobTemplate"]!["spec"], "spec.jobTemplate.spec")
                    ?? Template(spec["jobTemplate"]!["spec"]!["template"], "spec.jobTemplate.spec.template");
            default:
                return Required(spec, "spec") ?? Template(spec!["template"], "spec.template");
        }
    }

    private static string? Template(JsonNode? template, string path) =>
        Required(template, path)
        ?? Optional(template!["metadata"], path + ".metadata", JsonValueKind.Object)
        ?? Required(template["spec"], path + ".spec")
        ?? Pod(template["spec"]!.AsObject(), path + ".spec");

    private static string? Pod(JsonObject spec, string path)
    {
        foreach (string field in new[] { "hostNetwork", "hostPID", "hostIPC", "hostUsers", "automountServiceAccountToken" })
        {
            if (Optional(spec[field], $"{path}.{field}", JsonValueKind.True) is { } problem)
            {
                return problem;
            }
        }

        if ((Optional(spec["securityContext"], path + ".securityContext", JsonValueKind.Object) ?? SecurityContext(spec["securityContext"], path + ".securityContext")) is { } context)
        {
            return context;
        }

        if (spec["containers"] is not JsonArray { Count: > 0 })
        {
            return $"{path}.containers must be a non-empty sequence of containers, not {Describe(spec["containers"])}";
        }

        foreach (string list in new[] { "containers", "initContainers", "ephemeralContainers", "volumes" })
        {
            if (Optional(spec[list], $"{path}.{list}", JsonValueKind.Array) is { } problem)
            {
                return problem;
            }

            if (spec[list] is not JsonArray items)
            {
                continue;
            }

            for (int i = 0; i < items.Count; i++)
            {
                string at = $"{path}.{list}[{i}]";
                if (items[i] is not JsonObject item)
                {
                    return $"{at} must be a mapping, not {Describe(items[i])}";
                }

                if (list != "volumes"
                    && (Optional(item["securityContext"], at + ".securityContext", JsonValueKind.Object) ?? SecurityContext(item["securityContext"], at + ".securityContext")) is { } containerProblem)
                {
                    return containerProblem;
                }
            }
        }

        return null;
    }

    private static string? SecurityContext(JsonNode? node, string path)
    {
        if (node is not JsonObject context)
        {
            return null;
        }

        // In name order, so the first problem named does not depend on the order the file lists the fields in.
        foreach (var (field, value) in context.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            string? problem = field switch
            {
                "privileged" or "allowPrivilegeEscalation" or "runAsNonRoot" or "readOnlyRootFilesystem" => Optional(value, $"{path}.{field}", JsonValueKind.True),
                "runAsUser" or "runAsGroup" or "fsGroup" => Optional(value, $"{path}.{field}", JsonValueKind.Number),
                "capabilities" or "seccompProfile" or "seLinuxOptions" or "appArmorProfile" or "windowsOptions" => Optional(value, $"{path}.{field}", JsonValueKind.Object),
                "sysctls" or "supplementalGroups" => Optional(value, $"{path}.{field}", JsonValueKind.Array),
                "procMount" => Optional(value, $"{path}.{field}", JsonValueKind.String),
                _ => null,
            };
            if (problem is not null)
            {
                return problem;
            }
        }

        if (context["capabilities"] is JsonObject capabilities)
        {
            foreach (string list in new[] { "add", "drop" })
            {
                if (Optional(capabilities[list], $"{path}.capabilities.{list}", JsonValueKind.Array) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static string? Required(JsonNode? node, string path) =>
        node is JsonObject ? null : $"{path} must be a mapping, not {Describe(node)}";

    // Null is the field's zero value to the API server; any other kind than the expected one is refused.
    private static string? Optional(JsonNode? node, string path, JsonValueKind expected)
    {
        if (node is null)
        {
            return null;
        }

        var actual = node.GetValueKind();
        bool fits = expected switch
        {
            JsonValueKind.True => actual is JsonValueKind.True or JsonValueKind.False,
            JsonValueKind.Number => actual == JsonValueKind.Number
                && double.TryParse(node.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double number)
                && number == Math.Floor(number) && !double.IsInfinity(number),
            _ => actual == expected,
        };
        return fits ? null : $"{path} must be {Expected(expected)}, not {Describe(node)}";
    }

    private static string Expected(JsonValueKind kind) => kind switch
    {
        JsonValueKind.True => "a boolean",
        JsonValueKind.Number => "an integer",
        JsonValueKind.Object => "a mapping",
        JsonValueKind.Array => "a sequence",
        _ => "a string",
    };

    private static string Describe(JsonNode? node) => node is null ? "missing" : node.GetValueKind() switch
    {
        JsonValueKind.String => $"the string \"{Shorten(node.GetValue<string>())}\"",
        JsonValueKind.Number => $"the number {node.ToJsonString()}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {node.ToJsonString()}",
        JsonValueKind.Array => "a sequence",
        JsonValueKind.Object => "a mapping",
        _ => "null",
    };

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "…";
}
