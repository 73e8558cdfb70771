using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.Engine.Scanning;

/// <summary>
/// The types the API server insists on along the path to a pod spec and in the fields the checks read. An object
/// with `spec: "x"`, `template: "x"`, `containers: "x"` or `privileged: "true"` is refused by the API server when it
/// decodes the request, so it can never run: the scan reports it as an error, never as Compliant (gates fail closed).
/// </summary>
/// <remarks>
/// Every workload of every scan goes through here and almost all are fine, so the walk runs first without naming
/// anything (paths are null, a problem is <see cref="Found"/>), and only a workload with a problem is walked again to
/// name it: the same code both times, so both walks stop at the same field.
/// </remarks>
internal static class PodShape
{
    // What a problem is while the walk names nothing.
    private const string Found = "found";

    private static readonly string[] PodBooleans = { "hostNetwork", "hostPID", "hostIPC", "hostUsers", "automountServiceAccountToken" };
    private static readonly string[] PodLists = { "containers", "initContainers", "ephemeralContainers", "volumes" };
    private static readonly string[] CapabilityLists = { "add", "drop" };

    /// <summary>The first field of a workload with the wrong type ("spec.template: must be a mapping, not a string"), or null.</summary>
    public static string? Problem(JsonObject body, string kind) =>
        Walk(body, kind, describe: false) is null ? null : Walk(body, kind, describe: true);

    // Paths are null when describe is false.
    private static string? Walk(JsonObject body, string kind, bool describe)
    {
        string? Path(string path) => describe ? path : null;
        JsonNode? spec = body["spec"];
        switch (kind)
        {
            case "Pod":
                return Required(spec, Path("spec")) ?? Pod(spec!.AsObject(), Path("spec"));
            case "PodTemplate":
                return Template(body["template"], Path("template"));
            case "CronJob":
                return Required(spec, Path("spec"))
                    ?? Required(spec!["jobTemplate"], Path("spec.jobTemplate"))
                    ?? Required(spec["jobTemplate"]!["spec"], Path("spec.jobTemplate.spec"))
                    ?? Template(spec["jobTemplate"]!["spec"]!["template"], Path("spec.jobTemplate.spec.template"));
            default:
                return Required(spec, Path("spec")) ?? Template(spec!["template"], Path("spec.template"));
        }
    }

    private static string? Template(JsonNode? template, string? path) =>
        Required(template, path)
        ?? Optional(template!["metadata"], Join(path, ".metadata"), JsonValueKind.Object)
        ?? Required(template["spec"], Join(path, ".spec"))
        ?? Pod(template["spec"]!.AsObject(), Join(path, ".spec"));

    private static string? Pod(JsonObject spec, string? path)
    {
        foreach (string field in PodBooleans)
        {
            if (Optional(spec[field], Join(path, ".", field), JsonValueKind.True) is { } problem)
            {
                return problem;
            }
        }

        if ((Optional(spec["securityContext"], Join(path, ".securityContext"), JsonValueKind.Object) ?? SecurityContext(spec["securityContext"], Join(path, ".securityContext"))) is { } context)
        {
            return context;
        }

        if (spec["containers"] is not JsonArray { Count: > 0 })
        {
            return path is null ? Found : $"{path}.containers must be a non-empty sequence of containers, not {Describe(spec["containers"])}";
        }

        foreach (string list in PodLists)
        {
            if (Optional(spec[list], Join(path, ".", list), JsonValueKind.Array) is { } problem)
            {
                return problem;
            }

            if (spec[list] is not JsonArray items)
            {
                continue;
            }

            for (int i = 0; i < items.Count; i++)
            {
                string? at = path is null ? null : $"{path}.{list}[{i}]";
                if (items[i] is not JsonObject item)
                {
                    return at is null ? Found : $"{at} must be a mapping, not {Describe(items[i])}";
                }

                if (list != "volumes"
                    && (Optional(item["securityContext"], Join(at, ".securityContext"), JsonValueKind.Object) ?? SecurityContext(item["securityContext"], Join(at, ".securityContext"))) is { } containerProblem)
                {
                    return containerProblem;
                }
            }
        }

        return null;
    }

    private static string? SecurityContext(JsonNode? node, string? path)
    {
        if (node is not JsonObject context)
        {
            return null;
        }

        // Named in name order, so the first problem named does not depend on the order the file lists the fields in
        // (without naming, any problem will do).
        IEnumerable<KeyValuePair<string, JsonNode?>> fields = path is null ? context : context.OrderBy(p => p.Key, StringComparer.Ordinal);
        foreach (var (field, value) in fields)
        {
            var expected = field switch
            {
                "privileged" or "allowPrivilegeEscalation" or "runAsNonRoot" or "readOnlyRootFilesystem" => JsonValueKind.True,
                "runAsUser" or "runAsGroup" or "fsGroup" => JsonValueKind.Number,
                "capabilities" or "seccompProfile" or "seLinuxOptions" or "appArmorProfile" or "windowsOptions" => JsonValueKind.Object,
                "sysctls" or "supplementalGroups" => JsonValueKind.Array,
                "procMount" => JsonValueKind.String,
                _ => JsonValueKind.Undefined,
            };
            if (expected != JsonValueKind.Undefined && Optional(value, Join(path, ".", field), expected) is { } problem)
            {
                return problem;
            }
        }

        if (context["capabilities"] is JsonObject capabilities)
        {
            foreach (string list in CapabilityLists)
            {
                if (Optional(capabilities[list], Join(path, ".capabilities.", list), JsonValueKind.Array) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    private static string? Join(string? path, string suffix) => path is null ? null : path + suffix;

    private static string? Join(string? path, string separator, string field) => path is null ? null : string.Concat(path, separator, field);

    private static string? Required(JsonNode? node, string? path) =>
        node is JsonObject ? null : path is null ? Found : $"{path} must be a mapping, not {Describe(node)}";

    // Null is the field's zero value to the API server; any other kind than the expected one is refused.
    private static string? Optional(JsonNode? node, string? path, JsonValueKind expected)
    {
        if (node is null)
        {
            return null;
        }

        var actual = node.GetValueKind();
        bool fits = expected switch
        {
            JsonValueKind.True => actual is JsonValueKind.True or JsonValueKind.False,
            JsonValueKind.Number => actual == JsonValueKind.Number && IsInteger(node),
            _ => actual == expected,
        };
        return fits ? null : path is null ? Found : $"{path} must be {Expected(expected)}, not {Describe(node)}";
    }

    // A JSON number the API server reads into an integer (int64) field: integral, as written or as kubectl prints a
    // float, and inside int64. kubectl prints a value past int64 (runAsUser: 18446744073709551616, or -2^63 - 1, which
    // is a float to it) as 18446744073709552000 or -9223372036854776000, and the API server refuses the request.
    private static bool IsInteger(JsonNode node) =>
        (node is JsonValue value && value.TryGetValue(out long _)) // what the readers make of integers: no need to write it out
        || (double.TryParse(node.ToJsonString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double number)
            && number == Math.Floor(number) && number > Int64Bound && number < -Int64Bound);

    // -2^63 as a double. A double at either bound is past int64 to the API server: kubectl prints it as ±9223372036854776000.
    private const double Int64Bound = -9223372036854775808.0;

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
