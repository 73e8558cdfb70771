using System.Diagnostics;
using System.Text.Json;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Tests.Scanning;
using K8sSecurity.Engine.Validation;
using Xunit;

namespace K8sSecurity.Engine.Tests.Validation;

/// <summary>
/// Names, labels and quantities are judged by Kubernetes: the real API server's 422 messages (golden captures),
/// kubectl's own client-side checks (label values, quantity parsing) and apimachinery's rules (ValidateRBACName).
/// </summary>
public sealed class KubernetesNamesTests
{
    [Theory]
    [InlineData("06-namespace-create-invalid.json", "Namespace")]
    [InlineData("strict/83-invalid-name-uppercase.json", "ObjectName")]
    [InlineData("strict/81-invalid-label-key.json", "LabelKey")]
    [InlineData("strict/82-invalid-label-value.json", "LabelValue")]
    public void RefusalsCarryTheApiServersOwnMessage(string golden, string rule)
    {
        // The real v1.32 server's cause: 'Invalid value: "<value>": <message>'.
        using var document = JsonDocument.Parse(File.ReadAllText(Golden(golden)));
        var request = document.RootElement.GetProperty("request").GetProperty("body").GetProperty("metadata");
        string cause = document.RootElement.GetProperty("response").GetProperty("body").GetProperty("details").GetProperty("causes")[0].GetProperty("message").GetString()!;
        string message = cause[(cause.IndexOf("\": ", StringComparison.Ordinal) + 3)..];
        string name = request.GetProperty("name").GetString()!;
        var labels = request.TryGetProperty("labels", out var l) ? l.EnumerateObject().First() : default;

        var ex = Assert.Throws<K8sOperationException>(() =>
        {
            switch (rule)
            {
                case "Namespace": KubernetesNames.ValidateNamespace("Namespace", name); break;
                case "ObjectName": KubernetesNames.ValidateObjectName("Name", name); break;
                case "LabelKey": KubernetesNames.ValidateLabelKey("Label", labels.Name); break;
                default: KubernetesNames.ValidateLabelValue("Label", labels.Name, labels.Value.GetString()); break;
            }
        });
        Assert.Equal(K8sErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("Invalid value for -", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("v")]
    [InlineData("")]
    [InlineData("My_Value.1")]
    [InlineData("bad value")]
    [InlineData("-leading")]
    [InlineData("trailing.")]
    [InlineData("x\n")]
    [InlineData("ünï")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    [InlineData("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")]
    public void LabelValuesAreJudgedLikeKubectlJudgesThem(string value)
    {
        // kubectl label --local checks values with apimachinery's IsValidLabelValue and prints its message.
        string manifest = Path.Combine(Path.GetTempPath(), $"k8ssec-label-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(manifest, "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
        try
        {
            var (exit, _, stderr) = Run("kubectl", "label", "--local", "-f", manifest, $"k={value}", "-o", "json");
            bool kubectlAccepts = exit == 0;
            Assert.Equal(kubectlAccepts, KubernetesNames.IsLabelValue(value));
            if (!kubectlAccepts)
            {
                string expected = stderr[(stderr.IndexOf("\": ", StringComparison.Ordinal) + 3)..].Trim();
                var ex = Assert.Throws<K8sOperationException>(() => KubernetesNames.ValidateLabelValue("Label", "k", value));
                Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(manifest);
        }
    }

    [Theory]
    [InlineData("app", true)]
    [InlineData("example.com/Tier", true)]
    [InlineData("rbac.authorization.k8s.io/aggregate-to-view", true)]
    [InlineData("app.kubernetes.io/managed-by", true)]
    [InlineData("bad key!", false)]
    [InlineData("Example.com/x", false)] // the prefix is a DNS subdomain: lowercase
    [InlineData("a/b/c", false)]
    [InlineData("/x", false)]
    [InlineData("x/", false)]
    [InlineData("", false)]
    [InlineData("_x", false)]
    public void LabelKeysAreQualifiedNames(string key, bool valid) =>
        Assert.Equal(valid, KubernetesNames.IsQualifiedName(key));

    [Theory]
    [InlineData("system:aggregate-to-view", true)] // the bootstrap policy's own names carry colons
    [InlineData("system:controller:token-cleaner", true)]
    [InlineData("Bad Name", true)] // ValidateRBACName is path.IsValidPathSegmentName: the API server accepts it
    [InlineData("UPPER", true)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData("a/b", false)]
    [InlineData("50%", false)]
    [InlineData("", false)]
    public void RoleAndBindingNamesArePathSegments(string name, bool valid) =>
        Assert.Equal(valid, KubernetesNames.IsPathSegmentName(name));

    [Theory]
    [InlineData("team-a", true)]
    [InlineData("Bad_NS", false)]
    [InlineData("a.b", false)]
    [InlineData("-a", false)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true)]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("team\n", false)]
    public void NamespacesAreDns1123Labels(string name, bool valid) =>
        Assert.Equal(valid, KubernetesNames.IsDns1123Label(name));

    [Theory]
    [InlineData("web.frontend", true)]
    [InlineData("node-1.example.com", true)]
    [InlineData("Bad_Node", false)]
    [InlineData("a..b", false)]
    public void ObjectNamesAreDns1123Subdomains(string name, bool valid) =>
        Assert.Equal(valid, KubernetesNames.IsDns1123Subdomain(name));

    [Theory]
    [InlineData("500m")]
    [InlineData("1.5Gi")]
    [InlineData("10")]
    [InlineData("9223372036854775807")]
    [InlineData("8Ei")] // upstream caps binary quantities at 2^63-1 itself
    [InlineData("1e400")]
    [InlineData("9223372036854775808")]
    [InlineData("10E")]
    public void QuantitiesParseLikeKubectlAndTheInt64RangeIsEnforced(string text)
    {
        // kubectl set resources --local parses with resource.ParseQuantity and prints the canonical value.
        string manifest = Path.Combine(Path.GetTempPath(), $"k8ssec-qty-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(manifest, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n");
        try
        {
            var (exit, stdout, stderr) = Run("kubectl", "set", "resources", "--local", "-f", manifest, $"--limits=cpu={text}", "-o", "jsonpath={.spec.containers[0].resources.limits.cpu}");
            Assert.True(exit == 0, $"kubectl refused {text}: {stderr}");
            Assert.True(K8sSecurity.Engine.Guardrails.Quantity.TryParse(text, out var parsed, out _));
            Assert.Equal(stdout.Trim(), parsed.ToString());

            bool beyondInt64 = System.Numerics.BigInteger.Abs(parsed.Value) > long.MaxValue;
            if (beyondInt64)
            {
                var ex = Assert.Throws<K8sOperationException>(() => KubernetesNames.ParseQuantity("LimitsCpu", text));
                Assert.Contains(text, ex.Message, StringComparison.Ordinal);
                Assert.Contains("64-bit", ex.Message, StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(parsed, KubernetesNames.ParseQuantity("LimitsCpu", text));
            }
        }
        finally
        {
            File.Delete(manifest);
        }
    }

    [Fact]
    public void OnlyTheOverflowingQuantitiesOfThatListAreRefused()
    {
        Assert.Throws<K8sOperationException>(() => KubernetesNames.ParseQuantity("Pods", "1e400"));
        Assert.Throws<K8sOperationException>(() => KubernetesNames.ParseQuantity("Pods", "9223372036854775808"));
        Assert.Throws<K8sOperationException>(() => KubernetesNames.ParseQuantity("Pods", "10E"));
        KubernetesNames.ParseQuantity("Pods", "8Ei");
        KubernetesNames.ParseQuantity("Pods", "9223372036854775807");
        var lots = Assert.Throws<K8sOperationException>(() => KubernetesNames.ParseQuantity("Pods", "lots"));
        Assert.Contains("quantities must match the regular expression", lots.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(" ")]
    [InlineData("")]
    [InlineData(" ctx")]
    [InlineData("ctx ")]
    [InlineData("a\tb")]
    public void KubeconfigNamesKubectlCannotSelectAreRefused(string name) =>
        Assert.Throws<K8sOperationException>(() => KubernetesNames.ValidateKubeconfigName("ContextName", name));

    private static string Golden(string name)
    {
        for (var dir = new DirectoryInfo(SharedFixtures.RepoRoot); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "k8s-api-golden", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"../shared/k8s-api-golden/{name} is missing next to the repository root.");
    }

    private static (int Exit, string Out, string Err) Run(string tool, params string[] args)
    {
        var psi = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string arg in args)
        {
            psi.ArgumentList.Add(arg);
        }

        psi.Environment.Remove("KUBECONFIG");
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
