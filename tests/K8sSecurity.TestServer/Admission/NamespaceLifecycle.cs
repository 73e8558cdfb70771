namespace K8sSecurity.TestServer.Admission;

/// <summary>NamespaceLifecycle: namespaced objects can only be created in an existing namespace (404 NotFound namespace).</summary>
public sealed class NamespaceLifecycle : IAdmissionPlugin
{
    public string Name => "NamespaceLifecycle";

    public void Admit(AdmissionRequest r)
    {
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
