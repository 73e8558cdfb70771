using K8sSecurity.TestServer.Admission;

namespace K8sSecurity.TestServer;

/// <summary>The parts of one running test server that handlers and admission plugins share.</summary>
public sealed class ServerContext
{
    internal ServerContext(KubeApiTestServerOptions options, CertificateAuthority ca, ApiStore store, Authentication authentication, RbacAuthorizer authorizer)
    {
        Options = options;
        Ca = ca;
        Store = store;
        Authentication = authentication;
        Authorizer = authorizer;
    }

    public KubeApiTestServerOptions Options { get; }
    public CertificateAuthority Ca { get; }
    public ApiStore Store { get; }
    public Authentication Authentication { get; }
    public RbacAuthorizer Authorizer { get; }

    /// <summary>
    /// Called for every resource request (not watches) after authorization, before it is handled and before the store
    /// lock is taken: tests use it to interleave a change at an exact point (another writer's update, a deletion, a
    /// compaction) or to hold requests until several clients have read the same state. Runs on the request's thread.
    /// </summary>
    public Action<Handlers.RequestContext>? BeforeRequest { get; set; }

    /// <summary>Admission plugins in order; tests may insert their own (e.g. a PodSecurity plugin).</summary>
    public List<IAdmissionPlugin> AdmissionPlugins { get; } = AdmissionChain.Default();

    internal Uri? BaseAddress { get; set; }
}
