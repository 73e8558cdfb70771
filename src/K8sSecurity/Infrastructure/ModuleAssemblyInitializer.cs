using System.Management.Automation;
using System.Reflection;
using System.Runtime.Loader;

namespace K8sSecurity.Infrastructure;

/// <summary>
/// PowerShell's documented "resolving dependency conflicts" pattern: the root assembly resolves only
/// K8sSecurity.Engine, and only into a private load context whose own dependencies (KubernetesClient,
/// YamlDotNet, Fractions) come from the Dependencies folder. Other modules' versions of those libraries
/// in the default context never meet ours.
/// </summary>
public sealed class ModuleAssemblyInitializer : IModuleAssemblyInitializer, IModuleAssemblyCleanup
{
    private const string EngineAssemblyName = "K8sSecurity.Engine";

    private static readonly string DependencyDirectory = Path.Combine(
        Path.GetDirectoryName(typeof(ModuleAssemblyInitializer).Assembly.Location)!,
        "Dependencies");

    private static readonly DependencyLoadContext LoadContext = new(DependencyDirectory);

    public void OnImport() => AssemblyLoadContext.Default.Resolving += ResolveEngine;

    public void OnRemove(PSModuleInfo psModuleInfo) => AssemblyLoadContext.Default.Resolving -= ResolveEngine;

    private static Assembly? ResolveEngine(AssemblyLoadContext defaultContext, AssemblyName assemblyName) =>
        string.Equals(assemblyName.Name, EngineAssemblyName, StringComparison.Ordinal)
            ? LoadContext.LoadFromAssemblyName(assemblyName)
            : null;

    private sealed class DependencyLoadContext : AssemblyLoadContext
    {
        private readonly string directory;

        public DependencyLoadContext(string directory)
            : base(nameof(K8sSecurity) + "Dependencies")
        {
            this.directory = directory;
        }

        protected override Assembly? Load(AssemblyName assemblyName)
        {
            // Anything not shipped in Dependencies (the framework, PowerShell itself) comes from the default context.
            string candidate = Path.Combine(directory, assemblyName.Name + ".dll");
            return File.Exists(candidate) ? LoadFromAssemblyPath(candidate) : null;
        }
    }
}
