using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using K8sSecurity.Engine.Identity;

namespace K8sSecurity.Benchmarks;

/// <summary>
/// Key generation per algorithm: the module (System.Security.Cryptography, in process, PKCS#8 PEM export included)
/// next to `openssl genpkey` for the same algorithm, timed as the process run an admin would otherwise do.
/// Run: dotnet run -c Release --project tests/K8sSecurity.Benchmarks -- --filter '*IdentityBenchmarks*' --job short
/// </summary>
[MemoryDiagnoser]
public class IdentityBenchmarks
{
    [Params(KeyAlgorithm.Rsa2048, KeyAlgorithm.Rsa3072, KeyAlgorithm.Rsa4096, KeyAlgorithm.EcdsaP256, KeyAlgorithm.EcdsaP384)]
    public KeyAlgorithm Algorithm { get; set; }

    [Benchmark(Baseline = true, Description = "Module: KeyMaterial.Generate + PKCS#8 PEM")]
    public int ModuleGenerateKey()
    {
        using var key = KeyMaterial.Generate(Algorithm);
        return KeyMaterial.ExportPkcs8Pem(key).Length;
    }

    [Benchmark(Description = "openssl genpkey (process)")]
    public int OpenSslGenpkey()
    {
        var psi = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in OpenSslArguments(Algorithm))
        {
            psi.ArgumentList.Add(arg);
        }

        using var process = Process.Start(psi)!;
        string pem = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !pem.Contains("PRIVATE KEY", StringComparison.Ordinal))
        {
            throw new InvalidOperationException("openssl genpkey failed: " + process.StandardError.ReadToEnd());
        }

        return pem.Length;
    }

    private static string[] OpenSslArguments(KeyAlgorithm algorithm) => algorithm switch
    {
        KeyAlgorithm.Rsa2048 => new[] { "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048" },
        KeyAlgorithm.Rsa3072 => new[] { "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072" },
        KeyAlgorithm.Rsa4096 => new[] { "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096" },
        KeyAlgorithm.EcdsaP256 => new[] { "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256" },
        _ => new[] { "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384" },
    };
}
