using System.Reflection;

namespace K8sSecurity.Engine.Tests.Hardening;

/// <summary>A copy of the kubeadm node fixture (NodeTrees/kubeadm) in a temporary folder, with kubeadm's modes applied.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
internal sealed class KubeadmNodeTree : IDisposable
{
    public KubeadmNodeTree()
    {
        string repo = typeof(KubeadmNodeTree).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().First(a => a.Key == "RepoRoot").Value!;
        string source = Path.Combine(repo, "tests", "K8sSecurity.Engine.Tests", "Hardening", "NodeTrees", "kubeadm");
        Root = Directory.CreateTempSubdirectory("k8ssec-node").FullName;
        foreach (string file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            string relative = Path.GetRelativePath(source, file);
            if (relative is "modes.txt" or "README.md")
            {
                continue;
            }

            string target = Path.Combine(Root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }

        foreach (string line in File.ReadLines(Path.Combine(source, "modes.txt")).Where(l => l.Length > 0 && l[0] != '#'))
        {
            string[] parts = line.Split(' ', 2);
            string pattern = parts[1];
            string directory = Path.Combine(Root, Path.GetDirectoryName(pattern)!);
            var targets = pattern.Contains('*', StringComparison.Ordinal) ? Directory.GetFiles(directory, Path.GetFileName(pattern)) : new[] { Path.Combine(Root, pattern) };
            foreach (string target in targets)
            {
                SetMode(target, parts[0]);
            }
        }
    }

    public string Root { get; }

    public string this[string relative] => Path.Combine(Root, relative);

    public static bool IsRoot => !OperatingSystem.IsWindows() && Environment.UserName == "root";

    /// <summary>Ownership checks need files owned by root and chown to other ids: the tests run as root (as CI does).</summary>
    public static void RequireRoot()
    {
        if (!IsRoot)
        {
            throw new InvalidOperationException("The node configuration tests create files owned by root and by other users: run them as root (CI does).");
        }
    }

    public void SetMode(string pathOrRelative, string octal) =>
        File.SetUnixFileMode(Path.IsPathRooted(pathOrRelative) ? pathOrRelative : this[pathOrRelative], (UnixFileMode)Convert.ToInt32(octal, 8));

    /// <summary>Adds flags at the end of a static pod's command (a repeated flag's last value wins).</summary>
    public void AddFlags(string component, params string[] flags)
    {
        string manifest = this[$"etc/kubernetes/manifests/{component}.yaml"];
        string text = File.ReadAllText(manifest);
        int image = text.IndexOf("    image: ", StringComparison.Ordinal);
        File.WriteAllText(manifest, text[..image] + string.Concat(flags.Select(f => $"    - {f}\n")) + text[image..]);
    }

    public void Replace(string relative, string oldText, string newText)
    {
        string text = File.ReadAllText(this[relative]);
        if (!text.Contains(oldText, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"'{oldText}' is not in {relative}");
        }

        File.WriteAllText(this[relative], text.Replace(oldText, newText, StringComparison.Ordinal));
    }

    public void Append(string relative, string text) => File.AppendAllText(this[relative], text);

    public void Chown(string relative, int uid, int gid)
    {
        if (K8sSecurity.Engine.Tests.Identity.Tools.Run("chown", $"{uid}:{gid}", this[relative]).Exit != 0)
        {
            throw new InvalidOperationException($"chown {relative} failed");
        }
    }

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
