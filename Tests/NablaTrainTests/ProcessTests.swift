import Foundation
import NablaData
import NablaLabs
import Testing
@testable import NablaTrain

/// The `nabla` executable beside the test bundle (SwiftPM builds it with the tests), if present.
let nablaExecutable: URL? = {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let candidate = bundle.appendingPathComponent("nabla")
    return FileManager.default.isExecutableFile(atPath: candidate.path) ? candidate : nil
}()

/// A small stand-in for Fashion-MNIST (uncompressed IDX files): class k lights rows 2k…2k+2.
func writeTinyFashionMNIST(to folder: URL, training: Int = 200, test: Int = 40) throws {
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    for (split, count) in [("train", training), ("t10k", test)] {
        var pixels: [Double] = [], labels: [Double] = []
        for index in 0..<count {
            let label = index % 10
            labels.append(Double(label))
            for row in 0..<28 { for column in 0..<28 { pixels.append(row / 2 == label ? 200 : Double((index * 31 + row * 7 + column) % 40)) } }
        }
        try IDX.write(pixels, shape: [count, 28, 28], as: .unsignedByte, to: folder.appendingPathComponent("\(split)-images-idx3-ubyte").path)
        try IDX.write(labels, shape: [count], as: .unsignedByte, to: folder.appendingPathComponent("\(split)-labels-idx1-ubyte").path)
    }
}

func launch(_ arguments: [String], environment: [String: String] = [:]) throws -> Process {
    let process = Process()
    process.executableURL = nablaExecutable!
    process.arguments = arguments
    if !environment.isEmpty {
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    return process
}

func waitFor(_ condition: () -> Bool, seconds: Double = 120) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    return condition()
}

@Suite(.serialized, .enabled(if: nablaExecutable != nil, "the nabla executable is not built beside the tests (swift build first)"))
struct ProcessTests {
    @Test(.timeLimit(.minutes(5)))
    func runsKilledWithSIGKILLResumeAndLeaveNoTemporaryFiles() throws {
        let root = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let data = root.deletingLastPathComponent().appendingPathComponent("data")
        try writeTinyFashionMNIST(to: data)
        let folder = root.path
        let checkpoint = root.appendingPathComponent("checkpoint.safetensors").path
        var arguments = ["lab", "run", "fashion-mlp", "--quick", "--set", "epochs=3", "--set", "batch_size=10", "--set", "test_examples=40",
                         "--data-folder", data.path, "--checkpoint-every", "1", "--output", folder]
        var random = SystemRandomNumberGenerator()
        for round in 0..<3 {
            let process = try launch(arguments)
            // Kill while it writes checkpoints every step (a few milliseconds in), so writes are cut short.
            #expect(waitFor { FileManager.default.fileExists(atPath: checkpoint) || !process.isRunning }, "round \(round): no checkpoint appeared")
            Thread.sleep(forTimeInterval: Double.random(in: 0.01...0.3, using: &random))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            arguments = ["lab", "run", "--resume", folder, "--checkpoint-every", "1"]
        }
        // A killed atomic write leaves a temporary file; make sure one is there whatever the timing was.
        try writeFileAtomically("partial", to: root.appendingPathComponent(".checkpoint.safetensors.tmp-Zz9Yy8").path)
        var options = LabRunOptions()
        options.resume = folder
        options.dataFolder = data.path
        let summary = try LabRunner.run(FashionClassifierLab.mlp, options: options)
        #expect(!summary.result.isInterrupted && summary.result.headline.isFinite)
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".tmp-") }
        #expect(left.isEmpty, "temporary files after resume: \(left)")
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("report.html").path))
    }

    @Test(.timeLimit(.minutes(5)))
    func twoRunsOnOneFolderTheSecondIsRefusedNamingTheFirst() throws {
        let root = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let data = root.deletingLastPathComponent().appendingPathComponent("data")
        try writeTinyFashionMNIST(to: data)
        let first = try launch(["lab", "run", "fashion-mlp", "--quick", "--set", "epochs=50", "--set", "batch_size=10",
                                "--data-folder", data.path, "--output", root.path])
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL); first.waitUntilExit() } }
        let lock = root.appendingPathComponent(".lock").path
        #expect(waitFor { (try? String(contentsOfFile: lock, encoding: .utf8))?.contains("\(first.processIdentifier)") == true })
        var options = LabRunOptions()
        options.output = root.path
        options.overwrite = true
        options.dataFolder = data.path
        let error = #expect(throws: RunFolderError.self) { try LabRunner.run(FashionClassifierLab.mlp, options: options) }
        #expect(error?.description.contains("in use by another run (process \(first.processIdentifier))") == true, "\(String(describing: error))")
        #expect(first.isRunning, "the first run must not be disturbed")
    }

    /// A seeded run repeats to the last bit in a new process because the matrix-product routes it
    /// measured are read back from the machine's route file; with other routes in that file the bits
    /// change, which shows the file is what makes the runs agree (routes round differently).
    @Test(.timeLimit(.minutes(5)))
    func aSeededRunRepeatsInANewProcessTakingTheRoutesTheFirstOneMeasured() throws {
        let root = temporaryRunFolder()
        defer { try? FileManager.default.removeItem(at: root.deletingLastPathComponent()) }
        let data = root.deletingLastPathComponent().appendingPathComponent("data")
        try writeTinyFashionMNIST(to: data)
        let routes = root.deletingLastPathComponent().appendingPathComponent("routes.txt").path
        func runToEnd(_ name: String, routeFile: String) throws -> Data {
            let process = try launch(["lab", "run", "fashion-mlp", "--quick", "--set", "epochs=2", "--set", "batch_size=20",
                                      "--set", "test_examples=40", "--data-folder", data.path,
                                      "--output", root.appendingPathComponent(name).path], environment: ["NABLA_PRODUCT_ROUTES": routeFile])
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "run \(name) failed")
            return try Data(contentsOf: root.appendingPathComponent(name).appendingPathComponent("model.safetensors"))
        }
        let first = try runToEnd("first", routeFile: routes)
        let again = try runToEnd("again", routeFile: routes)
        #expect(first == again, "the second process must compute every product as the first did")

        // The same file with every decision swapped for another candidate of its class.
        let lines = try String(contentsOfFile: routes, encoding: .utf8).split(separator: "\n").map(String.init)
        let decisions = lines.dropFirst().compactMap { line -> (Int, String)? in
            let fields = line.split(separator: " ")
            return fields.count == 2 ? Int(fields[0]).map { ($0, String(fields[1])) } : nil
        }
        guard !decisions.isEmpty else { return }   // one candidate per class here (no AVX-512): nothing to swap
        let swapped = decisions.map { key, route -> String in
            let large = key & (1 << 27) != 0
            let other = ["nabla": "openblas", "openblas": "nabla", "nabla-split": large ? "openblas-threaded" : "nabla",
                         "openblas-threaded": "nabla-split"][route]!
            return "\(key) \(other)"
        }
        let swappedRoutes = routes + ".swapped"
        try ([lines[0]] + swapped).joined(separator: "\n").write(toFile: swappedRoutes, atomically: true, encoding: .utf8)
        let other = try runToEnd("swapped", routeFile: swappedRoutes)
        #expect(other != first, "other routes round differently; if they did not, this test could not tell")
    }
}
