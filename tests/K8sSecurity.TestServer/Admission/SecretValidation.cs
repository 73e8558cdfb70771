using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// Secret decoding and validation (pkg/apis/core/validation ValidateSecret): data values must be base64 (400),
/// stringData is merged into data, required keys per type (dockerconfigjson golden 50, dockercfg, tls,
/// service-account-token annotation), JSON of docker configs, immutable type.
/// </summary>
public sealed class SecretValidation : IAdmissionPlugin
{
    public string Name => "SecretValidation";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete || r.Type.Kind != "Secret" || r.Type.Group.Length > 0)
        {
            return;
        }

        var o = r.Object;
        var data = o["data"] as JsonObject;
        if (data is not null)
        {
            foreach (var (k, v) in data)
            {
                try
                {
                    Convert.FromBase64String(v.Str() ?? "");
                }
                catch (FormatException)
                {
                    throw StatusResponses.BadRequest($"Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0 (key {k})");
                }
            }
        }

        if (o["stringData"] is JsonObject sd)
        {
            data ??= [];
            o["data"] = data;
            foreach (var (k, v) in sd)
            {
                data[k] = Convert.ToBase64String(Encoding.UTF8.GetBytes(v.Str() ?? ""));
            }

            o.Remove("stringData");
        }

        var type = o.Str("type") ?? "Opaque";
        var errors = new List<FieldError>();
        string? Decoded(string key) => data?[key] is { } n ? Encoding.UTF8.GetString(Convert.FromBase64String(n.Str() ?? "")) : null;

        switch (type)
        {
            case "kubernetes.io/dockerconfigjson":
                CheckJson(".dockerconfigjson");
                break;
            case "kubernetes.io/dockercfg":
                CheckJson(".dockercfg");
                break;
            case "kubernetes.io/tls":
                foreach (var key in new[] { "tls.crt", "tls.key" })
                {
                    if (data?[key] is null)
                    {
                        errors.Add(FieldError.Required($"data[{key}]"));
                    }
                }

                break;
            case "kubernetes.io/service-account-token":
                if (string.IsNullOrEmpty(o.Str("metadata", "annotations", "kubernetes.io/service-account.name")))
                {
                    errors.Add(FieldError.Required("metadata.annotations[kubernetes.io/service-account.name]"));
                }

                break;
            case "kubernetes.io/basic-auth":
                if (data?["username"] is null && data?["password"] is null)
                {
                    errors.Add(FieldError.Required("data[username]"));
                }

                break;
            case "kubernetes.io/ssh-auth":
                if (data?["ssh-privatekey"] is null)
                {
                    errors.Add(FieldError.Required("data[ssh-privatekey]"));
                }

                break;
        }

        if (r.Operation == AdmissionOperation.Update && r.OldObject is not null && (r.OldObject.Str("type") ?? "Opaque") != type)
        {
            errors.Add(FieldError.InvalidValue("type", $"\"{type}\"", "field is immutable"));
        }

        if (errors.Count > 0)
        {
            throw StatusResponses.Invalid("Secret", "", r.Name, errors);
        }

        void CheckJson(string key)
        {
            var text = Decoded(key);
            if (text is null)
            {
                errors.Add(FieldError.Required($"data[{key}]"));
                return;
            }

            try
            {
                JsonDocument.Parse(text).Dispose();
            }
            catch (JsonException ex)
            {
                errors.Add(FieldError.InvalidValue($"data[{key}]", "\"<secret contents redacted>\"", ex.Message));
            }
        }
    }
}
