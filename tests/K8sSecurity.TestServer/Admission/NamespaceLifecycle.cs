namespace K8sSecurity.TestServer.Admission;

/// <summary>NamespaceLifecycle: namespaced objects can only be created in an existing namespace (404 NotFound namespace); default, kube-system and kube-public cannot be deleted.</summary>
public sealed class NamespaceLifecycle : IAdmissionPlugin
{
    public string Name => "NamespaceLifecycle";

    private static readonly string[] Immortal = ["default", "kube-system", "kube-public"];

    public void Admit(AdmissionRequest r)
    {
        if (r.Operation == AdmissionOperation.Delete && r.Type.Kind == "Namespace" && Immortal.Contains(r.Name))
        {
            throw StatusResponses.AdmissionForbidden(r.Type, r.Name, "this namespace may not be deleted");
        }

        if (r.Operation != AdmissionOperation.Create || !r.Type.Namespaced)
        {
            return;
        }

        if (r.Store.GetRaw(ResourceCatalog.Namespaces, null, r.Namespace) is null)
        {
            throw StatusResponses.NamespaceNotFound(r.Namespace);
        }
    }
}
