using System.Security.Cryptography;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using Xunit;
using static K8sSecurity.Engine.Tests.Identity.Tools;

namespace K8sSecurity.Engine.Tests.Identity;

public sealed class KeyMaterialTests : IDisposable
{
    private readonly string directory = TempDirectory();

    [Theory]
    [InlineData(KeyAlgorithm.Rsa2048, "RSA 2048")]
    [InlineData(KeyAlgorithm.Rsa3072, "RSA 3072")]
    [InlineData(KeyAlgorithm.EcdsaP256, "ECDSA P-256")]
    [InlineData(KeyAlgorithm.EcdsaP384, "ECDSA P-384")]
    public void GeneratedKeysRoundTripThroughPkcs8PemAndOpensslReadsThem(KeyAlgorithm algorithm, string description)
    {
        using var key = KeyMaterial.Generate(algorithm);
        string pem = KeyMaterial.ExportPkcs8Pem(key);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----\n", pem);
        string path = Path.Combine(directory, "k.pem");
        File.WriteAllText(path, pem);
        OpenSsl("pkey", "-in", path, "-check", "-noout");

        using var loaded = KeyMaterial.LoadPrivateKey(path, "KeyPath");
        Assert.Equal(description, KeyMaterial.Describe(loaded));
        Assert.Equal(algorithm, KeyMaterial.AlgorithmOf(loaded));
        Assert.Equal(key.ExportSubjectPublicKeyInfo(), loaded.ExportSubjectPublicKeyInfo());
    }

    [Fact]
    public void LoadsOpensslTraditionalRsaAndSec1EcKeys()
    {
        string rsa = Path.Combine(directory, "rsa.key");
        string ec = Path.Combine(directory, "ec.key");
        OpenSsl("genrsa", "-traditional", "-out", rsa, "2048");
        OpenSsl("ecparam", "-genkey", "-name", "prime256v1", "-noout", "-out", ec);
        Assert.Contains("BEGIN RSA PRIVATE KEY", File.ReadAllText(rsa));
        Assert.Contains("BEGIN EC PRIVATE KEY", File.ReadAllText(ec));
        using var rsaKey = KeyMaterial.LoadPrivateKey(rsa, "KeyPath");
        using var ecKey = KeyMaterial.LoadPrivateKey(ec, "KeyPath");
        Assert.IsAssignableFrom<RSA>(rsaKey);
        Assert.IsAssignableFrom<ECDsa>(ecKey);
    }

    [Fact]
    public void EncryptedOrBrokenKeysFailWithoutShowingTheirContent()
    {
        string encrypted = Path.Combine(directory, "enc.key");
        OpenSsl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret", "-out", encrypted);
        var ex = Assert.Throws<K8sOperationException>(() => KeyMaterial.LoadPrivateKey(encrypted, "CAKeyPath"));
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("encrypted", ex.Message);
        Assert.Contains("-CAKeyPath", ex.Message);

        string broken = Path.Combine(directory, "broken.key");
        const string body = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgCANARYCANARYCANARY";
        File.WriteAllText(broken, $"-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
        var brokenEx = Assert.Throws<K8sOperationException>(() => KeyMaterial.LoadPrivateKey(broken, "KeyPath"));
        Assert.DoesNotContain("CANARY", brokenEx.Message + brokenEx.InnerException?.Message);
        foreach (string text in File.ReadAllLines(encrypted).Where(l => l.Length >= 16))
        {
            Assert.DoesNotContain(text, ex.Message);
        }
    }

    public void Dispose() => Directory.Delete(directory, recursive: true);
}
