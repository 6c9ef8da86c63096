import Foundation
import NablaLabs
import Testing
@testable import NablaTrain

/// `nabla lab run … | cat`: the header arrives at once and a plain progress line while the epoch runs
/// (every NABLA_PROGRESS_SECONDS, 10 s by default, shortened here); SIGINT mid-epoch writes a checkpoint,
/// says how to resume, exits with 130, and the run resumes to the end.
@Suite(.serialized, .enabled(if: nablaExecutable != nil, "the nabla executable is not built beside the tests (swift build first)"))
struct InterruptProcessTests {
    @Test(.timeLimit(.minutes(5)))
    func pipedOutputArrivesAndSIGINTLeavesAResumableCheckpoint() throws {
        let root = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let data = root.deletingLastPathComponent().appendingPathComponent("data")
        try writeTinyFashionMNIST(to: data, training: 1200)
        let process = Process()
        process.executableURL = nablaExecutable!
        process.arguments = ["lab", "run", "fashion-mlp", "--quick", "--set", "epochs=2", "--set", "batch_size=10",
                             "--set", "test_examples=40", "--data-folder", data.path, "--output", root.path]
        process.environment = ProcessInfo.processInfo.environment.merging(["NABLA_PROGRESS_SECONDS": "0.2"]) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let collected = CollectedOutput()
        pipe.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        func output() -> String { collected.text }
        try process.run()
        #expect(waitFor { output().contains("lab fashion-mlp") || !process.isRunning }, "the header line did not arrive while the run went on")
        #expect(waitFor { output().contains(" batch ") && output().contains("samples/s") || !process.isRunning },
                "no progress line arrived mid-epoch: \(output())")
        #expect(process.isRunning, "the run ended before it could be interrupted")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        Thread.sleep(forTimeInterval: 0.2)
        pipe.fileHandleForReading.readabilityHandler = nil
        let printed = output()
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "status \(process.terminationStatus)")
        #expect(printed.contains("SIGINT: stopped after step"), "\(printed)")
        #expect(printed.contains("checkpoint written; continue with: nabla lab run --resume \(root.path)"), "\(printed)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("checkpoint.safetensors").path))

        var options = LabRunOptions()
        options.resume = root.path
        options.dataFolder = data.path
        let summary = try LabRunner.run(FashionClassifierLab.mlp, options: options)
        #expect(!summary.result.isInterrupted && summary.result.headline.isFinite)
    }
}

/// What a child process printed so far, appended from the pipe's reading thread.
final class CollectedOutput: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func append(_ chunk: Data) { lock.lock(); data.append(chunk); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}
