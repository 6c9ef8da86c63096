import ArgumentParser

/// `nabla bench ...`: performance measurements that print one JSON object per line, so runs can be
/// compared by a script or against ../shared/reference/PEERS.md. Build with `swift build -c release`
/// first; debug-build figures mean nothing.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure performance; prints one JSON object per line.",
        subcommands: [CoreBenchmark.self, OptimizerBenchmark.self, TrainBenchmark.self, ClassicBenchmark.self, TrustBenchmark.self, QuantizationBenchmark.self, PruningBenchmark.self, GanBenchmark.self, StepBenchmark.self, RLBenchmark.self, GraphBenchmark.self, LanguageBenchmark.self, RecurrentBenchmark.self]
    )
}
