using System.Globalization;
using System.Text.Json;
using K8sSecurity.TestServer;
using K8sSecurity.TestServer.Fixtures;

// Usage: K8sSecurity.TestServer.Host --kubeconfig <path> [--seed empty|flawed] [--clean N] [--flawed N]
//
// Starts the API test server on 127.0.0.1, seeds it, writes an admin kubeconfig to <path> and, beside it,
// <path>.planted.json (the findings the flawed cluster must produce). Then prints "ready <path>" and serves until
// standard input closes, so the server never outlives the test process that started it.
string? kubeconfig = null;
string seed = "flawed";
int clean = 4;
int flawedCount = 4;
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--kubeconfig": kubeconfig = value; break;
        case "--seed": seed = value; break;
        case "--clean": clean = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--flawed": flawedCount = int.Parse(value, CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"unknown argument {args[i]}");
    }

    i++;
}

if (kubeconfig is null)
{
    Console.Error.WriteLine("Usage: K8sSecurity.TestServer.Host --kubeconfig <path> [--seed empty|flawed] [--clean N] [--flawed N]");
    return 2;
}

await using var server = await KubeApiTestServer.StartAsync();
IReadOnlyList<PlantedIssue> planted = [];
switch (seed)
{
    case "empty":
        break;
    case "flawed":
        planted = FlawedClusterFixture.Seed(server.Store, new FlawedClusterOptions { CleanNamespaces = clean, FlawedNamespaces = flawedCount }).Planted;
        break;
    default:
        Console.Error.WriteLine($"unknown seed '{seed}' (empty, flawed)");
        return 2;
}

server.WriteKubeconfig(kubeconfig);
File.WriteAllText(kubeconfig + ".planted.json", JsonSerializer.Serialize(planted));
Console.WriteLine($"ready {kubeconfig}");
Console.Out.Flush();

// Serve until the parent closes our standard input (or dies, which closes it too).
await Console.In.ReadToEndAsync();
return 0;
