import Foundation
@testable import NablaData
import Testing

/// A fresh folder under the system's temporary directory, removed when the value is dropped, so tests
/// running in parallel never share files.
final class TemporaryFolder {
    let path: String

    init() {
        var template = Array((NSTemporaryDirectory() + "/nabla-data-tests-XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        precondition(created != nil, "TemporaryFolder: mkdtemp failed")
        path = String(cString: template)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the folder.
    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `bytes` to `name` and returns its path.
    @discardableResult
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let target = file(name)
        let created = FileManager.default.createFile(atPath: target, contents: Data(bytes))
        precondition(created, "TemporaryFolder: cannot write \(target)")
        return target
    }

    /// The names of the files in the folder, sorted.
    var contents: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
}

/// Runs `body`, which must throw a `DataError` of `kind` whose description contains every one of
/// `fragments`; records an issue otherwise and returns the error for further checks.
@discardableResult
func expectDataError<Result>(_ kind: DataError.Kind, containing fragments: [String] = [],
                             sourceLocation: SourceLocation = #_sourceLocation,
                             _ body: () throws -> Result) -> DataError? {
    do {
        _ = try body()
        Issue.record("expected a \(kind) error, but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as DataError {
        if error.kind != kind { Issue.record("expected a \(kind) error, got: \(error)", sourceLocation: sourceLocation) }
        for fragment in fragments where !error.description.contains(fragment) {
            Issue.record("error \"\(error)\" does not mention \"\(fragment)\"", sourceLocation: sourceLocation)
        }
        return error
    } catch {
        Issue.record("expected a DataError, got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Bytes from a hex string such as "934e55".
func hexBytes(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        bytes.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return bytes
}
