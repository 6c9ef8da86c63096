import Foundation
import NablaGenerative
import NablaTestSupport
import Testing

/// The Fréchet distance against the textbook formula with SciPy's `sqrtm` (as in pytorch-fid), within
/// 1e-4 relative. `.ci/run` installs scipy into `.build/interop-python`; elsewhere set `NABLA_PYTHON`
/// to a Python with numpy and scipy. Without one the test is skipped, except under CI where it fails.
@Suite(.enabled(if: SciPyPython.found != nil || ProcessInfo.processInfo.environment["CI"] == "true",
                "Python with numpy and scipy not found (set NABLA_PYTHON)"))
struct FrechetDistanceSciPyTests {
    @Test func matchesSciPySqrtmFormula() throws {
        let python = try #require(SciPyPython.found, "Python with numpy and scipy not found")
        // Python draws two correlated 200 × 8 sets, prints them and the textbook distance.
        let script = """
        import numpy as np, scipy.linalg, json
        rng = np.random.default_rng(7)
        a = rng.normal(size=(200, 8)).astype(np.float32) @ rng.normal(size=(8, 8)).astype(np.float32)
        b = (rng.normal(size=(200, 8)) * 1.5 + 0.3).astype(np.float32) @ rng.normal(size=(8, 8)).astype(np.float32)
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        m1, m2 = a64.mean(0), b64.mean(0)
        s1, s2 = np.cov(a64, rowvar=False), np.cov(b64, rowvar=False)
        root, _ = scipy.linalg.sqrtm(s1 @ s2, disp=False)
        d = float(((m1 - m2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(root.real))
        print(json.dumps({"a": a.ravel().tolist(), "b": b.ravel().tolist(), "d": d}))
        """
        let output = try SciPyPython.execute(python, ["-c", script])
        let decoded = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let a = try #require(decoded?["a"] as? [Double]).map(Float.init)
        let b = try #require(decoded?["b"] as? [Double]).map(Float.init)
        let expected = try #require(decoded?["d"] as? Double)
        let distance = try frechetDistance(a, rows: 200, width: 8, b, rows: 200, width: 8)
        #expect(abs(distance - expected) <= 1e-4 * abs(expected), "Nabla \(distance), SciPy \(expected)")
    }
}

/// A Python that imports numpy and scipy (see `TestPython` for where it looks).
enum SciPyPython {
    static let found = TestPython(importing: "numpy, scipy.linalg", packages: "numpy scipy").found

    /// The program's standard output; throws when it cannot start or exits non-zero.
    static func execute(_ program: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.executableLoad) }
        return String(decoding: data, as: UTF8.self)
    }
}
