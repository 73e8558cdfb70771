namespace K8sSecurity.Engine.Identity;

/// <summary>What a leaf certificate is for; decides its extended key usages.</summary>
public enum CertificateProfile
{
    /// <summary>clientAuth: users, controllers, the API server's client certificates.</summary>
    Client,

    /// <summary>serverAuth with SANs: the API server, etcd server.</summary>
    Server,

    /// <summary>serverAuth + clientAuth: etcd peers.</summary>
    Peer,

    /// <summary>A node's identity (CN system:node:NODE, O system:nodes), serverAuth + clientAuth with the node's SANs.</summary>
    Kubelet,
}

/// <summary>The certificates kubeadm creates, with the names it gives them.</summary>
public enum KubeadmComponent
{
    None,
    ApiServer,
    ApiServerKubeletClient,
    ApiServerEtcdClient,
    FrontProxyClient,
    EtcdServer,
    EtcdPeer,
    EtcdHealthcheckClient,
    Admin,
    ControllerManager,
    Scheduler,
    KubeProxy,
    Kubelet,
}
