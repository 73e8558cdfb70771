namespace K8sSecurity.Engine.Identity;

/// <summary>Private key types the module generates: the RSA sizes and NIST curves Kubernetes signers accept.</summary>
public enum KeyAlgorithm
{
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcdsaP256,
    EcdsaP384,
}
