namespace K8sSecurity.Engine.Connection;

/// <summary>How a kubeconfig user (or the in-cluster identity) authenticates.</summary>
public enum K8sAuthKind
{
    None,
    ClientCertificate,
    Token,
    TokenFile,
    Exec,
    AuthProvider,
    Basic,
    InCluster,
}
