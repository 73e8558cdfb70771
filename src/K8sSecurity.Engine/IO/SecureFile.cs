using System.Text;
using System.Text.Json;
using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;

namespace K8sSecurity.Engine.IO;

/// <summary>One file of a group that <see cref="SecureFile.WriteAll"/> replaces together.</summary>
/// <param name="Path">The target; a symbolic link there is replaced, never written through.</param>
/// <param name="Content">The bytes to write.</param>
/// <param name="PrivateFile">Mode 0600 (keys, kubeconfigs); false: 0644 (certificates, CSRs, reports).</param>
public sealed record SecureFileContent(string Path, byte[] Content, bool PrivateFile = true)
{
    public static SecureFileContent Text(string path, string text, bool privateFile = true) =>
        new(path, new UTF8Encoding(false).GetBytes(text), privateFile);
}

/// <summary>
/// Writes files the way key material and kubeconfigs must be written: to a temporary file in the same folder,
/// created with mode 0600 from the start (never readable by others, not even briefly), then renamed over the target
/// so readers see the old file or the new one, never half of one. Refuses to replace an existing file without force.
/// A symbolic link at a target is replaced by the new file, never followed (a planted link cannot redirect a key).
/// <para>
/// Files that belong together (a key and its certificate, a certificate and the kubeconfig embedding it) are written
/// as one group: every target is checked and every temporary file written before the first rename; a rename that
/// fails puts back what the earlier renames replaced. A rename cannot replace two files at once, so a process killed
/// between the renames leaves a journal next to the first target; the next write or CA load of any file of the group
/// finds it and puts the old files back (or, when every rename had happened, keeps the new ones), so the pair on disk
/// matches again. Other programs reading the folder during those milliseconds can still see one new and one old file.
/// </para>
/// </summary>
public static class SecureFile
{
    private const string JournalSuffix = ".k8ssecurity-journal";

    private static readonly AsyncLocal<Action<int>?> AfterRenameHook = new();

    /// <summary>
    /// Test seam (per async flow): runs after each rename of a group write; an exception other than an I/O error
    /// thrown here leaves the files as a killed process would.
    /// </summary>
    internal static Action<int>? AfterRename
    {
        get => AfterRenameHook.Value;
        set => AfterRenameHook.Value = value;
    }

    public static void WriteAllText(string path, string content, bool force, bool privateFile = true) =>
        WriteAll(new[] { SecureFileContent.Text(path, content, privateFile) }, force);

    public static void WriteAllBytes(string path, byte[] content, bool force, bool privateFile = true) =>
        WriteAll(new[] { new SecureFileContent(path, content, privateFile) }, force);

