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
        // The report's files go into RUN_DIR: an empty path would put them in the current folder, and a
        // folder holding none of a run's files (such as /) is not a run folder to write into.
        if runFolder.isEmpty { throw failure("nabla report: the run folder is an empty path; give the folder a training run wrote") }
        let runFiles = [RunFolder.configFile, RunFolder.metricsFile, RunFolder.summaryFile, RunFolder.confusionFile,
                        RunFolder.samplesFile, RunFolder.samplesLabelsFile]
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: runFolder, isDirectory: &isFolder), isFolder.boolValue,
           !runFiles.contains(where: { FileManager.default.fileExists(atPath: URL(fileURLWithPath: runFolder).appendingPathComponent($0).path) }) {
            throw failure("nabla report: \(runFolder) holds none of a run's files (\(runFiles.joined(separator: ", "))); is it a run folder? Nothing was written")
        }
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
