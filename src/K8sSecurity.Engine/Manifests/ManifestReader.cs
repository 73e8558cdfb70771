using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;

namespace K8sSecurity.Engine.Manifests;

/// <summary>
/// Reads Kubernetes manifests exactly as kubectl does: YAML (documents cut at "---" lines, scalars typed by YAML 1.1
/// rules, anchors, aliases and merge keys), JSON streams, and lists (`kind: List`, `*List`, anything with items) from
/// `kubectl get -o yaml|json`, from files, folders (recursive) and wildcards, or from text. Objects stream out one at
/// a time so memory stays flat however many files there are. What kubectl refuses is reported through the issue
/// callback as an error for that document (a syntax error ends its file) and reading goes on; duplicate keys (the last
/// value is used, as in kubectl) and texts without any object are reported too.
/// </summary>
public static class ManifestReader
{
    private static readonly string[] ManifestExtensions = { ".yaml", ".yml", ".json" };

    /// <summary>
    /// Expands files, folders (recursively, *.yaml|*.yml|*.json) and wildcards into file paths; throws for the first
    /// path that cannot be expanded.
    /// </summary>
    public static IEnumerable<string> ExpandPaths(IEnumerable<string> paths) =>
        ExpandPaths(paths, issue => throw new K8sOperationException(K8sErrorKind.FileSystem, issue.Message, issue.Source));

