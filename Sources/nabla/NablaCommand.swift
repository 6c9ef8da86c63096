import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// The release this build is (`nabla --version`).
let nablaVersion = "0.1.0"

/// The `nabla` command line: one subcommand per job (benchmarks now; training, labs and reports as they
/// come). To add a job, write its `ParsableCommand` in a folder of its own and list it in `subcommands`.
@main
struct NablaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nabla",
        abstract: "Nabla: a machine-learning library in Swift (tensors, autodiff, and the tools to train and measure them).",
        version: "nabla \(nablaVersion)",
        subcommands: [LabCommand.self, TrainCommand.self, BenchCommand.self, ReportCommand.self, ClassicCommand.self, AttackCommand.self, ExplainCommand.self, SummaryCommand.self, RLCommand.self, FidCommand.self, BoardCommand.self, GenerateCommand.self, SampleCommand.self, PredictCommand.self, EvaluateCommand.self]
    )

    /// Standard output goes out line by line even into a pipe or a file (`nabla train … | tee log`), so
    /// every line arrives when it is printed.
    static func main() {
        setvbuf(stdout, nil, _IOLBF, 0)
        main(nil)
    }
}
