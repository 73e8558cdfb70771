namespace K8sSecurity.TestServer.Admission;

/// <summary>
/// The ServiceAccount admission plugin's lookup: a pod is only created when its service account exists (403 before
/// any validation, golden 84). The token volume it mounts is added by <see cref="ObjectDefaults"/>.
/// </summary>
public sealed class ServiceAccountAdmission : IAdmissionPlugin
{
    public string Name => "ServiceAccount";

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation != AdmissionOperation.Create || r.Type.Kind != "Pod" || r.Subresource.Length > 0)
        {
            return;
        }

        var account = r.Object.Str("spec", "serviceAccountName");
        if (string.IsNullOrEmpty(account))
        {
            account = "default";
        }

        if (r.Store.GetRaw(ResourceCatalog.ServiceAccounts, r.Namespace, account) is null)
        {
            throw StatusResponses.AdmissionForbidden(r.Type, r.Name,
                $"error looking up service account {r.Namespace}/{account}: serviceaccount \"{account}\" not found");
        }
    }
}
