import Foundation

/// A Python for the tests that check Nabla against Python's own libraries (NumPy, safetensors, SciPy,
/// Gymnasium): the first of `NABLA_PYTHON`, the CI's `.build/interop-python` (made by `.ci/run`), the
/// peers' `.build/peers` and `python3` that imports `modules`. Such tests run where one is found, and
/// always under CI=true, where a missing one fails instead of passing silently.
public struct TestPython: Sendable {
    /// What the interpreter must import, as in an `import` statement: "numpy, safetensors".
    public let modules: String
    /// The packages that provide them, for the error message: "numpy safetensors".
    public let packages: String
    public let candidates: [String]
    /// The first candidate that imports `modules`, or nil. Looked for once, when created.
    public let found: String?

    public init(importing modules: String, packages: String) {
        self.modules = modules
        self.packages = packages
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        var candidates = [root.appendingPathComponent(".build/interop-python/bin/python").path,
                          root.appendingPathComponent(".build/peers/bin/python").path, "python3"]
        if let chosen = ProcessInfo.processInfo.environment["NABLA_PYTHON"] { candidates.insert(chosen, at: 0) }
        self.candidates = candidates
        found = candidates.first { (try? TestPython.execute($0, ["-c", "import \(modules)"]))?.status == 0 }
    }

    /// Whether the tests run: where a Python was found, and always under CI.
    public var shouldRun: Bool { found != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// The Python found, or an error naming what was tried (reached only under CI, see `shouldRun`).
    public func required() throws -> String {
        if let found { return found }
        throw Failure(description: "Python importing \(modules) not found (tried \(candidates.joined(separator: ", "))); "
            + "install them with `python3 -m pip install \(packages)` or set NABLA_PYTHON")
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `program` with `arguments`; its exit status and everything it printed (standard output and
    /// standard error together).
    public static func execute(_ program: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
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
