using BenchmarkDotNet.Running;

// Runs the benchmarks named on the command line (or asks), e.g.:
//   dotnet run -c Release --project tests/K8sSecurity.Benchmarks -- --filter '*Scanning*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
