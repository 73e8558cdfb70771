using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace K8sSecurity.Tests.Authorization;

/// <summary>
/// Loads the test server's YamlDotNet into a private load context when (and only when) the server asks for it, so
/// the default context stays free for AssemblyLoadContextTests, which loads another YamlDotNet version there first.
/// </summary>
internal static class TestServerYamlResolver
{
    private static readonly Lazy<Assembly> YamlDotNet = new(() =>
        new AssemblyLoadContext("TestServerYamlDotNet").LoadFromAssemblyPath(Path.Combine(AppContext.BaseDirectory, "TestServerYamlDotNet", "YamlDotNet.dll")));

#pragma warning disable CA2255 // A test assembly must hook resolution before any test starts a server.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Register() =>
        AssemblyLoadContext.Default.Resolving += (_, name) =>
            name.Name == "YamlDotNet" && name.Version?.Major == 18 ? YamlDotNet.Value : null;
}
