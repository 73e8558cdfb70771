using K8sSecurity.Engine.Errors;
using K8sSecurity.Engine.IO;
using Xunit;

namespace K8sSecurity.Engine.Tests.IO;

public sealed class SecureFileTests
{
    [Fact]
    public void WritesMode0600AndRefusesToOverwriteWithoutForce()
    {
        string dir = Directory.CreateTempSubdirectory("k8ssec-io").FullName;
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
        Directory.Delete(dir, true);
    }
}
