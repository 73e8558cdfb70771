using BenchmarkDotNet.Running;
using K8sSecurity.Benchmarks;

// Runs the benchmarks named on the command line (or asks), e.g.:
//   dotnet run -c Release --project tests/K8sSecurity.Benchmarks -- --filter '*Scanning*' --job short
// or measures the offline audit's peak memory per dump size in child processes (see AuditMemory):
//   dotnet run -c Release --project tests/K8sSecurity.Benchmarks -- audit-memory 50000 500000
if (args.Length > 0 && args[0].StartsWith(AuditMemory.Mode, StringComparison.Ordinal))
{
    return AuditMemory.Run(args);
}

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
