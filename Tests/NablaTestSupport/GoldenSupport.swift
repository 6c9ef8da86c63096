import Foundation
import Testing
import Nabla

// Shared support for the whole test target: the tolerance rule, the one-line comparison helper, and the
// loader for PyTorch's reference values in Tests/Golden/ (written by scripts/golden/generate.py).

// MARK: - Tolerance

/// Two values agree when `|actual − expected| ≤ absolute + relative · |expected|`.
///
/// This is the one rule every numeric check in the target uses; only the two numbers change.
public struct Tolerance: CustomStringConvertible, Sendable {
    public var absolute: Double
    public var relative: Double

    /// Nabla computes in float32, PyTorch's reference values are float64.
    public static let golden = Tolerance(absolute: 1e-4, relative: 1e-3)
    /// Results that must be exact up to float32 rounding (copies, views, sums of a few terms).
    public static let exact = Tolerance(absolute: 1e-6, relative: 1e-6)

    public func allowance(for expected: Double) -> Double { absolute + relative * Swift.abs(expected) }

    public func allows(_ actual: Double, _ expected: Double) -> Bool {
        if expected.isNaN { return actual.isNaN }
        if expected.isInfinite { return actual == expected }
        return Swift.abs(actual - expected) <= allowance(for: expected)
    }

    public init(absolute: Double, relative: Double) {
        self.absolute = absolute
        self.relative = relative
    }

    public var description: String { "atol \(absolute), rtol \(relative)" }
}

// MARK: - Comparison

/// Checks that `actual` has `expected`'s shape and every element agrees within `tolerance`; on failure
/// reports `label`, how many elements disagree, and the worst one with its index, expected and actual.
/// Returns the largest absolute difference (infinite for a missing tensor or a wrong shape), for
/// reports of how close a layer came.
@discardableResult
public func expectClose(_ actual: Tensor?, _ expected: Tensor, _ label: String, tolerance: Tolerance = .golden,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    guard let actual else {
        Issue.record("\(label): no value (expected shape \(expected.shape))", sourceLocation: sourceLocation)
        return .infinity
    }
    guard actual.shape == expected.shape else {
        Issue.record("\(label): shape \(actual.shape) but expected \(expected.shape)", sourceLocation: sourceLocation)
        return .infinity
    }
    return expectClose(actual.scalars.map(Double.init), expected.scalars.map(Double.init), shape: expected.shape,
                       label, tolerance: tolerance, sourceLocation: sourceLocation)
}

/// The same check for flat arrays of values laid out row-major in `shape` (the shape names indices).
@discardableResult
public func expectClose(_ actual: [Double], _ expected: [Double], shape: [Int]? = nil, _ label: String,
                 tolerance: Tolerance = .golden, sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    guard actual.count == expected.count else {
        Issue.record("\(label): \(actual.count) values but expected \(expected.count)", sourceLocation: sourceLocation)
        return .infinity
    }
    var failures = 0
    var largestDifference = 0.0
    var worst: (index: Int, excess: Double)? = nil
    for index in actual.indices {
        let difference = Swift.abs(actual[index] - expected[index])
        if expected[index].isFinite { largestDifference = Swift.max(largestDifference, difference.isNaN ? .infinity : difference) }
        guard !tolerance.allows(actual[index], expected[index]) else { continue }
        failures += 1
        // How many times the allowance the error is; NaN where a number was expected counts as worst.
        let excess = actual[index].isFinite
            ? Swift.abs(actual[index] - expected[index]) / tolerance.allowance(for: expected[index]) : .infinity
        if worst == nil || excess > worst!.excess { worst = (index, excess) }
    }
    guard let worst else { return largestDifference }
    let position = shape.map { "\(multiIndex(worst.index, shape: $0))" } ?? "[\(worst.index)]"
    let difference = Swift.abs(actual[worst.index] - expected[worst.index])
    Issue.record("""
        \(label): \(failures) of \(expected.count) elements outside \(tolerance); worst at \(position): \
        expected \(expected[worst.index]), actual \(actual[worst.index]), \
        |difference| \(difference) > allowed \(tolerance.allowance(for: expected[worst.index]))
        """, sourceLocation: sourceLocation)
    return largestDifference
}

/// A tensor's row-major values against expected values (derived by hand).
@discardableResult
public func expectClose(_ actual: Tensor, _ expected: [Double], _ label: String, tolerance: Tolerance = .golden,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    expectClose(actual.scalars.map(Double.init), expected, shape: actual.shape, label, tolerance: tolerance,
                sourceLocation: sourceLocation)
}