    /// <summary>
    /// Expands files, folders and wildcards into file paths, sorted. Folders are followed through links, each folder
    /// once (by file identity), so link loops and `self -> .` links end; a folder that cannot be listed, a missing
    /// path and a match that is not a regular file (FIFO, device, socket) are reported and the rest goes on.
    /// </summary>
    public static IEnumerable<string> ExpandPaths(IEnumerable<string> paths, Action<ManifestParseError> onIssue, CancellationToken cancellationToken = default)
    {
        foreach (string path in paths)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var (kind, key) = FileIdentity.Probe(path);
            switch (kind)
            {
                case FileKind.Directory:
                    var files = new List<string>();
                    Walk(path, key, new HashSet<string>(StringComparer.Ordinal), files, onIssue, cancellationToken);
                    files.Sort(StringComparer.Ordinal);
                    foreach (string file in files)
                    {
                        yield return file;
                    }

                    break;
                case FileKind.RegularFile:
                    yield return path;
                    break;
                case FileKind.Other:
                    onIssue(NotRegular(path));
                    break;
                default:
                    if (path.IndexOfAny(new[] { '*', '?' }) >= 0)
                    {
                        foreach (string file in Wildcard(path, onIssue))
                        {
                            yield return file;
                        }
                    }
                    else
                    {
                        onIssue(new ManifestParseError(path, 0, $"Cannot find path '{path}'."));
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// Reads every object of one file. Only regular files are opened (a FIFO or device is an error, never a hang);
    /// a file larger than <paramref name="maxBytes"/> is an error; problems go to <paramref name="onIssue"/>.
    /// </summary>
    public static IEnumerable<ManifestObject> ReadFile(string path, Action<ManifestParseError> onIssue, long maxBytes = ManifestLimits.DefaultMaxFileBytes, CancellationToken cancellationToken = default)
    {
        return TryReadFileText(path, onIssue, maxBytes, cancellationToken, out string? text, out int invalidUtf8Line)
            ? ReadText(text!, path, onIssue, allowFastPath: true, invalidUtf8Line, cancellationToken)
            : Array.Empty<ManifestObject>();
    }

    /// <summary>
    /// The text of a manifest file, or false (with the problem reported) when it is not a regular file, is larger
    /// than <paramref name="maxBytes"/> or cannot be read. <paramref name="invalidUtf8Line"/> is the line of its
    /// first byte that is not UTF-8 (0 for none), which the YAML reader refuses as go-yaml does.
    /// </summary>
    internal static bool TryReadFileText(
        string path, Action<ManifestParseError> onIssue, long maxBytes, CancellationToken cancellationToken, out string? text, out int invalidUtf8Line)
    {
        text = null;
        invalidUtf8Line = 0;
        var (kind, _) = FileIdentity.Probe(path);
        if (kind != FileKind.RegularFile)
        {
            onIssue(kind == FileKind.Missing ? new ManifestParseError(path, 0, $"Cannot find path '{path}'.") : NotRegular(path));
            return false;
        }

        try
        {
            (text, invalidUtf8Line) = ReadLimited(path, maxBytes, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ManifestDecodeException)
        {
            onIssue(new ManifestParseError(path, 0, $"Cannot read the file: {ex.Message}"));
            return false;
        }
    }

    /// <summary>Reads YAML or JSON text (one or many documents, lists flattened).</summary>
    public static IEnumerable<ManifestObject> ReadText(string text, string source, Action<ManifestParseError> onIssue, CancellationToken cancellationToken = default)
        => ReadText(text, source, onIssue, allowFastPath: true, 0, cancellationToken);

    /// <summary>
    /// Reads YAML or JSON text; <paramref name="allowFastPath"/> false forces the full YAML path (the differential
    /// tests compare both); <paramref name="invalidUtf8Line"/> is the 1-based line of the first byte that was not
    /// UTF-8 (0 for none): go-yaml refuses the document holding it.
    /// </summary>
    internal static IEnumerable<ManifestObject> ReadText(
        string text, string source, Action<ManifestParseError> onIssue, bool allowFastPath, int invalidUtf8Line = 0, CancellationToken cancellationToken = default)
    {
        var session = new ReadSession(source, onIssue);
        var objects = ManifestText.LooksLikeJson(text)
            ? JsonManifestReader.Read(text, session)
            : ReadYaml(text, session, allowFastPath, invalidUtf8Line);
        foreach (var item in objects)
        {
            cancellationToken.ThrowIfCancellationRequested();
            session.Objects++;
            yield return item;
        }

        session.Finish();
    }

    private static IEnumerable<ManifestObject> ReadYaml(string text, ReadSession session, bool allowFastPath, int invalidUtf8Line)
    {
        var yaml = new ManifestText(text);
        var fast = allowFastPath ? new FastYamlReader(yaml) : null;
        var duplicates = new List<DuplicateKey>();
        foreach (var chunk in yaml.Chunks())
        {
            if (chunk.SeparatorError is not null)
            {
                session.Error(chunk.First + 1, chunk.SeparatorError);
                yield break;
            }

            if (invalidUtf8Line > chunk.First && invalidUtf8Line <= chunk.End)
            {
                session.Error(invalidUtf8Line, "yaml: invalid UTF-8 in the text");
                yield break;
            }

            duplicates.Clear();
            JsonNode? document = null;
            int line = chunk.First + 1;
            var result = fast is null ? FastReadResult.GiveUp : fast.TryRead(chunk, out document, out line, duplicates);
            IReadOnlyList<int>? itemLines = fast?.ItemLines;
            if (result == FastReadResult.Empty)
            {
                continue;
            }

            if (result == FastReadResult.GiveUp)
            {
                duplicates.Clear();
                var lines = new List<int>();
                try
                {
                    document = YamlDocumentDecoder.Decode(yaml.DocumentText(chunk.First, chunk.End), chunk.First + 1, duplicates, out line, lines);
                }
                catch (ManifestDecodeException ex)
                {
                    session.Error(ex.Line, ex.Message);
                    yield break; // kubectl stops reading a file at its first YAML error
                }

                itemLines = lines;
            }

            session.Duplicates(duplicates);
            var duplicateKeys = DuplicateKeyList(duplicates);
            foreach (var item in ManifestDocuments.Extract(document, line, itemLines, session))
            {
                if (duplicateKeys is not null)
                {
                    item.DuplicateKeys = duplicateKeys;
                }

                yield return item;
            }
        }
    }

    /// <summary>"line 12: privileged" for each duplicate key, or null when there is none.</summary>
    internal static string[]? DuplicateKeyList(IReadOnlyCollection<DuplicateKey> duplicates) =>
        duplicates.Count == 0 ? null : duplicates.Select(d => $"line {d.Line}: {d.Key}").Distinct().ToArray();

    // Reads at most maxBytes (the file may grow after it was measured) and decodes it: a BOM picks the encoding,
    // otherwise UTF-8, where the first invalid byte's line is remembered for the YAML reader to refuse.
    private static (string Text, int InvalidUtf8Line) ReadLimited(string path, long maxBytes, CancellationToken cancellationToken)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan);
        if (stream.CanSeek && stream.Length > maxBytes)
        {
            throw new ManifestDecodeException(0, $"the file is {stream.Length:N0} bytes, larger than the {maxBytes:N0}-byte limit (-MaxFileSize)");
        }

        // A pooled buffer: manifest files are often larger than 85 KB, and a fresh array per file would be a zeroed
        // large-object allocation each time.
        int limit = (int)Math.Min(maxBytes + 1, Array.MaxLength);
        var buffer = ArrayPool<byte>.Shared.Rent(stream.CanSeek ? (int)Math.Min(stream.Length + 1, limit) : Math.Min(65536, limit));
        try
        {
            int total = 0;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (total == buffer.Length)
                {
                    if (buffer.Length > maxBytes)
                    {
                        throw new ManifestDecodeException(0, $"the file is larger than the {maxBytes:N0}-byte limit (-MaxFileSize)");
                    }

                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit));
                    buffer.AsSpan(0, total).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                int read = stream.Read(buffer, total, (int)Math.Min(buffer.Length - total, limit - total));
                if (read == 0)
                {
                    break;
                }

                total += read;
                if (total == limit && limit > maxBytes)
                {
                    break; // one byte past the limit is enough to refuse the file
                }
            }

            if (total > maxBytes)
            {
                throw new ManifestDecodeException(0, $"the file is larger than the {maxBytes:N0}-byte limit (-MaxFileSize)");
            }

            return Decode(buffer, total);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // A BOM picks the encoding, otherwise UTF-8, where the line of the first invalid byte is remembered.
    private static (string Text, int InvalidUtf8Line) Decode(byte[] buffer, int total)
    {
        var bytes = buffer.AsSpan(0, total);
        if (bytes.StartsWith(new byte[] { 0xFF, 0xFE }) || bytes.StartsWith(new byte[] { 0xFE, 0xFF }))
        {
            using var reader = new StreamReader(new MemoryStream(buffer, 0, total), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            return (reader.ReadToEnd(), 0);
        }

        if (bytes.StartsWith(new byte[] { 0xEF, 0xBB, 0xBF }))
        {
            bytes = bytes[3..];
        }

        int invalidLine = 0;
        if (System.Text.Unicode.Utf8.IsValid(bytes) is false)
        {
            int offset = FirstInvalidUtf8(bytes);
            invalidLine = 1 + bytes[..offset].Count((byte)'\n');
        }

        return (Encoding.UTF8.GetString(bytes), invalidLine);
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        int offset = 0;
        while (offset < bytes.Length)
        {
            if (System.Text.Rune.DecodeFromUtf8(bytes[offset..], out _, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                return offset;
            }

            offset += consumed;
        }

        return offset;
    }

    private static ManifestParseError NotRegular(string path) =>
        new(path, 0, "not a regular file (a FIFO, device or socket): skipped, it could block or never end");

    // Depth-first, each directory once by identity; unreadable folders and odd entries are reported, not fatal.
    private static void Walk(string directory, string key, HashSet<string> visited, List<string> files, Action<ManifestParseError> onIssue, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!visited.Add(key))
        {
            return; // reached again through a link: already read
        }

        string[] entries;
        try
        {
            entries = Directory.GetFileSystemEntries(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            onIssue(new ManifestParseError(directory, 0, $"Cannot list the folder: {ex.Message}"));
            return;
        }

        Array.Sort(entries, StringComparer.Ordinal);
        foreach (string entry in entries)
        {
            var (kind, entryKey) = FileIdentity.Probe(entry);
            if (kind == FileKind.Directory)
            {
                Walk(entry, entryKey, visited, files, onIssue, cancellationToken);
                continue;
            }

            if (!ManifestExtensions.Contains(Path.GetExtension(entry), StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (kind == FileKind.RegularFile)
            {
                files.Add(entry);
            }
            else if (kind == FileKind.Other)
            {
                onIssue(NotRegular(entry));
            }
            else
            {
                onIssue(new ManifestParseError(entry, 0, "Cannot read the file: it is a link to nothing (or it vanished)."));
            }
        }
    }

    private static IEnumerable<string> Wildcard(string path, Action<ManifestParseError> onIssue)
    {
        string directory = Path.GetDirectoryName(path) is { Length: > 0 } d ? d : ".";
        if (!Directory.Exists(directory))
        {
            onIssue(new ManifestParseError(path, 0, $"Cannot find path '{path}'."));
            yield break;
        }

        foreach (string file in Directory.EnumerateFiles(directory, Path.GetFileName(path)).Order(StringComparer.Ordinal))
        {
            var (kind, _) = FileIdentity.Probe(file);
            if (kind == FileKind.RegularFile)
            {
                yield return file;
            }
            else if (kind == FileKind.Other)
            {
                onIssue(NotRegular(file));
            }
        }
    }
}

/// <summary>What a problem found while reading is.</summary>
public enum ManifestIssueKind
{
    /// <summary>A document (or the rest of a file, or a file) kubectl would refuse; it was not read.</summary>
    Error,

    /// <summary>A key written twice in one mapping: read with the last value, as kubectl does.</summary>
    DuplicateKey,

    /// <summary>The file or text holds no Kubernetes object at all.</summary>
    NoObjects,
}

/// <summary>A problem found while reading: which file, which line (0 when it concerns the whole file), why.</summary>
public sealed record ManifestParseError(string Source, int Line, string Message)
{
    public ManifestIssueKind Kind { get; init; } = ManifestIssueKind.Error;

    /// <summary>True for problems that mean something was not read (errors), false for warnings.</summary>
    public bool IsError => Kind == ManifestIssueKind.Error;

    public override string ToString() => Line > 0 ? $"{Source}:{Line}: {Message}" : $"{Source}: {Message}";
}
