using BenchmarkDotNet.Running;

// Each area keeps its benchmarks in its own <Area>Benchmarks.cs; the switcher finds them all.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
