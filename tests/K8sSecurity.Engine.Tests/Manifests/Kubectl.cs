using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;

namespace K8sSecurity.Engine.Tests.Manifests;

/// <summary>What kubectl made of one file: the objects it decoded (in order) and whether it refused something.</summary>
public sealed record KubectlDecoding(string File, IReadOnlyList<JsonObject> Objects, IReadOnlyList<string> Errors);

/// <summary>
/// kubectl as the oracle for manifest decoding: `kubectl annotate --local -f FILE -o json KEY=1` needs no server and
/// prints kubectl's own decoding of every object (plus the annotation, which <see cref="Normalize"/> removes).
/// Files are decoded a few hundred per process: between two corpus files a sentinel object marks where one file's
/// objects end, and kubectl names the file in each error it prints.
/// </summary>
public static class Kubectl
{
    /// <summary>The annotation kubectl is asked to add (a key no corpus file uses).</summary>
    public const string OracleAnnotation = "k8ssecurity.test/oracle";

    private const string SentinelKind = "K8sSecurityOracleSentinel";

    private static readonly Lazy<string?> Executable = new(Find);

    /// <summary>The kubectl on PATH, or null.</summary>
    public static string? Path => Executable.Value;

    /// <summary>Why kubectl-based tests cannot run here, or null when they can.</summary>
    public static string? UnavailableReason => Path is null ? "kubectl is not on PATH: the kubectl differential tests need it as their oracle" : null;

    /// <summary>Under CI=true a missing kubectl fails the tests instead of skipping them.</summary>
    public static bool RequiredByCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Decodes the files with kubectl, <paramref name="batchSize"/> files per kubectl process.</summary>
    public static IReadOnlyList<KubectlDecoding> Decode(IReadOnlyList<string> files, int batchSize = 300)
    {
        string kubectl = Path ?? throw new InvalidOperationException(UnavailableReason);
        string sentinelDirectory = Directory.CreateTempSubdirectory("k8ssec-oracle-sentinels").FullName;
        try
        {
            var sentinels = Enumerable.Range(0, Math.Min(batchSize, files.Count)).Select(i =>
            {
                string path = System.IO.Path.Combine(sentinelDirectory, $"s{i}.json");
                File.WriteAllText(path, "{\"apiVersion\":\"v1\",\"kind\":\"" + SentinelKind + "\",\"metadata\":{\"name\":\"s" + i + "\"}}");
                return path;
            }).ToArray();

            var decodings = new List<KubectlDecoding>(files.Count);
            for (int start = 0; start < files.Count; start += batchSize)
            {
                var batch = files.Skip(start).Take(batchSize).ToList();
                var decoded = DecodeBatch(kubectl, batch, sentinels);
                if (decoded is null)
                {
                    // An error that names no file (a refused list item): ask about each file on its own.
                    decoded = batch.Select(file => DecodeBatch(kubectl, new List<string> { file }, sentinels)
                        ?? throw new InvalidOperationException($"kubectl printed an error naming no file for {file}")).SelectMany(d => d).ToList();
                }

                decodings.AddRange(decoded);
            }

            return decodings;
        }
        finally
        {
            Directory.Delete(sentinelDirectory, recursive: true);
        }
    }

    /// <summary>
    /// The tree kubectl printed, without the oracle annotation (and without the annotations map when kubectl had to
    /// create it for that annotation), so it compares with the module's decoding of the same object.
    /// </summary>
    public static JsonObject Normalize(JsonObject printed, JsonObject moduleObject)
    {
        var copy = (JsonObject)printed.DeepClone();
        if (copy["metadata"] is JsonObject metadata && metadata["annotations"] is JsonObject annotations)
        {
            annotations.Remove(OracleAnnotation);
            var original = moduleObject["metadata"] as JsonObject;
            if (annotations.Count == 0 && (original is null || !original.ContainsKey("annotations") || original["annotations"] is null))
            {
                if (original is not null && original.ContainsKey("annotations"))
                {
                    metadata["annotations"] = null; // it was there, as null
                }
                else
                {
                    metadata.Remove("annotations");
                }
            }

            if (metadata.Count == 0 && (moduleObject["metadata"] is null))
            {
                if (moduleObject.ContainsKey("metadata"))
                {
                    copy["metadata"] = null;
                }
                else
                {
                    copy.Remove("metadata");
                }
            }
        }

        return copy;
    }

    /// <summary>
    /// Deep equality as kubectl's JSON sees it: object keys in any order; integers and floats are different types
    /// (kubectl prints an integral value as an integer literal, which its decoder reads as int64).
    /// </summary>
    public static bool JsonEquals(JsonNode? a, JsonNode? b)
    {
        switch (a, b)
        {
            case (null, null):
                return true;
            case (JsonObject x, JsonObject y):
                return x.Count == y.Count && x.All(p => y.TryGetPropertyValue(p.Key, out var other) && JsonEquals(p.Value, other));
            case (JsonArray x, JsonArray y):
                return x.Count == y.Count && x.Zip(y).All(p => JsonEquals(p.First, p.Second));
            case (JsonValue x, JsonValue y):
                if (x.TryGetValue(out long lx) || y.TryGetValue(out long _))
                {
                    return x.TryGetValue(out lx) && y.TryGetValue(out long ly) && lx == ly;
                }

                if (x.TryGetValue(out double dx) || y.TryGetValue(out double _))
                {
                    return x.TryGetValue(out dx) && y.TryGetValue(out double dy) && dx.Equals(dy);
                }

                if (x.TryGetValue(out bool bx) || y.TryGetValue(out bool _))
                {
                    return x.TryGetValue(out bx) && y.TryGetValue(out bool by) && bx == by;
                }

                return x.TryGetValue(out string? sx) && y.TryGetValue(out string? sy) && sx == sy;
            default:
                return false;
        }
    }