/// One scalar against one expected value.
@discardableResult
public func expectClose(_ actual: Float, _ expected: Double, _ label: String, tolerance: Tolerance = .golden,
                 sourceLocation: SourceLocation = #_sourceLocation) -> Double {
    expectClose([Double(actual)], [expected], label, tolerance: tolerance, sourceLocation: sourceLocation)
}

/// Values of a tensor that must equal `expected` exactly (creation, copies, indexing).
public func expectValues(_ tensor: Tensor, _ expected: [Float], shape: [Int]? = nil, _ label: String = "values",
                  sourceLocation: SourceLocation = #_sourceLocation) {
    if let shape { #expect(tensor.shape == shape, "\(label): shape", sourceLocation: sourceLocation) }
    #expect(tensor.scalars == expected, "\(label)", sourceLocation: sourceLocation)
}

/// The row-major multi-index of flat position `flat` in `shape`.
public func multiIndex(_ flat: Int, shape: [Int]) -> [Int] {
    var remainder = flat
    var result = [Int](repeating: 0, count: shape.count)
    for axis in stride(from: shape.count - 1, through: 0, by: -1) where shape[axis] > 0 {
        result[axis] = remainder % shape[axis]
        remainder /= shape[axis]
    }
    return result
}

// MARK: - Golden files

/// Why a golden file could not be used; the message names the path and how to point elsewhere.
public struct GoldenError: Error, CustomStringConvertible {
    public let description: String
}

/// A JSON value of a golden file, decoded without a fixed schema so that ops.json, second_order.json,
/// modules.json and optim.json all go through the same loader.
public enum GoldenValue: Decodable, Equatable {
    case number(Double)
    case string(String)
    case bool(Bool)
    case array([GoldenValue])
    case object([String: GoldenValue])
    case null

    public init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([GoldenValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: GoldenValue].self)) }
    }

    public subscript(key: String) -> GoldenValue? {
        if case .object(let fields) = self { return fields[key] }
        return nil
    }

    public var object: [String: GoldenValue]? { if case .object(let value) = self { return value }; return nil }
    public var array: [GoldenValue]? { if case .array(let value) = self { return value }; return nil }
    public var number: Double? { if case .number(let value) = self { return value }; return nil }
    public var string: String? { if case .string(let value) = self { return value }; return nil }

    /// True for `{shape, data}` objects.
    public var isTensor: Bool { self["shape"] != nil && self["data"] != nil }
    /// True for `{shape, data, "dtype": "int"}` objects.
    public var isIntegerTensor: Bool { isTensor && self["dtype"]?.string == "int" }

    /// The shape and the values in double precision, as stored.
    public func tensorValues(_ what: String) throws -> (shape: [Int], data: [Double]) {
        guard let shape = self["shape"]?.array?.compactMap({ $0.number.map { Int($0) } }),
              let data = self["data"]?.array?.compactMap(\.number) else {
            throw GoldenError(description: "\(what) is not a {shape, data} tensor")
        }
        guard shape.reduce(1, *) == data.count else {
            throw GoldenError(description: "\(what): \(data.count) values do not fill shape \(shape)")
        }
        return (shape, data)
    }

    /// A float tensor; the values are rounded from float64 to float32.
    public func tensor(_ what: String) throws -> Tensor {
        guard !isIntegerTensor else { throw GoldenError(description: "\(what) is an integer tensor") }
        let (shape, data) = try tensorValues(what)
        return Tensor(data.map { Float($0) }, shape: shape)
    }

    public func integerTensor(_ what: String) throws -> IntTensor {
        guard isIntegerTensor else { throw GoldenError(description: "\(what) is not an integer tensor") }
        let (shape, data) = try tensorValues(what)
        return IntTensor(data.map { Int($0) }, shape: shape)
    }
}

/// One named case (or module, or optimiser) of a golden file.
public struct GoldenCase: CustomStringConvertible {
    public let name: String
    public let fields: [String: GoldenValue]

    public var description: String { name }

    public func field(_ key: String) throws -> GoldenValue {
        guard let value = fields[key] else { throw GoldenError(description: "golden case \(name) has no field \"\(key)\"") }
        return value
    }

