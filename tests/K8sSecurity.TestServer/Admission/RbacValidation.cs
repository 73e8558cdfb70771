using System.Text.Json.Nodes;

namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// Validation of RBAC objects (pkg/apis/rbac/validation): roleRef kind/apiGroup/name (golden 29), subjects, rule verbs,
/// immutable roleRef. Subject apiGroup is defaulted first (User/Group → rbac.authorization.k8s.io) like SetDefaults_Subject.
/// Escalation prevention is the separate <see cref="RbacEscalation"/> plugin.
/// </summary>
public sealed class RbacValidation : IAdmissionPlugin
{
    private const string Rbac = "rbac.authorization.k8s.io";

    public string Name => "RbacValidation";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete || r.Type.Group != Rbac)
        {
            return;
        }

        var errors = new List<FieldError>();
        var o = r.Object;
        if (r.Type.Kind is "RoleBinding" or "ClusterRoleBinding")
        {
            var isCluster = r.Type.Kind == "ClusterRoleBinding";
            var kind = o.Str("roleRef", "kind") ?? "";
            string[] kinds = isCluster ? ["ClusterRole"] : ["Role", "ClusterRole"];
            if (!kinds.Contains(kind))
            {
                errors.Add(FieldError.NotSupported("roleRef.kind", $"\"{kind}\"", kinds));
            }

            var group = o.Str("roleRef", "apiGroup") ?? "";
            if (group != Rbac)
            {
                errors.Add(FieldError.NotSupported("roleRef.apiGroup", $"\"{group}\"", Rbac));
            }

            if (string.IsNullOrEmpty(o.Str("roleRef", "name")))
            {
                errors.Add(FieldError.Required("roleRef.name"));
            }

            var i = 0;
            foreach (var s in o.Objects("subjects"))
            {
                var path = $"subjects[{i++}]";
                var sk = s.Str("kind") ?? "";
                if (sk is "User" or "Group")
                {
                    s["apiGroup"] ??= Rbac;
                }
                else if (sk == "ServiceAccount")
                {
                    s["apiGroup"] ??= "";
                }

                if (string.IsNullOrEmpty(s.Str("name")))
                {
                    errors.Add(FieldError.Required(path + ".name"));
                }

                switch (sk)
                {
                    case "ServiceAccount":
                        if (s.Str("apiGroup") is { Length: > 0 } g)
                        {
                            errors.Add(FieldError.NotSupported(path + ".apiGroup", $"\"{g}\"", ""));
                        }

                        if (isCluster && string.IsNullOrEmpty(s.Str("namespace")))
                        {
                            errors.Add(FieldError.Required(path + ".namespace"));
                        }

                        break;
                    case "User" or "Group":
                        if (s.Str("apiGroup") != Rbac)
                        {
                            errors.Add(FieldError.NotSupported(path + ".apiGroup", $"\"{s.Str("apiGroup")}\"", Rbac));
                        }

                        break;
                    default:
                        errors.Add(FieldError.NotSupported(path + ".kind", $"\"{sk}\"", "ServiceAccount", "User", "Group"));
                        break;
                }
            }

            if (r.Operation == AdmissionOperation.Update && r.OldObject is not null && !JsonNode.DeepEquals(r.OldObject["roleRef"], o["roleRef"]))
            {
                errors.Add(FieldError.InvalidValue("roleRef", GoSyntax.RoleRef(o["roleRef"]), "cannot change roleRef"));
            }
        }
        else
        {
            var i = 0;
            foreach (var rule in o.Objects("rules"))
            {
                var path = $"rules[{i++}]";
                if (!rule.Strings("verbs").Any())
                {
                    errors.Add(FieldError.Required(path + ".verbs", "verbs must contain at least one value"));
                }

                var hasNonResource = rule.Strings("nonResourceURLs").Any();
                if (hasNonResource && r.Type.Kind == "Role")
                {
                    errors.Add(FieldError.InvalidValue(path + ".nonResourceURLs", "[]string{...}", "namespaced rules cannot apply to non-resource URLs"));
                }

                if (!hasNonResource && !rule.Strings("apiGroups").Any() && rule["apiGroups"] is not JsonArray)
                {
                    errors.Add(FieldError.Required(path + ".apiGroups", "resource rules must supply at least one api group"));
                }

                if (!hasNonResource && !rule.Strings("resources").Any())
                {
                    errors.Add(FieldError.Required(path + ".resources", "resource rules must supply at least one resource"));
                }
            }
        }

        if (errors.Count > 0)
        {
            throw StatusResponses.Invalid(r.Type.Kind, r.Type.Group, r.Name, errors);
        }
    }
}
