using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Reflection;
using System.Security;
using System.Text;
using System.Text.RegularExpressions;

namespace K8sSecurity.Tests.Connection;

/// <summary>
/// Walks everything reachable from an object the way ConvertTo-Json and a curious admin would (every PowerShell
/// property, adapted and extended, dictionary entries, list items, at any depth) and reports where a secret or HTTP
/// traffic shows up. Called from inside the session (<c>[K8sSecurity.Tests.Connection.ErrorGraph]::Find($Error, …)</c>),
/// so script properties such as ErrorRecord.PSMessageDetails are evaluated too. Base64 text is decoded (twice: a
/// dockerconfigjson holds base64 of base64) before it is searched.
/// </summary>
public static partial class ErrorGraph
{
    private const int MaxObjects = 200_000;

    public static string[] Find(object root, string[] secrets)
    {
        var findings = new List<string>();
        var visited = new HashSet<object>(ReferenceEqualityComparer.Instance);
        var pending = new Queue<(object Value, string Path)>();
        pending.Enqueue((root, "$root"));
        while (pending.Count > 0 && visited.Count < MaxObjects)
        {
            var (value, path) = pending.Dequeue();
            object current = value is PSObject wrapped && wrapped.BaseObject is not PSCustomObject ? wrapped.BaseObject : value;
            if (current is string text)
            {
                foreach (string secret in secrets.Where(s => Contains(text, s)))
                {
                    findings.Add($"{path} contains the secret '{secret[..Math.Min(4, secret.Length)]}…'");
                }

                continue;
            }

            var type = current.GetType();
            if (type.IsPrimitive || type.IsEnum || current is decimal or DateTime or DateTimeOffset or TimeSpan or Guid or SecureString || Skipped(type))
            {
                continue;
            }

            if (IsHttpTraffic(type))
            {
                findings.Add($"{path} is HTTP traffic ({type.FullName})");
            }

            if (!visited.Add(current))
            {
                continue;
            }

            switch (current)
            {
                case IDictionary dictionary:
                    foreach (DictionaryEntry entry in dictionary)
                    {
                        Enqueue(pending, entry.Key, $"{path}[key]");
                        Enqueue(pending, entry.Value, $"{path}[{entry.Key}]");
                    }

                    break;
                case IEnumerable sequence when current is not PSObject:
                    int index = 0;
                    foreach (object? item in sequence)
                    {
                        Enqueue(pending, item, $"{path}[{index}]");
                        if (++index > 1000)
                        {
                            break;
                        }
                    }

                    break;
            }

            foreach (var property in PSObject.AsPSObject(value).Properties)
            {
                object? propertyValue;
                try
                {
                    propertyValue = property.Value;
                }
                catch (Exception ex) when (ex is GetValueException or RuntimeException or TargetInvocationException or NotSupportedException or InvalidOperationException)
                {
                    continue;
                }

                Enqueue(pending, propertyValue, $"{path}.{property.Name}");
            }

            // Public fields too (ConvertTo-Json shows them).
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
            {
                Enqueue(pending, field.GetValue(current), $"{path}.{field.Name}");
            }
        }

        return findings.Distinct().ToArray();
    }

    private static void Enqueue(Queue<(object, string)> pending, object? value, string path)
    {
        if (value is not null)
        {
            pending.Enqueue((value, path));
        }
    }

    private static bool Contains(string text, string secret)
    {
        if (text.Contains(secret, StringComparison.Ordinal))
        {
            return true;
        }

        foreach (string decoded in Decoded(text, 2))
        {
            if (decoded.Contains(secret, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<string> Decoded(string text, int levels)
    {
        if (levels == 0)
        {
            yield break;
        }

        foreach (Match match in Base64Run().Matches(text))
        {
            string candidate = match.Value;
            for (int start = 0; start < 4 && start < candidate.Length; start++)
            {
                string slice = candidate[start..];
                slice = slice[..(slice.Length / 4 * 4)];
                byte[] bytes;
                try
                {
                    bytes = Convert.FromBase64String(slice);
                }
                catch (FormatException)
                {
                    continue;
                }

                string decoded = Encoding.UTF8.GetString(bytes);
                yield return decoded;
                foreach (string deeper in Decoded(decoded, levels - 1))
                {
                    yield return deeper;
                }
            }
        }
    }

    private static bool IsHttpTraffic(Type type) =>
        typeof(HttpRequestMessage).IsAssignableFrom(type)
        || typeof(HttpResponseMessage).IsAssignableFrom(type)
        || typeof(HttpContent).IsAssignableFrom(type)
        || typeof(System.Net.Http.Headers.HttpHeaders).IsAssignableFrom(type)
        || type.Namespace == "k8s.Autorest";

    /// <summary>Metadata about code, not data the command handled.</summary>
    private static bool Skipped(Type type) =>
        typeof(MemberInfo).IsAssignableFrom(type)
        || typeof(Assembly).IsAssignableFrom(type)
        || typeof(Module).IsAssignableFrom(type)
        || typeof(Delegate).IsAssignableFrom(type)
        || typeof(CommandInfo).IsAssignableFrom(type)
        || typeof(PSModuleInfo).IsAssignableFrom(type)
        || typeof(Runspace).IsAssignableFrom(type)
        || typeof(SessionState).IsAssignableFrom(type)
        || typeof(ScriptBlock).IsAssignableFrom(type)
        || type.FullName?.StartsWith("System.Runtime", StringComparison.Ordinal) == true;

    [GeneratedRegex("[A-Za-z0-9+/]{16,}={0,2}")]
    private static partial Regex Base64Run();
}