    /// <summary>
    /// Replaces every file of the group, or none: existing targets need <paramref name="force"/>; a failure before or
    /// during the renames leaves every target as it was.
    /// </summary>
    public static void WriteAll(IReadOnlyList<SecureFileContent> files, bool force, EngineLog? log = null)
    {
        var targets = files.Select(f => Path.GetFullPath(f.Path)).ToArray();
        if (targets.Distinct(PathComparer).Count() != targets.Length)
        {
            throw new K8sOperationException(K8sErrorKind.InvalidArgument, $"The same file is named twice: {string.Join(", ", targets)}.");
        }

        EnsureWritable(targets, force, log);
        var entries = new List<JournalEntry>();
        var createdDirectories = new List<string>();
        FileStream? journal = null;
        string? journalPath = null;
        string current = targets[0];
        try
        {
            for (int i = 0; i < files.Count; i++)
            {
                current = targets[i];
                string directory = Path.GetDirectoryName(targets[i])!;
                CreateDirectory(directory, createdDirectories);
                string temp = TempName(targets[i], "tmp");
                entries.Add(new JournalEntry { Target = targets[i], Temp = temp, Existed = Exists(targets[i]) });
                WriteNew(temp, files[i].Content, files[i].PrivateFile);
            }

            if (files.Count == 1)
            {
                File.Move(entries[0].Temp, targets[0], overwrite: true);
                return;
            }

            foreach (var entry in entries.Where(e => e.Existed))
            {
                current = entry.Target;
                entry.Backup = TempName(entry.Target, "bak");
                Backup(entry.Target, entry.Backup);
            }

            (journal, journalPath) = OpenJournal(targets[0], entries);
            for (int i = 0; i < entries.Count; i++)
            {
                current = entries[i].Target;
                File.Move(entries[i].Temp, entries[i].Target, overwrite: true);
                entries[i].Renamed = true;
                AfterRename?.Invoke(i);
            }

            DeleteQuietly(entries.Select(e => e.Backup));
            journal.Dispose();
            journal = null;
            File.Delete(journalPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            RollBack(entries);
            journal?.Dispose();
            journal = null;
            if (journalPath is not null)
            {
                DeleteQuietly(new[] { journalPath });
            }

            RemoveEmpty(createdDirectories);
            string unchanged = files.Count > 1 ? $" Nothing was changed: {string.Join(", ", targets.Select(Path.GetFileName))} are as they were." : string.Empty;
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot write '{current}': {ex.Message}{unchanged}", current, ex);
        }
        finally
        {
            // A crash (or the test seam) leaves the journal on disk; disposing only releases its lock.
            journal?.Dispose();
        }
    }

    /// <summary>Throws before any work starts when a target exists and -Force was not given, or cannot be written.</summary>
    public static void EnsureWritable(string path, bool force) => EnsureWritable(new[] { path }, force);

    /// <summary>
    /// Checks every target of a run before anything is generated, sent or written: no existing file without force,
    /// no folder where the file should be, a folder that exists (or can be created) and accepts new files.
    /// Finishes or undoes an interrupted group write of these files first.
    /// </summary>
    public static void EnsureWritable(IEnumerable<string> paths, bool force, EngineLog? log = null)
    {
        var targets = paths.Select(Path.GetFullPath).ToArray();
        RecoverInterrupted(targets, log);
        foreach (string full in targets)
        {
            if (Directory.Exists(full) && new FileInfo(full).LinkTarget is null)
            {
                throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot write '{full}': it is a folder.", full);
            }

            if (!force && Exists(full))
            {
                throw new K8sOperationException(K8sErrorKind.FileSystem, $"The file '{full}' already exists; use -Force to replace it.", full);
            }

            ProbeFolder(full);
        }
    }

    /// <summary>
    /// The regular file a symbolic link finally points to, when <paramref name="path"/> is a link to an existing file;
    /// otherwise <paramref name="path"/> itself. Used where a file is edited in place (kubeconfig merges), as kubectl does.
    /// </summary>
    public static string ResolveExistingLink(string path)
    {
        string full = Path.GetFullPath(path);
        var info = new FileInfo(full);
        if (info.LinkTarget is null)
        {
            return full;
        }

        try
        {
            var target = info.ResolveLinkTarget(returnFinalTarget: true);
            return target is FileInfo { Exists: true } file ? file.FullName : full;
        }
        catch (IOException)
        {
            return full; // a link loop: not an existing file
        }
    }

    /// <summary>
    /// Finds journals of group writes that were killed part-way and touch <paramref name="paths"/>: when every rename
    /// had happened the new files stay, otherwise the replaced files are put back and the new ones removed.
    /// A journal still locked by a running writer is left alone.
    /// </summary>
    public static void RecoverInterrupted(IEnumerable<string> paths, EngineLog? log = null)
    {
        var targets = paths.Select(Path.GetFullPath).ToHashSet(PathComparer);
        foreach (string directory in targets.Select(Path.GetDirectoryName).Distinct(PathComparer).OfType<string>())
        {
            if (!Directory.Exists(directory))
            {
                continue;
            }

            foreach (string journalPath in Directory.EnumerateFiles(directory, "*" + JournalSuffix))
            {
                Recover(journalPath, targets, log);
            }
        }
    }

    private static StringComparer PathComparer => OperatingSystem.IsWindows() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;

    /// <summary>A file, a folder or a symbolic link (even a dangling one) is there.</summary>
    private static bool Exists(string full) =>
        File.Exists(full) || Directory.Exists(full) || new FileInfo(full).LinkTarget is not null;

    private static string TempName(string target, string kind) =>
        Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.{kind}");

    private static FileStreamOptions NewFileOptions(bool privateFile)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = privateFile
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        }

