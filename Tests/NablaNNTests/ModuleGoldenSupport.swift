import Foundation
import Nabla
@testable import NablaNN
import Testing

// Support for the whole NablaNN test target: the tolerance rule, a comparison that reports the worst
// element, and a loader for PyTorch's module reference values (../shared/golden/modules.json). Kept in
// one file so it can give way to a shared test-support module later.

/// Every suite of this target is nested here and runs one test at a time. Why: whether operations are
/// recorded for differentiation was one process-wide switch when these tests were written (the core is
/// moving it to a per-thread one); tests running side by side could then record nothing. The target
/// takes a few seconds either way.
@Suite(.serialized) enum NablaNNSuite {}

// MARK: - Tolerance and comparison

/// Two values agree when `|actual − expected| ≤ absolute + relative · |expected|`, the one rule every
/// numeric check in this target uses.
struct Tolerance: CustomStringConvertible, Sendable {
    var absolute: Double
    var relative: Double

    /// Nabla computes in float32, PyTorch's reference values are float64.
    static let golden = Tolerance(absolute: 1e-4, relative: 1e-3)
    /// Results that must agree up to float32 rounding (the same computation done two ways).
    static let exact = Tolerance(absolute: 1e-5, relative: 1e-5)

    func allowance(for expected: Double) -> Double { absolute + relative * Swift.abs(expected) }
    var description: String { "atol \(absolute), rtol \(relative)" }
}

/// Checks that `actual` and `expected` have one shape and agree element by element; on failure records
/// how many disagree and the worst one. Returns the largest absolute difference (for reports).
@discardableResult
func expectClose(_ actual: Tensor?, _ expected: Tensor, _ label: String, tolerance: Tolerance = .golden,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    guard let actual else {
        Issue.record("\(label): no value (expected shape \(expected.shape))", sourceLocation: sourceLocation)
        return .infinity
    }
    guard actual.shape == expected.shape else {
        Issue.record("\(label): shape \(actual.shape) but expected \(expected.shape)", sourceLocation: sourceLocation)
        return .infinity
    }
    return expectClose(actual.scalars.map(Double.init), expected.scalars.map(Double.init), label,
                       tolerance: tolerance, sourceLocation: sourceLocation)
}

/// One value against one expected value.
@discardableResult
func expectClose(_ actual: Float, _ expected: Double, _ label: String, tolerance: Tolerance = .golden,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    expectClose([Double(actual)], [expected], label, tolerance: tolerance, sourceLocation: sourceLocation)
}

/// The same check for flat arrays of values.
@discardableResult
func expectClose(_ actual: [Double], _ expected: [Double], _ label: String, tolerance: Tolerance = .golden,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    guard actual.count == expected.count else {
        Issue.record("\(label): \(actual.count) values but expected \(expected.count)", sourceLocation: sourceLocation)
        return .infinity
    }
    var failures = 0, worstIndex = -1, largestDifference = 0.0
    for index in actual.indices {
        let difference = Swift.abs(actual[index] - expected[index])
        if !(difference <= largestDifference) { largestDifference = difference }   // NaN counts as largest
        if !(difference <= tolerance.allowance(for: expected[index])) {
            failures += 1
            if worstIndex < 0 || !(difference <= Swift.abs(actual[worstIndex] - expected[worstIndex])) { worstIndex = index }
        }
    }
    if failures > 0 {
        Issue.record("""
            \(label): \(failures) of \(expected.count) values outside \(tolerance); worst at [\(worstIndex)]: \
            expected \(expected[worstIndex]), actual \(actual[worstIndex])
            """, sourceLocation: sourceLocation)
    }
    return largestDifference
}

// MARK: - Golden modules

/// A tensor as stored in a golden file: row-major values in double precision.
struct GoldenTensor: Sendable {
    let shape: [Int]
    let data: [Double]

    /// A fresh float32 tensor each time, so no test can change another's reference values.
    func tensor(requiresGrad: Bool = false) -> Tensor {
        Tensor(data.map { Float($0) }, shape: shape, requiresGrad: requiresGrad)
    }
}

