using System.Runtime.InteropServices;

namespace K8sSecurity.Engine.IO;

/// <summary>What a path is, links followed: regular file, directory or something else (FIFO, device, socket).</summary>
public enum FileKind
{
    Missing,
    RegularFile,
    Directory,
    Other,
}

/// <summary>
/// File type and identity (device + inode) without opening the file, so a FIFO named x.yaml cannot block the reader
/// and a directory reached twice through links is recognised. On Unix this asks stat(2) through the .NET runtime's
/// own native shim (System.Native, the library FileInfo uses); where that is unavailable it falls back to what .NET
/// exposes (regular file vs directory, identity by the fully resolved path).
/// </summary>
public static class FileIdentity
{
    private const int TypeMask = 0xF000;
    private const int RegularType = 0x8000;
    private const int DirectoryType = 0x4000;

    // Offsets in System.Native's FileStatus (.NET 8-10): Mode at 4, Size at 16, Dev at 88, Ino at 104.
    private const int ModeOffset = 4;
    private const int SizeOffset = 16;
    private const int DevOffset = 88;
    private const int InoOffset = 104;

    private static int nativeState; // 0 unknown, 1 usable, -1 unusable

    /// <summary>The kind of <paramref name="path"/> (links followed) and a key that is equal for the same file.</summary>
    public static (FileKind Kind, string Key) Probe(string path)
    {
        if (!OperatingSystem.IsWindows() && NativeUsable())
        {
            var status = new byte[256];
            if (NativeMethods.Stat(path, status) != 0)
            {
                return (FileKind.Missing, path); // missing, unreachable or a dangling link
            }

            var kind = (BitConverter.ToInt32(status, ModeOffset) & TypeMask) switch
            {
                RegularType => FileKind.RegularFile,
                DirectoryType => FileKind.Directory,
                _ => FileKind.Other,
            };
            return (kind, $"{BitConverter.ToInt64(status, DevOffset)}:{BitConverter.ToInt64(status, InoOffset)}");
        }

        return Managed(path);
    }

    // The native layout is checked once on a known regular file (this assembly): mode and size must agree with .NET's.
    private static bool NativeUsable()
    {
        if (nativeState == 0)
        {
            string probe = typeof(FileIdentity).Assembly.Location;
            try
            {
                var status = new byte[256];
                nativeState = probe.Length > 0 && NativeMethods.Stat(probe, status) == 0
                    && (BitConverter.ToInt32(status, ModeOffset) & TypeMask) == RegularType
                    && BitConverter.ToInt64(status, SizeOffset) == new FileInfo(probe).Length ? 1 : -1;
            }
            catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or IOException)
            {
                nativeState = -1;
            }
        }

        return nativeState > 0;
    }

    private static (FileKind Kind, string Key) Managed(string path)
    {
        if (Directory.Exists(path))
        {
            return (FileKind.Directory, RealPath(path));
        }

        return File.Exists(path) ? (FileKind.RegularFile, RealPath(path)) : (FileKind.Missing, path);
    }

    // The path with every link along it resolved (an identity for loops where inodes are not available).
    private static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string root = Path.GetPathRoot(full) ?? string.Empty;
        string current = root;
        var pending = new Stack<string>(Enumerable.Reverse(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)));
        int hops = 0;
        while (pending.Count > 0)
        {
            string part = pending.Pop();
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is { } target && hops++ < 40)
            {
                string resolved = Path.GetFullPath(target, current);
                string resolvedRoot = Path.GetPathRoot(resolved) ?? string.Empty;
                foreach (string segment in Enumerable.Reverse(resolved[resolvedRoot.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)))
                {
                    pending.Push(segment);
                }

                current = resolvedRoot;
                continue;
            }

            current = next;
        }

        return current;
    }

    private static class NativeMethods
    {
        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] status);
    }
}