        return options;
    }

    private static void WriteNew(string path, byte[] content, bool privateFile)
    {
        try
        {
            using var stream = new FileStream(path, NewFileOptions(privateFile));
            stream.Write(content);
            stream.Flush(flushToDisk: true);
        }
        catch
        {
            DeleteQuietly(new[] { path });
            throw;
        }
    }

    /// <summary>A copy of a file about to be replaced (same mode), or of a symbolic link as a link.</summary>
    private static void Backup(string target, string backup)
    {
        var info = new FileInfo(target);
        if (info.LinkTarget is { } linkTarget)
        {
            File.CreateSymbolicLink(backup, linkTarget);
            return;
        }

        bool privateFile = OperatingSystem.IsWindows()
            || (File.GetUnixFileMode(target) & (UnixFileMode.GroupRead | UnixFileMode.OtherRead)) == 0;
        WriteNew(backup, File.ReadAllBytes(target), privateFile);
    }

    private static (FileStream Stream, string Path) OpenJournal(string firstTarget, List<JournalEntry> entries)
    {
        string path = TempName(firstTarget, "x") + JournalSuffix;
        var stream = new FileStream(path, NewFileOptions(privateFile: true));
        try
        {
            JsonSerializer.Serialize(stream, entries.Select(e => new JournalRecord(e.Target, e.Temp, e.Backup, e.Existed)).ToList(), JournalJson.Default.ListJournalRecord);
            stream.Flush(flushToDisk: true);
            return (stream, path);
        }
        catch
        {
            stream.Dispose();
            DeleteQuietly(new[] { path });
            throw;
        }
    }

    /// <summary>Undoes the renames of a failed group write, newest first, and removes its temporary files.</summary>
    private static void RollBack(IEnumerable<JournalEntry> entries)
    {
        foreach (var entry in entries.Reverse())
        {
            try
            {
                if (entry.Renamed)
                {
                    if (entry.Backup is not null && (File.Exists(entry.Backup) || new FileInfo(entry.Backup).LinkTarget is not null))
                    {
                        File.Move(entry.Backup, entry.Target, overwrite: true);
                    }
                    else if (!entry.Existed)
                    {
                        File.Delete(entry.Target);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Best effort; the journal is gone only if the rollback got this far, see WriteAll.
            }

            DeleteQuietly(new[] { entry.Temp, entry.Backup });
        }
    }

    private static void Recover(string journalPath, HashSet<string> targets, EngineLog? log)
    {
        FileStream stream;
        try
        {
            // A running writer holds the journal open without sharing: leave its write alone.
            stream = new FileStream(journalPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return;
        }

        List<JournalRecord>? records;
        using (stream)
        {
            try
            {
                records = JsonSerializer.Deserialize(stream, JournalJson.Default.ListJournalRecord);
            }
            catch (JsonException)
            {
                records = null;
            }
        }

        if (records is null || records.Count == 0)
        {
            // Killed while writing the journal itself: no rename had started.
            DeleteQuietly(new[] { journalPath });
            return;
        }

        if (!records.Any(r => targets.Contains(r.Target)))
        {
            return;
        }

        var entries = records.Select(r => new JournalEntry { Target = r.Target, Temp = r.Temp, Backup = r.Backup, Existed = r.Existed, Renamed = !File.Exists(r.Temp) }).ToList();
        string files = string.Join(", ", entries.Select(e => e.Target));
        if (entries.All(e => e.Renamed))
        {
            DeleteQuietly(entries.Select(e => e.Backup));
            log?.Warning($"Found an interrupted write of {files}: every file had been replaced; removed the leftover backups.");
        }
        else
        {
            RollBack(entries);
            log?.Warning($"Found an interrupted write of {files} (the process was stopped between renames); put the previous files back so they match again.");
        }

        DeleteQuietly(new[] { journalPath });
    }

    /// <summary>
    /// Fails early, with the reason, when the target's folder cannot take new files: a file where a folder should be,
    /// a read-only or inaccessible folder. Creates (and removes) one empty probe file in the nearest existing folder.
    /// </summary>
    private static void ProbeFolder(string full)
    {
        string? directory = Path.GetDirectoryName(full);
        while (directory is not null && !Directory.Exists(directory))
        {
            if (File.Exists(directory))
            {
                throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot write '{full}': '{directory}' is a file, not a folder.", full);
            }

            directory = Path.GetDirectoryName(directory);
        }

        if (directory is null)
        {
            return;
        }

        string probe = Path.Combine(directory, $".k8ssecurity-probe-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, NewFileOptions(privateFile: true)))
            {
            }

            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            DeleteQuietly(new[] { probe });
            throw new K8sOperationException(K8sErrorKind.FileSystem, $"Cannot write '{full}': the folder '{directory}' does not accept new files ({ex.Message}).", full, ex);
        }
    }

    private static void CreateDirectory(string directory, List<string> created)
    {
        var missing = new Stack<string>();
        for (string? d = directory; d is not null && !Directory.Exists(d); d = Path.GetDirectoryName(d))
        {
            missing.Push(d);
        }

        Directory.CreateDirectory(directory);
        created.AddRange(missing);
    }

    private static void RemoveEmpty(List<string> createdDirectories)
    {
        for (int i = createdDirectories.Count - 1; i >= 0; i--)
        {
            try
            {
                if (Directory.Exists(createdDirectories[i]) && !Directory.EnumerateFileSystemEntries(createdDirectories[i]).Any())
                {
                    Directory.Delete(createdDirectories[i]);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Left in place: an empty folder is harmless.
            }
        }
    }

    private static void DeleteQuietly(IEnumerable<string?> paths)
    {
        foreach (string? path in paths)
        {
            try
            {
                if (path is not null && (File.Exists(path) || new FileInfo(path).LinkTarget is not null))
                {
                    File.Delete(path);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // A leftover hidden temporary file (mode 0600) is harmless; the write's outcome is what matters.
            }
        }
    }

    private sealed class JournalEntry
    {
        public required string Target { get; init; }

        public required string Temp { get; init; }

        public string? Backup { get; set; }

        public bool Existed { get; init; }

        public bool Renamed { get; set; }
    }
}

/// <summary>One file of an interrupted group write, as its journal records it.</summary>
internal sealed record JournalRecord(string Target, string Temp, string? Backup, bool Existed);

[System.Text.Json.Serialization.JsonSerializable(typeof(List<JournalRecord>))]
internal sealed partial class JournalJson : System.Text.Json.Serialization.JsonSerializerContext
{
}
