using System.Text;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.IO;

/// <summary>
/// Writes files the way key material and kubeconfigs must be written: to a temporary file in the same folder,
/// created with mode 0600 from the start (never readable by others, not even briefly), then renamed over the target
/// so readers see the old file or the new one, never half of one. Refuses to replace an existing file without force.
/// </summary>
public static class SecureFile
{
    public static void WriteAllText(string path, string content, bool force, bool privateFile = true) =>
        WriteAllBytes(path, new UTF8Encoding(false).GetBytes(content), force, privateFile);

    public static void WriteAllBytes(string path, byte[] content, bool force, bool privateFile = true)
    {
        string full = Path.GetFullPath(path);
        if (!force && File.Exists(full))
        {
            throw new K8sOperationException(
                K8sErrorKind.FileSystem,
                $"The file '{full}' already exists; use -Force to replace it.",
                full);
        }

        string directory = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(directory);
            string temp = Path.Combine(directory, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
            var options = new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
            };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = privateFile
                    ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                    : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            }

            try
            {
                using (var stream = new FileStream(temp, options))
                {
                    stream.Write(content);
                    stream.Flush(flushToDisk: true);
                }

                File.Move(temp, full, overwrite: true);
            }
            finally
            {
                if (File.Exists(temp))
                {
                    File.Delete(temp);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot write '{full}': {ex.Message}", full, ex);
        }
    }

    /// <summary>Throws before any work starts when a target exists and -Force was not given.</summary>
    public static void EnsureWritable(string path, bool force)
    {
        string full = Path.GetFullPath(path);
        if (!force && File.Exists(full))
        {
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"The file '{full}' already exists; use -Force to replace it.", full);
        }
    }
}