    // Null when kubectl printed an error that names no file of the batch.
    private static List<KubectlDecoding>? DecodeBatch(string kubectl, IReadOnlyList<string> batch, string[] sentinels)
    {
        var start = new ProcessStartInfo(kubectl)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add("annotate");
        start.ArgumentList.Add("--local");
        start.ArgumentList.Add("-o");
        start.ArgumentList.Add("json");
        for (int i = 0; i < batch.Count; i++)
        {
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(batch[i]);
            start.ArgumentList.Add("-f");
            start.ArgumentList.Add(sentinels[i]);
        }

        start.ArgumentList.Add(OracleAnnotation + "=1");
        start.Environment["KUBECONFIG"] = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(sentinels[0])!, "no-kubeconfig"); // never a cluster
        using var process = Process.Start(start)!;
        var stderrTask = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = stderrTask.Result;
        process.WaitForExit();

        var perFile = batch.Select(_ => new List<JsonObject>()).ToList();
        int index = 0;
        foreach (var printed in ParseStream(stdout))
        {
            if (printed["kind"]?.GetValue<string>() == SentinelKind)
            {
                Assert.Equal($"s{index}", printed["metadata"]!["name"]!.GetValue<string>());
                index++;
                continue;
            }

            perFile[index].Add(printed);
        }

        Assert.True(index == batch.Count, $"kubectl printed {index} of {batch.Count} sentinels; stderr:\n{stderr}");
        var errors = batch.Select(_ => new List<string>()).ToList();
        var byPath = batch.Select((file, i) => (file, i)).ToDictionary(p => p.file, p => p.i, StringComparer.Ordinal);
        foreach (string raw in stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string line = raw.StartsWith("error: ", StringComparison.Ordinal) ? raw["error: ".Length..] : raw;
            int? owner = null;
            foreach (var (file, i) in byPath)
            {
                if (line.Contains($"\"{file}\"", StringComparison.Ordinal) || line.Contains($"parsing {file}:", StringComparison.Ordinal))
                {
                    owner = i;
                    break;
                }
            }

            if (owner is null)
            {
                if (batch.Count == 1)
                {
                    owner = 0;
                }
                else
                {
                    return null;
                }
            }

            errors[owner.Value].Add(line);
        }

        return batch.Select((file, i) => new KubectlDecoding(file, perFile[i], errors[i])).ToList();
    }

    private static IEnumerable<JsonObject> ParseStream(string stdout)
    {
        var bytes = Encoding.UTF8.GetBytes(stdout);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        var objects = new List<JsonObject>();
        while (reader.Read())
        {
            objects.Add((JsonObject)Build(ref reader)!);
        }

        return objects;
    }

    // Numbers as kubectl's unstructured decoder reads them: int64 when the literal is an integer that fits, else float64.
    private static JsonNode? Build(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var obj = new JsonObject();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string name = reader.GetString()!;
                    reader.Read();
                    obj[name] = Build(ref reader);
                }

                return obj;
            case JsonTokenType.StartArray:
                var array = new JsonArray();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    array.Add(Build(ref reader));
                }

                return array;
            case JsonTokenType.String:
                return JsonValue.Create(reader.GetString());
            case JsonTokenType.Number:
                return reader.TryGetInt64(out long integer) ? JsonValue.Create(integer) : JsonValue.Create(reader.GetDouble());
            case JsonTokenType.True:
                return JsonValue.Create(true);
            case JsonTokenType.False:
                return JsonValue.Create(false);
            default:
                return null;
        }
    }

    private static string? Find()
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string name in OperatingSystem.IsWindows() ? new[] { "kubectl.exe" } : new[] { "kubectl" })
            {
                string candidate = System.IO.Path.Combine(directory, name);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}

/// <summary>
/// A fact that needs kubectl: skipped with the reason when kubectl is missing, except under CI=true, where it runs and
/// fails (CI must have its oracle).
/// </summary>
public sealed class KubectlFactAttribute : FactAttribute
{
    public KubectlFactAttribute()
    {
        if (Kubectl.UnavailableReason is { } reason && !Kubectl.RequiredByCi)
        {
            Skip = reason + " (set CI=true to make this a failure)";
        }
    }
}

/// <summary>A theory that needs kubectl, skipped or failed like <see cref="KubectlFactAttribute"/>.</summary>
public sealed class KubectlTheoryAttribute : TheoryAttribute
{
    public KubectlTheoryAttribute()
    {
        if (Kubectl.UnavailableReason is { } reason && !Kubectl.RequiredByCi)
        {
            Skip = reason + " (set CI=true to make this a failure)";
        }
    }
}

/// <summary>
/// For unit tests with hand-written expectations: asserts that kubectl decodes the same text to the same objects
/// and refuses the same (when kubectl is there; under CI=true it must be).
/// </summary>
public static class KubectlAgreement
{
    public static void Check(string text, string extension = ".yaml")
    {
        if (Kubectl.Path is null && !Kubectl.RequiredByCi)
        {
            return;
        }

        string directory = Directory.CreateTempSubdirectory("k8ssec-kubectl-check").FullName;
        try
        {
            string file = System.IO.Path.Combine(directory, "input" + extension);
            File.WriteAllText(file, text);
            var decoding = Assert.Single(Kubectl.Decode(new[] { file }));
            foreach (bool fastPath in new[] { true, false })
            {
                var (objects, issues) = KubectlDifferentialTests.Read(file, fastPath);
                var disagreements = KubectlDifferentialTests.Compare(decoding, objects, issues, fastPath ? "fast path" : "full path").ToList();
                Assert.True(disagreements.Count == 0, string.Join("\n\n", disagreements));
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
