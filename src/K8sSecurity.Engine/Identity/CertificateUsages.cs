namespace K8sSecurity.Engine.Identity;

/// <summary>Extended key usage OIDs the Kubernetes PKI uses.</summary>
public static class CertificateUsages
{
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";
}
