import Foundation
import NablaTestSupport

/// The Python with Gymnasium that the dynamics tests replay episodes in (`.ci/run` installs gymnasium
/// into `.build/interop-python`; see `TestPython` for where else it looks and when tests skip).
enum GymnasiumPython {
    static let python = TestPython(importing: "gymnasium, numpy", packages: "gymnasium numpy")
    static var found: String? { python.found }
    static var shouldRun: Bool { python.shouldRun }
    static func required() throws -> String { try python.required() }

    /// Runs `script` with `input` as its standard input and returns its standard output; throws with
    /// everything it printed when it exits non-zero.
    static func run(script: String, input: Data, python chosen: String? = nil) throws -> Data {
        let python = try chosen ?? required()
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
            throw TestPython.Failure(description: "the Gymnasium script failed:\n" + String(decoding: errors, as: UTF8.self))
        }
        return output
    }
}
