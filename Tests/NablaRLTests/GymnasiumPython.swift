import Foundation

/// Finds and runs a Python that imports Gymnasium, for the dynamics tests: `NABLA_PYTHON`, the CI's
/// `.build/interop-python` (`.ci/run` installs gymnasium there), the peer venv `.build/peers`, or
/// `python3`. Without one the tests are skipped with a message, except under CI=true, where they run and
/// fail so that a missing Gymnasium cannot pass silently.
enum GymnasiumPython {
    static let found: String? = {
        for candidate in candidates {
            if let result = try? execute(candidate, ["-c", "import gymnasium, numpy"]), result.status == 0 { return candidate }
        }
        return nil
    }()

    static var shouldRun: Bool { found != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    static var candidates: [String] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates = [root.appendingPathComponent(".build/interop-python/bin/python").path,
                          root.appendingPathComponent(".build/peers/bin/python").path, "python3"]
        if let chosen = ProcessInfo.processInfo.environment["NABLA_PYTHON"] { candidates.insert(chosen, at: 0) }
        return candidates
    }

    static func required() throws -> String {
        if let found { return found }
        throw MissingPython(description: "Python with gymnasium not found (tried \(candidates.joined(separator: ", "))); "
            + "install it with `python3 -m pip install gymnasium` or set NABLA_PYTHON")
    }

    struct MissingPython: Error, CustomStringConvertible { let description: String }

    /// Runs `script` with `input` as its standard input and returns its standard output; throws with
    /// everything it printed when it exits non-zero.
    static func run(script: String, input: Data) throws -> Data {
        let python = try required()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-c", script]
        let inputPipe = Pipe(), outputPipe = Pipe(), errorPipe = Pipe()
        process.standardInput = inputPipe
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        try process.run()
        inputPipe.fileHandleForWriting.write(input)
        try inputPipe.fileHandleForWriting.close()
        let output = outputPipe.fileHandleForReading.readDataToEndOfFile()
        let errors = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw MissingPython(description: "the Gymnasium script failed:\n" + String(decoding: errors, as: UTF8.self))
        }
        return output
    }

    static func execute(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
