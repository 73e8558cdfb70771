using System.Globalization;
using System.Text;

namespace K8sSecurity.Engine.IO;

/// <summary>
/// Reads the small files the module takes by path (certificates, keys, kubeconfigs and the files they point to).
/// Only regular files are opened: a FIFO named ca.crt would block the reader forever and a link to /dev/zero would
/// never end. A file larger than the limit is refused before it is read. Failures are <see cref="IOException"/>s
/// whose message names no secret, for the caller to wrap with its own context.
/// </summary>
public static class BoundedFile
{
    /// <summary>16 MiB: far above any real certificate bundle, key or kubeconfig.</summary>
    public const long DefaultMaxBytes = 16L * 1024 * 1024;

    /// <summary>Throws unless <paramref name="path"/> (links followed) is a regular file of at most <paramref name="maxBytes"/> bytes.</summary>
    public static void EnsureReadable(string path, long maxBytes = DefaultMaxBytes)
    {
        var (kind, _) = FileIdentity.Probe(path);
        switch (kind)
        {
            case FileKind.Missing:
                throw new FileNotFoundException($"Could not find file '{path}'.", path);
            case FileKind.Directory:
                throw new IOException($"'{path}' is a folder, not a file.");
            case FileKind.Other:
                throw new IOException($"'{path}' is not a regular file (a FIFO, device or socket): not read, it could block or never end.");
        }

        long length = new FileInfo(path).Length;
        if (length > maxBytes)
        {
            throw new IOException(TooLarge(path, maxBytes, length));
        }
    }

    /// <summary>The bytes of a regular file of at most <paramref name="maxBytes"/> bytes (also if it grows while read).</summary>
    public static byte[] ReadAllBytes(string path, long maxBytes = DefaultMaxBytes)
    {
        EnsureReadable(path, maxBytes);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        using var buffer = new MemoryStream((int)Math.Min(stream.Length, maxBytes));
        var chunk = new byte[81920];
        int read;
        while ((read = stream.Read(chunk, 0, chunk.Length)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                throw new IOException(TooLarge(path, maxBytes, null));
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    /// <summary>The text of a regular file, decoded like <see cref="File.ReadAllText(string)"/> (UTF-8 unless a BOM says otherwise).</summary>
    public static string ReadAllText(string path, long maxBytes = DefaultMaxBytes)
    {
        using var reader = new StreamReader(new MemoryStream(ReadAllBytes(path, maxBytes)), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    private static string TooLarge(string path, long maxBytes, long? length) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"'{path}' is {(length is { } l ? $"{l:N0} bytes, " : string.Empty)}larger than the {maxBytes:N0}-byte limit for certificate, key and kubeconfig files: not read.");
}
