using K8sSecurity.Engine.Diagnostics;
using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.Identity;
using K8sSecurity.Engine.IO;
using Xunit;

namespace K8sSecurity.Engine.Tests.IO;

public sealed class SecureFileTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("k8ssec-io").FullName;

    [Fact]
    public void WritesMode0600AndRefusesToOverwriteWithoutForce()
    {
        string path = Path.Combine(dir, "user.key");
        SecureFile.WriteAllText(path, "first", force: false);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        var ex = Assert.Throws<K8sOperationException>(() => SecureFile.WriteAllText(path, "second", force: false));
        Assert.Equal(K8sErrorKind.FileSystem, ex.Kind);
        Assert.Equal("first", File.ReadAllText(path));

        SecureFile.WriteAllText(path, "second", force: true);
        Assert.Equal("second", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir)); // no temp files left behind
    }

    [Fact]
    public void AFolderOrAFileInTheWayIsRefusedBeforeAnythingIsWritten()
    {
        string key = Path.Combine(dir, "a.key");
        string crt = Path.Combine(dir, "a.crt");
        File.WriteAllText(key, "old key");
        Directory.CreateDirectory(crt);

        // A folder where the certificate should go: refused up front, even with force; the key is untouched.
        var folder = Assert.Throws<K8sOperationException>(() => SecureFile.WriteAll(Pair(key, crt, "new"), force: true));
        Assert.Equal(K8sErrorKind.FileSystem, folder.Kind);
        Assert.Contains("is a folder", folder.Message, StringComparison.Ordinal);
        Assert.Equal("old key", File.ReadAllText(key));

        // A file where a folder of the path should be.
        string blocker = Path.Combine(dir, "blocker");
        File.WriteAllText(blocker, "x");
        var underFile = Assert.Throws<K8sOperationException>(() => SecureFile.EnsureWritable(Path.Combine(blocker, "sub", "b.kubeconfig"), force: true));
        Assert.Contains("is a file, not a folder", underFile.Message, StringComparison.Ordinal);
        Assert.Equal(new[] { "a.crt" }, Directory.GetDirectories(dir).Select(Path.GetFileName));
        Assert.Equal(new[] { "a.key", "blocker" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void ARenameThatFailsPutsBackWhatTheEarlierRenamesReplaced()
    {
        string key = Path.Combine(dir, "ca.key");
        string crt = Path.Combine(dir, "ca.crt");
        SecureFile.WriteAllText(key, "old key", force: false);
        SecureFile.WriteAllText(crt, "old cert", force: false, privateFile: false);

        // Failure injection between the renames: the certificate's place becomes a folder after the key was renamed.
        SecureFile.AfterRename = i =>
        {
            if (i == 0)
            {
                File.Delete(crt);
                Directory.CreateDirectory(crt);
            }
        };
        try
        {
            var ex = Assert.Throws<K8sOperationException>(() => SecureFile.WriteAll(Pair(key, crt, "new"), force: true));
            Assert.Equal(K8sErrorKind.FileSystem, ex.Kind);
            Assert.Contains("Nothing was changed", ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            SecureFile.AfterRename = null;
        }

        Assert.Equal("old key", File.ReadAllText(key));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }

        Assert.Equal(new[] { "ca.key" }, Directory.GetFiles(dir).Select(Path.GetFileName)); // no temporaries, backups or journal
    }

    [Fact]
    public void AWriteKilledBetweenRenamesIsUndoneByTheNextWriteOrRead()
    {
        string key = Path.Combine(dir, "ca.key");
        string crt = Path.Combine(dir, "ca.crt");
        File.WriteAllText(key, "old key");
        File.WriteAllText(crt, "old cert");
        KillAfterRename(0, () => SecureFile.WriteAll(Pair(key, crt, "new"), force: true));

        // What a killed process leaves: the new key beside the old certificate, plus the journal.
        Assert.Equal("new key", File.ReadAllText(key));
        Assert.Equal("old cert", File.ReadAllText(crt));
        Assert.Single(Directory.GetFiles(dir, "*.k8ssecurity-journal"));

        var log = new EngineLog();
        SecureFile.RecoverInterrupted(new[] { crt }, log);
        Assert.Equal("old key", File.ReadAllText(key));
        Assert.Equal("old cert", File.ReadAllText(crt));
        Assert.Equal(new[] { "ca.crt", "ca.key" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order());
        Assert.True(log.TryTake(out var warning));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("put the previous files back", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AWriteKilledAfterItsLastRenameKeepsTheNewFiles()
    {
        string key = Path.Combine(dir, "x.key");
        string crt = Path.Combine(dir, "x.crt");
        File.WriteAllText(key, "old key");
        KillAfterRename(1, () => SecureFile.WriteAll(Pair(key, crt, "new"), force: true));

        SecureFile.EnsureWritable(new[] { key, crt }, force: true);
        Assert.Equal("new key", File.ReadAllText(key));
        Assert.Equal("new cert", File.ReadAllText(crt));
        Assert.Equal(new[] { "x.crt", "x.key" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void ACertificateAuthorityKilledBetweenRenamesLoadsAsTheOldMatchingPair()
    {
        var request = new CertificateAuthorityRequest { OutputDirectory = dir, KeyAlgorithm = KeyAlgorithm.EcdsaP256 };
        var old = PkiService.NewAuthority(request, EngineLog.None);
        KillAfterRename(0, () => PkiService.NewAuthority(request with { Force = true }, EngineLog.None));

        // Without recovery the key on disk no longer belongs to the certificate; loading the CA repairs the pair first.
        using var authority = CertificateAuthorityKeyPair.Load(Path.Combine(dir, "ca.crt"), Path.Combine(dir, "ca.key"));
        Assert.Equal(old.Thumbprint, Convert.ToHexString(authority.Certificate.GetCertHash(System.Security.Cryptography.HashAlgorithmName.SHA256)));
        Assert.Equal(new[] { "ca.crt", "ca.key" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void ForceReplacesASymbolicLinkInsteadOfWritingThroughIt()
    {
        string elsewhere = Path.Combine(dir, "elsewhere.txt");
        File.WriteAllText(elsewhere, "not yours");
        string key = Path.Combine(dir, "user.key");
        File.CreateSymbolicLink(key, elsewhere);
        string dangling = Path.Combine(dir, "dangling.key");
        File.CreateSymbolicLink(dangling, Path.Combine(dir, "missing"));

        Assert.Throws<K8sOperationException>(() => SecureFile.WriteAllText(key, "secret", force: false));
        Assert.Throws<K8sOperationException>(() => SecureFile.WriteAllText(dangling, "secret", force: false));
        Assert.False(File.Exists(Path.Combine(dir, "missing")));

        SecureFile.WriteAllText(key, "secret", force: true);
        Assert.Null(new FileInfo(key).LinkTarget);
        Assert.Equal("secret", File.ReadAllText(key));
        Assert.Equal("not yours", File.ReadAllText(elsewhere));
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static SecureFileContent[] Pair(string key, string crt, string version) => new[]
    {
        SecureFileContent.Text(key, version + " key"),
        SecureFileContent.Text(crt, version + " cert", privateFile: false),
    };

    /// <summary>Runs a group write that stops after rename <paramref name="index"/> the way a killed process stops.</summary>
    private static void KillAfterRename(int index, Action write)
    {
        SecureFile.AfterRename = i =>
        {
            if (i == index)
            {
                throw new ProcessKilledException();
            }
        };
        try
        {
            Assert.Throws<ProcessKilledException>(write);
        }
        finally
        {
            SecureFile.AfterRename = null;
        }
    }

    private sealed class ProcessKilledException : Exception
    {
    }
}
