using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.Hardening;

/// <summary>Mode and owner of one file of a node, as `stat -c '%a %U:%G'` shows them.</summary>
internal sealed record NodeFileInfo(string Path, UnixFileMode Mode, uint Uid, uint Gid, string Owner, string Group)
{
    public string ModeOctal => UnixModes.ToOctal(Mode);

    public string Ownership => $"{Owner}:{Group}";
}

/// <summary>
/// Reads modes and owners without starting a process: statx(2) has the same layout on every Linux architecture.
/// Names come from the node's own etc/passwd and etc/group when the tree has them (a copied node keeps its numeric
/// ids), else uid/gid 0 read as root and others stay numeric.
/// </summary>
internal sealed class NodeFileStat
{
    private readonly Dictionary<uint, string> users;
    private readonly Dictionary<uint, string> groups;

    public NodeFileStat(string root)
    {
        users = ReadIds(Path.Combine(root, "etc", "passwd"));
        groups = ReadIds(Path.Combine(root, "etc", "group"));
    }

    public NodeFileInfo? Stat(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path))
        {
            return null;
        }

        if (OperatingSystem.IsWindows())
        {
            return new NodeFileInfo(path, UnixFileMode.None, 0, 0, "root", "root");
        }

        var mode = File.GetUnixFileMode(path);
        var (uid, gid) = Owners(path);
        return new NodeFileInfo(path, mode, uid, gid, Name(users, uid), Name(groups, gid));
    }

    /// <summary>The uid a user name has on the node, when its etc/passwd says so.</summary>
    public uint? UserId(string name) => users.FirstOrDefault(p => p.Value == name) is { Value: not null } pair ? pair.Key : null;

    private static string Name(Dictionary<uint, string> names, uint id) =>
        names.TryGetValue(id, out var name) ? name : id == 0 ? "root" : id.ToString(CultureInfo.InvariantCulture);

    private static Dictionary<uint, string> ReadIds(string file)
    {
        var result = new Dictionary<uint, string>();
        if (!File.Exists(file))
        {
            return result;
        }

        foreach (string line in File.ReadLines(file))
        {
            string[] fields = line.Split(':');
            if (fields.Length > 2 && uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint id))
            {
                result.TryAdd(id, fields[0]);
            }
        }

        return result;
    }

    private static (uint Uid, uint Gid) Owners(string path)
    {
        var buffer = new byte[256];
        int status;
        try
        {
            status = NativeMethods.statx(NativeMethods.AtFdCwd, path, NativeMethods.AtSymlinkNoFollow, NativeMethods.StatxBasicStats, buffer);
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException)
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read file owners here (statx is Linux's): run the check on Linux.", path, ex);
        }

        if (status != 0)
        {
            // Never guess an owner: a file whose owner cannot be read makes the check fail, not pass.
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot read the owner of '{path}' (statx failed with errno {Marshal.GetLastPInvokeError()}).", path);
        }

        // struct statx: u32 mask, u32 blksize, u64 attributes, u32 nlink, u32 uid, u32 gid, u16 mode, ...
        return (BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(20)), BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(24)));
    }

    private static class NativeMethods
    {
        public const int AtFdCwd = -100;
        public const int AtSymlinkNoFollow = 0x100;
        public const uint StatxBasicStats = 0x7ff;

        [DllImport("libc", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string pathname, int flags, uint mask, byte[] statxbuf);
    }
}