/// One entry of `modules.json`: a layer's weights, an input, and PyTorch's output and gradients.
struct ModuleGoldenCase: Sendable, CustomStringConvertible {
    let name: String
    /// PyTorch's constructor call, e.g. `nn.Conv2d(2, 3, 3, padding=1)`.
    let torch: String
    let isTraining: Bool
    let stateDictionary: [String: GoldenTensor]
    let input, output, gradientOfOutput, gradientOfInput: GoldenTensor
    /// Parameter name → gradient.
    let parameterGradients: [String: GoldenTensor]
    /// Buffer name → value after the forward pass.
    let buffersAfter: [String: GoldenTensor]

    var description: String { name }

    /// The state dictionary as tensors, for `loadStateDictionary`.
    func state() -> [String: Tensor] { stateDictionary.mapValues { $0.tensor() } }
}

struct GoldenError: Error, CustomStringConvertible {
    let description: String
}

enum ModuleGolden {
    static let environmentVariable = "NABLA_GOLDEN"

    /// `$NABLA_GOLDEN` when set, else `../shared/golden` beside the package root (found from this file's
    /// path, so the tests work from any working directory).
    static var folder: URL {
        if let path = ProcessInfo.processInfo.environment[environmentVariable], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        return URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()   // NablaNNTests
            .deletingLastPathComponent()   // Tests
            .deletingLastPathComponent()   // package root
            .appendingPathComponent("../shared/golden", isDirectory: true).standardizedFileURL
    }

    /// Every case of modules.json, read once per test run.
    private static let all: Result<[String: ModuleGoldenCase], GoldenError> = Result { try loadAll() }
        .mapError { $0 as? GoldenError ?? GoldenError(description: "modules.json: \($0)") }

    static func `case`(_ name: String) throws -> ModuleGoldenCase {
        guard let found = try all.get()[name] else {
            throw GoldenError(description: "modules.json in \(folder.path) has no module named \(name)")
        }
        return found
    }

    private static func loadAll() throws -> [String: ModuleGoldenCase] {
        let url = folder.appendingPathComponent("modules.json")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GoldenError(description: """
                golden file \(url.path) not found: PyTorch's reference values are expected in \(folder.path) \
                (set \(environmentVariable) to the folder that holds modules.json)
                """)
        }
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any]
        guard let modules = root?["modules"] as? [[String: Any]] else {
            throw GoldenError(description: "\(url.path) has no list \"modules\"")
        }
        var cases: [String: ModuleGoldenCase] = [:]
        for entry in modules {
            guard let name = entry["name"] as? String else { throw GoldenError(description: "modules.json: an entry has no name") }
            func tensor(_ value: Any?, _ what: String) throws -> GoldenTensor {
                guard let fields = value as? [String: Any],
                      let shape = (fields["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                      let data = (fields["data"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.doubleValue }),
                      shape.reduce(1, *) == data.count else {
                    throw GoldenError(description: "modules.json: \(name).\(what) is not a {shape, data} tensor")
                }
                return GoldenTensor(shape: shape, data: data)
            }
            func tensors(_ key: String) throws -> [String: GoldenTensor] {
                guard let fields = entry[key] as? [String: Any] else { return [:] }
                return try fields.reduce(into: [:]) { $0[$1.key] = try tensor($1.value, "\(key).\($1.key)") }
            }
            cases[name] = ModuleGoldenCase(
                name: name, torch: entry["torch"] as? String ?? "", isTraining: flag(entry["train"]) ?? true,
                stateDictionary: try tensors("state_dict"), input: try tensor(entry["input"], "input"),
                output: try tensor(entry["output"], "output"), gradientOfOutput: try tensor(entry["grad_output"], "grad_output"),
                gradientOfInput: try tensor(entry["grad_input"], "grad_input"), parameterGradients: try tensors("grads"),
                buffersAfter: try tensors("buffers_after"))
        }
        return cases
    }

    /// A JSON boolean, which Foundation may hand over as `Bool` or as `NSNumber`.
    private static func flag(_ value: Any?) -> Bool? {
        if let value = value as? Bool { return value }
        return (value as? NSNumber)?.boolValue
    }
}
