#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation
import NablaViz

/// `nabla report RUN_DIR`: writes RUN_DIR/report.html, a self-contained page with the run's summary,
/// loss and accuracy curves, confusion matrix, test images and configuration (the run-folder format is
/// documented on `RunFolder` in NablaViz), and prints its path.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write an HTML report (report.html) for a training run folder and print its path.",
        discussion: """
        Reads config.json, metrics.jsonl, summary.json, confusion.json, samples.npy and samples.json from \
        RUN_DIR (each optional: the report says what is missing) and writes report.html, loss.png, \
        accuracy.png, confusion.png and samples.png into it.
        """
    )

    @Argument(help: ArgumentHelp("The folder a training run wrote.", valueName: "RUN_DIR"))
    var runFolder: String

    func run() throws {
        do {
            let report = try writeRunReport(runFolder: URL(fileURLWithPath: runFolder))
            print(report.path)
        } catch {
            // A plain message and exit code 1, not a usage dump: the arguments were well formed.
            FileHandle.standardError.write(Data("nabla report: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
