using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// LimitRange defaulting (SetDefaults_LimitRangeItem: Container default ← max, defaultRequest ← default, then ← min)
/// and ValidateLimitRange's ordering checks (golden 54: min ≤ defaultRequest ≤ default ≤ max, with Go's %v of
/// the offending quantity in the message). Also ResourceQuota hard values must be ≥ 0.
/// </summary>
public sealed class LimitRangeValidation : IAdmissionPlugin
{
    private static readonly string[] Types = ["Pod", "Container", "PersistentVolumeClaim"];

    public string Name => "LimitRangeValidation";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete || r.Type.Group.Length > 0)
        {
            return;
        }

        if (r.Type.Kind == "ResourceQuota")
        {
            var qerrors = new List<FieldError>();
            foreach (var (k, v) in r.Object.StringMap("spec", "hard"))
            {
                if (Quantity.Parse(v).Value < 0)
                {
                    qerrors.Add(FieldError.InvalidValue($"spec.hard[{k}]", $"\"{v}\"", "must be greater than or equal to 0"));
                }
            }

            if (qerrors.Count > 0)
            {
                throw StatusResponses.Invalid("ResourceQuota", "", r.Name, qerrors);
            }

            return;
        }

        if (r.Type.Kind != "LimitRange")
        {
            return;
        }

        var errors = new List<FieldError>();
        var idx = 0;
        foreach (var item in r.Object.Objects("spec", "limits"))
        {
            var path = $"spec.limits[{idx++}]";
            var type = item.Str("type") ?? "";
            if (!Types.Contains(type))
            {
                errors.Add(FieldError.NotSupported(path + ".type", $"\"{type}\"", Types));
            }

            if (type == "Container")
            {
                var def = item.Obj("default");
                var defReq = item.Obj("defaultRequest");
                foreach (var (k, v) in item.StringMap("max"))
                {
                    def[k] ??= v;
                }

                foreach (var (k, v) in item.StringMap("default"))
                {
                    defReq[k] ??= v;
                }

                foreach (var (k, v) in item.StringMap("min"))
                {
                    defReq[k] ??= v;
                }

                if (def.Count == 0)
                {
                    item.Remove("default");
                }

                if (defReq.Count == 0)
                {
                    item.Remove("defaultRequest");
                }
            }

            var max = Q(item, "max");
            var min = Q(item, "min");
            var dflt = Q(item, "default");
            var dreq = Q(item, "defaultRequest");
            var keys = max.Keys.Concat(min.Keys).Concat(dflt.Keys).Concat(dreq.Keys).Distinct().Order(StringComparer.Ordinal);
            foreach (var k in keys)
            {
                var hasMax = max.TryGetValue(k, out var mx);
                var hasMin = min.TryGetValue(k, out var mn);
                var hasDef = dflt.TryGetValue(k, out var df);
                var hasReq = dreq.TryGetValue(k, out var rq);
                if (hasMin && hasMax && mn > mx)
                {
                    errors.Add(FieldError.InvalidValue($"{path}.min[{k}]", mn.GoRepr(), $"min value {mn} is greater than max value {mx}"));
                }

                if (hasReq && hasMin && mn > rq)
                {
                    errors.Add(FieldError.InvalidValue($"{path}.defaultRequest[{k}]", rq.GoRepr(), $"min value {mn} is greater than default request value {rq}"));
                }

                if (hasReq && hasMax && rq > mx)
                {
                    errors.Add(FieldError.InvalidValue($"{path}.defaultRequest[{k}]", rq.GoRepr(), $"default request value {rq} is greater than max value {mx}"));
                }

                if (hasReq && hasDef && rq > df)
                {
                    errors.Add(FieldError.InvalidValue($"{path}.defaultRequest[{k}]", rq.GoRepr(), $"default request value {rq} is greater than default limit value {df}"));
                }

                if (hasDef && hasMin && mn > df)
                {
                    errors.Add(FieldError.InvalidValue($"{path}.default[{k}]", mn.GoRepr(), $"min value {mn} is greater than default value {df}"));
                }

                if (hasDef && hasMax && df > mx)
                {
                    errors.Add(FieldError.InvalidValue($"{path}.default[{k}]", df.GoRepr(), $"default value {df} is greater than max value {mx}"));
                }
            }
        }

        if (errors.Count > 0)
        {
            throw StatusResponses.Invalid("LimitRange", "", r.Name, errors);
        }
    }

    private static Dictionary<string, Quantity> Q(JsonObject item, string key) =>
        item.StringMap(key).ToDictionary(kv => kv.Key, kv => Quantity.Parse(kv.Value), StringComparer.Ordinal);
}