    public func tensor(_ key: String) throws -> Tensor { try field(key).tensor("\(name).\(key)") }
    public func number(_ key: String) throws -> Double {
        guard let value = try field(key).number else { throw GoldenError(description: "\(name).\(key) is not a number") }
        return value
    }

    /// A field holding name → float tensor (`grads`, `state_dict`), in key order.
    public func tensors(_ key: String) throws -> [String: Tensor] {
        guard let entries = try field(key).object else { throw GoldenError(description: "\(name).\(key) is not an object") }
        var result: [String: Tensor] = [:]
        for (entry, value) in entries { result[entry] = try value.tensor("\(name).\(key).\(entry)") }
        return result
    }

    /// The `inputs` field split into float tensors (leaves that require gradients when asked) and
    /// integer tensors (indices, labels, masks).
    public func inputs(requiringGradients: Bool) throws -> GoldenInputs {
        guard let entries = try field("inputs").object else { throw GoldenError(description: "\(name).inputs is not an object") }
        var inputs = GoldenInputs(caseName: name)
        for (entry, value) in entries {
            if value.isIntegerTensor {
                inputs.integers[entry] = try value.integerTensor("\(name).inputs.\(entry)")
            } else {
                let tensor = try value.tensor("\(name).inputs.\(entry)")
                tensor.requiresGrad = requiringGradients
                inputs.floats[entry] = tensor
            }
        }
        return inputs
    }
}

/// The inputs of one golden case by name: `inputs["x"]` for floats, `inputs.integer("idx")` for indices.
public struct GoldenInputs {
    public let caseName: String
    public var floats: [String: Tensor] = [:]
    public var integers: [String: IntTensor] = [:]

    public subscript(name: String) -> Tensor {
        guard let tensor = floats[name] else { fatalError("golden case \(caseName) has no float input \"\(name)\"") }
        return tensor
    }

    public func integer(_ name: String) -> IntTensor {
        guard let tensor = integers[name] else { fatalError("golden case \(caseName) has no integer input \"\(name)\"") }
        return tensor
    }
}

/// Finds and decodes the golden files (once per file per test run).
public enum Golden {
    public static let environmentVariable = "NABLA_GOLDEN"

    /// The package root, found from this source file's path, so that it works from any working directory.
    public static var packageRoot: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()   // NablaTestSupport
            .deletingLastPathComponent()   // Tests
            .deletingLastPathComponent()   // package root
    }

    /// The repository's own copy of the reference values, written by scripts/golden/generate.py.
    public static var repositoryFolder: URL {
        packageRoot.appendingPathComponent("Tests/Golden", isDirectory: true).standardizedFileURL
    }

    /// `$NABLA_GOLDEN` when set, else the repository's copy in Tests/Golden.
    public static var folder: URL {
        if let path = ProcessInfo.processInfo.environment[environmentVariable], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        return repositoryFolder
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var decoded: [String: GoldenValue] = [:]

    /// The whole decoded file, e.g. `try Golden.file("ops.json")`.
    public static func file(_ name: String) throws -> GoldenValue {
        lock.lock()
        defer { lock.unlock() }
        if let cached = decoded[name] { return cached }
        let url = folder.appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw GoldenError(description: """
                golden file \(url.path) not found: PyTorch's reference values are expected in \(folder.path) \
                (scripts/golden/generate.py writes them to Tests/Golden; the environment variable \
                \(environmentVariable) points at another folder that holds \(name))
                """)
        }
        let value = try JSONDecoder().decode(GoldenValue.self, from: Data(contentsOf: url))
        decoded[name] = value
        return value
    }

    /// The named entries of `list` (`cases`, `modules`, `optimizers`, `schedules`) of a golden file.
    public static func cases(_ list: String = "cases", in fileName: String) throws -> [GoldenCase] {
        guard let entries = try file(fileName)[list]?.array else {
            throw GoldenError(description: "\(fileName) has no list \"\(list)\"")
        }
        return try entries.map { entry in
            guard let fields = entry.object, let name = fields["name"]?.string else {
                throw GoldenError(description: "\(fileName): an entry of \"\(list)\" has no name")
            }
            return GoldenCase(name: name, fields: fields)
        }
    }

    public static func `case`(_ name: String, _ list: String = "cases", in fileName: String) throws -> GoldenCase {
        guard let found = try cases(list, in: fileName).first(where: { $0.name == name }) else {
            throw GoldenError(description: "\(fileName) has no entry named \(name) in \"\(list)\"")
        }
        return found
    }
}

